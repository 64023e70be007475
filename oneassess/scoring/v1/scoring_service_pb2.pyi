import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from oneassess.indicators.v1 import indicators_service_pb2 as _indicators_service_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DecisionState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DECISION_STATE_UNSPECIFIED: _ClassVar[DecisionState]
    DECISION_STATE_PENDING: _ClassVar[DecisionState]
    DECISION_STATE_APPROVED: _ClassVar[DecisionState]
    DECISION_STATE_REJECTED: _ClassVar[DecisionState]

class Decision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DECISION_UNSPECIFIED: _ClassVar[Decision]
    DECISION_APPROVE: _ClassVar[Decision]
    DECISION_REJECT: _ClassVar[Decision]

class AppealState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    APPEAL_STATE_UNSPECIFIED: _ClassVar[AppealState]
    APPEAL_STATE_PENDING: _ClassVar[AppealState]
    APPEAL_STATE_UPHELD: _ClassVar[AppealState]
    APPEAL_STATE_ADJUSTED: _ClassVar[AppealState]

class AppealDecision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    APPEAL_DECISION_UNSPECIFIED: _ClassVar[AppealDecision]
    APPEAL_DECISION_UPHOLD: _ClassVar[AppealDecision]
    APPEAL_DECISION_ADJUST: _ClassVar[AppealDecision]
DECISION_STATE_UNSPECIFIED: DecisionState
DECISION_STATE_PENDING: DecisionState
DECISION_STATE_APPROVED: DecisionState
DECISION_STATE_REJECTED: DecisionState
DECISION_UNSPECIFIED: Decision
DECISION_APPROVE: Decision
DECISION_REJECT: Decision
APPEAL_STATE_UNSPECIFIED: AppealState
APPEAL_STATE_PENDING: AppealState
APPEAL_STATE_UPHELD: AppealState
APPEAL_STATE_ADJUSTED: AppealState
APPEAL_DECISION_UNSPECIFIED: AppealDecision
APPEAL_DECISION_UPHOLD: AppealDecision
APPEAL_DECISION_ADJUST: AppealDecision

class ReviewInput(_message.Message):
    __slots__ = ("value", "grade", "items_met", "occurrences", "claimed", "failed")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    GRADE_FIELD_NUMBER: _ClassVar[int]
    ITEMS_MET_FIELD_NUMBER: _ClassVar[int]
    OCCURRENCES_FIELD_NUMBER: _ClassVar[int]
    CLAIMED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    value: float
    grade: str
    items_met: int
    occurrences: float
    claimed: float
    failed: bool
    def __init__(self, value: _Optional[float] = ..., grade: _Optional[str] = ..., items_met: _Optional[int] = ..., occurrences: _Optional[float] = ..., claimed: _Optional[float] = ..., failed: _Optional[bool] = ...) -> None: ...

class Review(_message.Message):
    __slots__ = ("cycle_code", "unit_code", "special_assessment_code", "indicator_code", "input", "comment", "revision", "reviewed_by", "reviewed_at", "source")
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    SPECIAL_ASSESSMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_CODE_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    REVIEWED_BY_FIELD_NUMBER: _ClassVar[int]
    REVIEWED_AT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    unit_code: str
    special_assessment_code: str
    indicator_code: str
    input: ReviewInput
    comment: str
    revision: int
    reviewed_by: str
    reviewed_at: _timestamp_pb2.Timestamp
    source: str
    def __init__(self, cycle_code: _Optional[str] = ..., unit_code: _Optional[str] = ..., special_assessment_code: _Optional[str] = ..., indicator_code: _Optional[str] = ..., input: _Optional[_Union[ReviewInput, _Mapping]] = ..., comment: _Optional[str] = ..., revision: _Optional[int] = ..., reviewed_by: _Optional[str] = ..., reviewed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., source: _Optional[str] = ...) -> None: ...

class RecordReviewRequest(_message.Message):
    __slots__ = ("request_id", "cycle_code", "unit_code", "special_assessment_code", "indicator_code", "input", "comment")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    SPECIAL_ASSESSMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_CODE_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    cycle_code: str
    unit_code: str
    special_assessment_code: str
    indicator_code: str
    input: ReviewInput
    comment: str
    def __init__(self, request_id: _Optional[str] = ..., cycle_code: _Optional[str] = ..., unit_code: _Optional[str] = ..., special_assessment_code: _Optional[str] = ..., indicator_code: _Optional[str] = ..., input: _Optional[_Union[ReviewInput, _Mapping]] = ..., comment: _Optional[str] = ...) -> None: ...

class RecordReviewResponse(_message.Message):
    __slots__ = ("review",)
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    review: Review
    def __init__(self, review: _Optional[_Union[Review, _Mapping]] = ...) -> None: ...

class ComputeScoresRequest(_message.Message):
    __slots__ = ("request_id", "cycle_code")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    cycle_code: str
    def __init__(self, request_id: _Optional[str] = ..., cycle_code: _Optional[str] = ...) -> None: ...

class ScoreRun(_message.Message):
    __slots__ = ("run", "cycle_code", "units", "inputs_sha256", "results_sha256", "computed_at", "published", "published_at", "appeal_deadline", "finalized_at", "trigger", "indicator_scores")
    RUN_FIELD_NUMBER: _ClassVar[int]
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    UNITS_FIELD_NUMBER: _ClassVar[int]
    INPUTS_SHA256_FIELD_NUMBER: _ClassVar[int]
    RESULTS_SHA256_FIELD_NUMBER: _ClassVar[int]
    COMPUTED_AT_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_AT_FIELD_NUMBER: _ClassVar[int]
    APPEAL_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    FINALIZED_AT_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_SCORES_FIELD_NUMBER: _ClassVar[int]
    run: int
    cycle_code: str
    units: int
    inputs_sha256: str
    results_sha256: str
    computed_at: _timestamp_pb2.Timestamp
    published: bool
    published_at: _timestamp_pb2.Timestamp
    appeal_deadline: _timestamp_pb2.Timestamp
    finalized_at: _timestamp_pb2.Timestamp
    trigger: str
    indicator_scores: int
    def __init__(self, run: _Optional[int] = ..., cycle_code: _Optional[str] = ..., units: _Optional[int] = ..., inputs_sha256: _Optional[str] = ..., results_sha256: _Optional[str] = ..., computed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., published: _Optional[bool] = ..., published_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., appeal_deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finalized_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., trigger: _Optional[str] = ..., indicator_scores: _Optional[int] = ...) -> None: ...

class ComputeScoresResponse(_message.Message):
    __slots__ = ("run",)
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: ScoreRun
    def __init__(self, run: _Optional[_Union[ScoreRun, _Mapping]] = ...) -> None: ...

class PublishScoresRequest(_message.Message):
    __slots__ = ("request_id", "cycle_code", "appeal_deadline")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    APPEAL_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    cycle_code: str
    appeal_deadline: _timestamp_pb2.Timestamp
    def __init__(self, request_id: _Optional[str] = ..., cycle_code: _Optional[str] = ..., appeal_deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PublishScoresResponse(_message.Message):
    __slots__ = ("run",)
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: ScoreRun
    def __init__(self, run: _Optional[_Union[ScoreRun, _Mapping]] = ...) -> None: ...

class UnitScore(_message.Message):
    __slots__ = ("unit_code", "group", "composite", "rank", "tier", "vetoed", "unreviewed", "composite_display", "bonus", "group_size")
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    COMPOSITE_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    VETOED_FIELD_NUMBER: _ClassVar[int]
    UNREVIEWED_FIELD_NUMBER: _ClassVar[int]
    COMPOSITE_DISPLAY_FIELD_NUMBER: _ClassVar[int]
    BONUS_FIELD_NUMBER: _ClassVar[int]
    GROUP_SIZE_FIELD_NUMBER: _ClassVar[int]
    unit_code: str
    group: str
    composite: str
    rank: int
    tier: str
    vetoed: bool
    unreviewed: int
    composite_display: str
    bonus: str
    group_size: int
    def __init__(self, unit_code: _Optional[str] = ..., group: _Optional[str] = ..., composite: _Optional[str] = ..., rank: _Optional[int] = ..., tier: _Optional[str] = ..., vetoed: _Optional[bool] = ..., unreviewed: _Optional[int] = ..., composite_display: _Optional[str] = ..., bonus: _Optional[str] = ..., group_size: _Optional[int] = ...) -> None: ...

class ListScoresRequest(_message.Message):
    __slots__ = ("cycle_code", "group", "page_size", "page_token", "run")
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RUN_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    group: str
    page_size: int
    page_token: str
    run: int
    def __init__(self, cycle_code: _Optional[str] = ..., group: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., run: _Optional[int] = ...) -> None: ...

class TierBand(_message.Message):
    __slots__ = ("tier", "cutoff_rank", "units")
    TIER_FIELD_NUMBER: _ClassVar[int]
    CUTOFF_RANK_FIELD_NUMBER: _ClassVar[int]
    UNITS_FIELD_NUMBER: _ClassVar[int]
    tier: str
    cutoff_rank: int
    units: int
    def __init__(self, tier: _Optional[str] = ..., cutoff_rank: _Optional[int] = ..., units: _Optional[int] = ...) -> None: ...

class GroupTiers(_message.Message):
    __slots__ = ("group", "size", "bands")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    BANDS_FIELD_NUMBER: _ClassVar[int]
    group: str
    size: int
    bands: _containers.RepeatedCompositeFieldContainer[TierBand]
    def __init__(self, group: _Optional[str] = ..., size: _Optional[int] = ..., bands: _Optional[_Iterable[_Union[TierBand, _Mapping]]] = ...) -> None: ...

class ListScoresResponse(_message.Message):
    __slots__ = ("scores", "next_page_token", "run", "tiers")
    SCORES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RUN_FIELD_NUMBER: _ClassVar[int]
    TIERS_FIELD_NUMBER: _ClassVar[int]
    scores: _containers.RepeatedCompositeFieldContainer[UnitScore]
    next_page_token: str
    run: ScoreRun
    tiers: _containers.RepeatedCompositeFieldContainer[GroupTiers]
    def __init__(self, scores: _Optional[_Iterable[_Union[UnitScore, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., run: _Optional[_Union[ScoreRun, _Mapping]] = ..., tiers: _Optional[_Iterable[_Union[GroupTiers, _Mapping]]] = ...) -> None: ...

class GetScorecardRequest(_message.Message):
    __slots__ = ("cycle_code", "unit_code", "run")
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    RUN_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    unit_code: str
    run: int
    def __init__(self, cycle_code: _Optional[str] = ..., unit_code: _Optional[str] = ..., run: _Optional[int] = ...) -> None: ...

class Explanation(_message.Message):
    __slots__ = ("rule", "inputs", "formula", "result")
    class InputsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    RULE_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    FORMULA_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    rule: str
    inputs: _containers.ScalarMap[str, str]
    formula: str
    result: str
    def __init__(self, rule: _Optional[str] = ..., inputs: _Optional[_Mapping[str, str]] = ..., formula: _Optional[str] = ..., result: _Optional[str] = ...) -> None: ...

class IndicatorScore(_message.Message):
    __slots__ = ("special_assessment_code", "indicator_code", "points", "score", "unreviewed", "steps", "review_revision", "method")
    SPECIAL_ASSESSMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_CODE_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    UNREVIEWED_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    REVIEW_REVISION_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    special_assessment_code: str
    indicator_code: str
    points: str
    score: str
    unreviewed: bool
    steps: _containers.RepeatedCompositeFieldContainer[Explanation]
    review_revision: int
    method: _indicators_service_pb2.ScoringMethod
    def __init__(self, special_assessment_code: _Optional[str] = ..., indicator_code: _Optional[str] = ..., points: _Optional[str] = ..., score: _Optional[str] = ..., unreviewed: _Optional[bool] = ..., steps: _Optional[_Iterable[_Union[Explanation, _Mapping]]] = ..., review_revision: _Optional[int] = ..., method: _Optional[_Union[_indicators_service_pb2.ScoringMethod, str]] = ...) -> None: ...

class SpecialAssessmentScore(_message.Message):
    __slots__ = ("special_assessment_code", "score", "explanation")
    SPECIAL_ASSESSMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    special_assessment_code: str
    score: str
    explanation: Explanation
    def __init__(self, special_assessment_code: _Optional[str] = ..., score: _Optional[str] = ..., explanation: _Optional[_Union[Explanation, _Mapping]] = ...) -> None: ...

class Scorecard(_message.Message):
    __slots__ = ("score", "special_assessments", "indicators", "composite", "ranking")
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SPECIAL_ASSESSMENTS_FIELD_NUMBER: _ClassVar[int]
    INDICATORS_FIELD_NUMBER: _ClassVar[int]
    COMPOSITE_FIELD_NUMBER: _ClassVar[int]
    RANKING_FIELD_NUMBER: _ClassVar[int]
    score: UnitScore
    special_assessments: _containers.RepeatedCompositeFieldContainer[SpecialAssessmentScore]
    indicators: _containers.RepeatedCompositeFieldContainer[IndicatorScore]
    composite: Explanation
    ranking: Explanation
    def __init__(self, score: _Optional[_Union[UnitScore, _Mapping]] = ..., special_assessments: _Optional[_Iterable[_Union[SpecialAssessmentScore, _Mapping]]] = ..., indicators: _Optional[_Iterable[_Union[IndicatorScore, _Mapping]]] = ..., composite: _Optional[_Union[Explanation, _Mapping]] = ..., ranking: _Optional[_Union[Explanation, _Mapping]] = ...) -> None: ...

class GetScorecardResponse(_message.Message):
    __slots__ = ("scorecard", "run")
    SCORECARD_FIELD_NUMBER: _ClassVar[int]
    RUN_FIELD_NUMBER: _ClassVar[int]
    scorecard: Scorecard
    run: ScoreRun
    def __init__(self, scorecard: _Optional[_Union[Scorecard, _Mapping]] = ..., run: _Optional[_Union[ScoreRun, _Mapping]] = ...) -> None: ...

class FinalizeScoresRequest(_message.Message):
    __slots__ = ("request_id", "cycle_code")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    cycle_code: str
    def __init__(self, request_id: _Optional[str] = ..., cycle_code: _Optional[str] = ...) -> None: ...

class FinalizeScoresResponse(_message.Message):
    __slots__ = ("run",)
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: ScoreRun
    def __init__(self, run: _Optional[_Union[ScoreRun, _Mapping]] = ...) -> None: ...

class ListMissingReviewsRequest(_message.Message):
    __slots__ = ("cycle_code", "department")
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    department: str
    def __init__(self, cycle_code: _Optional[str] = ..., department: _Optional[str] = ...) -> None: ...

class MissingReviews(_message.Message):
    __slots__ = ("department", "missing", "total", "examples")
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    department: str
    missing: int
    total: int
    examples: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, department: _Optional[str] = ..., missing: _Optional[int] = ..., total: _Optional[int] = ..., examples: _Optional[_Iterable[str]] = ...) -> None: ...

class ListMissingReviewsResponse(_message.Message):
    __slots__ = ("departments",)
    DEPARTMENTS_FIELD_NUMBER: _ClassVar[int]
    departments: _containers.RepeatedCompositeFieldContainer[MissingReviews]
    def __init__(self, departments: _Optional[_Iterable[_Union[MissingReviews, _Mapping]]] = ...) -> None: ...

class ReviewFile(_message.Message):
    __slots__ = ("name", "content")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    name: str
    content: bytes
    def __init__(self, name: _Optional[str] = ..., content: _Optional[bytes] = ...) -> None: ...

class ImportReviewsRequest(_message.Message):
    __slots__ = ("request_id", "cycle_code", "file")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    cycle_code: str
    file: ReviewFile
    def __init__(self, request_id: _Optional[str] = ..., cycle_code: _Optional[str] = ..., file: _Optional[_Union[ReviewFile, _Mapping]] = ...) -> None: ...

class ImportReviewsResponse(_message.Message):
    __slots__ = ("recorded", "unchanged", "blank")
    RECORDED_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    BLANK_FIELD_NUMBER: _ClassVar[int]
    recorded: int
    unchanged: int
    blank: int
    def __init__(self, recorded: _Optional[int] = ..., unchanged: _Optional[int] = ..., blank: _Optional[int] = ...) -> None: ...

class ExportReviewTemplateRequest(_message.Message):
    __slots__ = ("cycle_code", "special_assessment_code", "format")
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    SPECIAL_ASSESSMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    special_assessment_code: str
    format: str
    def __init__(self, cycle_code: _Optional[str] = ..., special_assessment_code: _Optional[str] = ..., format: _Optional[str] = ...) -> None: ...

class ExportReviewTemplateResponse(_message.Message):
    __slots__ = ("file_name", "content", "rows")
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    file_name: str
    content: bytes
    rows: int
    def __init__(self, file_name: _Optional[str] = ..., content: _Optional[bytes] = ..., rows: _Optional[int] = ...) -> None: ...

class ListReviewsRequest(_message.Message):
    __slots__ = ("cycle_code", "unit_code", "special_assessment_code", "indicator_code", "all_revisions", "page_size", "page_token")
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    SPECIAL_ASSESSMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_CODE_FIELD_NUMBER: _ClassVar[int]
    ALL_REVISIONS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    unit_code: str
    special_assessment_code: str
    indicator_code: str
    all_revisions: bool
    page_size: int
    page_token: str
    def __init__(self, cycle_code: _Optional[str] = ..., unit_code: _Optional[str] = ..., special_assessment_code: _Optional[str] = ..., indicator_code: _Optional[str] = ..., all_revisions: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListReviewsResponse(_message.Message):
    __slots__ = ("reviews", "next_page_token")
    REVIEWS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    reviews: _containers.RepeatedCompositeFieldContainer[Review]
    next_page_token: str
    def __init__(self, reviews: _Optional[_Iterable[_Union[Review, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ClaimIndicator(_message.Message):
    __slots__ = ("indicator", "state", "decided_by", "decided_at", "reason")
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    indicator: _indicators_service_pb2.IndicatorRef
    state: DecisionState
    decided_by: str
    decided_at: _timestamp_pb2.Timestamp
    reason: str
    def __init__(self, indicator: _Optional[_Union[_indicators_service_pb2.IndicatorRef, _Mapping]] = ..., state: _Optional[_Union[DecisionState, str]] = ..., decided_by: _Optional[str] = ..., decided_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class Claim(_message.Message):
    __slots__ = ("claim_id", "cycle_code", "unit_code", "category", "category_name", "description", "prefiling", "act_date", "indicators", "filed_by", "filed_at")
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PREFILING_FIELD_NUMBER: _ClassVar[int]
    ACT_DATE_FIELD_NUMBER: _ClassVar[int]
    INDICATORS_FIELD_NUMBER: _ClassVar[int]
    FILED_BY_FIELD_NUMBER: _ClassVar[int]
    FILED_AT_FIELD_NUMBER: _ClassVar[int]
    claim_id: int
    cycle_code: str
    unit_code: str
    category: str
    category_name: str
    description: str
    prefiling: bool
    act_date: str
    indicators: _containers.RepeatedCompositeFieldContainer[ClaimIndicator]
    filed_by: str
    filed_at: _timestamp_pb2.Timestamp
    def __init__(self, claim_id: _Optional[int] = ..., cycle_code: _Optional[str] = ..., unit_code: _Optional[str] = ..., category: _Optional[str] = ..., category_name: _Optional[str] = ..., description: _Optional[str] = ..., prefiling: _Optional[bool] = ..., act_date: _Optional[str] = ..., indicators: _Optional[_Iterable[_Union[ClaimIndicator, _Mapping]]] = ..., filed_by: _Optional[str] = ..., filed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class FileClaimRequest(_message.Message):
    __slots__ = ("request_id", "cycle_code", "unit_code", "category", "description", "indicators", "prefiling", "act_date")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    INDICATORS_FIELD_NUMBER: _ClassVar[int]
    PREFILING_FIELD_NUMBER: _ClassVar[int]
    ACT_DATE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    cycle_code: str
    unit_code: str
    category: str
    description: str
    indicators: _containers.RepeatedCompositeFieldContainer[_indicators_service_pb2.IndicatorRef]
    prefiling: bool
    act_date: str
    def __init__(self, request_id: _Optional[str] = ..., cycle_code: _Optional[str] = ..., unit_code: _Optional[str] = ..., category: _Optional[str] = ..., description: _Optional[str] = ..., indicators: _Optional[_Iterable[_Union[_indicators_service_pb2.IndicatorRef, _Mapping]]] = ..., prefiling: _Optional[bool] = ..., act_date: _Optional[str] = ...) -> None: ...

class FileClaimResponse(_message.Message):
    __slots__ = ("claim",)
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    claim: Claim
    def __init__(self, claim: _Optional[_Union[Claim, _Mapping]] = ...) -> None: ...

class DecideClaimRequest(_message.Message):
    __slots__ = ("request_id", "cycle_code", "claim_id", "decision", "reason", "indicators")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    INDICATORS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    cycle_code: str
    claim_id: int
    decision: Decision
    reason: str
    indicators: _containers.RepeatedCompositeFieldContainer[_indicators_service_pb2.IndicatorRef]
    def __init__(self, request_id: _Optional[str] = ..., cycle_code: _Optional[str] = ..., claim_id: _Optional[int] = ..., decision: _Optional[_Union[Decision, str]] = ..., reason: _Optional[str] = ..., indicators: _Optional[_Iterable[_Union[_indicators_service_pb2.IndicatorRef, _Mapping]]] = ...) -> None: ...

class DecideClaimResponse(_message.Message):
    __slots__ = ("claim",)
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    claim: Claim
    def __init__(self, claim: _Optional[_Union[Claim, _Mapping]] = ...) -> None: ...

class ListClaimsRequest(_message.Message):
    __slots__ = ("cycle_code", "unit_code", "state", "page_size", "page_token")
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    unit_code: str
    state: DecisionState
    page_size: int
    page_token: str
    def __init__(self, cycle_code: _Optional[str] = ..., unit_code: _Optional[str] = ..., state: _Optional[_Union[DecisionState, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListClaimsResponse(_message.Message):
    __slots__ = ("claims", "next_page_token")
    CLAIMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    claims: _containers.RepeatedCompositeFieldContainer[Claim]
    next_page_token: str
    def __init__(self, claims: _Optional[_Iterable[_Union[Claim, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Appeal(_message.Message):
    __slots__ = ("appeal_id", "cycle_code", "unit_code", "indicator", "reason", "state", "filed_by", "filed_at", "score_before", "decided_by", "decided_at", "decision_reason", "score_after", "run")
    APPEAL_ID_FIELD_NUMBER: _ClassVar[int]
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    FILED_BY_FIELD_NUMBER: _ClassVar[int]
    FILED_AT_FIELD_NUMBER: _ClassVar[int]
    SCORE_BEFORE_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    DECISION_REASON_FIELD_NUMBER: _ClassVar[int]
    SCORE_AFTER_FIELD_NUMBER: _ClassVar[int]
    RUN_FIELD_NUMBER: _ClassVar[int]
    appeal_id: int
    cycle_code: str
    unit_code: str
    indicator: _indicators_service_pb2.IndicatorRef
    reason: str
    state: AppealState
    filed_by: str
    filed_at: _timestamp_pb2.Timestamp
    score_before: str
    decided_by: str
    decided_at: _timestamp_pb2.Timestamp
    decision_reason: str
    score_after: str
    run: int
    def __init__(self, appeal_id: _Optional[int] = ..., cycle_code: _Optional[str] = ..., unit_code: _Optional[str] = ..., indicator: _Optional[_Union[_indicators_service_pb2.IndicatorRef, _Mapping]] = ..., reason: _Optional[str] = ..., state: _Optional[_Union[AppealState, str]] = ..., filed_by: _Optional[str] = ..., filed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., score_before: _Optional[str] = ..., decided_by: _Optional[str] = ..., decided_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., decision_reason: _Optional[str] = ..., score_after: _Optional[str] = ..., run: _Optional[int] = ...) -> None: ...

class FileAppealRequest(_message.Message):
    __slots__ = ("request_id", "cycle_code", "unit_code", "indicator", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    cycle_code: str
    unit_code: str
    indicator: _indicators_service_pb2.IndicatorRef
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., cycle_code: _Optional[str] = ..., unit_code: _Optional[str] = ..., indicator: _Optional[_Union[_indicators_service_pb2.IndicatorRef, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class FileAppealResponse(_message.Message):
    __slots__ = ("appeal",)
    APPEAL_FIELD_NUMBER: _ClassVar[int]
    appeal: Appeal
    def __init__(self, appeal: _Optional[_Union[Appeal, _Mapping]] = ...) -> None: ...

class DecideAppealRequest(_message.Message):
    __slots__ = ("request_id", "cycle_code", "appeal_id", "decision", "reason", "adjustment")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    APPEAL_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ADJUSTMENT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    cycle_code: str
    appeal_id: int
    decision: AppealDecision
    reason: str
    adjustment: ReviewInput
    def __init__(self, request_id: _Optional[str] = ..., cycle_code: _Optional[str] = ..., appeal_id: _Optional[int] = ..., decision: _Optional[_Union[AppealDecision, str]] = ..., reason: _Optional[str] = ..., adjustment: _Optional[_Union[ReviewInput, _Mapping]] = ...) -> None: ...

class DecideAppealResponse(_message.Message):
    __slots__ = ("appeal", "run")
    APPEAL_FIELD_NUMBER: _ClassVar[int]
    RUN_FIELD_NUMBER: _ClassVar[int]
    appeal: Appeal
    run: ScoreRun
    def __init__(self, appeal: _Optional[_Union[Appeal, _Mapping]] = ..., run: _Optional[_Union[ScoreRun, _Mapping]] = ...) -> None: ...

class ListAppealsRequest(_message.Message):
    __slots__ = ("cycle_code", "unit_code", "state", "page_size", "page_token")
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    unit_code: str
    state: AppealState
    page_size: int
    page_token: str
    def __init__(self, cycle_code: _Optional[str] = ..., unit_code: _Optional[str] = ..., state: _Optional[_Union[AppealState, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAppealsResponse(_message.Message):
    __slots__ = ("appeals", "next_page_token")
    APPEALS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    appeals: _containers.RepeatedCompositeFieldContainer[Appeal]
    next_page_token: str
    def __init__(self, appeals: _Optional[_Iterable[_Union[Appeal, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PreviewWeightsRequest(_message.Message):
    __slots__ = ("cycle_code", "weights", "group", "run")
    class WeightsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    WEIGHTS_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    RUN_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    weights: _containers.ScalarMap[str, str]
    group: str
    run: int
    def __init__(self, cycle_code: _Optional[str] = ..., weights: _Optional[_Mapping[str, str]] = ..., group: _Optional[str] = ..., run: _Optional[int] = ...) -> None: ...

class PreviewScore(_message.Message):
    __slots__ = ("score", "current_composite", "current_rank", "current_tier")
    SCORE_FIELD_NUMBER: _ClassVar[int]
    CURRENT_COMPOSITE_FIELD_NUMBER: _ClassVar[int]
    CURRENT_RANK_FIELD_NUMBER: _ClassVar[int]
    CURRENT_TIER_FIELD_NUMBER: _ClassVar[int]
    score: UnitScore
    current_composite: str
    current_rank: int
    current_tier: str
    def __init__(self, score: _Optional[_Union[UnitScore, _Mapping]] = ..., current_composite: _Optional[str] = ..., current_rank: _Optional[int] = ..., current_tier: _Optional[str] = ...) -> None: ...

class PreviewWeightsResponse(_message.Message):
    __slots__ = ("scores", "weights", "run")
    class WeightsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SCORES_FIELD_NUMBER: _ClassVar[int]
    WEIGHTS_FIELD_NUMBER: _ClassVar[int]
    RUN_FIELD_NUMBER: _ClassVar[int]
    scores: _containers.RepeatedCompositeFieldContainer[PreviewScore]
    weights: _containers.ScalarMap[str, str]
    run: ScoreRun
    def __init__(self, scores: _Optional[_Iterable[_Union[PreviewScore, _Mapping]]] = ..., weights: _Optional[_Mapping[str, str]] = ..., run: _Optional[_Union[ScoreRun, _Mapping]] = ...) -> None: ...

class VerifyScoresRequest(_message.Message):
    __slots__ = ("cycle_code", "run")
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    RUN_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    run: int
    def __init__(self, cycle_code: _Optional[str] = ..., run: _Optional[int] = ...) -> None: ...

class VerifyScoresResponse(_message.Message):
    __slots__ = ("run", "inputs_sha256", "results_sha256", "matches", "differences")
    RUN_FIELD_NUMBER: _ClassVar[int]
    INPUTS_SHA256_FIELD_NUMBER: _ClassVar[int]
    RESULTS_SHA256_FIELD_NUMBER: _ClassVar[int]
    MATCHES_FIELD_NUMBER: _ClassVar[int]
    DIFFERENCES_FIELD_NUMBER: _ClassVar[int]
    run: ScoreRun
    inputs_sha256: str
    results_sha256: str
    matches: bool
    differences: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, run: _Optional[_Union[ScoreRun, _Mapping]] = ..., inputs_sha256: _Optional[str] = ..., results_sha256: _Optional[str] = ..., matches: _Optional[bool] = ..., differences: _Optional[_Iterable[str]] = ...) -> None: ...

class AuditAnchor(_message.Message):
    __slots__ = ("seq", "hash")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    seq: int
    hash: str
    def __init__(self, seq: _Optional[int] = ..., hash: _Optional[str] = ...) -> None: ...

class VerifyAuditChainRequest(_message.Message):
    __slots__ = ("anchors",)
    ANCHORS_FIELD_NUMBER: _ClassVar[int]
    anchors: _containers.RepeatedCompositeFieldContainer[AuditAnchor]
    def __init__(self, anchors: _Optional[_Iterable[_Union[AuditAnchor, _Mapping]]] = ...) -> None: ...

class VerifyAuditChainResponse(_message.Message):
    __slots__ = ("service", "entries", "ok", "first_bad_seq", "reason", "head", "head_signature")
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    FIRST_BAD_SEQ_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    HEAD_FIELD_NUMBER: _ClassVar[int]
    HEAD_SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    service: str
    entries: int
    ok: bool
    first_bad_seq: int
    reason: str
    head: AuditAnchor
    head_signature: str
    def __init__(self, service: _Optional[str] = ..., entries: _Optional[int] = ..., ok: _Optional[bool] = ..., first_bad_seq: _Optional[int] = ..., reason: _Optional[str] = ..., head: _Optional[_Union[AuditAnchor, _Mapping]] = ..., head_signature: _Optional[str] = ...) -> None: ...

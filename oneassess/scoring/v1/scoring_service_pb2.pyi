import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

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
    __slots__ = ("cycle_code", "unit_code", "special_assessment_code", "indicator_code", "input", "comment", "revision", "reviewed_by", "reviewed_at")
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    SPECIAL_ASSESSMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_CODE_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    REVIEWED_BY_FIELD_NUMBER: _ClassVar[int]
    REVIEWED_AT_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    unit_code: str
    special_assessment_code: str
    indicator_code: str
    input: ReviewInput
    comment: str
    revision: int
    reviewed_by: str
    reviewed_at: _timestamp_pb2.Timestamp
    def __init__(self, cycle_code: _Optional[str] = ..., unit_code: _Optional[str] = ..., special_assessment_code: _Optional[str] = ..., indicator_code: _Optional[str] = ..., input: _Optional[_Union[ReviewInput, _Mapping]] = ..., comment: _Optional[str] = ..., revision: _Optional[int] = ..., reviewed_by: _Optional[str] = ..., reviewed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

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
    __slots__ = ("run", "cycle_code", "units", "inputs_sha256", "results_sha256", "computed_at", "published")
    RUN_FIELD_NUMBER: _ClassVar[int]
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    UNITS_FIELD_NUMBER: _ClassVar[int]
    INPUTS_SHA256_FIELD_NUMBER: _ClassVar[int]
    RESULTS_SHA256_FIELD_NUMBER: _ClassVar[int]
    COMPUTED_AT_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_FIELD_NUMBER: _ClassVar[int]
    run: int
    cycle_code: str
    units: int
    inputs_sha256: str
    results_sha256: str
    computed_at: _timestamp_pb2.Timestamp
    published: bool
    def __init__(self, run: _Optional[int] = ..., cycle_code: _Optional[str] = ..., units: _Optional[int] = ..., inputs_sha256: _Optional[str] = ..., results_sha256: _Optional[str] = ..., computed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., published: _Optional[bool] = ...) -> None: ...

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
    __slots__ = ("unit_code", "group", "composite", "rank", "tier", "vetoed", "unreviewed")
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    COMPOSITE_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    VETOED_FIELD_NUMBER: _ClassVar[int]
    UNREVIEWED_FIELD_NUMBER: _ClassVar[int]
    unit_code: str
    group: str
    composite: str
    rank: int
    tier: str
    vetoed: bool
    unreviewed: int
    def __init__(self, unit_code: _Optional[str] = ..., group: _Optional[str] = ..., composite: _Optional[str] = ..., rank: _Optional[int] = ..., tier: _Optional[str] = ..., vetoed: _Optional[bool] = ..., unreviewed: _Optional[int] = ...) -> None: ...

class ListScoresRequest(_message.Message):
    __slots__ = ("cycle_code", "group", "page_size", "page_token")
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    group: str
    page_size: int
    page_token: str
    def __init__(self, cycle_code: _Optional[str] = ..., group: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListScoresResponse(_message.Message):
    __slots__ = ("scores", "next_page_token", "run")
    SCORES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RUN_FIELD_NUMBER: _ClassVar[int]
    scores: _containers.RepeatedCompositeFieldContainer[UnitScore]
    next_page_token: str
    run: ScoreRun
    def __init__(self, scores: _Optional[_Iterable[_Union[UnitScore, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., run: _Optional[_Union[ScoreRun, _Mapping]] = ...) -> None: ...

class GetScorecardRequest(_message.Message):
    __slots__ = ("cycle_code", "unit_code")
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    unit_code: str
    def __init__(self, cycle_code: _Optional[str] = ..., unit_code: _Optional[str] = ...) -> None: ...

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
    __slots__ = ("special_assessment_code", "indicator_code", "points", "score", "unreviewed", "steps")
    SPECIAL_ASSESSMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_CODE_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    UNREVIEWED_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    special_assessment_code: str
    indicator_code: str
    points: str
    score: str
    unreviewed: bool
    steps: _containers.RepeatedCompositeFieldContainer[Explanation]
    def __init__(self, special_assessment_code: _Optional[str] = ..., indicator_code: _Optional[str] = ..., points: _Optional[str] = ..., score: _Optional[str] = ..., unreviewed: _Optional[bool] = ..., steps: _Optional[_Iterable[_Union[Explanation, _Mapping]]] = ...) -> None: ...

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

import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SourceFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SOURCE_FORMAT_UNSPECIFIED: _ClassVar[SourceFormat]
    SOURCE_FORMAT_YAML: _ClassVar[SourceFormat]
    SOURCE_FORMAT_XLSX: _ClassVar[SourceFormat]
    SOURCE_FORMAT_CISO_YAML: _ClassVar[SourceFormat]

class ScoringMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCORING_METHOD_UNSPECIFIED: _ClassVar[ScoringMethod]
    SCORING_METHOD_RATIO: _ClassVar[ScoringMethod]
    SCORING_METHOD_GRADE: _ClassVar[ScoringMethod]
    SCORING_METHOD_CHECKLIST: _ClassVar[ScoringMethod]
    SCORING_METHOD_DEDUCTION: _ClassVar[ScoringMethod]
    SCORING_METHOD_BONUS: _ClassVar[ScoringMethod]
    SCORING_METHOD_VETO: _ClassVar[ScoringMethod]

class CycleState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CYCLE_STATE_UNSPECIFIED: _ClassVar[CycleState]
    CYCLE_STATE_CREATED: _ClassVar[CycleState]
    CYCLE_STATE_FOLDED: _ClassVar[CycleState]
SOURCE_FORMAT_UNSPECIFIED: SourceFormat
SOURCE_FORMAT_YAML: SourceFormat
SOURCE_FORMAT_XLSX: SourceFormat
SOURCE_FORMAT_CISO_YAML: SourceFormat
SCORING_METHOD_UNSPECIFIED: ScoringMethod
SCORING_METHOD_RATIO: ScoringMethod
SCORING_METHOD_GRADE: ScoringMethod
SCORING_METHOD_CHECKLIST: ScoringMethod
SCORING_METHOD_DEDUCTION: ScoringMethod
SCORING_METHOD_BONUS: ScoringMethod
SCORING_METHOD_VETO: ScoringMethod
CYCLE_STATE_UNSPECIFIED: CycleState
CYCLE_STATE_CREATED: CycleState
CYCLE_STATE_FOLDED: CycleState

class SourceFile(_message.Message):
    __slots__ = ("name", "content", "format")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    name: str
    content: bytes
    format: SourceFormat
    def __init__(self, name: _Optional[str] = ..., content: _Optional[bytes] = ..., format: _Optional[_Union[SourceFormat, str]] = ...) -> None: ...

class EvidenceRequirement(_message.Message):
    __slots__ = ("key", "name", "formats")
    KEY_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    FORMATS_FIELD_NUMBER: _ClassVar[int]
    key: str
    name: str
    formats: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, key: _Optional[str] = ..., name: _Optional[str] = ..., formats: _Optional[_Iterable[str]] = ...) -> None: ...

class Indicator(_message.Message):
    __slots__ = ("code", "name", "points", "method", "target", "grades", "items", "deduct_per", "max", "applies_to", "evidence")
    class GradesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    GRADES_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    DEDUCT_PER_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    APPLIES_TO_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    points: float
    method: ScoringMethod
    target: float
    grades: _containers.ScalarMap[str, float]
    items: int
    deduct_per: float
    max: float
    applies_to: _containers.RepeatedScalarFieldContainer[str]
    evidence: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., points: _Optional[float] = ..., method: _Optional[_Union[ScoringMethod, str]] = ..., target: _Optional[float] = ..., grades: _Optional[_Mapping[str, float]] = ..., items: _Optional[int] = ..., deduct_per: _Optional[float] = ..., max: _Optional[float] = ..., applies_to: _Optional[_Iterable[str]] = ..., evidence: _Optional[_Iterable[str]] = ...) -> None: ...

class SpecialAssessment(_message.Message):
    __slots__ = ("code", "version", "name", "name_en", "owner", "applies_to", "evidence", "indicators", "sha256", "imported_at", "imported_by", "equivalences")
    CODE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    APPLIES_TO_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    INDICATORS_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    IMPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    IMPORTED_BY_FIELD_NUMBER: _ClassVar[int]
    EQUIVALENCES_FIELD_NUMBER: _ClassVar[int]
    code: str
    version: int
    name: str
    name_en: str
    owner: str
    applies_to: _containers.RepeatedScalarFieldContainer[str]
    evidence: _containers.RepeatedCompositeFieldContainer[EvidenceRequirement]
    indicators: _containers.RepeatedCompositeFieldContainer[Indicator]
    sha256: str
    imported_at: _timestamp_pb2.Timestamp
    imported_by: str
    equivalences: _containers.RepeatedCompositeFieldContainer[EvidenceEquivalence]
    def __init__(self, code: _Optional[str] = ..., version: _Optional[int] = ..., name: _Optional[str] = ..., name_en: _Optional[str] = ..., owner: _Optional[str] = ..., applies_to: _Optional[_Iterable[str]] = ..., evidence: _Optional[_Iterable[_Union[EvidenceRequirement, _Mapping]]] = ..., indicators: _Optional[_Iterable[_Union[Indicator, _Mapping]]] = ..., sha256: _Optional[str] = ..., imported_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., imported_by: _Optional[str] = ..., equivalences: _Optional[_Iterable[_Union[EvidenceEquivalence, _Mapping]]] = ...) -> None: ...

class EvidenceEquivalence(_message.Message):
    __slots__ = ("key", "equal_key")
    KEY_FIELD_NUMBER: _ClassVar[int]
    EQUAL_KEY_FIELD_NUMBER: _ClassVar[int]
    key: str
    equal_key: str
    def __init__(self, key: _Optional[str] = ..., equal_key: _Optional[str] = ...) -> None: ...

class ImportSpecialAssessmentRequest(_message.Message):
    __slots__ = ("request_id", "file")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    file: SourceFile
    def __init__(self, request_id: _Optional[str] = ..., file: _Optional[_Union[SourceFile, _Mapping]] = ...) -> None: ...

class ImportSpecialAssessmentResponse(_message.Message):
    __slots__ = ("special_assessment", "created")
    SPECIAL_ASSESSMENT_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    special_assessment: SpecialAssessment
    created: bool
    def __init__(self, special_assessment: _Optional[_Union[SpecialAssessment, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class ListSpecialAssessmentsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "all_versions", "code")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ALL_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    all_versions: bool
    code: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., all_versions: _Optional[bool] = ..., code: _Optional[str] = ...) -> None: ...

class ListSpecialAssessmentsResponse(_message.Message):
    __slots__ = ("special_assessments", "next_page_token")
    SPECIAL_ASSESSMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    special_assessments: _containers.RepeatedCompositeFieldContainer[SpecialAssessment]
    next_page_token: str
    def __init__(self, special_assessments: _Optional[_Iterable[_Union[SpecialAssessment, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Unit(_message.Message):
    __slots__ = ("code", "name", "kind", "group", "contact", "head")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    CONTACT_FIELD_NUMBER: _ClassVar[int]
    HEAD_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    kind: str
    group: str
    contact: str
    head: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[str] = ..., group: _Optional[str] = ..., contact: _Optional[str] = ..., head: _Optional[str] = ...) -> None: ...

class ImportUnitsRequest(_message.Message):
    __slots__ = ("request_id", "file")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    file: SourceFile
    def __init__(self, request_id: _Optional[str] = ..., file: _Optional[_Union[SourceFile, _Mapping]] = ...) -> None: ...

class ImportUnitsResponse(_message.Message):
    __slots__ = ("created", "updated", "unchanged")
    CREATED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    created: int
    updated: int
    unchanged: int
    def __init__(self, created: _Optional[int] = ..., updated: _Optional[int] = ..., unchanged: _Optional[int] = ...) -> None: ...

class ListUnitsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "kind", "group")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    kind: str
    group: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., kind: _Optional[str] = ..., group: _Optional[str] = ...) -> None: ...

class ListUnitsResponse(_message.Message):
    __slots__ = ("units", "next_page_token")
    UNITS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    units: _containers.RepeatedCompositeFieldContainer[Unit]
    next_page_token: str
    def __init__(self, units: _Optional[_Iterable[_Union[Unit, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Calendar(_message.Message):
    __slots__ = ("opens", "evidence_due", "collection_closes", "review_due", "publish", "appeal_days")
    OPENS_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_DUE_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_CLOSES_FIELD_NUMBER: _ClassVar[int]
    REVIEW_DUE_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_FIELD_NUMBER: _ClassVar[int]
    APPEAL_DAYS_FIELD_NUMBER: _ClassVar[int]
    opens: _timestamp_pb2.Timestamp
    evidence_due: _timestamp_pb2.Timestamp
    collection_closes: _timestamp_pb2.Timestamp
    review_due: _timestamp_pb2.Timestamp
    publish: _timestamp_pb2.Timestamp
    appeal_days: int
    def __init__(self, opens: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., evidence_due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., collection_closes: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., review_due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., publish: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., appeal_days: _Optional[int] = ...) -> None: ...

class Reminders(_message.Message):
    __slots__ = ("before", "overdue_every", "overdue_max")
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_EVERY_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_MAX_FIELD_NUMBER: _ClassVar[int]
    before: _containers.RepeatedCompositeFieldContainer[_duration_pb2.Duration]
    overdue_every: _duration_pb2.Duration
    overdue_max: int
    def __init__(self, before: _Optional[_Iterable[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]]] = ..., overdue_every: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., overdue_max: _Optional[int] = ...) -> None: ...

class Tier(_message.Message):
    __slots__ = ("name", "top_share")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TOP_SHARE_FIELD_NUMBER: _ClassVar[int]
    name: str
    top_share: float
    def __init__(self, name: _Optional[str] = ..., top_share: _Optional[float] = ...) -> None: ...

class ToleranceCategory(_message.Message):
    __slots__ = ("code", "name", "prefiling", "never_tolerated")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PREFILING_FIELD_NUMBER: _ClassVar[int]
    NEVER_TOLERATED_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    prefiling: bool
    never_tolerated: bool
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., prefiling: _Optional[bool] = ..., never_tolerated: _Optional[bool] = ...) -> None: ...

class FoldedVersion(_message.Message):
    __slots__ = ("code", "version", "weight", "sha256")
    CODE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    code: str
    version: int
    weight: float
    sha256: str
    def __init__(self, code: _Optional[str] = ..., version: _Optional[int] = ..., weight: _Optional[float] = ..., sha256: _Optional[str] = ...) -> None: ...

class Cycle(_message.Message):
    __slots__ = ("code", "name", "timezone", "state", "weights", "calendar", "reminders", "late_penalty", "equivalences", "tiers", "veto_tier", "tolerance", "folded_versions", "created_at", "folded_at", "catalogue_sha256")
    class WeightsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    WEIGHTS_FIELD_NUMBER: _ClassVar[int]
    CALENDAR_FIELD_NUMBER: _ClassVar[int]
    REMINDERS_FIELD_NUMBER: _ClassVar[int]
    LATE_PENALTY_FIELD_NUMBER: _ClassVar[int]
    EQUIVALENCES_FIELD_NUMBER: _ClassVar[int]
    TIERS_FIELD_NUMBER: _ClassVar[int]
    VETO_TIER_FIELD_NUMBER: _ClassVar[int]
    TOLERANCE_FIELD_NUMBER: _ClassVar[int]
    FOLDED_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    FOLDED_AT_FIELD_NUMBER: _ClassVar[int]
    CATALOGUE_SHA256_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    timezone: str
    state: CycleState
    weights: _containers.ScalarMap[str, float]
    calendar: Calendar
    reminders: Reminders
    late_penalty: float
    equivalences: _containers.RepeatedCompositeFieldContainer[EquivalenceGroup]
    tiers: _containers.RepeatedCompositeFieldContainer[Tier]
    veto_tier: str
    tolerance: _containers.RepeatedCompositeFieldContainer[ToleranceCategory]
    folded_versions: _containers.RepeatedCompositeFieldContainer[FoldedVersion]
    created_at: _timestamp_pb2.Timestamp
    folded_at: _timestamp_pb2.Timestamp
    catalogue_sha256: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., timezone: _Optional[str] = ..., state: _Optional[_Union[CycleState, str]] = ..., weights: _Optional[_Mapping[str, float]] = ..., calendar: _Optional[_Union[Calendar, _Mapping]] = ..., reminders: _Optional[_Union[Reminders, _Mapping]] = ..., late_penalty: _Optional[float] = ..., equivalences: _Optional[_Iterable[_Union[EquivalenceGroup, _Mapping]]] = ..., tiers: _Optional[_Iterable[_Union[Tier, _Mapping]]] = ..., veto_tier: _Optional[str] = ..., tolerance: _Optional[_Iterable[_Union[ToleranceCategory, _Mapping]]] = ..., folded_versions: _Optional[_Iterable[_Union[FoldedVersion, _Mapping]]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., folded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., catalogue_sha256: _Optional[str] = ...) -> None: ...

class EquivalenceGroup(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, keys: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateCycleRequest(_message.Message):
    __slots__ = ("request_id", "plan", "tolerance")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    TOLERANCE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    plan: SourceFile
    tolerance: SourceFile
    def __init__(self, request_id: _Optional[str] = ..., plan: _Optional[_Union[SourceFile, _Mapping]] = ..., tolerance: _Optional[_Union[SourceFile, _Mapping]] = ...) -> None: ...

class CreateCycleResponse(_message.Message):
    __slots__ = ("cycle",)
    CYCLE_FIELD_NUMBER: _ClassVar[int]
    cycle: Cycle
    def __init__(self, cycle: _Optional[_Union[Cycle, _Mapping]] = ...) -> None: ...

class FoldCycleRequest(_message.Message):
    __slots__ = ("request_id", "cycle_code")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    cycle_code: str
    def __init__(self, request_id: _Optional[str] = ..., cycle_code: _Optional[str] = ...) -> None: ...

class FoldCycleResponse(_message.Message):
    __slots__ = ("cycle",)
    CYCLE_FIELD_NUMBER: _ClassVar[int]
    cycle: Cycle
    def __init__(self, cycle: _Optional[_Union[Cycle, _Mapping]] = ...) -> None: ...

class GetCycleRequest(_message.Message):
    __slots__ = ("cycle_code",)
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    def __init__(self, cycle_code: _Optional[str] = ...) -> None: ...

class GetCycleResponse(_message.Message):
    __slots__ = ("cycle",)
    CYCLE_FIELD_NUMBER: _ClassVar[int]
    cycle: Cycle
    def __init__(self, cycle: _Optional[_Union[Cycle, _Mapping]] = ...) -> None: ...

class IndicatorRef(_message.Message):
    __slots__ = ("special_assessment_code", "indicator_code")
    SPECIAL_ASSESSMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_CODE_FIELD_NUMBER: _ClassVar[int]
    special_assessment_code: str
    indicator_code: str
    def __init__(self, special_assessment_code: _Optional[str] = ..., indicator_code: _Optional[str] = ...) -> None: ...

class CatalogueIndicator(_message.Message):
    __slots__ = ("special_assessment_code", "indicator", "canonical_evidence", "applies_to")
    SPECIAL_ASSESSMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    CANONICAL_EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    APPLIES_TO_FIELD_NUMBER: _ClassVar[int]
    special_assessment_code: str
    indicator: Indicator
    canonical_evidence: _containers.RepeatedScalarFieldContainer[str]
    applies_to: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, special_assessment_code: _Optional[str] = ..., indicator: _Optional[_Union[Indicator, _Mapping]] = ..., canonical_evidence: _Optional[_Iterable[str]] = ..., applies_to: _Optional[_Iterable[str]] = ...) -> None: ...

class CatalogueSpecialAssessment(_message.Message):
    __slots__ = ("code", "version", "name", "owner", "weight", "applies_to")
    CODE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    APPLIES_TO_FIELD_NUMBER: _ClassVar[int]
    code: str
    version: int
    name: str
    owner: str
    weight: float
    applies_to: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, code: _Optional[str] = ..., version: _Optional[int] = ..., name: _Optional[str] = ..., owner: _Optional[str] = ..., weight: _Optional[float] = ..., applies_to: _Optional[_Iterable[str]] = ...) -> None: ...

class KeyMapping(_message.Message):
    __slots__ = ("key", "canonical_key")
    KEY_FIELD_NUMBER: _ClassVar[int]
    CANONICAL_KEY_FIELD_NUMBER: _ClassVar[int]
    key: str
    canonical_key: str
    def __init__(self, key: _Optional[str] = ..., canonical_key: _Optional[str] = ...) -> None: ...

class Ask(_message.Message):
    __slots__ = ("evidence_key", "name", "formats", "serves", "aliases")
    EVIDENCE_KEY_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    FORMATS_FIELD_NUMBER: _ClassVar[int]
    SERVES_FIELD_NUMBER: _ClassVar[int]
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    evidence_key: str
    name: str
    formats: _containers.RepeatedScalarFieldContainer[str]
    serves: _containers.RepeatedCompositeFieldContainer[IndicatorRef]
    aliases: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, evidence_key: _Optional[str] = ..., name: _Optional[str] = ..., formats: _Optional[_Iterable[str]] = ..., serves: _Optional[_Iterable[_Union[IndicatorRef, _Mapping]]] = ..., aliases: _Optional[_Iterable[str]] = ...) -> None: ...

class KindAsks(_message.Message):
    __slots__ = ("kind", "asks")
    KIND_FIELD_NUMBER: _ClassVar[int]
    ASKS_FIELD_NUMBER: _ClassVar[int]
    kind: str
    asks: _containers.RepeatedCompositeFieldContainer[Ask]
    def __init__(self, kind: _Optional[str] = ..., asks: _Optional[_Iterable[_Union[Ask, _Mapping]]] = ...) -> None: ...

class Catalogue(_message.Message):
    __slots__ = ("cycle_code", "special_assessments", "indicators", "key_mappings", "asks_by_kind", "units", "sha256")
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    SPECIAL_ASSESSMENTS_FIELD_NUMBER: _ClassVar[int]
    INDICATORS_FIELD_NUMBER: _ClassVar[int]
    KEY_MAPPINGS_FIELD_NUMBER: _ClassVar[int]
    ASKS_BY_KIND_FIELD_NUMBER: _ClassVar[int]
    UNITS_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    special_assessments: _containers.RepeatedCompositeFieldContainer[CatalogueSpecialAssessment]
    indicators: _containers.RepeatedCompositeFieldContainer[CatalogueIndicator]
    key_mappings: _containers.RepeatedCompositeFieldContainer[KeyMapping]
    asks_by_kind: _containers.RepeatedCompositeFieldContainer[KindAsks]
    units: _containers.RepeatedCompositeFieldContainer[Unit]
    sha256: str
    def __init__(self, cycle_code: _Optional[str] = ..., special_assessments: _Optional[_Iterable[_Union[CatalogueSpecialAssessment, _Mapping]]] = ..., indicators: _Optional[_Iterable[_Union[CatalogueIndicator, _Mapping]]] = ..., key_mappings: _Optional[_Iterable[_Union[KeyMapping, _Mapping]]] = ..., asks_by_kind: _Optional[_Iterable[_Union[KindAsks, _Mapping]]] = ..., units: _Optional[_Iterable[_Union[Unit, _Mapping]]] = ..., sha256: _Optional[str] = ...) -> None: ...

class GetCatalogueRequest(_message.Message):
    __slots__ = ("cycle_code",)
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    def __init__(self, cycle_code: _Optional[str] = ...) -> None: ...

class GetCatalogueResponse(_message.Message):
    __slots__ = ("catalogue",)
    CATALOGUE_FIELD_NUMBER: _ClassVar[int]
    catalogue: Catalogue
    def __init__(self, catalogue: _Optional[_Union[Catalogue, _Mapping]] = ...) -> None: ...

class ListAsksRequest(_message.Message):
    __slots__ = ("cycle_code", "unit_code", "page_size", "page_token")
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    unit_code: str
    page_size: int
    page_token: str
    def __init__(self, cycle_code: _Optional[str] = ..., unit_code: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAsksResponse(_message.Message):
    __slots__ = ("asks", "next_page_token", "total_size")
    ASKS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    asks: _containers.RepeatedCompositeFieldContainer[Ask]
    next_page_token: str
    total_size: int
    def __init__(self, asks: _Optional[_Iterable[_Union[Ask, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class GetBurdenReportRequest(_message.Message):
    __slots__ = ("cycle_code",)
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    def __init__(self, cycle_code: _Optional[str] = ...) -> None: ...

class KindBurden(_message.Message):
    __slots__ = ("kind", "units", "asks_before", "asks_after", "reduction_percent")
    KIND_FIELD_NUMBER: _ClassVar[int]
    UNITS_FIELD_NUMBER: _ClassVar[int]
    ASKS_BEFORE_FIELD_NUMBER: _ClassVar[int]
    ASKS_AFTER_FIELD_NUMBER: _ClassVar[int]
    REDUCTION_PERCENT_FIELD_NUMBER: _ClassVar[int]
    kind: str
    units: int
    asks_before: int
    asks_after: int
    reduction_percent: float
    def __init__(self, kind: _Optional[str] = ..., units: _Optional[int] = ..., asks_before: _Optional[int] = ..., asks_after: _Optional[int] = ..., reduction_percent: _Optional[float] = ...) -> None: ...

class UnitBurden(_message.Message):
    __slots__ = ("unit_code", "kind", "group", "asks_before", "asks_after", "reduction_percent")
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    ASKS_BEFORE_FIELD_NUMBER: _ClassVar[int]
    ASKS_AFTER_FIELD_NUMBER: _ClassVar[int]
    REDUCTION_PERCENT_FIELD_NUMBER: _ClassVar[int]
    unit_code: str
    kind: str
    group: str
    asks_before: int
    asks_after: int
    reduction_percent: float
    def __init__(self, unit_code: _Optional[str] = ..., kind: _Optional[str] = ..., group: _Optional[str] = ..., asks_before: _Optional[int] = ..., asks_after: _Optional[int] = ..., reduction_percent: _Optional[float] = ...) -> None: ...

class AskReach(_message.Message):
    __slots__ = ("kind", "evidence_key", "indicators", "special_assessments")
    KIND_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_KEY_FIELD_NUMBER: _ClassVar[int]
    INDICATORS_FIELD_NUMBER: _ClassVar[int]
    SPECIAL_ASSESSMENTS_FIELD_NUMBER: _ClassVar[int]
    kind: str
    evidence_key: str
    indicators: int
    special_assessments: int
    def __init__(self, kind: _Optional[str] = ..., evidence_key: _Optional[str] = ..., indicators: _Optional[int] = ..., special_assessments: _Optional[int] = ...) -> None: ...

class BurdenReport(_message.Message):
    __slots__ = ("cycle_code", "by_kind", "units", "asks")
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    BY_KIND_FIELD_NUMBER: _ClassVar[int]
    UNITS_FIELD_NUMBER: _ClassVar[int]
    ASKS_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    by_kind: _containers.RepeatedCompositeFieldContainer[KindBurden]
    units: _containers.RepeatedCompositeFieldContainer[UnitBurden]
    asks: _containers.RepeatedCompositeFieldContainer[AskReach]
    def __init__(self, cycle_code: _Optional[str] = ..., by_kind: _Optional[_Iterable[_Union[KindBurden, _Mapping]]] = ..., units: _Optional[_Iterable[_Union[UnitBurden, _Mapping]]] = ..., asks: _Optional[_Iterable[_Union[AskReach, _Mapping]]] = ...) -> None: ...

class GetBurdenReportResponse(_message.Message):
    __slots__ = ("report",)
    REPORT_FIELD_NUMBER: _ClassVar[int]
    report: BurdenReport
    def __init__(self, report: _Optional[_Union[BurdenReport, _Mapping]] = ...) -> None: ...

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

from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CyclePhase(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CYCLE_PHASE_UNSPECIFIED: _ClassVar[CyclePhase]
    CYCLE_PHASE_FOLDED: _ClassVar[CyclePhase]
    CYCLE_PHASE_COLLECTING: _ClassVar[CyclePhase]
    CYCLE_PHASE_REVIEWING: _ClassVar[CyclePhase]
    CYCLE_PHASE_SCORING: _ClassVar[CyclePhase]
    CYCLE_PHASE_PUBLISHED: _ClassVar[CyclePhase]
    CYCLE_PHASE_FINAL: _ClassVar[CyclePhase]
    CYCLE_PHASE_CLOSED: _ClassVar[CyclePhase]

class HistoryExportState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HISTORY_EXPORT_STATE_UNSPECIFIED: _ClassVar[HistoryExportState]
    HISTORY_EXPORT_STATE_CYCLE_OPEN: _ClassVar[HistoryExportState]
    HISTORY_EXPORT_STATE_RUNNING: _ClassVar[HistoryExportState]
    HISTORY_EXPORT_STATE_DONE: _ClassVar[HistoryExportState]

class TimelineSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TIMELINE_SOURCE_UNSPECIFIED: _ClassVar[TimelineSource]
    TIMELINE_SOURCE_TEMPORAL: _ClassVar[TimelineSource]
    TIMELINE_SOURCE_EXPORT: _ClassVar[TimelineSource]
CYCLE_PHASE_UNSPECIFIED: CyclePhase
CYCLE_PHASE_FOLDED: CyclePhase
CYCLE_PHASE_COLLECTING: CyclePhase
CYCLE_PHASE_REVIEWING: CyclePhase
CYCLE_PHASE_SCORING: CyclePhase
CYCLE_PHASE_PUBLISHED: CyclePhase
CYCLE_PHASE_FINAL: CyclePhase
CYCLE_PHASE_CLOSED: CyclePhase
HISTORY_EXPORT_STATE_UNSPECIFIED: HistoryExportState
HISTORY_EXPORT_STATE_CYCLE_OPEN: HistoryExportState
HISTORY_EXPORT_STATE_RUNNING: HistoryExportState
HISTORY_EXPORT_STATE_DONE: HistoryExportState
TIMELINE_SOURCE_UNSPECIFIED: TimelineSource
TIMELINE_SOURCE_TEMPORAL: TimelineSource
TIMELINE_SOURCE_EXPORT: TimelineSource

class CycleMilestones(_message.Message):
    __slots__ = ("opens", "evidence_due", "collection_closes", "review_due", "publish", "appeal_deadline")
    OPENS_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_DUE_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_CLOSES_FIELD_NUMBER: _ClassVar[int]
    REVIEW_DUE_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_FIELD_NUMBER: _ClassVar[int]
    APPEAL_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    opens: str
    evidence_due: str
    collection_closes: str
    review_due: str
    publish: str
    appeal_deadline: str
    def __init__(self, opens: _Optional[str] = ..., evidence_due: _Optional[str] = ..., collection_closes: _Optional[str] = ..., review_due: _Optional[str] = ..., publish: _Optional[str] = ..., appeal_deadline: _Optional[str] = ...) -> None: ...

class StartCycleRequest(_message.Message):
    __slots__ = ("request_id", "cycle_code", "compress_factor", "span_seconds", "calendar", "window")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    COMPRESS_FACTOR_FIELD_NUMBER: _ClassVar[int]
    SPAN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    CALENDAR_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    cycle_code: str
    compress_factor: float
    span_seconds: float
    calendar: CycleMilestones
    window: int
    def __init__(self, request_id: _Optional[str] = ..., cycle_code: _Optional[str] = ..., compress_factor: _Optional[float] = ..., span_seconds: _Optional[float] = ..., calendar: _Optional[_Union[CycleMilestones, _Mapping]] = ..., window: _Optional[int] = ...) -> None: ...

class StartCycleResponse(_message.Message):
    __slots__ = ("workflow_id", "run_id", "started_by")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_BY_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    run_id: str
    started_by: str
    def __init__(self, workflow_id: _Optional[str] = ..., run_id: _Optional[str] = ..., started_by: _Optional[str] = ...) -> None: ...

class GetCycleStatusRequest(_message.Message):
    __slots__ = ("cycle_code",)
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    def __init__(self, cycle_code: _Optional[str] = ...) -> None: ...

class ExtensionRequestSummary(_message.Message):
    __slots__ = ("extension_id", "unit_code", "days", "status", "reason", "requested_by", "requested_at", "decided_by", "decided_at", "deadline", "closes_at")
    EXTENSION_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_AT_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    CLOSES_AT_FIELD_NUMBER: _ClassVar[int]
    extension_id: str
    unit_code: str
    days: int
    status: str
    reason: str
    requested_by: str
    requested_at: str
    decided_by: str
    decided_at: str
    deadline: str
    closes_at: str
    def __init__(self, extension_id: _Optional[str] = ..., unit_code: _Optional[str] = ..., days: _Optional[int] = ..., status: _Optional[str] = ..., reason: _Optional[str] = ..., requested_by: _Optional[str] = ..., requested_at: _Optional[str] = ..., decided_by: _Optional[str] = ..., decided_at: _Optional[str] = ..., deadline: _Optional[str] = ..., closes_at: _Optional[str] = ...) -> None: ...

class GetCycleStatusResponse(_message.Message):
    __slots__ = ("cycle_code", "phase", "calendar", "units_total", "units_started", "run", "extensions_pending", "extensions_approved", "extensions_rejected", "score_runs", "pending_extensions", "history_export")
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    CALENDAR_FIELD_NUMBER: _ClassVar[int]
    UNITS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    UNITS_STARTED_FIELD_NUMBER: _ClassVar[int]
    RUN_FIELD_NUMBER: _ClassVar[int]
    EXTENSIONS_PENDING_FIELD_NUMBER: _ClassVar[int]
    EXTENSIONS_APPROVED_FIELD_NUMBER: _ClassVar[int]
    EXTENSIONS_REJECTED_FIELD_NUMBER: _ClassVar[int]
    SCORE_RUNS_FIELD_NUMBER: _ClassVar[int]
    PENDING_EXTENSIONS_FIELD_NUMBER: _ClassVar[int]
    HISTORY_EXPORT_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    phase: CyclePhase
    calendar: CycleMilestones
    units_total: int
    units_started: int
    run: int
    extensions_pending: int
    extensions_approved: int
    extensions_rejected: int
    score_runs: _containers.RepeatedScalarFieldContainer[int]
    pending_extensions: _containers.RepeatedCompositeFieldContainer[ExtensionRequestSummary]
    history_export: HistoryExportState
    def __init__(self, cycle_code: _Optional[str] = ..., phase: _Optional[_Union[CyclePhase, str]] = ..., calendar: _Optional[_Union[CycleMilestones, _Mapping]] = ..., units_total: _Optional[int] = ..., units_started: _Optional[int] = ..., run: _Optional[int] = ..., extensions_pending: _Optional[int] = ..., extensions_approved: _Optional[int] = ..., extensions_rejected: _Optional[int] = ..., score_runs: _Optional[_Iterable[int]] = ..., pending_extensions: _Optional[_Iterable[_Union[ExtensionRequestSummary, _Mapping]]] = ..., history_export: _Optional[_Union[HistoryExportState, str]] = ...) -> None: ...

class ChangeCalendarRequest(_message.Message):
    __slots__ = ("request_id", "cycle_code", "calendar")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    CALENDAR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    cycle_code: str
    calendar: CycleMilestones
    def __init__(self, request_id: _Optional[str] = ..., cycle_code: _Optional[str] = ..., calendar: _Optional[_Union[CycleMilestones, _Mapping]] = ...) -> None: ...

class ChangeCalendarResponse(_message.Message):
    __slots__ = ("calendar", "changed_by")
    CALENDAR_FIELD_NUMBER: _ClassVar[int]
    CHANGED_BY_FIELD_NUMBER: _ClassVar[int]
    calendar: CycleMilestones
    changed_by: str
    def __init__(self, calendar: _Optional[_Union[CycleMilestones, _Mapping]] = ..., changed_by: _Optional[str] = ...) -> None: ...

class CloseCollectionRequest(_message.Message):
    __slots__ = ("request_id", "cycle_code")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    cycle_code: str
    def __init__(self, request_id: _Optional[str] = ..., cycle_code: _Optional[str] = ...) -> None: ...

class CloseCollectionResponse(_message.Message):
    __slots__ = ("calendar", "closed_by")
    CALENDAR_FIELD_NUMBER: _ClassVar[int]
    CLOSED_BY_FIELD_NUMBER: _ClassVar[int]
    calendar: CycleMilestones
    closed_by: str
    def __init__(self, calendar: _Optional[_Union[CycleMilestones, _Mapping]] = ..., closed_by: _Optional[str] = ...) -> None: ...

class CloseReviewingRequest(_message.Message):
    __slots__ = ("request_id", "cycle_code", "missing_acknowledged")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    MISSING_ACKNOWLEDGED_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    cycle_code: str
    missing_acknowledged: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, request_id: _Optional[str] = ..., cycle_code: _Optional[str] = ..., missing_acknowledged: _Optional[_Iterable[str]] = ...) -> None: ...

class CloseReviewingResponse(_message.Message):
    __slots__ = ("calendar", "closed_by", "missing_acknowledged")
    CALENDAR_FIELD_NUMBER: _ClassVar[int]
    CLOSED_BY_FIELD_NUMBER: _ClassVar[int]
    MISSING_ACKNOWLEDGED_FIELD_NUMBER: _ClassVar[int]
    calendar: CycleMilestones
    closed_by: str
    missing_acknowledged: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, calendar: _Optional[_Union[CycleMilestones, _Mapping]] = ..., closed_by: _Optional[str] = ..., missing_acknowledged: _Optional[_Iterable[str]] = ...) -> None: ...

class GrantExtensionRequest(_message.Message):
    __slots__ = ("request_id", "cycle_code", "unit_code", "days", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    cycle_code: str
    unit_code: str
    days: int
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., cycle_code: _Optional[str] = ..., unit_code: _Optional[str] = ..., days: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class GrantExtensionResponse(_message.Message):
    __slots__ = ("extension",)
    EXTENSION_FIELD_NUMBER: _ClassVar[int]
    extension: ExtensionRequestSummary
    def __init__(self, extension: _Optional[_Union[ExtensionRequestSummary, _Mapping]] = ...) -> None: ...

class DecideExtensionRequest(_message.Message):
    __slots__ = ("request_id", "cycle_code", "unit_code", "extension_id", "approve", "days")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    EXTENSION_ID_FIELD_NUMBER: _ClassVar[int]
    APPROVE_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    cycle_code: str
    unit_code: str
    extension_id: str
    approve: bool
    days: int
    def __init__(self, request_id: _Optional[str] = ..., cycle_code: _Optional[str] = ..., unit_code: _Optional[str] = ..., extension_id: _Optional[str] = ..., approve: _Optional[bool] = ..., days: _Optional[int] = ...) -> None: ...

class DecideExtensionResponse(_message.Message):
    __slots__ = ("extension",)
    EXTENSION_FIELD_NUMBER: _ClassVar[int]
    extension: ExtensionRequestSummary
    def __init__(self, extension: _Optional[_Union[ExtensionRequestSummary, _Mapping]] = ...) -> None: ...

class GetUnitTimelineRequest(_message.Message):
    __slots__ = ("cycle_code", "unit_code")
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    unit_code: str
    def __init__(self, cycle_code: _Optional[str] = ..., unit_code: _Optional[str] = ...) -> None: ...

class TimelineEntry(_message.Message):
    __slots__ = ("time", "event_id", "kind", "text")
    TIME_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    time: str
    event_id: int
    kind: str
    text: str
    def __init__(self, time: _Optional[str] = ..., event_id: _Optional[int] = ..., kind: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class TimelineRun(_message.Message):
    __slots__ = ("run_id", "entries", "sha256", "verified")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    entries: _containers.RepeatedCompositeFieldContainer[TimelineEntry]
    sha256: str
    verified: bool
    def __init__(self, run_id: _Optional[str] = ..., entries: _Optional[_Iterable[_Union[TimelineEntry, _Mapping]]] = ..., sha256: _Optional[str] = ..., verified: _Optional[bool] = ...) -> None: ...

class GetUnitTimelineResponse(_message.Message):
    __slots__ = ("workflow_id", "source", "runs", "problems")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    RUNS_FIELD_NUMBER: _ClassVar[int]
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    source: TimelineSource
    runs: _containers.RepeatedCompositeFieldContainer[TimelineRun]
    problems: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, workflow_id: _Optional[str] = ..., source: _Optional[_Union[TimelineSource, str]] = ..., runs: _Optional[_Iterable[_Union[TimelineRun, _Mapping]]] = ..., problems: _Optional[_Iterable[str]] = ...) -> None: ...

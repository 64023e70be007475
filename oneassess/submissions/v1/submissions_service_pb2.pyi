import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AskState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ASK_STATE_UNSPECIFIED: _ClassVar[AskState]
    ASK_STATE_MISSING: _ClassVar[AskState]
    ASK_STATE_SUBMITTED: _ClassVar[AskState]
    ASK_STATE_LATE: _ClassVar[AskState]

class NotificationKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NOTIFICATION_KIND_UNSPECIFIED: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_REMINDER: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_OVERDUE: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_ESCALATION: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_REVIEW_REMINDER: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_EXTENSION_DECIDED: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_RESULTS: _ClassVar[NotificationKind]

class NotificationChannel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NOTIFICATION_CHANNEL_UNSPECIFIED: _ClassVar[NotificationChannel]
    NOTIFICATION_CHANNEL_LOG: _ClassVar[NotificationChannel]
    NOTIFICATION_CHANNEL_WEBHOOK: _ClassVar[NotificationChannel]
    NOTIFICATION_CHANNEL_EMAIL: _ClassVar[NotificationChannel]

class NotificationOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NOTIFICATION_OUTCOME_UNSPECIFIED: _ClassVar[NotificationOutcome]
    NOTIFICATION_OUTCOME_SENT: _ClassVar[NotificationOutcome]
    NOTIFICATION_OUTCOME_FAILED: _ClassVar[NotificationOutcome]
    NOTIFICATION_OUTCOME_SKIPPED: _ClassVar[NotificationOutcome]

class RecipientRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RECIPIENT_ROLE_UNSPECIFIED: _ClassVar[RecipientRole]
    RECIPIENT_ROLE_CONTACT: _ClassVar[RecipientRole]
    RECIPIENT_ROLE_HEAD: _ClassVar[RecipientRole]
    RECIPIENT_ROLE_OFFICE: _ClassVar[RecipientRole]
    RECIPIENT_ROLE_ASSESSOR: _ClassVar[RecipientRole]
ASK_STATE_UNSPECIFIED: AskState
ASK_STATE_MISSING: AskState
ASK_STATE_SUBMITTED: AskState
ASK_STATE_LATE: AskState
NOTIFICATION_KIND_UNSPECIFIED: NotificationKind
NOTIFICATION_KIND_REMINDER: NotificationKind
NOTIFICATION_KIND_OVERDUE: NotificationKind
NOTIFICATION_KIND_ESCALATION: NotificationKind
NOTIFICATION_KIND_REVIEW_REMINDER: NotificationKind
NOTIFICATION_KIND_EXTENSION_DECIDED: NotificationKind
NOTIFICATION_KIND_RESULTS: NotificationKind
NOTIFICATION_CHANNEL_UNSPECIFIED: NotificationChannel
NOTIFICATION_CHANNEL_LOG: NotificationChannel
NOTIFICATION_CHANNEL_WEBHOOK: NotificationChannel
NOTIFICATION_CHANNEL_EMAIL: NotificationChannel
NOTIFICATION_OUTCOME_UNSPECIFIED: NotificationOutcome
NOTIFICATION_OUTCOME_SENT: NotificationOutcome
NOTIFICATION_OUTCOME_FAILED: NotificationOutcome
NOTIFICATION_OUTCOME_SKIPPED: NotificationOutcome
RECIPIENT_ROLE_UNSPECIFIED: RecipientRole
RECIPIENT_ROLE_CONTACT: RecipientRole
RECIPIENT_ROLE_HEAD: RecipientRole
RECIPIENT_ROLE_OFFICE: RecipientRole
RECIPIENT_ROLE_ASSESSOR: RecipientRole

class UploadHeader(_message.Message):
    __slots__ = ("request_id", "cycle_code", "unit_code", "evidence_key", "file_name", "declared_format", "size_bytes", "sha256", "effective_date")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_KEY_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    DECLARED_FORMAT_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_DATE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    cycle_code: str
    unit_code: str
    evidence_key: str
    file_name: str
    declared_format: str
    size_bytes: int
    sha256: str
    effective_date: str
    def __init__(self, request_id: _Optional[str] = ..., cycle_code: _Optional[str] = ..., unit_code: _Optional[str] = ..., evidence_key: _Optional[str] = ..., file_name: _Optional[str] = ..., declared_format: _Optional[str] = ..., size_bytes: _Optional[int] = ..., sha256: _Optional[str] = ..., effective_date: _Optional[str] = ...) -> None: ...

class UploadRequest(_message.Message):
    __slots__ = ("header", "chunk")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    header: UploadHeader
    chunk: bytes
    def __init__(self, header: _Optional[_Union[UploadHeader, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class Submission(_message.Message):
    __slots__ = ("id", "cycle_code", "unit_code", "evidence_key", "version", "file_name", "format", "size_bytes", "sha256", "effective_date", "submitted_at", "submitted_by", "current")
    ID_FIELD_NUMBER: _ClassVar[int]
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_KEY_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_DATE_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_AT_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_BY_FIELD_NUMBER: _ClassVar[int]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    id: str
    cycle_code: str
    unit_code: str
    evidence_key: str
    version: int
    file_name: str
    format: str
    size_bytes: int
    sha256: str
    effective_date: str
    submitted_at: _timestamp_pb2.Timestamp
    submitted_by: str
    current: bool
    def __init__(self, id: _Optional[str] = ..., cycle_code: _Optional[str] = ..., unit_code: _Optional[str] = ..., evidence_key: _Optional[str] = ..., version: _Optional[int] = ..., file_name: _Optional[str] = ..., format: _Optional[str] = ..., size_bytes: _Optional[int] = ..., sha256: _Optional[str] = ..., effective_date: _Optional[str] = ..., submitted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., submitted_by: _Optional[str] = ..., current: _Optional[bool] = ...) -> None: ...

class UploadResponse(_message.Message):
    __slots__ = ("submission", "deduplicated")
    SUBMISSION_FIELD_NUMBER: _ClassVar[int]
    DEDUPLICATED_FIELD_NUMBER: _ClassVar[int]
    submission: Submission
    deduplicated: bool
    def __init__(self, submission: _Optional[_Union[Submission, _Mapping]] = ..., deduplicated: _Optional[bool] = ...) -> None: ...

class GetSubmissionRequest(_message.Message):
    __slots__ = ("submission_id",)
    SUBMISSION_ID_FIELD_NUMBER: _ClassVar[int]
    submission_id: str
    def __init__(self, submission_id: _Optional[str] = ...) -> None: ...

class GetSubmissionResponse(_message.Message):
    __slots__ = ("submission",)
    SUBMISSION_FIELD_NUMBER: _ClassVar[int]
    submission: Submission
    def __init__(self, submission: _Optional[_Union[Submission, _Mapping]] = ...) -> None: ...

class ListSubmissionsRequest(_message.Message):
    __slots__ = ("cycle_code", "unit_code", "evidence_key", "page_size", "page_token")
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_KEY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    unit_code: str
    evidence_key: str
    page_size: int
    page_token: str
    def __init__(self, cycle_code: _Optional[str] = ..., unit_code: _Optional[str] = ..., evidence_key: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSubmissionsResponse(_message.Message):
    __slots__ = ("submissions", "next_page_token")
    SUBMISSIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    submissions: _containers.RepeatedCompositeFieldContainer[Submission]
    next_page_token: str
    def __init__(self, submissions: _Optional[_Iterable[_Union[Submission, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DownloadRequest(_message.Message):
    __slots__ = ("submission_id",)
    SUBMISSION_ID_FIELD_NUMBER: _ClassVar[int]
    submission_id: str
    def __init__(self, submission_id: _Optional[str] = ...) -> None: ...

class DownloadResponse(_message.Message):
    __slots__ = ("header", "chunk")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    header: Submission
    chunk: bytes
    def __init__(self, header: _Optional[_Union[Submission, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class AskStatus(_message.Message):
    __slots__ = ("evidence_key", "state", "first_submitted_at", "latest_submitted_at", "current_submission_id", "versions")
    EVIDENCE_KEY_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    FIRST_SUBMITTED_AT_FIELD_NUMBER: _ClassVar[int]
    LATEST_SUBMITTED_AT_FIELD_NUMBER: _ClassVar[int]
    CURRENT_SUBMISSION_ID_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    evidence_key: str
    state: AskState
    first_submitted_at: _timestamp_pb2.Timestamp
    latest_submitted_at: _timestamp_pb2.Timestamp
    current_submission_id: str
    versions: int
    def __init__(self, evidence_key: _Optional[str] = ..., state: _Optional[_Union[AskState, str]] = ..., first_submitted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., latest_submitted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., current_submission_id: _Optional[str] = ..., versions: _Optional[int] = ...) -> None: ...

class GetAskStatusRequest(_message.Message):
    __slots__ = ("cycle_code", "unit_code")
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    unit_code: str
    def __init__(self, cycle_code: _Optional[str] = ..., unit_code: _Optional[str] = ...) -> None: ...

class GetAskStatusResponse(_message.Message):
    __slots__ = ("asks", "deadline", "closes_at")
    ASKS_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    CLOSES_AT_FIELD_NUMBER: _ClassVar[int]
    asks: _containers.RepeatedCompositeFieldContainer[AskStatus]
    deadline: _timestamp_pb2.Timestamp
    closes_at: _timestamp_pb2.Timestamp
    def __init__(self, asks: _Optional[_Iterable[_Union[AskStatus, _Mapping]]] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., closes_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AskTime(_message.Message):
    __slots__ = ("unit_code", "evidence_key", "first_submitted_at")
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_KEY_FIELD_NUMBER: _ClassVar[int]
    FIRST_SUBMITTED_AT_FIELD_NUMBER: _ClassVar[int]
    unit_code: str
    evidence_key: str
    first_submitted_at: _timestamp_pb2.Timestamp
    def __init__(self, unit_code: _Optional[str] = ..., evidence_key: _Optional[str] = ..., first_submitted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UnitDeadline(_message.Message):
    __slots__ = ("unit_code", "deadline")
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    unit_code: str
    deadline: _timestamp_pb2.Timestamp
    def __init__(self, unit_code: _Optional[str] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListAskTimesRequest(_message.Message):
    __slots__ = ("cycle_code", "page_size", "page_token")
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    page_size: int
    page_token: str
    def __init__(self, cycle_code: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAskTimesResponse(_message.Message):
    __slots__ = ("ask_times", "next_page_token", "cycle_deadline", "extended")
    ASK_TIMES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CYCLE_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    EXTENDED_FIELD_NUMBER: _ClassVar[int]
    ask_times: _containers.RepeatedCompositeFieldContainer[AskTime]
    next_page_token: str
    cycle_deadline: _timestamp_pb2.Timestamp
    extended: _containers.RepeatedCompositeFieldContainer[UnitDeadline]
    def __init__(self, ask_times: _Optional[_Iterable[_Union[AskTime, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., cycle_deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., extended: _Optional[_Iterable[_Union[UnitDeadline, _Mapping]]] = ...) -> None: ...

class CollectionWindow(_message.Message):
    __slots__ = ("cycle_code", "opens_at", "deadline", "closes_at")
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    OPENS_AT_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    CLOSES_AT_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    opens_at: _timestamp_pb2.Timestamp
    deadline: _timestamp_pb2.Timestamp
    closes_at: _timestamp_pb2.Timestamp
    def __init__(self, cycle_code: _Optional[str] = ..., opens_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., closes_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OpenCollectionRequest(_message.Message):
    __slots__ = ("request_id", "window")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    window: CollectionWindow
    def __init__(self, request_id: _Optional[str] = ..., window: _Optional[_Union[CollectionWindow, _Mapping]] = ...) -> None: ...

class OpenCollectionResponse(_message.Message):
    __slots__ = ("window",)
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    window: CollectionWindow
    def __init__(self, window: _Optional[_Union[CollectionWindow, _Mapping]] = ...) -> None: ...

class ExtendUnitRequest(_message.Message):
    __slots__ = ("request_id", "cycle_code", "unit_code", "deadline", "closes_at", "approved_by", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    CLOSES_AT_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    cycle_code: str
    unit_code: str
    deadline: _timestamp_pb2.Timestamp
    closes_at: _timestamp_pb2.Timestamp
    approved_by: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., cycle_code: _Optional[str] = ..., unit_code: _Optional[str] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., closes_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., approved_by: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ExtendUnitResponse(_message.Message):
    __slots__ = ("cycle_code", "unit_code", "deadline", "closes_at")
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    CLOSES_AT_FIELD_NUMBER: _ClassVar[int]
    cycle_code: str
    unit_code: str
    deadline: _timestamp_pb2.Timestamp
    closes_at: _timestamp_pb2.Timestamp
    def __init__(self, cycle_code: _Optional[str] = ..., unit_code: _Optional[str] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., closes_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CloseCollectionRequest(_message.Message):
    __slots__ = ("request_id", "cycle_code", "closes_at")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    CLOSES_AT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    cycle_code: str
    closes_at: _timestamp_pb2.Timestamp
    def __init__(self, request_id: _Optional[str] = ..., cycle_code: _Optional[str] = ..., closes_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CloseCollectionResponse(_message.Message):
    __slots__ = ("window",)
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    window: CollectionWindow
    def __init__(self, window: _Optional[_Union[CollectionWindow, _Mapping]] = ...) -> None: ...

class RequestExtensionRequest(_message.Message):
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

class RequestExtensionResponse(_message.Message):
    __slots__ = ("extension_id", "requested_at")
    EXTENSION_ID_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_AT_FIELD_NUMBER: _ClassVar[int]
    extension_id: str
    requested_at: _timestamp_pb2.Timestamp
    def __init__(self, extension_id: _Optional[str] = ..., requested_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Notification(_message.Message):
    __slots__ = ("id", "cycle_code", "unit_code", "department", "recipient", "recipient_role", "kind", "channel", "outcome", "subject", "body", "evidence_keys", "at", "error", "point")
    ID_FIELD_NUMBER: _ClassVar[int]
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_ROLE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_KEYS_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    POINT_FIELD_NUMBER: _ClassVar[int]
    id: str
    cycle_code: str
    unit_code: str
    department: str
    recipient: str
    recipient_role: RecipientRole
    kind: NotificationKind
    channel: NotificationChannel
    outcome: NotificationOutcome
    subject: str
    body: str
    evidence_keys: _containers.RepeatedScalarFieldContainer[str]
    at: _timestamp_pb2.Timestamp
    error: str
    point: str
    def __init__(self, id: _Optional[str] = ..., cycle_code: _Optional[str] = ..., unit_code: _Optional[str] = ..., department: _Optional[str] = ..., recipient: _Optional[str] = ..., recipient_role: _Optional[_Union[RecipientRole, str]] = ..., kind: _Optional[_Union[NotificationKind, str]] = ..., channel: _Optional[_Union[NotificationChannel, str]] = ..., outcome: _Optional[_Union[NotificationOutcome, str]] = ..., subject: _Optional[str] = ..., body: _Optional[str] = ..., evidence_keys: _Optional[_Iterable[str]] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error: _Optional[str] = ..., point: _Optional[str] = ...) -> None: ...

class RecordNotificationRequest(_message.Message):
    __slots__ = ("request_id", "notification")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATION_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    notification: Notification
    def __init__(self, request_id: _Optional[str] = ..., notification: _Optional[_Union[Notification, _Mapping]] = ...) -> None: ...

class RecordNotificationResponse(_message.Message):
    __slots__ = ("notification",)
    NOTIFICATION_FIELD_NUMBER: _ClassVar[int]
    notification: Notification
    def __init__(self, notification: _Optional[_Union[Notification, _Mapping]] = ...) -> None: ...

class ListNotificationsRequest(_message.Message):
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

class ListNotificationsResponse(_message.Message):
    __slots__ = ("notifications", "next_page_token")
    NOTIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    notifications: _containers.RepeatedCompositeFieldContainer[Notification]
    next_page_token: str
    def __init__(self, notifications: _Optional[_Iterable[_Union[Notification, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class HistoryExport(_message.Message):
    __slots__ = ("workflow_id", "run_id", "workflow_type", "cycle_code", "unit_code", "close_time", "event_count", "sha256", "size_bytes", "exported_at")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    CYCLE_CODE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    CLOSE_TIME_FIELD_NUMBER: _ClassVar[int]
    EVENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    EXPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    run_id: str
    workflow_type: str
    cycle_code: str
    unit_code: str
    close_time: _timestamp_pb2.Timestamp
    event_count: int
    sha256: str
    size_bytes: int
    exported_at: _timestamp_pb2.Timestamp
    def __init__(self, workflow_id: _Optional[str] = ..., run_id: _Optional[str] = ..., workflow_type: _Optional[str] = ..., cycle_code: _Optional[str] = ..., unit_code: _Optional[str] = ..., close_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., event_count: _Optional[int] = ..., sha256: _Optional[str] = ..., size_bytes: _Optional[int] = ..., exported_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class StoreHistoryExportRequest(_message.Message):
    __slots__ = ("request_id", "export", "history_json")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    EXPORT_FIELD_NUMBER: _ClassVar[int]
    HISTORY_JSON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    export: HistoryExport
    history_json: bytes
    def __init__(self, request_id: _Optional[str] = ..., export: _Optional[_Union[HistoryExport, _Mapping]] = ..., history_json: _Optional[bytes] = ...) -> None: ...

class StoreHistoryExportResponse(_message.Message):
    __slots__ = ("export", "created")
    EXPORT_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    export: HistoryExport
    created: bool
    def __init__(self, export: _Optional[_Union[HistoryExport, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class ListHistoryExportsRequest(_message.Message):
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

class ListHistoryExportsResponse(_message.Message):
    __slots__ = ("exports", "next_page_token")
    EXPORTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    exports: _containers.RepeatedCompositeFieldContainer[HistoryExport]
    next_page_token: str
    def __init__(self, exports: _Optional[_Iterable[_Union[HistoryExport, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetHistoryExportRequest(_message.Message):
    __slots__ = ("workflow_id", "run_id")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    run_id: str
    def __init__(self, workflow_id: _Optional[str] = ..., run_id: _Optional[str] = ...) -> None: ...

class GetHistoryExportResponse(_message.Message):
    __slots__ = ("export", "history_json")
    EXPORT_FIELD_NUMBER: _ClassVar[int]
    HISTORY_JSON_FIELD_NUMBER: _ClassVar[int]
    export: HistoryExport
    history_json: bytes
    def __init__(self, export: _Optional[_Union[HistoryExport, _Mapping]] = ..., history_json: _Optional[bytes] = ...) -> None: ...

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

class ListDeadLettersRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class DeadLetter(_message.Message):
    __slots__ = ("id", "workflow_id", "signal", "error", "attempts", "created_at", "dead_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    DEAD_AT_FIELD_NUMBER: _ClassVar[int]
    id: int
    workflow_id: str
    signal: str
    error: str
    attempts: int
    created_at: _timestamp_pb2.Timestamp
    dead_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[int] = ..., workflow_id: _Optional[str] = ..., signal: _Optional[str] = ..., error: _Optional[str] = ..., attempts: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., dead_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListDeadLettersResponse(_message.Message):
    __slots__ = ("dead_letters", "next_page_token")
    DEAD_LETTERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    dead_letters: _containers.RepeatedCompositeFieldContainer[DeadLetter]
    next_page_token: str
    def __init__(self, dead_letters: _Optional[_Iterable[_Union[DeadLetter, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

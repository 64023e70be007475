import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Delegation(_message.Message):
    __slots__ = ("delegation_id", "delegate", "delegator", "role", "starts_at", "ends_at", "reason", "granted_by", "revoked_at", "revoked_by")
    DELEGATION_ID_FIELD_NUMBER: _ClassVar[int]
    DELEGATE_FIELD_NUMBER: _ClassVar[int]
    DELEGATOR_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    GRANTED_BY_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    REVOKED_BY_FIELD_NUMBER: _ClassVar[int]
    delegation_id: str
    delegate: str
    delegator: str
    role: str
    starts_at: _timestamp_pb2.Timestamp
    ends_at: _timestamp_pb2.Timestamp
    reason: str
    granted_by: str
    revoked_at: _timestamp_pb2.Timestamp
    revoked_by: str
    def __init__(self, delegation_id: _Optional[str] = ..., delegate: _Optional[str] = ..., delegator: _Optional[str] = ..., role: _Optional[str] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ..., granted_by: _Optional[str] = ..., revoked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoked_by: _Optional[str] = ...) -> None: ...

class GrantDelegationRequest(_message.Message):
    __slots__ = ("request_id", "delegate", "delegator", "starts_at", "ends_at", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DELEGATE_FIELD_NUMBER: _ClassVar[int]
    DELEGATOR_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    delegate: str
    delegator: str
    starts_at: _timestamp_pb2.Timestamp
    ends_at: _timestamp_pb2.Timestamp
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., delegate: _Optional[str] = ..., delegator: _Optional[str] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class GrantDelegationResponse(_message.Message):
    __slots__ = ("delegation",)
    DELEGATION_FIELD_NUMBER: _ClassVar[int]
    delegation: Delegation
    def __init__(self, delegation: _Optional[_Union[Delegation, _Mapping]] = ...) -> None: ...

class RevokeDelegationRequest(_message.Message):
    __slots__ = ("request_id", "delegation_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DELEGATION_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    delegation_id: str
    def __init__(self, request_id: _Optional[str] = ..., delegation_id: _Optional[str] = ...) -> None: ...

class RevokeDelegationResponse(_message.Message):
    __slots__ = ("delegation",)
    DELEGATION_FIELD_NUMBER: _ClassVar[int]
    delegation: Delegation
    def __init__(self, delegation: _Optional[_Union[Delegation, _Mapping]] = ...) -> None: ...

class ListDelegationsRequest(_message.Message):
    __slots__ = ("delegate", "active_only", "page_size", "page_token")
    DELEGATE_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    delegate: str
    active_only: bool
    page_size: int
    page_token: str
    def __init__(self, delegate: _Optional[str] = ..., active_only: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDelegationsResponse(_message.Message):
    __slots__ = ("delegations", "next_page_token")
    DELEGATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    delegations: _containers.RepeatedCompositeFieldContainer[Delegation]
    next_page_token: str
    def __init__(self, delegations: _Optional[_Iterable[_Union[Delegation, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CheckDelegationRequest(_message.Message):
    __slots__ = ("delegate", "delegator", "role")
    DELEGATE_FIELD_NUMBER: _ClassVar[int]
    DELEGATOR_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    delegate: str
    delegator: str
    role: str
    def __init__(self, delegate: _Optional[str] = ..., delegator: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...

class CheckDelegationResponse(_message.Message):
    __slots__ = ("active", "delegation_id", "cache_seconds")
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    DELEGATION_ID_FIELD_NUMBER: _ClassVar[int]
    CACHE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    active: bool
    delegation_id: str
    cache_seconds: int
    def __init__(self, active: _Optional[bool] = ..., delegation_id: _Optional[str] = ..., cache_seconds: _Optional[int] = ...) -> None: ...

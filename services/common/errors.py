"""Domain errors, raised by pure code and repositories, mapped once to gRPC statuses.

Each error names the field and the reason, and travels as a google.rpc.Status with an
ErrorInfo (AIP-193) and, for field problems, a BadRequest listing every violation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Self

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

DOMAIN = "oneassess"
# What a status may carry: the message, each violation and each metadata value are cut to
# these lengths, so an error never echoes a huge input and the trailers stay far below gRPC's
# 16 KiB metadata limit (an over-long trailer turns any status into UNAVAILABLE).
MAX_MESSAGE_CHARS = 1000
MAX_DETAIL_CHARS = 200
MAX_VIOLATIONS = 20


def shorten(text: str, limit: int = 60) -> str:
    """`text` cut to `limit` characters with a note of how long it was (for error messages)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} characters)"


@dataclass(frozen=True)
class Violation:
    """One problem with one field: where (file, line, cell...), which field, why."""

    field: str
    reason: str
    location: str = ""

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.field}: {self.reason}"


@dataclass
class DomainError(Exception):
    """Base of every error a caller should see as a clear status, not a crash."""

    message: str
    reason: str = "INVALID"
    violations: list[Violation] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)

    code = grpc.StatusCode.INTERNAL
    rpc_code = code_pb2.INTERNAL

    def __str__(self) -> str:
        return self.message

    @classmethod
    def of_field(cls, field_name: str, message: str, reason: str, **metadata: str) -> Self:
        """An error about one request field: "field: message", with ErrorInfo `reason` and
        metadata naming the field. The one style for every status but INVALID_ARGUMENT, whose
        field problems use `InvalidArgument.field` (a BadRequest violation) or `.many`."""
        return cls(f"{field_name}: {message}", reason, metadata={"field": field_name, **metadata})


class InvalidArgument(DomainError):
    code = grpc.StatusCode.INVALID_ARGUMENT
    rpc_code = code_pb2.INVALID_ARGUMENT

    @classmethod
    def field(cls, field_name: str, reason: str, location: str = "") -> InvalidArgument:
        violation = Violation(field_name, reason, location)
        return cls(str(violation), "INVALID_FIELD", [violation], {"field": field_name})

    @classmethod
    def many(cls, what: str, violations: list[Violation]) -> InvalidArgument:
        lines = "\n".join(f"  - {v}" for v in violations)
        noun = "problem" if len(violations) == 1 else "problems"
        return cls(f"{what}: {len(violations)} {noun}\n{lines}", "INVALID_FIELDS", list(violations))


class NotFound(DomainError):
    code = grpc.StatusCode.NOT_FOUND
    rpc_code = code_pb2.NOT_FOUND


class AlreadyExists(DomainError):
    code = grpc.StatusCode.ALREADY_EXISTS
    rpc_code = code_pb2.ALREADY_EXISTS


class FailedPrecondition(DomainError):
    code = grpc.StatusCode.FAILED_PRECONDITION
    rpc_code = code_pb2.FAILED_PRECONDITION


class PermissionDenied(DomainError):
    code = grpc.StatusCode.PERMISSION_DENIED
    rpc_code = code_pb2.PERMISSION_DENIED


class Unauthenticated(DomainError):
    code = grpc.StatusCode.UNAUTHENTICATED
    rpc_code = code_pb2.UNAUTHENTICATED


class Aborted(DomainError):
    code = grpc.StatusCode.ABORTED
    rpc_code = code_pb2.ABORTED


class ResourceExhausted(DomainError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    rpc_code = code_pb2.RESOURCE_EXHAUSTED


class DeadlineExceeded(DomainError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED
    rpc_code = code_pb2.DEADLINE_EXCEEDED


class Unavailable(DomainError):
    code = grpc.StatusCode.UNAVAILABLE
    rpc_code = code_pb2.UNAVAILABLE


class DataLoss(DomainError):
    code = grpc.StatusCode.DATA_LOSS
    rpc_code = code_pb2.DATA_LOSS


_PASSED_ON = {
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
}


def from_peer(service: str, err: grpc.aio.AioRpcError, *, field: str = "") -> DomainError:
    """A peer service's error as ours: its status and words when the caller's request was at
    fault (not found, precondition, invalid), UNAVAILABLE (retry) otherwise."""
    code = err.code()
    metadata = {"service": service, **({"field": field} if field else {})}
    error_type = _PASSED_ON.get(code)
    if error_type is not None:
        return error_type(err.details() or "", f"{service.upper()}_{code.name}", metadata=metadata)
    return Unavailable(
        f"the {service} service did not answer ({code.name}: {err.details() or ''}); retry",
        f"{service.upper()}_UNAVAILABLE",
        metadata=metadata,
    )


def to_status(error: DomainError) -> status_pb2.Status:
    """The rich status a client receives for a domain error."""
    details = []
    info = error_details_pb2.ErrorInfo(
        reason=shorten(error.reason, MAX_DETAIL_CHARS),
        domain=DOMAIN,
        metadata={
            shorten(k, MAX_DETAIL_CHARS): shorten(str(v), MAX_DETAIL_CHARS)
            for k, v in list(error.metadata.items())[:MAX_VIOLATIONS]
        },
    )
    details.append(info)
    if error.violations:
        details.append(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field=shorten(
                            f"{v.location}:{v.field}" if v.location else v.field,
                            MAX_DETAIL_CHARS,
                        ),
                        description=shorten(v.reason, MAX_DETAIL_CHARS),
                    )
                    for v in error.violations[:MAX_VIOLATIONS]
                ]
            )
        )
    packed = []
    for detail in details:
        any_msg = any_pb2.Any()
        any_msg.Pack(detail)
        packed.append(any_msg)
    return status_pb2.Status(
        code=error.rpc_code, message=shorten(error.message, MAX_MESSAGE_CHARS), details=packed
    )

"""The server interceptor every service runs: authenticate, authorise, check the declared
limits of every request message (services.common.limits), map domain errors.

UNAUTHENTICATED for a missing, expired, not-yet-valid or forged token (or one from another
issuer or for another audience); PERMISSION_DENIED for a role the RPC's policy does not admit
or a token without the scope its role needs; a DomainError becomes its status with
ErrorInfo; a dependency out of reach (PostgreSQL, Temporal, a peer) is UNAVAILABLE, logged once
in a while with its cause; anything else is logged with its traceback and answered INTERNAL
without taking the server down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import grpc

from services.common import delegation, limits
from services.common.auth import Principal, Role, Verifier, current_principal
from services.common.errors import (
    DomainError,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
    to_status,
)
from services.common.outage import RateLimitedLog, outage_cause

log = logging.getLogger(__name__)
_outages = RateLimitedLog(log)

# Methods anyone may call: health checks and reflection (probes and `buf curl` carry no token).
PUBLIC_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")

Policy = Mapping[str, frozenset[Role]]


class RequestContextInterceptor(grpc.aio.ServerInterceptor):
    def __init__(
        self,
        verifier: Verifier,
        policy: Policy,
        delegations: delegation.DelegationCheck | None = None,
    ) -> None:
        self._verifier = verifier
        self._policy = policy
        self._delegations = delegations

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method.startswith(PUBLIC_PREFIXES):
            return handler
        metadata = dict(handler_call_details.invocation_metadata or ())
        try:
            caller = await self._authorise(method, metadata)
            # Acting for another person (x-oneassess-on-behalf-of): needs an active delegation.
            caller = await delegation.acting_for(caller, metadata, self._delegations)
        except DomainError as error:
            return _wrap(handler, _rejecting(error))
        return _wrap(handler, _with_principal(caller))

    async def _authorise(self, method: str, metadata: Mapping[str, str]) -> Principal:
        header = metadata.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated(
                "missing bearer token: send 'authorization: Bearer <token>' (oneassess login)",
                "TOKEN_MISSING",
            )
        caller = await self._verifier.verify(token.strip())
        allowed = self._policy.get(method.rsplit("/", 1)[-1])
        if allowed is None or caller.role not in allowed:
            raise PermissionDenied(
                f"role '{caller.role}' may not call {method.rsplit('/', 1)[-1]}",
                "ROLE_NOT_ALLOWED",
                metadata={"role": caller.role.value},
            )
        return caller


async def _abort(context: grpc.aio.ServicerContext, error: DomainError) -> None:
    from grpc_status import rpc_status

    await context.abort_with_status(rpc_status.to_status(to_status(error)))


def _rejecting(error: DomainError) -> Callable:
    """Behaviour wrapper that answers the error without running the handler."""

    def wrap(behavior, streaming_response: bool, streaming_request: bool = False):
        if streaming_response:

            async def stream(request, context):
                await _abort(context, error)
                yield  # pragma: no cover - makes this an async generator

            return stream

        async def unary(request, context):
            await _abort(context, error)

        return unary

    return wrap


async def _checked_stream(requests):
    """Each streamed request message checked against the limits as it arrives."""
    async for message in requests:
        limits.check(message)
        yield message


def _checked(request, streaming_request: bool):
    if streaming_request:
        return _checked_stream(request)
    limits.check(request)
    return request


def _with_principal(caller: Principal) -> Callable:
    """Behaviour wrapper that runs the handler as `caller`, on a request within its declared
    limits, and maps its domain errors."""

    def wrap(behavior, streaming_response: bool, streaming_request: bool = False):
        if streaming_response:

            async def stream(request, context):
                current_principal.set(caller)
                try:
                    request = _checked(request, streaming_request)
                    async for response in behavior(request, context):
                        yield response
                except DomainError as error:
                    await _abort(context, error)
                except Exception as error:
                    if context.code() is not None:
                        raise
                    await _abort(context, _unexpected(error, behavior))

            return stream

        async def unary(request, context):
            current_principal.set(caller)
            try:
                return await behavior(_checked(request, streaming_request), context)
            except DomainError as error:
                await _abort(context, error)
            except Exception as error:
                if context.code() is not None:  # an abort the handler chose itself
                    raise
                await _abort(context, _unexpected(error, behavior))

        return unary

    return wrap


def _unexpected(error: Exception, behavior) -> DomainError:
    """An exception the handler did not map: UNAVAILABLE (retry) when a dependency is out of
    reach, logged once in a while with its cause; INTERNAL with a traceback for a bug."""
    cause = outage_cause(error)
    if cause is not None:
        _outages.warning(cause.split(" (", 1)[0], f"answering UNAVAILABLE: {cause}")
        return Unavailable(f"{cause}; retry", "DEPENDENCY_UNAVAILABLE")
    log.error("unhandled error in %s", behavior, exc_info=error)
    return DomainError("internal error", "INTERNAL")


def _wrap(handler: grpc.RpcMethodHandler, wrapper: Callable) -> grpc.RpcMethodHandler:
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(
            wrapper(handler.unary_unary, False),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(
            wrapper(handler.unary_stream, True),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(
            wrapper(handler.stream_unary, False, True),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    return grpc.stream_stream_rpc_method_handler(
        wrapper(handler.stream_stream, True, True),
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )

"""gRPC client channels with a bearer token on every call (CLI, worker, service-to-service)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

import grpc

from oneassess import telemetry
from oneassess.indicators.v1 import cycle_control_service_pb2_grpc as cycles_grpc
from oneassess.indicators.v1 import delegation_service_pb2_grpc as delegation_grpc
from oneassess.indicators.v1 import indicators_service_pb2_grpc as indicators_grpc
from oneassess.scoring.v1 import scoring_service_pb2_grpc as scoring_grpc
from oneassess.submissions.v1 import submissions_service_pb2_grpc as submissions_grpc

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
SERVICES = ("indicators", "submissions", "scoring")

CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.keepalive_time_ms", 30_000),
    # A target naming several replicas (ipv4:a:p,b:p, or dns: of a headless Service) spreads
    # calls over them and skips one that died; one address behaves as before.
    ("grpc.lb_policy_name", "round_robin"),
]


TokenSource = Callable[[], str | Awaitable[str]]
# Acting for another person under a delegation (services.common.delegation).
ON_BEHALF_OF_HEADER = "x-oneassess-on-behalf-of"


def _with_token(token_source: TokenSource, on_behalf_of: str = ""):
    async def add(client_call_details):
        token = token_source()
        if inspect.isawaitable(token):
            token = await token
        metadata = list(client_call_details.metadata or [])
        metadata.append(("authorization", f"Bearer {token}"))
        if on_behalf_of:
            metadata.append((ON_BEHALF_OF_HEADER, on_behalf_of))
        return client_call_details._replace(metadata=metadata)

    return add


class _Bearer:
    def __init__(self, token_source: TokenSource, on_behalf_of: str = "") -> None:
        self._add = _with_token(token_source, on_behalf_of)


# grpc.aio files an interceptor under the first kind it implements only, so each call kind
# (unary/streaming requests and responses) needs an interceptor of its own.
class _BearerUnaryUnary(_Bearer, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation, details, request):
        return await continuation(await self._add(details), request)


class _BearerUnaryStream(_Bearer, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation, details, request):
        return await continuation(await self._add(details), request)


class _BearerStreamUnary(_Bearer, grpc.aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(self, continuation, details, request_iterator):
        return await continuation(await self._add(details), request_iterator)


class _BearerStreamStream(_Bearer, grpc.aio.StreamStreamClientInterceptor):
    async def intercept_stream_stream(self, continuation, details, request_iterator):
        return await continuation(await self._add(details), request_iterator)


def _bearer(token_source: TokenSource, on_behalf_of: str = "") -> list[_Bearer]:
    return [
        kind(token_source, on_behalf_of)
        for kind in (_BearerUnaryUnary, _BearerUnaryStream, _BearerStreamUnary, _BearerStreamStream)
    ]


def channel(
    address: str,
    token: str | TokenSource | None,
    *,
    tls_root: bytes | None = None,
    on_behalf_of: str = "",
) -> grpc.aio.Channel:
    """A channel sending the bearer token on every call (and, when acting for someone under a
    delegation, whom for); TLS when given the CA to trust."""
    interceptors = list(telemetry.client_interceptors())
    if token:
        interceptors += _bearer(token if callable(token) else (lambda: token), on_behalf_of)
    if tls_root is not None:
        credentials = grpc.ssl_channel_credentials(root_certificates=tls_root)
        return grpc.aio.secure_channel(
            address, credentials, options=CHANNEL_OPTIONS, interceptors=interceptors
        )
    return grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS, interceptors=interceptors)


class ServiceClients:
    """Stubs for the three services, created lazily, one channel per service."""

    def __init__(
        self,
        addresses: dict[str, str],
        token: str | TokenSource | None,
        *,
        tls_root: bytes | None = None,
        on_behalf_of: str = "",
    ) -> None:
        self._addresses = addresses
        self._token = token
        self._tls_root = tls_root
        self._on_behalf_of = on_behalf_of
        self._channels: dict[str, grpc.aio.Channel] = {}

    @classmethod
    def from_settings(
        cls, settings, token: str | TokenSource | None, *, on_behalf_of: str = ""
    ) -> ServiceClients:
        """Clients of the three services at their configured addresses (TLS when configured)."""
        return cls(
            {name: settings.address_of(name) for name in SERVICES},
            token,
            tls_root=settings.tls_root(),
            on_behalf_of=on_behalf_of,
        )

    def _channel(self, name: str) -> grpc.aio.Channel:
        if name not in self._channels:
            self._channels[name] = channel(
                self._addresses[name],
                self._token,
                tls_root=self._tls_root,
                on_behalf_of=self._on_behalf_of,
            )
        return self._channels[name]

    @property
    def indicators(self) -> indicators_grpc.IndicatorsServiceStub:
        return indicators_grpc.IndicatorsServiceStub(self._channel("indicators"))

    @property
    def cycles(self) -> cycles_grpc.CycleControlServiceStub:
        """Running a cycle (served by the indicators service, which owns cycles)."""
        return cycles_grpc.CycleControlServiceStub(self._channel("indicators"))

    @property
    def delegations(self) -> delegation_grpc.DelegationServiceStub:
        """Who may act for whom (served by the indicators service)."""
        return delegation_grpc.DelegationServiceStub(self._channel("indicators"))

    @property
    def submissions(self) -> submissions_grpc.SubmissionsServiceStub:
        return submissions_grpc.SubmissionsServiceStub(self._channel("submissions"))

    @property
    def scoring(self) -> scoring_grpc.ScoringServiceStub:
        return scoring_grpc.ScoringServiceStub(self._channel("scoring"))

    async def close(self) -> None:
        for ch in self._channels.values():
            await ch.close()
        self._channels.clear()

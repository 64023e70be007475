"""Fuzzing every RPC of every service with request messages built from their descriptors
(hypothesis, a bounded number of examples per RPC): long strings, NUL and bidi characters,
negative and huge numbers, NaN, undefined enum values, out-of-range times, random bytes.
No answer is INTERNAL, UNKNOWN or UNAVAILABLE, and every service stays SERVING."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oneassess.indicators.v1 import indicators_service_pb2 as ipb
from oneassess.scoring.v1 import scoring_service_pb2 as cpb
from oneassess.submissions.v1 import submissions_service_pb2 as spb
from services.common.auth import Role
from services.indicators.servicer import POLICY as INDICATORS_POLICY
from services.scoring.servicer import POLICY as SCORING_POLICY
from services.submissions.servicer import POLICY as SUBMISSIONS_POLICY
from tests.hostile.conftest import all_serving, rss_bytes
from tests.support import submissions as s

pytestmark = pytest.mark.hostile

EXAMPLES_PER_RPC = 12
FORBIDDEN = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.UNAVAILABLE}
SERVICES = {
    "indicators": (ipb, INDICATORS_POLICY),
    "submissions": (spb, SUBMISSIONS_POLICY),
    "scoring": (cpb, SCORING_POLICY),
}
INTERESTING_TEXT = [
    "",
    s.CYCLE,
    s.UNIT,
    s.KEY,
    "work-safety",
    "ws-01",
    "a\x00b",
    "\u202eexe.pdf",
    "x" * 5000,
    "1e1000000",
    "-1",
    "NaN",
    "../../etc/passwd",
    "CON.pdf",
    "eyJhZnRlciI6IC0xfQ",
]
INTERESTING_BYTES = [b"", b"[" * 5000, b"{" * 100, b"%PDF-1.7\n", b"PK\x03\x04" + b"\x00" * 40]


def _scalar(field: FieldDescriptor) -> st.SearchStrategy:
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        return st.one_of(st.sampled_from(INTERESTING_TEXT), st.text(max_size=40))
    if kind == FieldDescriptor.TYPE_BYTES:
        return st.one_of(st.sampled_from(INTERESTING_BYTES), st.binary(max_size=64))
    if kind == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return st.floats(width=32 if kind == FieldDescriptor.TYPE_FLOAT else 64)
    if kind == FieldDescriptor.TYPE_ENUM:
        return st.integers(-1, len(field.enum_type.values) + 2)
    if kind in (FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_SINT32):
        return st.integers(-(2**31), 2**31 - 1)
    if kind in (FieldDescriptor.TYPE_UINT32,):
        return st.integers(0, 2**32 - 1)
    if kind in (FieldDescriptor.TYPE_UINT64,):
        return st.integers(0, 2**64 - 1)
    return st.integers(-(2**63), 2**63 - 1)


def _message(descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy:
    """A dict of field values for `descriptor`'s message class (some fields set, some not)."""
    if descriptor.full_name == "google.protobuf.Timestamp":
        return st.fixed_dictionaries(
            {"seconds": st.integers(-(2**40), 2**40), "nanos": st.integers(-5, 10**9 + 5)}
        )
    if descriptor.full_name == "google.protobuf.Duration":
        return st.fixed_dictionaries(
            {"seconds": st.integers(-(2**40), 2**40), "nanos": st.integers(0, 999_999_999)}
        )
    optional = {}
    for field in descriptor.fields:
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            key = _scalar(field.message_type.fields_by_name["key"])
            value_field = field.message_type.fields_by_name["value"]
            if value_field.message_type is not None:
                continue
            optional[field.name] = st.dictionaries(key, _scalar(value_field), max_size=3)
            continue
        if field.message_type is not None:
            if depth >= 2:
                continue
            inner = _message(field.message_type, depth + 1)
        else:
            inner = _scalar(field)
        optional[field.name] = st.lists(inner, max_size=3) if field.is_repeated else inner
    return st.fixed_dictionaries({}, optional=optional)


def _build(cls, values: dict):
    message = cls()
    for name, value in values.items():
        field = cls.DESCRIPTOR.fields_by_name[name]
        target = getattr(message, name)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            target.update(value)
        elif field.message_type is not None:
            sub_cls = _class_of(field.message_type)
            if field.is_repeated:
                target.extend(_build(sub_cls, v) for v in value)
            else:
                target.CopyFrom(_build(sub_cls, value))
        elif field.is_repeated:
            target.extend(value)
        else:
            try:
                setattr(message, name, value)
            except ValueError:  # an enum value a closed enum cannot hold, or invalid text
                pass
    return message


def _class_of(descriptor: Descriptor):
    from google.protobuf import message_factory

    return message_factory.GetMessageClass(descriptor)


def _examples(cls, count: int) -> list:
    """`count` request messages drawn by hypothesis (deterministic, no example database)."""
    drawn: list = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(_message(cls.DESCRIPTOR))
    def draw(values):
        drawn.append(values)

    draw()
    return [_build(cls, v) for v in drawn[:count]]


def _caller(stack, policy_roles: frozenset):
    if Role.ADMIN in policy_roles:
        return stack.as_(Role.ADMIN)
    if Role.ASSESSOR in policy_roles:
        return stack.as_(Role.ASSESSOR, department="emergency-bureau")
    return stack.as_(Role.UNIT, unit=s.UNIT)


RPCS = [
    (service, method.name)
    for service, (module, _) in SERVICES.items()
    for svc in module.DESCRIPTOR.services_by_name.values()
    for method in svc.methods
]


@pytest.mark.parametrize(("service", "rpc"), RPCS, ids=[f"{a}.{b}" for a, b in RPCS])
async def test_fuzzed_requests_never_crash_a_service(hostile, service, rpc):
    module, policy = SERVICES[service]
    method = next(
        m
        for svc in module.DESCRIPTOR.services_by_name.values()
        for m in svc.methods
        if m.name == rpc
    )
    request_cls = _class_of(method.input_type)
    stub = getattr(_caller(hostile, policy[rpc]), service)
    call = getattr(stub, rpc)
    for request in _examples(request_cls, EXAMPLES_PER_RPC):
        try:
            if method.client_streaming:

                async def stream(first=request):
                    yield first
                    yield request_cls(chunk=b"%PDF-1.7\n") if rpc == "Upload" else first

                await call(stream(), timeout=30)
            elif method.server_streaming:
                async for _ in call(request, timeout=30):
                    pass
            else:
                await call(request, timeout=30)
        except grpc.aio.AioRpcError as err:
            assert err.code() not in FORBIDDEN, f"{rpc}({request}) -> {err.code()}: {err.details()}"
    assert await all_serving(hostile)
    assert rss_bytes() < 300 * 1024 * 1024

"""Shared by the scoring service tests (no tests here): the sample city folded on a real
indicators service, the scoring service on a real port, and a small fake SubmissionsService
(served on the submissions port) answering ListAskTimes from a dict, so the scoring tests
do not depend on the submissions service."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from oneassess.indicators.v1 import indicators_service_pb2 as ind_pb
from oneassess.scoring.v1 import scoring_service_pb2 as pb
from oneassess.submissions.v1 import submissions_service_pb2 as sub_pb
from oneassess.submissions.v1 import submissions_service_pb2_grpc as sub_grpc
from services.common.auth import Role
from tests.conftest import EXAMPLE, read_source, start_stack, stop_stack

CYCLE = "haizhou-2026"
DEADLINE = datetime(2026, 12, 31, 10, 0, tzinfo=UTC)  # 2026-12-31T18:00+08:00


def ts(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


class FakeSubmissions(sub_grpc.SubmissionsServiceServicer):
    """ListAskTimes from `times` (unit -> key -> first submission), as the real service pages it."""

    def __init__(self) -> None:
        self.deadline: datetime | None = DEADLINE
        self.extended: dict[str, datetime] = {}
        self.times: dict[str, dict[str, datetime]] = {}
        self.calls = 0

    async def ListAskTimes(self, request, context):
        self.calls += 1
        rows = sorted((u, k, t) for u, keys in self.times.items() for k, t in keys.items())
        size = request.page_size or 10000
        start = int(request.page_token or 0)
        page = rows[start : start + size]
        return sub_pb.ListAskTimesResponse(
            ask_times=[
                sub_pb.AskTime(unit_code=u, evidence_key=k, first_submitted_at=ts(t))
                for u, k, t in page
            ],
            next_page_token=str(start + size) if start + size < len(rows) else "",
            cycle_deadline=ts(self.deadline) if self.deadline else None,
            extended=[
                sub_pb.UnitDeadline(unit_code=u, deadline=ts(d))
                for u, d in sorted(self.extended.items())
            ]
            if start == 0
            else [],
        )


@dataclass
class City:
    stack: object
    submissions: FakeSubmissions
    catalogue: ind_pb.Catalogue
    cycle: str = CYCLE
    _clients: dict = field(default_factory=dict)

    def as_(self, role: Role | str, *, unit: str = "", department: str = ""):
        key = (str(role), unit, department)
        if key not in self._clients:
            self._clients[key] = self.stack.as_(role, unit=unit, department=department)
        return self._clients[key].scoring

    @property
    def admin(self):
        return self.as_(Role.ADMIN)

    def assessor(self, department: str):
        return self.as_(Role.ASSESSOR, department=department)

    def unit(self, code: str):
        return self.as_(Role.UNIT, unit=code)

    @property
    def pool(self):
        return self.stack.pool("scoring")

    def units(self, kind: str = "", group: str = "") -> list[str]:
        return [
            u.code
            for u in self.catalogue.units
            if (not kind or u.kind == kind) and (not group or u.group == group)
        ]

    def asks(self, unit: str) -> list[str]:
        kind = next(u.kind for u in self.catalogue.units if u.code == unit)
        return [
            a.evidence_key for k in self.catalogue.asks_by_kind if k.kind == kind for a in k.asks
        ]

    def submit_all_on_time(self) -> None:
        for unit in self.units():
            self.submissions.times[unit] = {
                key: DEADLINE - timedelta(days=2) for key in self.asks(unit)
            }


async def fold_sample_city(clients) -> ind_pb.Catalogue:
    admin = clients.indicators
    for path in sorted((EXAMPLE / "special-assessments").glob("*.yaml")):
        await admin.ImportSpecialAssessment(
            ind_pb.ImportSpecialAssessmentRequest(request_id=rid(), file=read_source(path))
        )
    await admin.ImportUnits(
        ind_pb.ImportUnitsRequest(request_id=rid(), file=read_source(EXAMPLE / "units.yaml"))
    )
    await admin.CreateCycle(
        ind_pb.CreateCycleRequest(
            request_id=rid(),
            plan=read_source(EXAMPLE / "cycle.yaml"),
            tolerance=read_source(EXAMPLE / "tolerance.yaml"),
        )
    )
    await admin.FoldCycle(ind_pb.FoldCycleRequest(request_id=rid(), cycle_code=CYCLE))
    return (await admin.GetCatalogue(ind_pb.GetCatalogueRequest(cycle_code=CYCLE))).catalogue


@pytest.fixture(name="city")
async def city_fixture(settings):
    fake = FakeSubmissions()
    server = grpc.aio.server()
    sub_grpc.add_SubmissionsServiceServicer_to_server(fake, server)
    server.add_insecure_port(f"127.0.0.1:{settings.submissions_port}")
    await server.start()
    stack = await start_stack(settings, ("indicators", "scoring"))
    try:
        catalogue = await fold_sample_city(stack.admin)
        sample = City(stack, fake, catalogue)
        sample.submit_all_on_time()
        yield sample
    finally:
        await stop_stack(stack)
        await server.stop(0)


def rid() -> str:
    return str(uuid.uuid4())


async def record(
    client,
    unit: str,
    sa: str,
    indicator: str,
    review_input: pb.ReviewInput,
    comment: str = "",
    request_id: str = "",
):
    return (
        await client.RecordReview(
            pb.RecordReviewRequest(
                request_id=request_id or rid(),
                cycle_code=CYCLE,
                unit_code=unit,
                special_assessment_code=sa,
                indicator_code=indicator,
                input=review_input,
                comment=comment,
            )
        )
    ).review


async def compute(city: City) -> pb.ScoreRun:
    return (
        await city.admin.ComputeScores(pb.ComputeScoresRequest(request_id=rid(), cycle_code=CYCLE))
    ).run


async def publish(city: City, deadline: datetime | None = None) -> pb.ScoreRun:
    deadline = deadline or datetime.now(UTC) + timedelta(days=7)
    return (
        await city.admin.PublishScores(
            pb.PublishScoresRequest(
                request_id=rid(), cycle_code=CYCLE, appeal_deadline=ts(deadline)
            )
        )
    ).run


async def rejected(call, code: grpc.StatusCode) -> grpc.aio.AioRpcError:
    """Await `call`, expecting it to fail with `code`; returns the error for message checks."""
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call
    assert err.value.code() == code, err.value.details()
    return err.value


async def table_counts(pool) -> dict[str, int]:
    """Row counts of every scoring table: 'nothing changed' means these stay equal."""
    tables = [
        "reviews",
        "claims",
        "claim_indicators",
        "claim_decisions",
        "score_runs",
        "unit_scores",
        "sa_scores",
        "indicator_scores",
        "appeals",
        "audit_log",
        "idempotency",
    ]
    return {t: await pool.fetchval(f"SELECT count(*) FROM {t}") for t in tables}

"""In-memory stand-ins for the three services, on a real gRPC port, implementing exactly the
RPCs the worker and the audit commands call. Used by the dev-server tests and the city
benchmark until the real submissions and scoring services land (the real indicators service
exists; these fakes keep the workflow tests independent of catalogue import).

Exports are stored as files named by their sha256 under `blob_dir`, so a test can alter one
byte of a stored export exactly as a disk fault or a tamperer would.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from oneassess.client.channels import CHANNEL_OPTIONS
from oneassess.indicators.v1 import indicators_service_pb2 as ind
from oneassess.indicators.v1 import indicators_service_pb2_grpc as ind_grpc
from oneassess.scoring.v1 import scoring_service_pb2 as sco
from oneassess.scoring.v1 import scoring_service_pb2_grpc as sco_grpc
from oneassess.submissions.v1 import submissions_service_pb2 as sub
from oneassess.submissions.v1 import submissions_service_pb2_grpc as sub_grpc


def stamp(moment: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(moment.astimezone(UTC))
    return out


@dataclass
class City:
    """A folded cycle as the indicators service would report it."""

    code: str
    opens: datetime
    units: list[ind.Unit]
    asks_by_kind: dict[str, list[str]]
    due_days: float = 60
    before_days: tuple[float, ...] = (14, 3, 1)
    overdue_every_days: float = 2
    overdue_max: int = 3
    appeal_days: int = 7

    def cycle(self) -> ind.Cycle:
        day = timedelta(days=1)
        due = self.opens + self.due_days * day
        closes = due + self.overdue_every_days * (self.overdue_max + 1) * day
        review_due = closes + 12 * day
        publish = review_due + 5 * day
        return ind.Cycle(
            code=self.code,
            name=self.code,
            timezone="Asia/Shanghai",
            state=ind.CYCLE_STATE_FOLDED,
            calendar=ind.Calendar(
                opens=stamp(self.opens),
                evidence_due=stamp(due),
                collection_closes=stamp(closes),
                review_due=stamp(review_due),
                publish=stamp(publish),
                appeal_days=self.appeal_days,
            ),
            reminders=ind.Reminders(
                before=[Duration(seconds=int(d * 86400)) for d in self.before_days],
                overdue_every=Duration(seconds=int(self.overdue_every_days * 86400)),
                overdue_max=self.overdue_max,
            ),
        )


def city(code: str, opens: datetime, n_units: int, asks: int = 3, contacts: bool = True) -> City:
    keys = [f"evidence-{i:03d}" for i in range(asks)]
    units = [
        ind.Unit(
            code=f"unit-{i:04d}",
            name=f"Unit {i}",
            kind="township" if i % 2 else "department",
            group="g",
            contact=f"contact-{i}@units.test" if contacts else "",
            head=f"head-{i}@units.test" if contacts else "",
        )
        for i in range(n_units)
    ]
    return City(code, opens, units, {"township": keys, "department": keys[: max(1, asks - 1)]})


@dataclass
class FakeServices(
    ind_grpc.IndicatorsServiceServicer,
    sub_grpc.SubmissionsServiceServicer,
    sco_grpc.ScoringServiceServicer,
):
    blob_dir: Path
    cities: dict[str, City] = field(default_factory=dict)
    calls: list[tuple[str, object]] = field(default_factory=list)
    notifications: dict[str, sub.Notification] = field(default_factory=dict)
    record_calls: int = 0
    _by_unit: dict[tuple[str, str], list] = field(default_factory=lambda: defaultdict(list))
    exports: dict[tuple[str, str], sub.HistoryExport] = field(default_factory=dict)
    submitted: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    score_runs: int = 0
    missing_reviews: int = 4  # what ListMissingReviews reports for work-safety (0: complete)
    open_gate: asyncio.Event | None = None  # set: OpenCollection answers only once it is set

    # ---- indicators ----

    async def GetCycle(self, request, context):
        if request.cycle_code not in self.cities:
            await context.abort(
                grpc.StatusCode.NOT_FOUND, f"cycle_code: no cycle {request.cycle_code!r}"
            )
        return ind.GetCycleResponse(cycle=self.cities[request.cycle_code].cycle())

    async def GetCatalogue(self, request, context):
        c = self.cities[request.cycle_code]
        asks = [
            ind.KindAsks(kind=kind, asks=[ind.Ask(evidence_key=k, name=k) for k in keys])
            for kind, keys in c.asks_by_kind.items()
        ]
        return ind.GetCatalogueResponse(
            catalogue=ind.Catalogue(cycle_code=c.code, units=c.units, asks_by_kind=asks)
        )

    # ---- submissions ----

    def _record(self, name: str, request) -> None:
        self.calls.append((name, request))

    async def OpenCollection(self, request, context):
        self._record("OpenCollection", request)
        if self.open_gate is not None:
            await self.open_gate.wait()
        return sub.OpenCollectionResponse(window=request.window)

    async def CloseCollection(self, request, context):
        self._record("CloseCollection", request)
        return sub.CloseCollectionResponse(
            window=sub.CollectionWindow(cycle_code=request.cycle_code, closes_at=request.closes_at)
        )

    async def ExtendUnit(self, request, context):
        self._record("ExtendUnit", request)
        return sub.ExtendUnitResponse(
            cycle_code=request.cycle_code,
            unit_code=request.unit_code,
            deadline=request.deadline,
            closes_at=request.closes_at,
        )

    async def GetAskStatus(self, request, context):
        c = self.cities.get(request.cycle_code)
        if c is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "cycle_code: unknown")
        unit = next(u for u in c.units if u.code == request.unit_code)
        done = self.submitted[(request.cycle_code, request.unit_code)]
        return sub.GetAskStatusResponse(
            asks=[
                sub.AskStatus(
                    evidence_key=k,
                    state=sub.ASK_STATE_SUBMITTED if k in done else sub.ASK_STATE_MISSING,
                )
                for k in c.asks_by_kind[unit.kind]
            ]
        )

    async def RecordNotification(self, request, context):
        self.record_calls += 1
        note = request.notification
        if note.id not in self.notifications:
            self.notifications[note.id] = note
            self._by_unit[(note.cycle_code, note.unit_code)].append(note)
        return sub.RecordNotificationResponse(notification=self.notifications[note.id])

    async def ListNotifications(self, request, context):
        found = [
            n
            for n in self.notifications.values()
            if n.cycle_code == request.cycle_code
            and (not request.unit_code or n.unit_code == request.unit_code)
        ]
        return sub.ListNotificationsResponse(notifications=found)

    async def StoreHistoryExport(self, request, context):
        meta = request.export
        sha = hashlib.sha256(request.history_json).hexdigest()
        key = (meta.workflow_id, meta.run_id)
        if key in self.exports:
            return sub.StoreHistoryExportResponse(export=self.exports[key], created=False)
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        (self.blob_dir / sha).write_bytes(request.history_json)
        stored = sub.HistoryExport()
        stored.CopyFrom(meta)
        stored.sha256, stored.size_bytes = sha, len(request.history_json)
        stored.exported_at.GetCurrentTime()
        self.exports[key] = stored
        return sub.StoreHistoryExportResponse(export=stored, created=True)

    async def ListHistoryExports(self, request, context):
        found = sorted(
            (
                e
                for e in self.exports.values()
                if e.cycle_code == request.cycle_code
                and (not request.unit_code or e.unit_code == request.unit_code)
            ),
            key=lambda e: (e.workflow_id, e.close_time.ToDatetime()),
        )
        return sub.ListHistoryExportsResponse(exports=found)

    async def GetHistoryExport(self, request, context):
        runs = [e for (wid, _), e in self.exports.items() if wid == request.workflow_id]
        if request.run_id:
            runs = [e for e in runs if e.run_id == request.run_id]
        if not runs:
            await context.abort(
                grpc.StatusCode.NOT_FOUND, f"workflow_id: no export of {request.workflow_id!r}"
            )
        export = max(runs, key=lambda e: e.close_time.ToDatetime())
        return sub.GetHistoryExportResponse(
            export=export, history_json=(self.blob_dir / export.sha256).read_bytes()
        )

    # ---- scoring ----

    async def ComputeScores(self, request, context):
        self._record("ComputeScores", request)
        self.score_runs += 1
        return sco.ComputeScoresResponse(
            run=sco.ScoreRun(run=self.score_runs, cycle_code=request.cycle_code)
        )

    async def PublishScores(self, request, context):
        self._record("PublishScores", request)
        return sco.PublishScoresResponse(
            run=sco.ScoreRun(run=self.score_runs, cycle_code=request.cycle_code, published=True)
        )

    async def FinalizeScores(self, request, context):
        self._record("FinalizeScores", request)
        return sco.FinalizeScoresResponse(
            run=sco.ScoreRun(run=self.score_runs, cycle_code=request.cycle_code, published=True)
        )

    async def ListScores(self, request, context):
        c = self.cities[request.cycle_code]
        scores = [
            sco.UnitScore(
                unit_code=u.code,
                group=u.group,
                composite=f"{90 - i * 0.5:.4f}",
                rank=i + 1,
                tier="优秀" if i < 3 else "良好",
            )
            for i, u in enumerate(c.units)
        ]
        return sco.ListScoresResponse(
            scores=scores, run=sco.ScoreRun(run=self.score_runs, cycle_code=request.cycle_code)
        )

    async def ListMissingReviews(self, request, context):
        if not self.missing_reviews:
            return sco.ListMissingReviewsResponse()
        return sco.ListMissingReviewsResponse(
            departments=[
                sco.MissingReviews(
                    department="work-safety",
                    missing=self.missing_reviews,
                    total=10,
                    examples=["unit-0001/work-safety/ws-01"],
                )
            ]
        )


async def serve(fakes: FakeServices) -> tuple[grpc.aio.Server, str]:
    server = grpc.aio.server(options=CHANNEL_OPTIONS)  # as the real services: 64 MiB messages
    ind_grpc.add_IndicatorsServiceServicer_to_server(fakes, server)
    sub_grpc.add_SubmissionsServiceServicer_to_server(fakes, server)
    sco_grpc.add_ScoringServiceServicer_to_server(fakes, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, f"127.0.0.1:{port}"

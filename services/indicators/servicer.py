"""IndicatorsService RPC handlers: proto <-> domain, authorisation by scope, transactions."""

from __future__ import annotations

import bisect

from google.protobuf.json_format import MessageToDict, ParseDict

from oneassess.indicators.v1 import indicators_service_pb2 as pb
from oneassess.indicators.v1 import indicators_service_pb2_grpc as pb_grpc
from services.common import audit, idempotency
from services.common.auth import (
    ADMIN_ONLY,
    ADMIN_OR_ASSESSOR,
    AUDIT_READERS,
    READERS,
    Role,
    principal,
)
from services.common.errors import FailedPrecondition, InvalidArgument, NotFound
from services.common.paging import Keyset, page_size
from services.common.server import Runtime
from services.indicators import formats
from services.indicators import repository as repo
from services.indicators.convert import (
    burden_pb,
    catalogue_pb,
    cycle_pb,
    special_assessment_pb,
    unit_pb,
)
from services.indicators.fold import catalogue_hash, check_equivalences, check_unit_kinds, fold
from services.indicators.model import UNIT_KINDS, SpecialAssessmentDoc, UnitDef
from services.indicators.plan import parse_plan, plan_locator

# Keyset positions of the listings (the token names its listing).
SPECIAL_ASSESSMENTS_PAGE = Keyset("special_assessments", str, int)  # code, version
UNITS_PAGE = Keyset("units", str)  # code
ASKS_PAGE = Keyset("asks", str, str)  # unit kind, evidence key

POLICY = {
    "ImportSpecialAssessment": ADMIN_OR_ASSESSOR,
    "ListSpecialAssessments": READERS,
    "ImportUnits": ADMIN_ONLY,
    "ListUnits": READERS,
    "CreateCycle": ADMIN_ONLY,
    "FoldCycle": ADMIN_ONLY,
    "GetCycle": READERS,
    "GetCatalogue": READERS,
    "ListAsks": READERS,
    "GetBurdenReport": READERS,
    "VerifyAuditChain": AUDIT_READERS,
}


FORMAT_FROM_PB = {
    pb.SOURCE_FORMAT_UNSPECIFIED: "",
    pb.SOURCE_FORMAT_YAML: formats.YAML,
    pb.SOURCE_FORMAT_XLSX: formats.XLSX,
    pb.SOURCE_FORMAT_CISO_YAML: formats.CISO,
}


def _format(file: pb.SourceFile) -> str:
    if file.format not in FORMAT_FROM_PB:
        raise InvalidArgument.field("file.format", f"unknown format {file.format}", file.name)
    return FORMAT_FROM_PB[file.format]


def parse_special_assessment(file: pb.SourceFile, kinds: list[str]) -> SpecialAssessmentDoc:
    return formats.read_special_assessment(
        file.name or "upload", file.content, _format(file), kinds
    )


def parse_units(file: pb.SourceFile) -> list[UnitDef]:
    return formats.read_units(file.name or "upload", file.content, _format(file))


class IndicatorsServicer(pb_grpc.IndicatorsServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.pool = runtime.pool
        # Folded catalogues never change, so they are cached for the life of the process.
        self._catalogues: dict[str, tuple[pb.Catalogue, pb.BurdenReport, dict[str, str]]] = {}

    async def VerifyAuditChain(self, request, context):
        return await audit.answer_verify(
            self.pool, request, pb, service="indicators", secret=audit.audit_key(self.rt.settings)
        )

    # -- special assessments -------------------------------------------------------------------

    async def ImportSpecialAssessment(self, request, context):
        kinds = sorted(set(UNIT_KINDS) | set(await repo.unit_kinds(self.pool)))
        doc = parse_special_assessment(request.file, kinds)
        principal().require_department(doc.owner, "owner")

        async def work(conn):
            await repo.lock_code(conn, code=doc.code)
            latest = await repo.latest_version(conn, code=doc.code)
            if latest is not None:
                # A line department may not take over another's special assessment by
                # naming itself its owner.
                principal().require_department(latest.doc.owner, "code")
            stored, created = await repo.insert_version(
                conn, doc=doc, source_name=request.file.name, imported_by=principal().signature
            )
            if created:
                await audit.append(
                    conn,
                    actor=principal().signature,
                    action="special_assessment.imported",
                    subject=f"{doc.code}@{stored.version}",
                    payload={"sha256": stored.sha256, "file": request.file.name},
                )
            return pb.ImportSpecialAssessmentResponse(
                special_assessment=special_assessment_pb(
                    stored.doc,
                    version=stored.version,
                    sha256=stored.sha256,
                    imported_at=stored.imported_at,
                    imported_by=stored.imported_by,
                ),
                created=created,
            )

        return await idempotency.once(self.pool, request, pb.ImportSpecialAssessmentResponse, work)

    async def ListSpecialAssessments(self, request, context):
        size = page_size(request.page_size, default=50, maximum=500)
        rows = await repo.list_versions(
            self.pool,
            code=request.code,
            all_versions=request.all_versions,
            after=SPECIAL_ASSESSMENTS_PAGE.decode(request.page_token),
            limit=size + 1,
        )
        page, next_token = SPECIAL_ASSESSMENTS_PAGE.page(
            rows, size, lambda r: (r.doc.code, r.version)
        )
        return pb.ListSpecialAssessmentsResponse(
            special_assessments=[
                special_assessment_pb(
                    r.doc,
                    version=r.version,
                    sha256=r.sha256,
                    imported_at=r.imported_at,
                    imported_by=r.imported_by,
                )
                for r in page
            ],
            next_page_token=next_token,
        )

    # -- units ---------------------------------------------------------------------------------

    async def ImportUnits(self, request, context):
        units = parse_units(request.file)

        async def work(conn):
            created, updated, unchanged = await repo.upsert_units(conn, units=units)
            await audit.append(
                conn,
                actor=principal().signature,
                action="units.imported",
                subject=request.file.name,
                payload={"created": created, "updated": updated, "unchanged": unchanged},
            )
            return pb.ImportUnitsResponse(created=created, updated=updated, unchanged=unchanged)

        return await idempotency.once(self.pool, request, pb.ImportUnitsResponse, work)

    async def ListUnits(self, request, context):
        size = page_size(request.page_size, default=100, maximum=1000)
        (after,) = UNITS_PAGE.decode(request.page_token) or ("",)
        caller = principal()
        only = (
            caller.unit if caller.role is Role.UNIT else ""
        )  # a unit sees itself, not others' contacts
        units = await repo.list_units(
            self.pool,
            kind=request.kind,
            group=request.group,
            after=after,
            limit=size + 1,
            code=only,
        )
        page, next_token = UNITS_PAGE.page(units, size, lambda u: (u.code,))
        return pb.ListUnitsResponse(units=[unit_pb(u) for u in page], next_page_token=next_token)

    # -- cycles --------------------------------------------------------------------------------

    async def CreateCycle(self, request, context):
        if not request.plan.content:
            raise InvalidArgument.field("plan.content", "is empty")
        for name, file in (("plan", request.plan), ("tolerance", request.tolerance)):
            if file.format not in (pb.SOURCE_FORMAT_UNSPECIFIED, pb.SOURCE_FORMAT_YAML):
                raise InvalidArgument.field(f"{name}.format", "must be YAML (or unspecified)")
        plan_name = request.plan.name or "cycle.yaml"
        plan = parse_plan(
            request.plan.content,
            plan_name,
            request.tolerance.content or None,
            request.tolerance.name or "tolerance.yaml",
        )

        async def work(conn):
            docs = []
            missing = []
            for code, _ in plan.weights:
                latest = await repo.latest_version(conn, code=code)
                if latest is None:
                    missing.append(code)
                else:
                    docs.append(latest.doc)
            if missing:
                raise FailedPrecondition.of_field(
                    "special_assessments",
                    f"not imported yet: {', '.join(missing)} (oneassess catalog import)",
                    "SPECIAL_ASSESSMENT_MISSING",
                )
            problems = check_equivalences(plan, docs, plan_locator(request.plan.content, plan_name))
            if problems:
                raise InvalidArgument.many(f"cycle plan {plan_name} was rejected", problems)
            await repo.insert_cycle(conn, plan=plan, created_by=principal().signature)
            await audit.append(
                conn,
                actor=principal().signature,
                action="cycle.created",
                subject=plan.code,
                payload=plan.to_dict(),
            )
            stored = await repo.get_cycle(conn, code=plan.code)
            return pb.CreateCycleResponse(cycle=self._cycle_pb(stored))

        return await idempotency.once(self.pool, request, pb.CreateCycleResponse, work)

    async def FoldCycle(self, request, context):
        async def work(conn):
            stored = await repo.get_cycle(conn, code=request.cycle_code, for_update=True)
            if stored.state == "folded":
                raise FailedPrecondition.of_field(
                    "cycle_code",
                    f"cycle {request.cycle_code!r} is already folded; its catalogue is frozen",
                    "CYCLE_FOLDED",
                )
            plan = stored.plan
            versions = []
            for code, weight in plan.weights:
                latest = await repo.latest_version(conn, code=code)
                if latest is None:
                    raise FailedPrecondition.of_field(
                        "special_assessments",
                        f"{code!r} is not imported",
                        "SPECIAL_ASSESSMENT_MISSING",
                    )
                versions.append((latest, weight))
            docs = [v.doc for v, _ in versions]
            problems = check_equivalences(plan, docs)
            if problems:
                raise InvalidArgument.many(f"cycle {plan.code} cannot be folded", problems)
            units = await repo.list_units(conn)
            if not units:
                raise FailedPrecondition.of_field(
                    "units", "no units imported (oneassess units import)", "NO_UNITS"
                )
            problems = check_unit_kinds(docs, units)
            if problems:
                raise InvalidArgument.many(f"cycle {plan.code} cannot be folded", problems)
            result = fold(plan, docs, units)
            digest = catalogue_hash(plan, docs, result)
            catalogue = catalogue_pb(
                plan, [(v.doc, v.version) for v, _ in versions], result, digest
            )
            burden = burden_pb(plan.code, result)
            await repo.freeze_cycle(
                conn,
                code=plan.code,
                versions=[(v.doc.code, v.version, w) for v, w in versions],
                catalogue={"catalogue": MessageToDict(catalogue), "burden": MessageToDict(burden)},
                catalogue_sha256=digest,
            )
            await audit.append(
                conn,
                actor=principal().signature,
                action="cycle.folded",
                subject=plan.code,
                payload={
                    "catalogue_sha256": digest,
                    "versions": {v.doc.code: v.version for v, _ in versions},
                },
            )
            return pb.FoldCycleResponse(
                cycle=self._cycle_pb(await repo.get_cycle(conn, code=plan.code))
            )

        return await idempotency.once(self.pool, request, pb.FoldCycleResponse, work)

    async def GetCycle(self, request, context):
        return pb.GetCycleResponse(
            cycle=self._cycle_pb(await repo.get_cycle(self.pool, code=request.cycle_code))
        )

    async def GetCatalogue(self, request, context):
        catalogue, _, kinds = await self._folded(request.cycle_code)
        caller = principal()
        if caller.role is Role.UNIT:  # a unit sees its own asks and entry, not other units'
            own = pb.Catalogue()
            own.CopyFrom(catalogue)
            kind = kinds.get(caller.unit)
            del own.units[:]
            own.units.extend(u for u in catalogue.units if u.code == caller.unit)
            del own.asks_by_kind[:]
            own.asks_by_kind.extend(k for k in catalogue.asks_by_kind if k.kind == kind)
            return pb.GetCatalogueResponse(catalogue=own)
        return pb.GetCatalogueResponse(catalogue=catalogue)

    async def ListAsks(self, request, context):
        principal().require_unit(request.unit_code)
        catalogue, _, kinds = await self._folded(request.cycle_code)
        kind = kinds.get(request.unit_code)
        if kind is None:
            raise NotFound.of_field(
                "unit_code",
                f"unit {request.unit_code!r} is not assessed in cycle {request.cycle_code!r}",
                "UNIT_NOT_IN_CYCLE",
            )
        size = page_size(request.page_size, default=100, maximum=1000)
        position = ASKS_PAGE.decode(request.page_token)
        if position is not None and position[0] != kind:
            raise InvalidArgument.field(
                "page_token", "is not a token this service issued for this unit"
            )
        # The frozen asks are sorted by evidence key: the page starts after the token's key.
        asks = next((k.asks for k in catalogue.asks_by_kind if k.kind == kind), [])
        start = (
            bisect.bisect_right(asks, position[1], key=lambda a: a.evidence_key) if position else 0
        )
        page, next_token = ASKS_PAGE.page(
            asks[start : start + size + 1], size, lambda a: (kind, a.evidence_key)
        )
        return pb.ListAsksResponse(asks=page, next_page_token=next_token, total_size=len(asks))

    async def GetBurdenReport(self, request, context):
        _, burden, _ = await self._folded(request.cycle_code)
        caller = principal()
        if caller.role is Role.UNIT:
            own = pb.BurdenReport()
            own.CopyFrom(burden)
            del own.units[:]
            own.units.extend(u for u in burden.units if u.unit_code == caller.unit)
            return pb.GetBurdenReportResponse(report=own)
        return pb.GetBurdenReportResponse(report=burden)

    # -- helpers -------------------------------------------------------------------------------

    def _cycle_pb(self, stored: repo.StoredCycle) -> pb.Cycle:
        return cycle_pb(
            stored.plan,
            state=stored.state,
            created_at=stored.created_at,
            folded_at=stored.folded_at,
            versions=stored.versions,
            catalogue_sha256=stored.catalogue_sha256,
        )

    async def _folded(
        self, cycle_code: str
    ) -> tuple[pb.Catalogue, pb.BurdenReport, dict[str, str]]:
        if cycle_code not in self._catalogues:
            stored = await repo.get_cycle(self.pool, code=cycle_code)
            if stored.state != "folded" or stored.catalogue is None:
                raise FailedPrecondition.of_field(
                    "cycle_code",
                    f"cycle {cycle_code!r} is not folded yet (oneassess cycle fold {cycle_code})",
                    "CYCLE_NOT_FOLDED",
                )
            catalogue = ParseDict(stored.catalogue["catalogue"], pb.Catalogue())
            burden = ParseDict(stored.catalogue["burden"], pb.BurdenReport())
            kinds = {u.code: u.kind for u in catalogue.units}
            self._catalogues[cycle_code] = (catalogue, burden, kinds)
        return self._catalogues[cycle_code]

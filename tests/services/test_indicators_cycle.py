"""Cycles over gRPC: plan checks, the fold, its freeze, its independence from import order,
the burden report of the sample city, and who may see whose asks."""

from __future__ import annotations

import random

import grpc
import pytest

from oneassess.client.errors import error_reason
from oneassess.indicators.v1 import indicators_service_pb2 as pb
from services.common.auth import Role
from tests.conftest import EXAMPLE
from tests.support.indicators import (
    SPECIAL_ASSESSMENTS,
    counts,
    create_cycle,
    import_sample,
    import_units,
    indicators_stack,
    rejected,
    sample_folded,
    source,
)

PLAN = (EXAMPLE / "cycle.yaml").read_text()


@pytest.fixture(scope="module")
async def imported(postgres_base_url, tmp_path_factory):
    """The sample city's files and units imported, no cycle yet (tests must leave it so)."""
    async with indicators_stack(postgres_base_url, tmp_path_factory.mktemp("home")) as stack:
        await import_units(stack.admin)
        await import_sample(stack.admin)
        yield stack


def line_of(text: str, anchor: str) -> int:
    return text[: text.index(anchor)].count("\n") + 1


def edited(old: str, new: str) -> str:
    assert old in PLAN, old
    return PLAN.replace(old, new, 1)


BAD_PLANS = [
    (
        "weights",
        "  clean-governance: 12",
        "  clean-governance: 10",
        "special_assessments:",
        "special_assessments: weights must sum to 100 (they sum to 98)",
    ),
    (
        "calendar order",
        "review_due: 2027-01-20T18:00:00+08:00",
        "review_due: 2026-12-20T18:00:00+08:00",
        "review_due:",
        "calendar.review_due: must be after collection_closes (2027-01-08T18:00:00+08:00), got "
        "2026-12-20T18:00:00+08:00",
    ),
    (
        "reminder offset",
        "before: [14d, 3d, 1d]",
        "before: [14d, three days, 1d]",
        "before:",
        "reminders.before[1]: 'three days' is not an offset like 14d, 3d, 12h or 30m",
    ),
    (
        "overdue interval",
        "overdue_every: 2d",
        "overdue_every: 2 weeks",
        "overdue_every:",
        "reminders.overdue_every: '2 weeks' is not an offset like 2d",
    ),
    (
        "tiers out of order",
        "{name: 良好, top_share: 0.8}",
        "{name: 良好, top_share: 0.2}",
        "{name: 良好",
        "tiers[1].top_share: must grow tier by tier (after 0.3)",
    ),
    (
        "last tier short of everyone",
        "{name: 一般, top_share: 1.0}",
        "{name: 一般, top_share: 0.9}",
        "tiers:",
        "tiers: the last tier must have top_share 1.0 so every rank has a tier",
    ),
    (
        "equivalence key of no special assessment",
        "[emergency-drill-records, flood-drill-records]",
        "[emergency-drill-records, flood-drill-record]",
        "[emergency-drill-records, flood-drill-record]",
        "equivalences[3]: evidence key 'flood-drill-record' is not declared by any folded "
        "special assessment",
    ),
]


@pytest.mark.parametrize(
    ("case", "old", "new", "anchor", "expected"), BAD_PLANS, ids=[c[0] for c in BAD_PLANS]
)
async def test_bad_plan_is_rejected_naming_line_field_and_reason(
    imported, case, old, new, anchor, expected
):
    plan = edited(old, new)
    before = await counts(imported.pool("indicators"))
    err = await rejected(
        create_cycle(imported.admin, plan.encode()), grpc.StatusCode.INVALID_ARGUMENT
    )
    assert err.details().startswith("cycle plan cycle.yaml was rejected: 1 problem")
    assert f"cycle.yaml:{line_of(plan, anchor)}: {expected}" in err.details()
    assert await counts(imported.pool("indicators")) == before


async def test_plan_naming_a_special_assessment_not_imported_is_a_failed_precondition(imported):
    plan = edited("  clean-governance: 12", "  clean-governance: 6\n  road-safety: 6")
    before = await counts(imported.pool("indicators"))
    err = await rejected(
        create_cycle(imported.admin, plan.encode()), grpc.StatusCode.FAILED_PRECONDITION
    )
    assert (
        err.details()
        == "special_assessments: not imported yet: road-safety (oneassess catalog import)"
    )
    assert error_reason(err) == "SPECIAL_ASSESSMENT_MISSING"
    assert await counts(imported.pool("indicators")) == before


async def test_plan_with_a_tolerance_path_but_no_tolerance_file_is_rejected(imported):
    before = await counts(imported.pool("indicators"))
    err = await rejected(
        imported.admin.indicators.CreateCycle(
            pb.CreateCycleRequest(plan=source("cycle.yaml", PLAN))
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert (
        "cycle.yaml:28: tolerance: names 'tolerance.yaml' but no tolerance file was given"
        in err.details()
    )
    assert await counts(imported.pool("indicators")) == before


@pytest.mark.parametrize("role", [Role.ASSESSOR, Role.AUDITOR, Role.UNIT])
async def test_only_admin_creates_and_folds_cycles(imported, role):
    clients = imported.as_(role, unit="baiquan-town", department="emergency-bureau")
    before = await counts(imported.pool("indicators"))
    err = await rejected(create_cycle(clients), grpc.StatusCode.PERMISSION_DENIED)
    assert err.details() == f"role '{role.value}' may not call CreateCycle"
    err = await rejected(
        clients.indicators.FoldCycle(pb.FoldCycleRequest(cycle_code="haizhou-2026")),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    assert err.details() == f"role '{role.value}' may not call FoldCycle"
    assert await counts(imported.pool("indicators")) == before


# -- the fold -------------------------------------------------------------------------------------


async def test_burden_report_of_the_sample_city(services_stack):
    cycle = await sample_folded(services_stack.admin)
    assert cycle.state == pb.CYCLE_STATE_FOLDED
    report = (
        await services_stack.as_(Role.AUDITOR).indicators.GetBurdenReport(
            pb.GetBurdenReportRequest(cycle_code=cycle.code)
        )
    ).report
    by_kind = {
        k.kind: (k.units, k.asks_before, k.asks_after, k.reduction_percent) for k in report.by_kind
    }
    assert by_kind == {"township": (12, 51, 21, 58.8), "department": (12, 53, 23, 56.6)}
    per_unit = {u.unit_code: (u.kind, u.asks_before, u.asks_after) for u in report.units}
    assert len(per_unit) == 24
    assert per_unit["baiquan-town"] == ("township", 51, 21)
    assert per_unit["finance"] == ("department", 53, 23)
    reach = {(a.kind, a.evidence_key): (a.indicators, a.special_assessments) for a in report.asks}
    # annual-work-summary folds security- and ecology-work-summary: 10 indicators in 8 files
    # for a department.
    assert reach[("department", "annual-work-summary")] == (10, 8)
    assert sum(1 for kind, _ in reach if kind == "township") == 21


async def test_folded_cycle_records_versions_and_canonical_keys(services_stack):
    cycle = await sample_folded(services_stack.admin)
    assert sorted((v.code, v.version) for v in cycle.folded_versions) == sorted(
        (p.stem, 1) for p in SPECIAL_ASSESSMENTS
    )
    assert len(cycle.catalogue_sha256) == 64
    catalogue = (
        await services_stack.admin.indicators.GetCatalogue(
            pb.GetCatalogueRequest(cycle_code=cycle.code)
        )
    ).catalogue
    mapping = {m.key: m.canonical_key for m in catalogue.key_mappings}
    assert mapping["clean-gov-meeting-minutes"] == "leadership-meeting-minutes"
    assert mapping["env-problem-rectification-ledger"] == "rectification-ledger"
    assert mapping["annual-work-plan"] == "annual-work-plan"
    assert catalogue.sha256 == cycle.catalogue_sha256
    assert {k.kind for k in catalogue.asks_by_kind} == {"township", "department"}
    assert len(catalogue.units) == 24


async def test_folded_cycle_never_changes(services_stack):
    admin = services_stack.admin.indicators
    cycle = await sample_folded(services_stack.admin)
    catalogue = (await admin.GetCatalogue(pb.GetCatalogueRequest(cycle_code=cycle.code))).catalogue

    # Later imports: a new version of a folded file, and a changed unit list.
    path = EXAMPLE / "special-assessments" / "work-safety.yaml"
    changed = path.read_text().replace("    target: 0.98", "    target: 0.9", 1)
    newer = await admin.ImportSpecialAssessment(
        pb.ImportSpecialAssessmentRequest(file=source(path.name, changed))
    )
    assert newer.special_assessment.version == 2
    units = (
        (EXAMPLE / "units.yaml")
        .read_text()
        .replace("kind: township, group: island", "kind: department, group: island")
    )
    await admin.ImportUnits(pb.ImportUnitsRequest(file=source("units.yaml", units)))

    before = await counts(services_stack.pool("indicators"))
    err = await rejected(
        admin.FoldCycle(pb.FoldCycleRequest(cycle_code=cycle.code)),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert (
        err.details()
        == "cycle_code: cycle 'haizhou-2026' is already folded; its catalogue is frozen"
    )
    assert await counts(services_stack.pool("indicators")) == before

    again = (await admin.GetCatalogue(pb.GetCatalogueRequest(cycle_code=cycle.code))).catalogue
    assert again == catalogue
    assert (
        dict(
            (v.code, v.version)
            for v in (
                await admin.GetCycle(pb.GetCycleRequest(cycle_code=cycle.code))
            ).cycle.folded_versions
        )["work-safety"]
        == 1
    )

    # A fresh service process reads the same frozen catalogue from the database, not from a cache.
    from services.indicators import repository as repo

    stored = await repo.get_cycle(services_stack.pool("indicators"), code=cycle.code)
    assert stored.catalogue_sha256 == cycle.catalogue_sha256
    assert len(stored.catalogue["catalogue"]["units"]) == 24
    assert (
        next(u for u in stored.catalogue["catalogue"]["units"] if u["code"] == "daishan-island")[
            "kind"
        ]
        == "township"
    )


async def test_same_inputs_in_another_import_order_fold_to_the_same_catalogue(
    services_stack, postgres_base_url, tmp_path_factory
):
    first = await sample_folded(services_stack.admin)
    first_catalogue = (
        await services_stack.admin.indicators.GetCatalogue(
            pb.GetCatalogueRequest(cycle_code=first.code)
        )
    ).catalogue

    shuffled = list(SPECIAL_ASSESSMENTS)
    random.Random(7).shuffle(shuffled)
    assert shuffled != SPECIAL_ASSESSMENTS
    lines = (EXAMPLE / "units.yaml").read_text().splitlines()
    head, unit_lines = (
        [line for line in lines if not line.startswith("  - ")],
        [line for line in lines if line.startswith("  - ")],
    )
    reversed_units = "\n".join(head + unit_lines[::-1]) + "\n"
    async with indicators_stack(postgres_base_url, tmp_path_factory.mktemp("home")) as other:
        await import_sample(other.admin, shuffled)
        await other.admin.indicators.ImportUnits(
            pb.ImportUnitsRequest(file=source("units.yaml", reversed_units))
        )
        second = (
            await other.admin.indicators.FoldCycle(
                pb.FoldCycleRequest(cycle_code=(await create_cycle(other.admin)).code)
            )
        ).cycle
        second_catalogue = (
            await other.admin.indicators.GetCatalogue(
                pb.GetCatalogueRequest(cycle_code=second.code)
            )
        ).catalogue
        second_burden = (
            await other.admin.indicators.GetBurdenReport(
                pb.GetBurdenReportRequest(cycle_code=second.code)
            )
        ).report
    assert second.catalogue_sha256 == first.catalogue_sha256
    assert second_catalogue == first_catalogue
    first_burden = (
        await services_stack.admin.indicators.GetBurdenReport(
            pb.GetBurdenReportRequest(cycle_code=first.code)
        )
    ).report
    assert second_burden == first_burden


async def test_fold_rejects_a_unit_kind_no_special_assessment_applies_to(services_stack):
    admin = services_stack.admin
    await import_units(admin)
    await import_sample(admin)
    await admin.indicators.ImportUnits(
        pb.ImportUnitsRequest(
            file=source(
                "extra.yaml",
                "units:\n  - {code: port-group, name: 港务集团, kind: enterprise, group: soe}\n",
            )
        )
    )
    cycle = await create_cycle(admin)
    before = await counts(services_stack.pool("indicators"))
    err = await rejected(
        admin.indicators.FoldCycle(pb.FoldCycleRequest(cycle_code=cycle.code)),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert (
        "units.kind: unit kind 'enterprise' (port-group) is not one any folded special "
        "assessment applies to" in err.details()
    )
    assert await counts(services_stack.pool("indicators")) == before


async def test_fold_without_units_is_a_failed_precondition(services_stack):
    await import_sample(services_stack.admin)
    cycle = await create_cycle(services_stack.admin)
    err = await rejected(
        services_stack.admin.indicators.FoldCycle(pb.FoldCycleRequest(cycle_code=cycle.code)),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert err.details() == "units: no units imported (oneassess units import)"


async def test_catalogue_of_a_cycle_not_folded_is_a_failed_precondition(imported):
    err = await rejected(
        imported.admin.indicators.GetCatalogue(pb.GetCatalogueRequest(cycle_code="nope")),
        grpc.StatusCode.NOT_FOUND,
    )
    assert err.details() == "cycle_code: no cycle 'nope'"


# -- asks -----------------------------------------------------------------------------------------


async def test_unit_sees_only_its_own_asks_and_auditor_reads_everything(services_stack):
    cycle = await sample_folded(services_stack.admin)
    baiquan = services_stack.as_(Role.UNIT, unit="baiquan-town")
    own = await baiquan.indicators.ListAsks(
        pb.ListAsksRequest(cycle_code=cycle.code, unit_code="baiquan-town")
    )
    assert own.total_size == 21 and len(own.asks) == 21
    err = await rejected(
        baiquan.indicators.ListAsks(pb.ListAsksRequest(cycle_code=cycle.code, unit_code="finance")),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    assert err.details() == "unit_code: unit 'baiquan-town' may not act for unit 'finance'"

    catalogue = (
        await baiquan.indicators.GetCatalogue(pb.GetCatalogueRequest(cycle_code=cycle.code))
    ).catalogue
    assert [u.code for u in catalogue.units] == ["baiquan-town"]
    assert [k.kind for k in catalogue.asks_by_kind] == ["township"]
    report = (
        await baiquan.indicators.GetBurdenReport(pb.GetBurdenReportRequest(cycle_code=cycle.code))
    ).report
    assert [u.unit_code for u in report.units] == ["baiquan-town"]

    auditor = services_stack.as_(Role.AUDITOR)
    finance = await auditor.indicators.ListAsks(
        pb.ListAsksRequest(cycle_code=cycle.code, unit_code="finance")
    )
    assert finance.total_size == 23
    assert (
        len(
            (
                await auditor.indicators.GetCatalogue(pb.GetCatalogueRequest(cycle_code=cycle.code))
            ).catalogue.units
        )
        == 24
    )


async def test_asks_page_and_each_ask_lists_every_indicator_it_serves(services_stack):
    cycle = await sample_folded(services_stack.admin)
    clients = services_stack.as_(Role.UNIT, unit="finance")
    asks, token = [], ""
    while True:
        page = await clients.indicators.ListAsks(
            pb.ListAsksRequest(
                cycle_code=cycle.code, unit_code="finance", page_size=5, page_token=token
            )
        )
        assert len(page.asks) <= 5 and page.total_size == 23
        asks += page.asks
        token = page.next_page_token
        if not token:
            break
    assert [a.evidence_key for a in asks] == sorted(a.evidence_key for a in asks)
    assert len(asks) == 23
    minutes = next(a for a in asks if a.evidence_key == "leadership-meeting-minutes")
    assert set(minutes.aliases) == {
        "leadership-meeting-minutes",
        "party-committee-minutes",
        "clean-gov-meeting-minutes",
    }
    assert {r.special_assessment_code for r in minutes.serves} >= {
        "work-safety",
        "party-building",
        "clean-governance",
    }
    # Its name comes from the first file, by code, that declares the canonical key itself.
    from services.indicators.formats import read_special_assessment

    first = next(
        e.name
        for path in SPECIAL_ASSESSMENTS
        for e in read_special_assessment(path.name, path.read_bytes()).evidence
        if e.key == "leadership-meeting-minutes"
    )
    assert minutes.name == first

    err = await rejected(
        clients.indicators.ListAsks(
            pb.ListAsksRequest(cycle_code=cycle.code, unit_code="finance", page_token="garbage")
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert err.details() == "page_token: is not a token this service issued"


async def test_asks_of_a_unit_not_in_the_cycle_are_not_found(services_stack):
    cycle = await sample_folded(services_stack.admin)
    err = await rejected(
        services_stack.admin.indicators.ListAsks(
            pb.ListAsksRequest(cycle_code=cycle.code, unit_code="atlantis")
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    assert err.details() == "unit_code: unit 'atlantis' is not assessed in cycle 'haizhou-2026'"


async def test_units_imported_after_the_fold_are_not_in_the_cycle(services_stack):
    cycle = await sample_folded(services_stack.admin)
    await services_stack.admin.indicators.ImportUnits(
        pb.ImportUnitsRequest(
            file=source(
                "late.yaml",
                "units:\n  - {code: new-town, name: 新城镇, kind: township, group: town}\n",
            )
        )
    )
    await rejected(
        services_stack.admin.indicators.ListAsks(
            pb.ListAsksRequest(cycle_code=cycle.code, unit_code="new-town")
        ),
        grpc.StatusCode.NOT_FOUND,
    )

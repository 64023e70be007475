"""`oneassess demo` (`make demo`): the sample city's whole year on the local stack, with its
calendar compressed into a few minutes, every step through the real services and Temporal.

The office imports and folds, the cycle workflow runs the calendar, units submit (most on
time, some late, one never), reminders and the escalation ladder fire, one unit gets an
extension, assessors import reviews, a tolerance claim is approved, an appeal adjusts a
score, results are published. Then it prints the summary and writes results.json and
report.html.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console

from demo import evidence
from demo.actors import Actors
from demo.script import (
    EARLY,
    EXTENDED,
    NEVER,
    STEADY,
    DemoScript,
    make_script,
    review_for,
)
from demo.summary import print_summary, write_outputs
from localstack import stack
from localstack.status import status as stack_status
from oneassess.client import cycles, results, retry, uploads
from oneassess.config import Settings
from oneassess.indicators.v1 import cycle_control_service_pb2 as cc
from oneassess.indicators.v1 import indicators_service_pb2 as ind
from oneassess.scoring.v1 import scoring_service_pb2 as sc
from oneassess.submissions.v1 import submissions_service_pb2 as sub


@dataclass
class DemoOptions:
    example: Path
    out: Path
    span_seconds: float = 180.0
    keep: bool = False
    seed: int = 2026
    cycle_code: str = ""  # default: the plan's code + "-demo", numbered when that cycle exists


class Demo:
    def __init__(self, settings: Settings, options: DemoOptions, console: Console) -> None:
        self.settings = settings
        self.options = options
        self.say = console.print
        self.console = console
        self.actors = Actors(settings)
        self.cycle_code = ""
        self.asks: dict[str, list[ind.Ask]] = {}
        self.catalogue: ind.Catalogue | None = None
        self.script: DemoScript | None = None
        self.uploads = 0

    # -- the year, step by step -------------------------------------------------------------

    async def run(self) -> dict:
        await self.prepare_catalogue()
        office = self.actors.admin
        await office.cycles.StartCycle(
            cc.StartCycleRequest(
                request_id=_rid(),
                cycle_code=self.cycle_code,
                span_seconds=self.options.span_seconds,
            )
        )
        status = await cycles.wait_for_phase(office, self.cycle_code, "folded")
        self.say(f"[bold]cycle workflow[/] cycle/{self.cycle_code} started; calendar compressed:")
        for name in cycles.MILESTONES:
            self.say(f"  {name:<18} {getattr(status.calendar, name)}")
        calendar = status.calendar
        opens, due = _at(calendar.opens), _at(calendar.evidence_due)
        first_reminder = due - (due - opens) * self.first_reminder_share
        await _sleep_until(opens)
        await cycles.wait_for_phase(office, self.cycle_code, "collecting")

        self.say("[bold]collecting[/]: units submit their evidence")
        await self.submit_wave("opening")
        await self.request_and_grant_extension()
        await _sleep_until(first_reminder + timedelta(seconds=1.0))
        await self.submit_wave("after first reminder")
        await self.file_claim()
        await _sleep_until(due + timedelta(seconds=1.0))
        await self.submit_wave("after the deadline")

        await cycles.wait_for_phase(office, self.cycle_code, "reviewing")
        self.say("[bold]reviewing[/]: assessors import their review sheets")
        await self.import_reviews()
        await self.decide_claim()

        await cycles.wait_for_phase(office, self.cycle_code, "published")
        self.say("[bold]published[/]: the appeal window is open")
        await self.appeal()
        self.say("waiting for the appeal window to close and the cycle to finish ...")
        await cycles.wait_for_phase(
            office, self.cycle_code, "closed", within_seconds=self.options.span_seconds + 240
        )

        document = await results.collect(self.actors.auditor, self.cycle_code)
        document["burden"]["cycle"] = self.cycle_code
        document["web_ui"] = stack.endpoints(self.settings).get("web_ui", "")
        document["demo"] = {
            "uploads": self.uploads,
            "behaviours": {p.unit: p.behaviour for p in self.script.units},
            "veto_unit": self.script.veto_unit,
            "claim_unit": self.script.claim_unit,
            "appeal_unit": self.script.appeal_unit,
        }
        return document

    async def prepare_catalogue(self) -> None:
        admin = self.actors.admin.indicators
        example = self.options.example
        for path in sorted((example / "special-assessments").glob("*.yaml")):
            response = await admin.ImportSpecialAssessment(
                ind.ImportSpecialAssessmentRequest(request_id=_rid(), file=_source(path))
            )
            sa = response.special_assessment
            self.say(
                f"imported special assessment {sa.code} v{sa.version} ({len(sa.indicators)} "
                "indicators)"
            )
        await admin.ImportUnits(
            ind.ImportUnitsRequest(request_id=_rid(), file=_source(example / "units.yaml"))
        )
        plan_text = (example / "cycle.yaml").read_text(encoding="utf-8")
        # Its own cycle code, so the README's walkthroughs can still create the plan's own.
        self.cycle_code = await self._free_cycle_code(
            self.options.cycle_code or f"{_plan_code(plan_text)}-demo"
        )
        plan_text = re.sub(r"(?m)^code:.*$", f"code: {self.cycle_code}", plan_text, count=1)
        tolerance = example / "tolerance.yaml"
        cycle = (
            await admin.CreateCycle(
                ind.CreateCycleRequest(
                    request_id=_rid(),
                    plan=ind.SourceFile(name="cycle.yaml", content=plan_text.encode()),
                    tolerance=_source(tolerance) if tolerance.exists() else None,
                )
            )
        ).cycle
        await admin.FoldCycle(ind.FoldCycleRequest(request_id=_rid(), cycle_code=self.cycle_code))
        self.say(f"[bold]cycle {self.cycle_code}[/] created and folded")
        self.catalogue = (
            await admin.GetCatalogue(ind.GetCatalogueRequest(cycle_code=self.cycle_code))
        ).catalogue
        span = (
            cycle.calendar.evidence_due.ToDatetime() - cycle.calendar.opens.ToDatetime()
        ).total_seconds()
        first = max((d.seconds for d in cycle.reminders.before), default=0)
        self.first_reminder_share = first / span if span else 0.0
        units = [(u.code, u.kind, u.group) for u in self.catalogue.units]
        self.script = make_script(units, self.options.seed)
        by_kind = {k.kind: list(k.asks) for k in self.catalogue.asks_by_kind}
        self.asks = {u.code: by_kind.get(u.kind, []) for u in self.catalogue.units}
        burden = (
            await admin.GetBurdenReport(ind.GetBurdenReportRequest(cycle_code=self.cycle_code))
        ).report
        for k in burden.by_kind:
            self.say(
                f"  {k.kind}: {k.asks_before} asks before folding -> {k.asks_after} after "
                f"({k.reduction_percent:.1f}% fewer)"
            )

    async def _free_cycle_code(self, wanted: str) -> str:
        import grpc

        code, n = wanted, 1
        while True:
            try:
                await self.actors.admin.indicators.GetCycle(ind.GetCycleRequest(cycle_code=code))
            except grpc.aio.AioRpcError as err:
                if err.code() == grpc.StatusCode.NOT_FOUND:
                    return code
                raise
            n += 1
            code = f"{wanted}-run{n}"

    def _wave(self, unit: str, wave: str) -> list[ind.Ask]:
        plan = self.script.plan_of(unit)
        asks = self.asks[unit]
        half = len(asks) // 2
        keep_back = self.script.late_keys
        if plan.behaviour == NEVER:
            return []
        if plan.behaviour == EARLY:
            return asks if wave == "opening" else []
        if plan.behaviour == STEADY:
            return (
                asks[:half]
                if wave == "opening"
                else asks[half:]
                if wave == "after first reminder"
                else []
            )
        # LATE and EXTENDED: most on time, the last few after the deadline.
        if wave == "opening":
            return asks[:half]
        if wave == "after first reminder":
            return asks[half:-keep_back]
        return asks[-keep_back:]

    async def submit_wave(self, wave: str) -> None:
        jobs = [
            self._upload(unit, ask) for unit in sorted(self.asks) for ask in self._wave(unit, wave)
        ]
        started = time.monotonic()
        for batch in range(0, len(jobs), 32):
            await asyncio.gather(*jobs[batch : batch + 32])
        self.say(f"  {wave}: {len(jobs)} uploads in {time.monotonic() - started:.1f}s")

    async def _upload(self, unit: str, ask: ind.Ask) -> None:
        fmt = ask.formats[0] if ask.formats else "pdf"
        data = evidence.sample(fmt, f"{unit} {ask.evidence_key}")
        folder = self.options.out / "evidence" / unit
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{ask.evidence_key}.{fmt}"
        (folder / name).write_bytes(data)
        header = sub.UploadHeader(
            request_id=f"demo/{self.cycle_code}/{unit}/{ask.evidence_key}",
            cycle_code=self.cycle_code,
            unit_code=unit,
            evidence_key=ask.evidence_key,
            file_name=name,
            declared_format=fmt,
            size_bytes=len(data),
        )
        await uploads.upload(self.actors.unit(unit).submissions, header, data)
        self.uploads += 1

    async def request_and_grant_extension(self) -> None:
        unit = self.script.by_behaviour(EXTENDED)[0]
        request = sub.RequestExtensionRequest(
            request_id=_rid(),
            cycle_code=self.cycle_code,
            unit_code=unit,
            days=self.script.extension_days,
            reason="台风影响，档案室搬迁 (typhoon: records room moved)",
        )
        submissions = self.actors.unit(unit).submissions
        response = await retry.call(lambda: submissions.RequestExtension(request))
        self.say(
            f"  {unit} asked for {self.script.extension_days} more days (request "
            f"{response.extension_id})"
        )
        record = (
            await cycles.decide_extension(
                self.actors.admin, self.cycle_code, unit_code=unit, approve=True, wait_seconds=60
            )
        ).extension
        self.say(f"  the office approved it: {unit}'s deadline is now {record.deadline}")

    def _indicator(self, sa: str, code: str) -> ind.CatalogueIndicator:
        return next(
            i
            for i in self.catalogue.indicators
            if i.special_assessment_code == sa and i.indicator.code == code
        )

    def _owner(self, sa: str) -> str:
        return next(s.owner for s in self.catalogue.special_assessments if s.code == sa)

    def _applicable(self, unit: str) -> list[ind.CatalogueIndicator]:
        kind = next(u.kind for u in self.catalogue.units if u.code == unit)
        return [i for i in self.catalogue.indicators if kind in i.applies_to]

    async def file_claim(self) -> None:
        unit = self.script.claim_unit
        late_keys = {a.evidence_key for a in self.asks[unit][-self.script.late_keys :]}
        deductions = [
            i
            for i in self._applicable(unit)
            if i.indicator.method == ind.SCORING_METHOD_DEDUCTION
            and set(i.canonical_evidence) & late_keys
        ] or [
            i for i in self._applicable(unit) if i.indicator.method == ind.SCORING_METHOD_DEDUCTION
        ]
        target = deductions[0]
        self.script.claim_indicators = [(target.special_assessment_code, target.indicator.code)]
        response = await self.actors.unit(unit).scoring.FileClaim(
            sc.FileClaimRequest(
                request_id=_rid(),
                cycle_code=self.cycle_code,
                unit_code=unit,
                category="T02",
                description="台风期间停电导致台账延迟归档 (typhoon power cut delayed the ledger)",
                indicators=[
                    ind.IndicatorRef(
                        special_assessment_code=target.special_assessment_code,
                        indicator_code=target.indicator.code,
                    )
                ],
            )
        )
        self.claim_id = response.claim.claim_id
        self.say(
            f"  {unit} filed tolerance claim {self.claim_id} (T02) on "
            f"{target.special_assessment_code}/{target.indicator.code}"
        )

    async def import_reviews(self) -> None:
        twins = {p.unit: p.twin_of for p in self.script.units if p.twin_of}
        for sa in self.catalogue.special_assessments:
            owner = self._owner(sa.code)
            assessor = self.actors.assessor(owner).scoring
            template = await assessor.ExportReviewTemplate(
                sc.ExportReviewTemplateRequest(
                    cycle_code=self.cycle_code, special_assessment_code=sa.code, format="csv"
                )
            )
            sheet = self._fill_sheet(template.content.decode("utf-8-sig"), twins)
            response = await assessor.ImportReviews(
                sc.ImportReviewsRequest(
                    request_id=_rid(),
                    cycle_code=self.cycle_code,
                    file=sc.ReviewFile(
                        name=f"{sa.code}-reviews.csv", content=sheet.encode("utf-8")
                    ),
                )
            )
            self.say(f"  {owner} imported {response.recorded} reviews for {sa.code}")

    def _fill_sheet(self, template: str, twins: dict[str, str]) -> str:
        rows = list(csv.DictReader(io.StringIO(template)))
        columns = list(rows[0].keys()) if rows else []
        for row in rows:
            sa, code = row["special_assessment_code"], row["indicator_code"]
            definition = self._indicator(sa, code).indicator
            method = (
                ind.ScoringMethod.Name(definition.method).removeprefix("SCORING_METHOD_").lower()
            )
            unit = twins.get(row["unit_code"], row["unit_code"])
            value = review_for(
                method,
                unit,
                f"{sa}/{code}",
                items=definition.items if definition.HasField("items") else None,
                grades=sorted(definition.grades, key=lambda g: -definition.grades[g]),
                seed=self.options.seed,
            )
            if (row["unit_code"], method) == (
                self.script.veto_unit,
                "veto",
            ) and not self.script.veto_indicator[0]:
                self.script.veto_indicator = (sa, code)
                value = type(value)(failed=True)
            for name in ("value", "grade", "items_met", "occurrences", "claimed", "failed"):
                got = getattr(value, name)
                if got is not None:
                    row[name] = str(got).lower() if isinstance(got, bool) else str(got)
            row["comment"] = "demo review"
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()

    async def decide_claim(self) -> None:
        sa, _ = self.script.claim_indicators[0]
        owner = self._owner(sa)
        await self.actors.assessor(owner).scoring.DecideClaim(
            sc.DecideClaimRequest(
                request_id=_rid(),
                cycle_code=self.cycle_code,
                claim_id=self.claim_id,
                decision=sc.DECISION_APPROVE,
                reason="停电有供电公司证明，属不可抗力 (power company confirms the outage)",
            )
        )
        self.say(f"  {owner} approved claim {self.claim_id}")

    async def appeal(self) -> None:
        unit = self.script.appeal_unit
        card = (
            await self.actors.unit(unit).scoring.GetScorecard(
                sc.GetScorecardRequest(cycle_code=self.cycle_code, unit_code=unit)
            )
        ).scorecard
        graded = {
            (i.special_assessment_code, i.indicator.code): i.indicator
            for i in self._applicable(unit)
            if i.indicator.method == ind.SCORING_METHOD_GRADE
        }
        target = next(
            (
                s
                for s in card.indicators
                if (s.special_assessment_code, s.indicator_code) in graded and s.score != s.points
            ),
            None,
        )
        if target is None:
            self.say(f"  {unit} has nothing to appeal")
            return
        self.script.appeal_indicator = (target.special_assessment_code, target.indicator_code)
        ref = ind.IndicatorRef(
            special_assessment_code=target.special_assessment_code,
            indicator_code=target.indicator_code,
        )
        filed = await self.actors.unit(unit).scoring.FileAppeal(
            sc.FileAppealRequest(
                request_id=_rid(),
                cycle_code=self.cycle_code,
                unit_code=unit,
                indicator=ref,
                reason="培训记录漏报了第四季度的两期培训 (two Q4 trainings were left out)",
            )
        )
        best = max(
            graded[(ref.special_assessment_code, ref.indicator_code)].grades.items(),
            key=lambda kv: kv[1],
        )[0]
        owner = self._owner(ref.special_assessment_code)
        await self.actors.assessor(owner).scoring.DecideAppeal(
            sc.DecideAppealRequest(
                request_id=_rid(),
                cycle_code=self.cycle_code,
                appeal_id=filed.appeal.appeal_id,
                decision=sc.APPEAL_DECISION_ADJUST,
                reason="补充材料核实无误 (the added records check out)",
                adjustment=sc.ReviewInput(grade=best),
            )
        )
        self.say(
            f"  {unit} appealed {ref.special_assessment_code}/{ref.indicator_code} "
            f"({target.score} of {target.points}); "
            f"{owner} adjusted it to grade {best}"
        )


# -- helpers ---------------------------------------------------------------------------------


def _rid() -> str:
    import uuid

    return str(uuid.uuid4())


def _source(path: Path) -> ind.SourceFile:
    return ind.SourceFile(name=path.name, content=path.read_bytes())


def _plan_code(plan_text: str) -> str:
    match = re.search(r"(?m)^code:\s*(\S+)", plan_text)
    return match.group(1).strip("'\"") if match else "demo"


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


async def _sleep_until(moment: datetime) -> None:
    delay = (moment - datetime.now(UTC)).total_seconds()
    if delay > 0:
        await asyncio.sleep(delay)


async def run_demo(settings: Settings, options: DemoOptions, console: Console) -> dict:
    """Start the stack if it is not running, play the year, write the outputs, stop what we
    started."""
    started = not any(
        row["pid"] for row in await stack_status(settings) if row["name"] != "postgres"
    )
    if started:
        console.print(
            "[bold]starting the local stack[/] (PostgreSQL, Temporal, 3 services, worker)"
        )
        await stack.up(settings, progress=console.print)
    demo = Demo(settings, options, console)
    try:
        document = await demo.run()
        results_path, report_path = write_outputs(options.out, document)
        print_summary(console, document)
        console.print(f"wrote {results_path} and {report_path}")
        portal = stack.endpoints(settings)["portal"]
        console.print(f"portal (browse the cycle in Chinese): {portal}")
        return document
    finally:
        await demo.actors.close()
        if started and not options.keep:
            console.print("stopping the local stack (make demo KEEP=1 leaves it up)")
            stack.down(settings, progress=lambda *_: None)

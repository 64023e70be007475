"""ScoringService RPC handlers: proto <-> domain, authorisation by scope, transactions.

The rules live in rules.py (pure); validation in reviews.py, claims.py, appeals.py and
imports.py; SQL in repository.py; peers (catalogue, submission times) in peers.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from oneassess.scoring.v1 import scoring_service_pb2 as pb
from oneassess.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from services.common import audit, idempotency
from services.common.auth import READERS, Principal, Role, principal
from services.common.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Violation,
)
from services.common.paging import decode_token, encode_token, page_size
from services.common.server import Runtime
from services.scoring import repository as repo
from services.scoring.appeals import Window, check_open
from services.scoring.claims import check_reason, decidable, validate_filing
from services.scoring.convert import (
    APPEAL_STATE_NAMES,
    STATE_NAMES,
    CycleContext,
    appeal_pb,
    claim_pb,
    explanation_pb,
    indicator_ref,
    review_input_dict,
    review_pb,
    rules_from_json,
    rules_to_json,
    run_pb,
    unit_score_pb,
)
from services.scoring.explain import (
    composite_step,
    indicator_steps,
    ranking_step,
    special_assessment_step,
)
from services.scoring.imports import read_sheet, template_rows, validate_rows, write_template
from services.scoring.peers import Peers
from services.scoring.reviews import check_comment, judge, parse_judgement
from services.scoring.rules import (
    E4,
    Adjustment,
    IndicatorKey,
    IndicatorRule,
    Inputs,
    Results,
    UnitRef,
    compute,
    decimal_text,
    format_e4,
    inputs_digest,
    parse_fraction,
    rank_units,
    round_half_up,
    rounded,
    tier_cutoffs,
)

OFFICE = frozenset({Role.ADMIN, Role.SERVICE})
POLICY = {
    "RecordReview": frozenset({Role.ASSESSOR}),
    "ImportReviews": frozenset({Role.ASSESSOR}),
    "ExportReviewTemplate": frozenset({Role.ASSESSOR, Role.ADMIN}),
    "ListReviews": frozenset({Role.ASSESSOR, Role.ADMIN, Role.AUDITOR, Role.SERVICE}),
    "ComputeScores": OFFICE,
    "PublishScores": OFFICE,
    "FinalizeScores": OFFICE,
    "ListMissingReviews": frozenset({Role.ADMIN, Role.SERVICE, Role.AUDITOR, Role.ASSESSOR}),
    "ListScores": READERS,
    "GetScorecard": READERS,
    "FileClaim": frozenset({Role.UNIT}),
    "DecideClaim": frozenset({Role.ASSESSOR}),
    "ListClaims": READERS,
    "FileAppeal": frozenset({Role.UNIT}),
    "DecideAppeal": frozenset({Role.ASSESSOR}),
    "ListAppeals": READERS,
    "PreviewWeights": frozenset({Role.ADMIN, Role.AUDITOR}),
    "VerifyScores": frozenset({Role.ADMIN, Role.AUDITOR, Role.SERVICE}),
}
MAX_MISSING_EXAMPLES = 50
MAX_DIFFERENCES = 20


def _now() -> datetime:
    return datetime.now(UTC)


def _key_text(cycle: str, unit: str, key: IndicatorKey) -> str:
    return f"{cycle}/{unit}/{key[0]}/{key[1]}"


def _published(cycle_code: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"cycle_code: the scores of cycle {cycle_code!r} are published; changes now go through appeals",
        "SCORES_PUBLISHED",
        metadata={"field": "cycle_code"},
    )


async def _guard_unpublished(conn, cycle_code: str) -> None:
    latest = await repo.latest_run(conn, cycle_code=cycle_code)
    if latest is not None and latest.published:
        raise _published(cycle_code)


def _compute_with_digests(inputs: Inputs) -> tuple[Results, str, str]:
    results = compute(inputs)
    return results, inputs_digest(inputs), results.digest()


class ScoringServicer(pb_grpc.ScoringServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.pool = runtime.pool
        self.peers = Peers(runtime.peers)

    # -- lookups -------------------------------------------------------------------------------

    def _unit(self, ctx: CycleContext, code: str, field: str = "unit_code") -> UnitRef:
        unit = ctx.catalogue.unit(code)
        if unit is None:
            raise NotFound(
                f"{field}: unit {code!r} is not assessed in cycle {ctx.catalogue.cycle_code!r}",
                "UNIT_NOT_IN_CYCLE",
                metadata={"field": field},
            )
        return unit

    def _rule(
        self, ctx: CycleContext, key: IndicatorKey, unit: UnitRef, field: str = "indicator_code"
    ) -> IndicatorRule:
        sa = ctx.catalogue.special_assessment(key[0])
        if sa is None:
            raise NotFound(
                f"special_assessment_code: no special assessment {key[0]!r} in cycle {ctx.catalogue.cycle_code!r}",
                "SPECIAL_ASSESSMENT_NOT_FOUND",
                metadata={"field": "special_assessment_code"},
            )
        rule = ctx.catalogue.indicator(key)
        if rule is None:
            raise NotFound(
                f"{field}: no indicator {key[1]!r} in special assessment {key[0]!r}",
                "INDICATOR_NOT_FOUND",
                metadata={"field": field},
            )
        if unit.kind not in rule.applies_to:
            raise InvalidArgument.field(
                field, f"{key[0]}/{key[1]} does not apply to {unit.kind} units like {unit.code}"
            )
        return rule

    def _owner(self, ctx: CycleContext, sa_code: str) -> str:
        return ctx.catalogue.special_assessment(sa_code).owner

    def _own_special_assessments(self, ctx: CycleContext, caller: Principal) -> list[str] | None:
        """The special assessments an assessor may see (None: every one)."""
        if caller.role is not Role.ASSESSOR:
            return None
        return [s.code for s in ctx.catalogue.special_assessments if s.owner == caller.department]

    # -- reviews -------------------------------------------------------------------------------

    async def RecordReview(self, request, context):
        ctx = await self.peers.cycle(request.cycle_code)
        caller = principal()
        key = (request.special_assessment_code.strip(), request.indicator_code.strip())
        unit = self._unit(ctx, request.unit_code)
        rule = self._rule(ctx, key, unit)
        caller.require_department(self._owner(ctx, key[0]), "special_assessment_code")
        judged = judge(rule, review_input_dict(request.input))
        comment = check_comment(request.comment)

        async def work(conn):
            await repo.lock_cycle(conn, request.cycle_code)
            await _guard_unpublished(conn, request.cycle_code)
            latest = await repo.latest_review_of(
                conn, cycle_code=request.cycle_code, unit=unit.code, key=key
            )
            row = await repo.insert_review(
                conn,
                cycle_code=request.cycle_code,
                review=repo.NewReview(
                    unit.code,
                    key,
                    (latest.revision + 1) if latest else 1,
                    rule.method,
                    judged.shown,
                    judged.text,
                    comment,
                ),
                reviewed_by=caller.subject,
                source="rpc",
            )
            await audit.append(
                conn,
                actor=caller.subject,
                action="review.recorded",
                subject=_key_text(request.cycle_code, unit.code, key),
                payload={"revision": row.revision, "input": judged.shown, "comment": comment},
            )
            return pb.RecordReviewResponse(review=review_pb(row))

        return await idempotency.run_once(
            self.pool,
            method="RecordReview",
            request_id=request.request_id,
            fingerprint=idempotency.request_fingerprint(request),
            response_type=pb.RecordReviewResponse,
            work=work,
        )

    async def ImportReviews(self, request, context):
        ctx = await self.peers.cycle(request.cycle_code)
        caller = principal()
        name = request.file.name or "reviews.csv"
        rows = read_sheet(name, request.file.content)

        def may_review(owner: str) -> bool:
            return caller.role is not Role.ASSESSOR or caller.department == owner

        valid, blank = validate_rows(name, rows, ctx.catalogue, may_review)

        async def work(conn):
            await repo.lock_cycle(conn, request.cycle_code)
            await _guard_unpublished(conn, request.cycle_code)
            latest = await repo.latest_of_special_assessments(
                conn,
                cycle_code=request.cycle_code,
                sa_codes=sorted({v.rule.special_assessment for v in valid}),
            )
            new: list[repo.NewReview] = []
            unchanged = 0
            for v in valid:
                previous = latest.get((v.unit, v.rule.key))
                if (
                    previous
                    and previous.judgement == v.judged.text
                    and previous.comment == v.comment
                ):
                    unchanged += 1
                    continue
                revision = (previous.revision + 1) if previous else 1
                new.append(
                    repo.NewReview(
                        v.unit,
                        v.rule.key,
                        revision,
                        v.rule.method,
                        v.judged.shown,
                        v.judged.text,
                        v.comment,
                    )
                )
            await repo.insert_reviews(
                conn,
                cycle_code=request.cycle_code,
                reviews=new,
                reviewed_by=caller.subject,
                source=f"import:{name}",
                at=_now(),
            )
            await audit.append(
                conn,
                actor=caller.subject,
                action="reviews.imported",
                subject=f"{request.cycle_code}/{name}",
                payload={
                    "sha256": hashlib.sha256(request.file.content).hexdigest(),
                    "recorded": len(new),
                    "unchanged": unchanged,
                    "blank": blank,
                },
            )
            return pb.ImportReviewsResponse(recorded=len(new), unchanged=unchanged, blank=blank)

        return await idempotency.run_once(
            self.pool,
            method="ImportReviews",
            request_id=request.request_id,
            fingerprint=idempotency.request_fingerprint(request),
            response_type=pb.ImportReviewsResponse,
            work=work,
        )

    async def ExportReviewTemplate(self, request, context):
        ctx = await self.peers.cycle(request.cycle_code)
        code = request.special_assessment_code.strip()
        sa = ctx.catalogue.special_assessment(code)
        if sa is None:
            raise NotFound(
                f"special_assessment_code: no special assessment {code!r} in cycle {request.cycle_code!r}",
                "SPECIAL_ASSESSMENT_NOT_FOUND",
                metadata={"field": "special_assessment_code"},
            )
        principal().require_department(sa.owner, "special_assessment_code")
        fmt = (request.format or "xlsx").lower().lstrip(".")
        if fmt not in ("xlsx", "csv"):
            raise InvalidArgument.field("format", f"must be xlsx or csv (got {request.format!r})")
        latest = await repo.latest_of_special_assessments(
            self.pool, cycle_code=request.cycle_code, sa_codes=[code]
        )
        rows = template_rows(
            ctx.catalogue,
            code,
            ctx.names,
            {pair: (r.input, r.comment) for pair, r in latest.items()},
        )
        return pb.ExportReviewTemplateResponse(
            file_name=f"reviews-{request.cycle_code}-{code}.{fmt}",
            content=write_template(rows, fmt),
            rows=len(rows),
        )

    async def ListReviews(self, request, context):
        ctx = await self.peers.cycle(request.cycle_code)
        caller = principal()
        own = self._own_special_assessments(ctx, caller)
        sa_codes = own
        if request.special_assessment_code:
            if own is not None and request.special_assessment_code not in own:
                raise PermissionDenied(
                    f"special_assessment_code: line department {caller.department!r} may not read the reviews of"
                    f" {request.special_assessment_code!r}",
                    "OTHER_DEPARTMENT",
                    metadata={"field": "special_assessment_code"},
                )
            sa_codes = [request.special_assessment_code]
        size = page_size(request.page_size, default=500, maximum=5000)
        token = decode_token(request.page_token)
        after = tuple(token["after"]) if token else None
        rows = await repo.list_reviews(
            self.pool,
            cycle_code=request.cycle_code,
            unit=request.unit_code,
            sa_codes=sa_codes,
            indicator=request.indicator_code,
            all_revisions=request.all_revisions,
            after=after,
            limit=size + 1,
        )
        page, more = rows[:size], len(rows) > size
        last = page[-1] if page else None
        return pb.ListReviewsResponse(
            reviews=[review_pb(r) for r in page],
            next_page_token=encode_token(
                {"after": [last.unit_code, last.sa_code, last.indicator_code, last.revision]}
            )
            if more and last
            else "",
        )

    async def ListMissingReviews(self, request, context):
        ctx = await self.peers.cycle(request.cycle_code)
        caller = principal()
        department = request.department.strip()
        if caller.role is Role.ASSESSOR:
            if department and department != caller.department:
                caller.require_department(department, "department")
            department = caller.department
        reviewed = await repo.reviewed_pairs(self.pool, cycle_code=request.cycle_code)
        owners = {s.code: s.owner for s in ctx.catalogue.special_assessments}
        totals: dict[str, list] = {}
        for unit in sorted(ctx.catalogue.units, key=lambda u: u.code):
            for rule in ctx.catalogue.applicable(unit.kind):
                owner = owners[rule.special_assessment]
                if department and owner != department:
                    continue
                entry = totals.setdefault(owner, [0, 0, []])
                entry[1] += 1
                if (unit.code, rule.special_assessment, rule.code) not in reviewed:
                    entry[0] += 1
                    if len(entry[2]) < MAX_MISSING_EXAMPLES:
                        entry[2].append(f"{unit.code}/{rule.special_assessment}/{rule.code}")
        return pb.ListMissingReviewsResponse(
            departments=[
                pb.MissingReviews(department=owner, missing=missing, total=total, examples=examples)
                for owner, (missing, total, examples) in sorted(totals.items())
                if missing
            ]
        )

    # -- runs ----------------------------------------------------------------------------------

    async def ComputeScores(self, request, context):
        ctx = await self.peers.cycle(request.cycle_code)
        fingerprint = idempotency.request_fingerprint(request)
        replayed = await idempotency.replay(
            self.pool,
            method="ComputeScores",
            request_id=request.request_id,
            fingerprint=fingerprint,
            response_type=pb.ComputeScoresResponse,
        )
        if replayed is not None:
            return replayed
        asks = await self.peers.ask_times(request.cycle_code)
        caller = principal()

        async def work(conn):
            await repo.lock_cycle(conn, request.cycle_code)
            await _guard_unpublished(conn, request.cycle_code)
            review_mark = await repo.review_watermark(conn, cycle_code=request.cycle_code)
            decision_mark = await repo.decision_watermark(conn, cycle_code=request.cycle_code)
            inputs = Inputs(
                ctx.catalogue,
                ctx.rules,
                asks.deadline,
                asks.extended,
                asks.times,
                await repo.latest_reviews(
                    conn, cycle_code=request.cycle_code, watermark=review_mark
                ),
                await repo.approved_claims(
                    conn, cycle_code=request.cycle_code, watermark=decision_mark
                ),
            )
            results, inputs_sha, results_sha = await asyncio.to_thread(
                _compute_with_digests, inputs
            )
            snapshot = asks.sha256
            await repo.save_ask_snapshot(
                conn,
                sha256=snapshot,
                cycle_code=request.cycle_code,
                deadline=asks.deadline,
                extended=asks.extended,
                times=asks.times,
            )
            recipe = {
                "catalogue_sha256": ctx.catalogue.sha256,
                "review_watermark": review_mark,
                "decision_watermark": decision_mark,
                "ask_snapshot": snapshot,
                "rules": rules_to_json(ctx.rules),
            }
            run = await repo.insert_run(
                conn,
                cycle_code=request.cycle_code,
                trigger="compute",
                results=results,
                inputs_sha256=inputs_sha,
                results_sha256=results_sha,
                recipe=recipe,
                computed_by=caller.subject,
            )
            await repo.save_results(conn, run_id=run.id, results=results)
            await audit.append(
                conn,
                actor=caller.subject,
                action="scores.computed",
                subject=f"{request.cycle_code}#{run.run}",
                payload={
                    "inputs_sha256": inputs_sha,
                    "results_sha256": results_sha,
                    "units": run.units,
                    **recipe,
                },
            )
            return pb.ComputeScoresResponse(run=run_pb(run))

        return await idempotency.run_once(
            self.pool,
            method="ComputeScores",
            request_id=request.request_id,
            fingerprint=fingerprint,
            response_type=pb.ComputeScoresResponse,
            work=work,
        )

    async def PublishScores(self, request, context):
        if not request.HasField("appeal_deadline"):
            raise InvalidArgument.field(
                "appeal_deadline", "is required: the end of the appeal window"
            )
        deadline = request.appeal_deadline.ToDatetime(tzinfo=UTC)
        caller = principal()

        async def work(conn):
            await repo.lock_cycle(conn, request.cycle_code)
            latest = await repo.latest_run(conn, cycle_code=request.cycle_code)
            if latest is None:
                raise FailedPrecondition(
                    f"cycle_code: cycle {request.cycle_code!r} has no computed scores (ComputeScores first)",
                    "NO_SCORES",
                    metadata={"field": "cycle_code"},
                )
            if latest.published:
                raise FailedPrecondition(
                    f"cycle_code: run {latest.run} of cycle {request.cycle_code!r} is already published",
                    "ALREADY_PUBLISHED",
                    metadata={"field": "cycle_code"},
                )
            run = await repo.publish_run(conn, run_id=latest.id, appeal_deadline=deadline)
            await audit.append(
                conn,
                actor=caller.subject,
                action="scores.published",
                subject=f"{request.cycle_code}#{run.run}",
                payload={
                    "results_sha256": run.results_sha256,
                    "appeal_deadline": deadline.isoformat(),
                },
            )
            return pb.PublishScoresResponse(run=run_pb(run))

        return await idempotency.run_once(
            self.pool,
            method="PublishScores",
            request_id=request.request_id,
            fingerprint=idempotency.request_fingerprint(request),
            response_type=pb.PublishScoresResponse,
            work=work,
        )

    async def FinalizeScores(self, request, context):
        caller = principal()

        async def work(conn):
            await repo.lock_cycle(conn, request.cycle_code)
            latest = await repo.latest_run(conn, cycle_code=request.cycle_code)
            if latest is None or not latest.published:
                raise FailedPrecondition(
                    f"cycle_code: cycle {request.cycle_code!r} has no published scores to finalize",
                    "NOT_PUBLISHED",
                    metadata={"field": "cycle_code"},
                )
            if latest.finalized_at is not None:
                return pb.FinalizeScoresResponse(run=run_pb(latest))
            if latest.appeal_deadline is not None and _now() < latest.appeal_deadline:
                raise FailedPrecondition(
                    f"cycle_code: the appeal window of cycle {request.cycle_code!r} is open until {latest.appeal_deadline.isoformat()}",
                    "APPEAL_WINDOW_OPEN",
                    metadata={"field": "cycle_code"},
                )
            pending = await repo.pending_appeals(conn, cycle_code=request.cycle_code)
            if pending:
                raise FailedPrecondition(
                    f"cycle_code: {pending} appeal(s) of cycle {request.cycle_code!r} are still pending",
                    "APPEALS_PENDING",
                    metadata={"field": "cycle_code", "pending": str(pending)},
                )
            run = await repo.finalize_run(conn, run_id=latest.id)
            await audit.append(
                conn,
                actor=caller.subject,
                action="scores.finalized",
                subject=f"{request.cycle_code}#{run.run}",
                payload={"results_sha256": run.results_sha256},
            )
            return pb.FinalizeScoresResponse(run=run_pb(run))

        return await idempotency.run_once(
            self.pool,
            method="FinalizeScores",
            request_id=request.request_id,
            fingerprint=idempotency.request_fingerprint(request),
            response_type=pb.FinalizeScoresResponse,
            work=work,
        )

    # -- results -------------------------------------------------------------------------------

    async def _readable_run(self, conn, cycle_code: str, run: int) -> repo.RunRow:
        """Units read published runs only; other readers any run."""
        return await repo.get_run(
            conn, cycle_code=cycle_code, run=run, published_only=principal().role is Role.UNIT
        )

    async def ListScores(self, request, context):
        caller = principal()
        run = await self._readable_run(self.pool, request.cycle_code, request.run)
        if caller.role is Role.UNIT:
            rows = await repo.unit_scores(self.pool, run_id=run.id, unit=caller.unit)
        else:
            rows = await repo.unit_scores(self.pool, run_id=run.id, group=request.group)
        size = page_size(request.page_size, default=500, maximum=5000)
        start = int(decode_token(request.page_token).get("offset", 0))
        page = rows[start : start + size]
        tiers = []
        if start == 0 and caller.role is not Role.UNIT:
            tiers = _group_tiers(rows, rules_from_json(run.recipe["rules"]))
        return pb.ListScoresResponse(
            scores=[unit_score_pb(r) for r in page],
            next_page_token=encode_token({"offset": start + size})
            if start + size < len(rows)
            else "",
            run=run_pb(run),
            tiers=tiers,
        )

    async def GetScorecard(self, request, context):
        caller = principal()
        caller.require_unit(request.unit_code)
        ctx = await self.peers.cycle(request.cycle_code)
        run = await self._readable_run(self.pool, request.cycle_code, request.run)
        found = await repo.unit_scores(self.pool, run_id=run.id, unit=request.unit_code)
        if not found:
            raise NotFound(
                f"unit_code: unit {request.unit_code!r} has no score in run {run.run} of cycle {request.cycle_code!r}",
                "UNIT_NOT_SCORED",
                metadata={"field": "unit_code"},
            )
        score = found[0]
        sa_rows, indicator_rows = await repo.unit_detail(
            self.pool, detail_run_id=score["detail_run_id"], unit=request.unit_code
        )
        reviews = await repo.reviews_by_id(
            self.pool, ids=[r["review_id"] for r in indicator_rows if r["review_id"]]
        )
        rules = rules_from_json(run.recipe["rules"])
        order = {rule.key: i for i, rule in enumerate(ctx.catalogue.indicators)}
        indicators = []
        for row in sorted(
            indicator_rows, key=lambda r: order.get((r["sa_code"], r["indicator_code"]), 1 << 30)
        ):
            rule = ctx.catalogue.indicator((row["sa_code"], row["indicator_code"]))
            review = reviews.get(row["review_id"]) if row["review_id"] else None
            judgement = parse_judgement(review.method, review.judgement) if review else None
            steps = indicator_steps(
                rule,
                judgement,
                base_e4=row["base_e4"],
                score_e4=row["score_e4"],
                adjustment=Adjustment.from_json(_stored_json(row["adjustment"])),
                rules=rules,
            )
            indicators.append(
                pb.IndicatorScore(
                    special_assessment_code=rule.special_assessment,
                    indicator_code=rule.code,
                    points=decimal_text(rule.points),
                    score=format_e4(row["score_e4"]),
                    unreviewed=review is None,
                    steps=[explanation_pb(s) for s in steps],
                    method=rule.method,
                    review_revision=review.revision if review else 0,
                )
            )
        sa_order = {s.code: i for i, s in enumerate(ctx.catalogue.special_assessments)}
        special_assessments = []
        parts = []
        for row in sorted(sa_rows, key=lambda r: sa_order.get(r["sa_code"], 1 << 30)):
            earned = parse_fraction(row["earned"])
            step = special_assessment_step(
                row["sa_code"],
                Decimal(row["weight"]),
                round_half_up(earned.numerator, earned.denominator, E4),
                decimal_text(parse_fraction(row["possible"])),
                row["score_e4"],
            )
            parts.append((row["sa_code"], row["score_e4"]))
            special_assessments.append(
                pb.SpecialAssessmentScore(
                    special_assessment_code=row["sa_code"],
                    score=format_e4(row["score_e4"]),
                    explanation=explanation_pb(step),
                )
            )
        bonus = parse_fraction(score["bonus"])
        unit_score = unit_score_pb(score)
        return pb.GetScorecardResponse(
            scorecard=pb.Scorecard(
                score=unit_score,
                special_assessments=special_assessments,
                indicators=indicators,
                composite=explanation_pb(
                    composite_step(
                        parts,
                        round_half_up(bonus.numerator, bonus.denominator, E4),
                        score["composite_e4"],
                        unit_score.composite_display,
                    )
                ),
                ranking=explanation_pb(
                    ranking_step(
                        group=score["group_code"],
                        group_size=score["group_size"],
                        rank=score["rank"],
                        composite_e4=score["composite_e4"],
                        tier=score["tier"],
                        vetoed=score["vetoed"],
                        rules=rules,
                    )
                ),
            ),
            run=run_pb(run),
        )

    async def PreviewWeights(self, request, context):
        ctx = await self.peers.cycle(request.cycle_code)
        weights = _preview_weights(ctx, request.weights)
        run = await repo.get_run(self.pool, cycle_code=request.cycle_code, run=request.run)
        units = await repo.unit_scores(self.pool, run_id=run.id)
        sa_rows = await repo.stored_sa_rows(self.pool, run_id=run.id)
        composite: dict[str, Fraction] = {u["unit_code"]: parse_fraction(u["bonus"]) for u in units}
        for row in sa_rows:
            possible = parse_fraction(row["possible"])
            if possible:
                composite[row["unit_code"]] += (
                    weights[row["sa_code"]] * parse_fraction(row["earned"]) / possible
                )
        rules = rules_from_json(run.recipe["rules"])
        e4 = {u: round_half_up(c.numerator, c.denominator, E4) for u, c in composite.items()}
        standings = rank_units(
            [(u["unit_code"], u["group_code"], e4[u["unit_code"]], u["vetoed"]) for u in units],
            rules,
        )
        scores = []
        for u in units:
            if request.group and u["group_code"] != request.group:
                continue
            code = u["unit_code"]
            standing = standings[code]
            current = unit_score_pb(u)
            preview = pb.UnitScore()
            preview.CopyFrom(current)
            preview.composite = format_e4(e4[code])
            preview.composite_display = rounded(composite[code], 2)
            preview.rank, preview.tier, preview.group_size = (
                standing.rank,
                standing.tier,
                standing.group_size,
            )
            scores.append(
                pb.PreviewScore(
                    score=preview,
                    current_composite=current.composite,
                    current_rank=current.rank,
                    current_tier=current.tier,
                )
            )
        scores.sort(key=lambda s: (s.score.group, s.score.rank, s.score.unit_code))
        return pb.PreviewWeightsResponse(
            scores=scores, weights={k: decimal_text(v) for k, v in weights.items()}, run=run_pb(run)
        )

    async def VerifyScores(self, request, context):
        ctx = await self.peers.cycle(request.cycle_code)
        run = await repo.get_run(self.pool, cycle_code=request.cycle_code, run=request.run)
        differences: list[str] = []
        if run.recipe["catalogue_sha256"] != ctx.catalogue.sha256:
            differences.append(
                f"catalogue: run used {run.recipe['catalogue_sha256']}, the cycle's is {ctx.catalogue.sha256}"
            )
        async with self.pool.acquire() as conn:
            inputs = await self._inputs_from_recipe(conn, ctx, run.recipe)
            results, inputs_sha, results_sha = await asyncio.to_thread(
                _compute_with_digests, inputs
            )
            stored_units = await repo.unit_scores(conn, run_id=run.id)
            stored_indicators = await repo.stored_indicator_rows(conn, run_id=run.id)
        if inputs_sha != run.inputs_sha256:
            differences.append(
                f"inputs_sha256: stored {run.inputs_sha256}, recomputed {inputs_sha}"
            )
        if results_sha != run.results_sha256:
            differences.append(
                f"results_sha256: stored {run.results_sha256}, recomputed {results_sha}"
            )
        differences += _compare_rows(results, stored_units, stored_indicators)
        return pb.VerifyScoresResponse(
            run=run_pb(run),
            inputs_sha256=inputs_sha,
            results_sha256=results_sha,
            matches=not differences,
            differences=differences[:MAX_DIFFERENCES],
        )

    async def _inputs_from_recipe(
        self, conn, ctx: CycleContext, recipe: Mapping, review_watermark: int | None = None
    ) -> Inputs:
        deadline, extended, times = await repo.load_ask_snapshot(
            conn, sha256=recipe["ask_snapshot"]
        )
        cycle = ctx.catalogue.cycle_code
        return Inputs(
            ctx.catalogue,
            rules_from_json(recipe["rules"]),
            deadline,
            extended,
            times,
            await repo.overlay_reviews(
                conn,
                await repo.latest_reviews(
                    conn,
                    cycle_code=cycle,
                    watermark=recipe["review_watermark"]
                    if review_watermark is None
                    else review_watermark,
                ),
                ids=recipe.get("appeal_reviews", []),
            ),
            await repo.approved_claims(
                conn, cycle_code=cycle, watermark=recipe["decision_watermark"]
            ),
        )

    # -- claims --------------------------------------------------------------------------------

    async def FileClaim(self, request, context):
        caller = principal()
        caller.require_unit(request.unit_code)
        ctx = await self.peers.cycle(request.cycle_code)
        filing = validate_filing(
            catalogue=ctx.catalogue,
            tolerance=ctx.tolerance,
            unit_code=request.unit_code,
            category=request.category,
            description=request.description,
            indicators=[indicator_ref(r) for r in request.indicators],
            prefiling=request.prefiling,
            act_date=request.act_date,
            today=datetime.now(ctx.timezone).date(),
        )

        async def work(conn):
            await repo.lock_cycle(conn, request.cycle_code)
            await _guard_unpublished(conn, request.cycle_code)
            claim_id = await repo.insert_claim(
                conn, cycle_code=request.cycle_code, filing=filing, filed_by=caller.subject
            )
            claim = await repo.get_claim(conn, cycle_code=request.cycle_code, claim_id=claim_id)
            await audit.append(
                conn,
                actor=caller.subject,
                action="claim.filed",
                subject=f"{request.cycle_code}/claim/{claim_id}",
                payload={
                    "unit": filing.unit,
                    "category": filing.category.code,
                    "indicators": [f"{sa}/{code}" for sa, code in filing.indicators],
                    "prefiling": filing.prefiling,
                    "act_date": filing.act_date.isoformat() if filing.act_date else "",
                },
            )
            return pb.FileClaimResponse(claim=claim_pb(claim))

        return await idempotency.run_once(
            self.pool,
            method="FileClaim",
            request_id=request.request_id,
            fingerprint=idempotency.request_fingerprint(request),
            response_type=pb.FileClaimResponse,
            work=work,
        )

    async def DecideClaim(self, request, context):
        caller = principal()
        if request.decision not in (pb.DECISION_APPROVE, pb.DECISION_REJECT):
            raise InvalidArgument.field("decision", "must be DECISION_APPROVE or DECISION_REJECT")
        reason = check_reason(request.reason)
        requested = [indicator_ref(r) for r in request.indicators]
        approved = request.decision == pb.DECISION_APPROVE

        async def work(conn):
            await repo.lock_cycle(conn, request.cycle_code)
            await _guard_unpublished(conn, request.cycle_code)
            claim = await repo.get_claim(
                conn, cycle_code=request.cycle_code, claim_id=request.claim_id
            )
            department = caller.department if caller.role is Role.ASSESSOR else None
            if department is not None and all(i.owner != department for i in claim.indicators):
                raise PermissionDenied(
                    f"claim_id: claim {claim.id} names no indicator of line department {department!r}",
                    "OTHER_DEPARTMENT",
                    metadata={"field": "claim_id"},
                )
            pending = [(i.key, i.owner) for i in claim.indicators if i.approved is None]
            chosen = decidable(pending, requested, department, claim.id)
            await repo.insert_decisions(
                conn,
                claim_id=claim.id,
                keys=chosen,
                approved=approved,
                reason=reason,
                decided_by=caller.subject,
            )
            await audit.append(
                conn,
                actor=caller.subject,
                action="claim.approved" if approved else "claim.rejected",
                subject=f"{request.cycle_code}/claim/{claim.id}",
                payload={"indicators": [f"{sa}/{code}" for sa, code in chosen], "reason": reason},
            )
            return pb.DecideClaimResponse(
                claim=claim_pb(
                    await repo.get_claim(conn, cycle_code=request.cycle_code, claim_id=claim.id)
                )
            )

        return await idempotency.run_once(
            self.pool,
            method="DecideClaim",
            request_id=request.request_id,
            fingerprint=idempotency.request_fingerprint(request),
            response_type=pb.DecideClaimResponse,
            work=work,
        )

    async def ListClaims(self, request, context):
        caller = principal()
        unit = request.unit_code
        if caller.role is Role.UNIT:
            caller.require_unit(unit or caller.unit)
            unit = caller.unit
        owner = caller.department if caller.role is Role.ASSESSOR else ""
        size = page_size(request.page_size, default=100, maximum=1000)
        after = int(decode_token(request.page_token).get("after", 0))
        rows = await repo.claims(
            self.pool,
            cycle_code=request.cycle_code,
            unit=unit,
            owner=owner,
            state=STATE_NAMES.get(request.state, ""),
            after=after,
            limit=size + 1,
        )
        page, more = rows[:size], len(rows) > size
        return pb.ListClaimsResponse(
            claims=[claim_pb(c) for c in page],
            next_page_token=encode_token({"after": page[-1].id}) if more else "",
        )

    # -- appeals -------------------------------------------------------------------------------

    async def FileAppeal(self, request, context):
        caller = principal()
        caller.require_unit(request.unit_code)
        ctx = await self.peers.cycle(request.cycle_code)
        unit = self._unit(ctx, request.unit_code)
        key = indicator_ref(request.indicator)
        self._rule(ctx, key, unit, "indicator")
        reason = check_reason(request.reason)

        async def work(conn):
            await repo.lock_cycle(conn, request.cycle_code)
            latest = await repo.latest_run(conn, cycle_code=request.cycle_code)
            check_open(
                Window(
                    request.cycle_code,
                    latest.published_at if latest else None,
                    latest.appeal_deadline if latest else None,
                    latest.finalized_at if latest else None,
                ),
                _now(),
            )
            stored = await repo.indicator_score(conn, run_id=latest.id, unit=unit.code, key=key)
            if stored is None:
                raise NotFound(
                    f"indicator: {unit.code} has no published score for {key[0]}/{key[1]}",
                    "SCORE_NOT_FOUND",
                    metadata={"field": "indicator"},
                )
            appeal = await repo.insert_appeal(
                conn,
                cycle_code=request.cycle_code,
                unit=unit.code,
                key=key,
                reason=reason,
                filed_by=caller.subject,
                run_id=latest.id,
                score_before_e4=stored["score_e4"],
            )
            await audit.append(
                conn,
                actor=caller.subject,
                action="appeal.filed",
                subject=f"{request.cycle_code}/appeal/{appeal.id}",
                payload={
                    "unit": unit.code,
                    "indicator": f"{key[0]}/{key[1]}",
                    "run": latest.run,
                    "score": format_e4(stored["score_e4"]),
                },
            )
            return pb.FileAppealResponse(appeal=appeal_pb(appeal))

        return await idempotency.run_once(
            self.pool,
            method="FileAppeal",
            request_id=request.request_id,
            fingerprint=idempotency.request_fingerprint(request),
            response_type=pb.FileAppealResponse,
            work=work,
        )

    async def DecideAppeal(self, request, context):
        caller = principal()
        if request.decision not in (pb.APPEAL_DECISION_UPHOLD, pb.APPEAL_DECISION_ADJUST):
            raise InvalidArgument.field(
                "decision", "must be APPEAL_DECISION_UPHOLD or APPEAL_DECISION_ADJUST"
            )
        adjust = request.decision == pb.APPEAL_DECISION_ADJUST
        if adjust and not request.HasField("adjustment"):
            raise InvalidArgument.field("adjustment", "is required to adjust: the corrected review")
        if not adjust and request.HasField("adjustment"):
            raise InvalidArgument.field("adjustment", "is only for APPEAL_DECISION_ADJUST")
        reason = check_reason(request.reason)
        ctx = await self.peers.cycle(request.cycle_code)

        async def work(conn):
            await repo.lock_cycle(conn, request.cycle_code)
            appeal = await repo.get_appeal(
                conn, cycle_code=request.cycle_code, appeal_id=request.appeal_id
            )
            key = (appeal.sa_code, appeal.indicator_code)
            caller.require_department(self._owner(ctx, appeal.sa_code), "appeal_id")
            if appeal.state != "pending":
                raise FailedPrecondition(
                    f"appeal_id: appeal {appeal.id} is already decided ({appeal.state})",
                    "ALREADY_DECIDED",
                    metadata={"field": "appeal_id"},
                )
            latest = await repo.latest_run(conn, cycle_code=request.cycle_code)
            if latest.finalized_at is not None:
                raise FailedPrecondition(
                    f"cycle_code: the scores of cycle {request.cycle_code!r} are final",
                    "FINALIZED",
                    metadata={"field": "cycle_code"},
                )
            new_run = None
            review_id = None
            if adjust:
                unit = self._unit(ctx, appeal.unit_code)
                rule = self._rule(ctx, key, unit)
                judged = judge(rule, review_input_dict(request.adjustment), prefix="adjustment")
                previous = await repo.latest_review_of(
                    conn, cycle_code=request.cycle_code, unit=unit.code, key=key
                )
                review = await repo.insert_review(
                    conn,
                    cycle_code=request.cycle_code,
                    review=repo.NewReview(
                        unit.code,
                        key,
                        (previous.revision + 1) if previous else 1,
                        rule.method,
                        judged.shown,
                        judged.text,
                        reason,
                    ),
                    reviewed_by=caller.subject,
                    source=f"appeal:{appeal.id}",
                )
                review_id = review.id
                new_run = await self._recompute_after_appeal(
                    conn, ctx, latest, appeal, review.id, caller
                )
                score_after = (
                    await repo.indicator_score(conn, run_id=new_run.id, unit=unit.code, key=key)
                )["score_e4"]
            else:
                score_after = (
                    await repo.indicator_score(
                        conn, run_id=latest.id, unit=appeal.unit_code, key=key
                    )
                )["score_e4"]
            await repo.decide_appeal(
                conn,
                appeal_id=appeal.id,
                state="adjusted" if adjust else "upheld",
                decided_by=caller.subject,
                reason=reason,
                score_after_e4=score_after,
                adjusted_run_id=new_run.id if new_run else None,
                review_id=review_id,
            )
            await audit.append(
                conn,
                actor=caller.subject,
                action="appeal.adjusted" if adjust else "appeal.upheld",
                subject=f"{request.cycle_code}/appeal/{appeal.id}",
                payload={
                    "reason": reason,
                    "score_before": format_e4(appeal.score_before_e4),
                    "score_after": format_e4(score_after),
                    "run": new_run.run if new_run else None,
                    "results_sha256": new_run.results_sha256 if new_run else None,
                },
            )
            decided = await repo.get_appeal(
                conn, cycle_code=request.cycle_code, appeal_id=appeal.id
            )
            return pb.DecideAppealResponse(
                appeal=appeal_pb(decided), run=run_pb(new_run) if new_run else None
            )

        return await idempotency.run_once(
            self.pool,
            method="DecideAppeal",
            request_id=request.request_id,
            fingerprint=idempotency.request_fingerprint(request),
            response_type=pb.DecideAppealResponse,
            work=work,
        )

    async def _recompute_after_appeal(
        self,
        conn,
        ctx: CycleContext,
        base: repo.RunRow,
        appeal: repo.AppealRow,
        review_id: int,
        caller: Principal,
    ) -> repo.RunRow:
        """A new published run: exactly the base run's inputs plus the adjusted review (reviews
        recorded since the base run was computed stay out of published results). Detail rows
        are stored for the units whose results changed; the rest point at the run holding theirs."""
        recipe = {
            **base.recipe,
            "appeal_reviews": [*base.recipe.get("appeal_reviews", []), review_id],
        }
        inputs = await self._inputs_from_recipe(conn, ctx, recipe)
        results, inputs_sha, results_sha = await asyncio.to_thread(_compute_with_digests, inputs)
        stored = {r["unit_code"]: r for r in await repo.unit_scores(conn, run_id=base.id)}
        changed = {appeal.unit_code}
        for r in results.units:
            before = stored.get(r.unit.code)
            if before is None or (before["composite"], before["unreviewed"], before["vetoed"]) != (
                f"{r.composite.numerator}/{r.composite.denominator}",
                r.unreviewed,
                r.vetoed,
            ):
                changed.add(r.unit.code)
        run = await repo.insert_run(
            conn,
            cycle_code=base.cycle_code,
            trigger=f"appeal:{appeal.id}",
            results=results,
            inputs_sha256=inputs_sha,
            results_sha256=results_sha,
            recipe=recipe,
            computed_by=caller.subject,
            published_at=_now(),
            appeal_deadline=base.appeal_deadline,
        )
        detail_run = {u: r["detail_run_id"] for u, r in stored.items() if u not in changed}
        await repo.save_results(
            conn, run_id=run.id, results=results, detail_units=changed, detail_run=detail_run
        )
        return run

    async def ListAppeals(self, request, context):
        caller = principal()
        unit = request.unit_code
        if caller.role is Role.UNIT:
            caller.require_unit(unit or caller.unit)
            unit = caller.unit
        sa_codes = None
        if caller.role is Role.ASSESSOR:
            ctx = await self.peers.cycle(request.cycle_code)
            sa_codes = self._own_special_assessments(ctx, caller)
        size = page_size(request.page_size, default=100, maximum=1000)
        after = int(decode_token(request.page_token).get("after", 0))
        rows = await repo.list_appeals(
            self.pool,
            cycle_code=request.cycle_code,
            unit=unit,
            state=APPEAL_STATE_NAMES.get(request.state, ""),
            owner_sa_codes=sa_codes,
            after=after,
            limit=size + 1,
        )
        page, more = rows[:size], len(rows) > size
        return pb.ListAppealsResponse(
            appeals=[appeal_pb(a) for a in page],
            next_page_token=encode_token({"after": page[-1].id}) if more else "",
        )


# -- helpers (pure) -----------------------------------------------------------------------------


def _stored_json(text: str | None):
    return json.loads(text) if text else None


def _group_tiers(rows, rules) -> list[pb.GroupTiers]:
    groups: dict[str, list] = {}
    for r in rows:
        groups.setdefault(r["group_code"], []).append(r)
    out = []
    for group, members in groups.items():
        size = members[0]["group_size"]
        counts: dict[str, int] = {}
        for m in members:
            counts[m["tier"]] = counts.get(m["tier"], 0) + 1
        bands = [
            pb.TierBand(tier=name, cutoff_rank=cutoff, units=counts.get(name, 0))
            for name, cutoff in tier_cutoffs(size, rules.tiers)
        ]
        if rules.veto_tier not in {t.name for t in rules.tiers}:
            bands.append(
                pb.TierBand(
                    tier=rules.veto_tier, cutoff_rank=0, units=counts.get(rules.veto_tier, 0)
                )
            )
        out.append(pb.GroupTiers(group=group, size=size, bands=bands))
    return out


def _preview_weights(ctx: CycleContext, given: Mapping[str, str]) -> dict[str, Fraction]:
    """The cycle's weights with the given ones replaced; validated (known codes, >= 0, sum 100)."""
    weights = {s.code: Fraction(s.weight) for s in ctx.catalogue.special_assessments}
    problems: list[Violation] = []
    for code, text in sorted(given.items()):
        field = f"weights[{code}]"
        if code not in weights:
            problems.append(
                Violation(
                    field, f"no special assessment {code!r} in cycle {ctx.catalogue.cycle_code!r}"
                )
            )
            continue
        try:
            value = Decimal(str(text).strip())
        except InvalidOperation:
            problems.append(Violation(field, f"must be a number (got {text!r})"))
            continue
        if not value.is_finite() or value < 0:
            problems.append(Violation(field, f"must be a number >= 0 (got {text!r})"))
            continue
        weights[code] = Fraction(value)
    if problems:
        if len(problems) == 1:
            raise InvalidArgument(
                str(problems[0]), "INVALID_FIELD", problems, {"field": problems[0].field}
            )
        raise InvalidArgument.many("weights", problems)
    total = sum(weights.values(), Fraction(0))
    if total != 100:
        raise InvalidArgument.field(
            "weights", f"must sum to 100 (they sum to {decimal_text(total)})"
        )
    return weights


def _compare_rows(results: Results, stored_units, stored_indicators) -> list[str]:
    """Stored rows that differ from a recomputation."""
    differences: list[str] = []
    expected_units = {
        r.unit.code: (
            f"{r.composite.numerator}/{r.composite.denominator}",
            r.composite_e4,
            r.standing.rank,
            r.standing.tier,
            r.vetoed,
            r.unreviewed,
        )
        for r in results.units
    }
    actual_units = {
        u["unit_code"]: (
            u["composite"],
            u["composite_e4"],
            u["rank"],
            u["tier"],
            u["vetoed"],
            u["unreviewed"],
        )
        for u in stored_units
    }
    for unit in sorted(expected_units.keys() | actual_units.keys()):
        if expected_units.get(unit) != actual_units.get(unit):
            differences.append(
                f"unit {unit}: stored {actual_units.get(unit)}, recomputed {expected_units.get(unit)}"
            )
    expected = {
        (u, sa, c): (s, b, rid, a.to_json() if a else None)
        for u, sa, c, s, b, rid, a in results.indicator_rows()
    }
    actual = {
        (r["unit_code"], r["sa_code"], r["indicator_code"]): (
            r["score_e4"],
            r["base_e4"],
            r["review_id"],
            _stored_json(r["adjustment"]),
        )
        for r in stored_indicators
    }
    if len(actual) != len(stored_indicators):
        differences.append(f"indicator rows: {len(stored_indicators) - len(actual)} duplicated")
    for key in sorted(expected.keys() ^ actual.keys()):
        differences.append(
            f"indicator {'/'.join(key)}: {'missing from' if key in expected else 'extra in'} the stored run"
        )
    for key in sorted(k for k in expected.keys() & actual.keys() if expected[k] != actual[k]):
        differences.append(
            f"indicator {'/'.join(key)}: stored {actual[key]}, recomputed {expected[key]}"
        )
    return differences

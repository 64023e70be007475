"""The line department's pages (条线部门): the review queue per indicator and unit, evidence
inline, a review form per scoring method, the review sheet (xlsx) download and upload, and the
tolerance claims and appeals on its indicators to decide."""

from __future__ import annotations

import math

import grpc
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from oneassess.indicators.v1 import indicators_service_pb2 as ipb
from oneassess.scoring.v1 import scoring_service_pb2 as spb
from oneassess.submissions.v1 import submissions_service_pb2 as pb
from services.portal.i18n import N_, _
from services.portal.pages import Context, flash, request_id, take_flash
from services.portal.pages.unit import APPEAL_STATES, CLAIM_STATES
from services.portal.render import not_found, page
from services.portal.rpc import every
from services.portal.security import requires

MAX_SHEET_BYTES = 10 * 1024 * 1024
METHODS = {
    ipb.SCORING_METHOD_RATIO: N_("Ratio to a target"),
    ipb.SCORING_METHOD_GRADE: N_("Grade"),
    ipb.SCORING_METHOD_CHECKLIST: N_("Checklist"),
    ipb.SCORING_METHOD_DEDUCTION: N_("Deductions"),
    ipb.SCORING_METHOD_BONUS: N_("Bonus"),
    ipb.SCORING_METHOD_VETO: N_("Veto"),
}


def owned(names, department: str) -> list[str]:
    return [c for c, sa in names.special_assessments.items() if sa.owner == department]


def applies(indicator: ipb.CatalogueIndicator, unit: ipb.Unit) -> bool:
    return not indicator.applies_to or unit.kind in indicator.applies_to


def review_input(method: int, form) -> spb.ReviewInput:
    """The judgement the form gives, by the indicator's method."""

    def number(name: str) -> float | None:
        raw = str(form.get(name, "")).strip()[:64]
        if not raw:
            return None
        value = float(raw)  # ValueError for what is not a number
        if not math.isfinite(value):
            raise ValueError(f"{name} is not finite")
        return value

    if method == ipb.SCORING_METHOD_RATIO:
        return spb.ReviewInput(value=number("value"))
    if method == ipb.SCORING_METHOD_GRADE:
        return spb.ReviewInput(grade=str(form.get("grade", "")))
    if method == ipb.SCORING_METHOD_CHECKLIST:
        items = number("items_met")
        return spb.ReviewInput(items_met=int(items) if items is not None else None)
    if method == ipb.SCORING_METHOD_DEDUCTION:
        return spb.ReviewInput(occurrences=number("occurrences"))
    if method == ipb.SCORING_METHOD_BONUS:
        return spb.ReviewInput(claimed=number("claimed"))
    return spb.ReviewInput(failed=form.get("failed") == "on")


def own_path(request: Request) -> str:
    """The page's own path and query, to come back to: never the Host header's host."""
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def routes(ctx: Context) -> list[Route]:
    clients = ctx.clients

    async def reviews_of(sa_codes: list[str]) -> dict[tuple[str, str, str], spb.Review]:
        out = {}
        for sa in sa_codes:
            for r in await every(
                clients.scoring.ListReviews,
                spb.ListReviewsRequest(
                    cycle_code=ctx.cycle, special_assessment_code=sa, page_size=500
                ),
                "reviews",
            ):
                out[(r.unit_code, r.special_assessment_code, r.indicator_code)] = r
        return out

    async def queue(request: Request):
        person = request.state.person
        names = await ctx.catalogues.names(ctx.cycle)
        mine = owned(names, person.department)
        reviews = await reviews_of(mine)
        groups = []
        for ind in names.catalogue.indicators:
            if ind.special_assessment_code not in mine:
                continue
            units = [u for u in names.catalogue.units if applies(ind, u)]
            cells = [
                {
                    "unit": u,
                    "review": reviews.get(
                        (u.code, ind.special_assessment_code, ind.indicator.code)
                    ),
                }
                for u in units
            ]
            groups.append(
                {
                    "indicator": ind,
                    "sa_name": names.sa_name(ind.special_assessment_code),
                    "method": _(METHODS.get(ind.indicator.method, "")),
                    "cells": cells,
                    "done": sum(1 for c in cells if c["review"] is not None),
                }
            )
        return page(
            request,
            "review/queue.html",
            groups=groups,
            special_assessments=[names.special_assessments[c] for c in mine],
            flash=take_flash(request),
        )

    async def review_form(request: Request):
        person = request.state.person
        sa = request.path_params["sa"]
        code = request.path_params["indicator"]
        unit_code = request.path_params["unit"]
        names = await ctx.catalogues.names(ctx.cycle)
        ind = names.indicators.get((sa, code))
        unit = names.units.get(unit_code)
        if ind is None or unit is None or not applies(ind, unit):
            return not_found(request)
        if sa not in owned(names, person.department):
            from services.portal.render import forbidden

            return forbidden(request)
        appeal = await appeal_to_adjust(request, sa, code, unit_code)
        if appeal is None and "appeal" in request.query_params:
            flash(request, _("That appeal is not pending on this indicator."), "error")
            return RedirectResponse("/review/decisions", status_code=303)
        if request.method == "POST":
            form = await request.form()
            try:
                judged = review_input(ind.indicator.method, form)
            except (ValueError, OverflowError):
                flash(request, _("Enter the judgement as a number."), "error")
                return RedirectResponse(own_path(request), status_code=303)
            if appeal is not None:
                return await adjust_appeal(request, appeal, judged, form)
            await clients.scoring.RecordReview(
                spb.RecordReviewRequest(
                    request_id=request_id(),
                    cycle_code=ctx.cycle,
                    unit_code=unit_code,
                    special_assessment_code=sa,
                    indicator_code=code,
                    input=judged,
                    comment=str(form.get("comment", ""))[:2000],
                )
            )
            flash(
                request,
                _("Review of %(indicator)s for %(unit)s recorded.")
                % {"indicator": ind.indicator.name, "unit": unit.name},
            )
            return RedirectResponse("/review", status_code=303)
        keys = set(ind.canonical_evidence) | set(ind.indicator.evidence)
        submissions = [
            s
            for s in await every(
                clients.submissions.ListSubmissions,
                pb.ListSubmissionsRequest(cycle_code=ctx.cycle, unit_code=unit_code, page_size=200),
                "submissions",
            )
            if s.evidence_key in keys and s.current
        ]
        existing = await every(
            clients.scoring.ListReviews,
            spb.ListReviewsRequest(
                cycle_code=ctx.cycle,
                unit_code=unit_code,
                special_assessment_code=sa,
                indicator_code=code,
                page_size=50,
            ),
            "reviews",
        )
        return page(
            request,
            "review/form.html",
            ind=ind,
            unit=unit,
            sa_name=names.sa_name(sa),
            method=ind.indicator.method,
            method_label=_(METHODS.get(ind.indicator.method, "")),
            methods=ipb,
            submissions=submissions,
            missing_keys=sorted(keys - {s.evidence_key for s in submissions}),
            names=names,
            review=existing[-1] if existing else None,
            appeal=appeal,
            flash=take_flash(request),
        )

    async def appeal_to_adjust(
        request: Request, sa: str, code: str, unit_code: str
    ) -> spb.Appeal | None:
        """The pending appeal on this indicator and unit that `?appeal=<id>` names, if any:
        the form then adjusts the score on appeal instead of recording a plain review."""
        wanted = request.query_params.get("appeal", "")
        if not (wanted.isascii() and wanted.isdigit()) or len(wanted) > 18:
            return None
        appeal_id = int(wanted)
        for a in await every(
            clients.scoring.ListAppeals,
            spb.ListAppealsRequest(
                cycle_code=ctx.cycle, unit_code=unit_code, state=spb.APPEAL_STATE_PENDING
            ),
            "appeals",
        ):
            ref = a.indicator
            if (a.appeal_id, ref.special_assessment_code, ref.indicator_code) == (
                appeal_id,
                sa,
                code,
            ):
                return a
        return None

    async def adjust_appeal(request: Request, appeal: spb.Appeal, judged, form) -> Response:
        """Decide the appeal by adjusting: the corrected review becomes a new revision and
        the scoring service recomputes and publishes a new run. What the service refuses (a
        blank reason, a judgement out of range, an appeal decided meanwhile) comes back as a
        notice on the form."""
        try:
            await clients.scoring.DecideAppeal(
                spb.DecideAppealRequest(
                    request_id=request_id(),
                    cycle_code=ctx.cycle,
                    appeal_id=appeal.appeal_id,
                    decision=spb.APPEAL_DECISION_ADJUST,
                    reason=str(form.get("reason", ""))[:2000],
                    adjustment=judged,
                )
            )
        except grpc.RpcError as err:
            if err.code() not in (
                grpc.StatusCode.INVALID_ARGUMENT,
                grpc.StatusCode.FAILED_PRECONDITION,
            ):
                raise
            flash(
                request, _("The adjustment was refused: %(why)s") % {"why": err.details()}, "error"
            )
            return RedirectResponse(own_path(request), status_code=303)
        flash(request, _("Appeal decided: the score is adjusted and republished."))
        return RedirectResponse("/review/decisions", status_code=303)

    async def sheet_download(request: Request):
        person = request.state.person
        sa = request.path_params["sa"]
        names = await ctx.catalogues.names(ctx.cycle)
        if sa not in owned(names, person.department):
            return not_found(request)
        got = await clients.scoring.ExportReviewTemplate(
            spb.ExportReviewTemplateRequest(
                cycle_code=ctx.cycle, special_assessment_code=sa, format="xlsx"
            )
        )
        return Response(
            got.content,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"content-disposition": f'attachment; filename="{sa}-reviews.xlsx"'},
        )

    async def sheet_upload(request: Request):
        size = int(request.headers.get("content-length", "0") or 0)
        if size > MAX_SHEET_BYTES:
            flash(request, _("The review sheet is too large."), "error")
            return RedirectResponse("/review", status_code=303)
        form = await request.form(max_files=1, max_fields=10)
        upload = form.get("sheet")
        if upload is None or not hasattr(upload, "read"):
            flash(request, _("Choose a review sheet (xlsx or csv) first."), "error")
            return RedirectResponse("/review", status_code=303)
        content = await upload.read(MAX_SHEET_BYTES + 1)
        try:
            got = await clients.scoring.ImportReviews(
                spb.ImportReviewsRequest(
                    request_id=request_id(),
                    cycle_code=ctx.cycle,
                    file=spb.ReviewFile(name=upload.filename or "sheet.xlsx", content=content),
                )
            )
        except grpc.RpcError as err:
            flash(
                request,
                _("The review sheet was refused: %(why)s") % {"why": err.details()},
                "error",
            )
            return RedirectResponse("/review", status_code=303)
        flash(
            request,
            _("Review sheet read: %(recorded)s recorded, %(unchanged)s unchanged, %(blank)s blank.")
            % {"recorded": got.recorded, "unchanged": got.unchanged, "blank": got.blank},
        )
        return RedirectResponse("/review", status_code=303)

    async def decisions(request: Request):
        person = request.state.person
        names = await ctx.catalogues.names(ctx.cycle)
        mine = set(owned(names, person.department))
        claims = [
            c
            for c in await every(
                clients.scoring.ListClaims,
                spb.ListClaimsRequest(cycle_code=ctx.cycle, page_size=200),
                "claims",
            )
            if any(i.indicator.special_assessment_code in mine for i in c.indicators)
        ]
        appeals = [
            a
            for a in await every(
                clients.scoring.ListAppeals,
                spb.ListAppealsRequest(cycle_code=ctx.cycle, page_size=200),
                "appeals",
            )
            if a.indicator.special_assessment_code in mine
        ]
        return page(
            request,
            "review/decisions.html",
            claims=claims,
            appeals=appeals,
            names=names,
            mine=mine,
            pending_claim=spb.DECISION_STATE_PENDING,
            pending_appeal=spb.APPEAL_STATE_PENDING,
            claim_states={k: _(v) for k, v in CLAIM_STATES.items()},
            appeal_states={k: _(v) for k, v in APPEAL_STATES.items()},
            flash=take_flash(request),
        )

    async def decide_claim(request: Request):
        form = await request.form()
        approve = form.get("decision") == "approve"
        await clients.scoring.DecideClaim(
            spb.DecideClaimRequest(
                request_id=request_id(),
                cycle_code=ctx.cycle,
                claim_id=int(request.path_params["claim_id"]),
                decision=spb.DECISION_APPROVE if approve else spb.DECISION_REJECT,
                reason=str(form.get("reason", ""))[:2000],
            )
        )
        flash(request, _("Decision recorded."))
        return RedirectResponse("/review/decisions", status_code=303)

    async def decide_appeal(request: Request):
        form = await request.form()
        await clients.scoring.DecideAppeal(
            spb.DecideAppealRequest(
                request_id=request_id(),
                cycle_code=ctx.cycle,
                appeal_id=int(request.path_params["appeal_id"]),
                decision=spb.APPEAL_DECISION_UPHOLD,
                reason=str(form.get("reason", ""))[:2000],
            )
        )
        flash(request, _("Decision recorded."))
        return RedirectResponse("/review/decisions", status_code=303)

    only = requires("assessor")
    return [
        Route("/review", only(queue)),
        Route("/review/sheet", only(sheet_upload), methods=["POST"]),
        Route("/review/sheet/{sa}.xlsx", only(sheet_download)),
        Route("/review/decisions", only(decisions)),
        Route("/review/claims/{claim_id:int}", only(decide_claim), methods=["POST"]),
        Route("/review/appeals/{appeal_id:int}", only(decide_appeal), methods=["POST"]),
        Route("/review/{sa}/{indicator}/{unit}", only(review_form), methods=["GET", "POST"]),
    ]

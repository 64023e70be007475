"""The auditor's pages (纪检/审计), read-only: the scoreboard per peer group with tiers, a
unit's score explained down to reviews and evidence sha256, its timeline in plain words, and
the verification of a score run and of every service's audit chain. No form on these pages
writes anything."""

from __future__ import annotations

import grpc
from starlette.requests import Request
from starlette.routing import Route

from oneassess.client.chains import check_chains
from oneassess.indicators.v1 import cycle_control_service_pb2 as cc
from oneassess.scoring.v1 import scoring_service_pb2 as spb
from oneassess.submissions.v1 import submissions_service_pb2 as pb
from services.portal.charts import horizontal_bars
from services.portal.i18n import N_, _
from services.portal.pages import Context
from services.portal.pages.office import NOTIFICATION_KINDS
from services.portal.render import as_datetime, not_found, page
from services.portal.rpc import every
from services.portal.security import requires

EVENTS = {
    "submitted": N_("Evidence submitted: %(name)s (version %(version)s, sha256 %(sha)s)"),
    "notified": N_("%(kind)s sent to %(recipient)s: %(subject)s"),
    "reviewed": N_("%(indicator)s reviewed by %(by)s (revision %(revision)s)"),
    "claim": N_("Tolerance claim filed: %(category)s"),
    "appeal": N_("Appeal filed on %(indicator)s"),
    "workflow": N_("Workflow %(workflow)s closed after %(events)s events; history sha256 %(sha)s"),
}


async def unit_timeline(ctx: Context, unit_code: str) -> cc.GetUnitTimelineResponse | None:
    """The unit's workflow history in plain words (cycle-control RPC): from Temporal while it
    is there, from the stored export after; None when the cycle never ran."""
    try:
        return await ctx.clients.cycles.GetUnitTimeline(
            cc.GetUnitTimelineRequest(cycle_code=ctx.cycle, unit_code=unit_code)
        )
    except grpc.RpcError as err:
        if err.code() in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED):
            raise
        return None


def routes(ctx: Context) -> list[Route]:
    clients = ctx.clients

    async def scoreboard(request: Request):
        names = await ctx.catalogues.names(ctx.cycle)
        try:
            first = await clients.scoring.ListScores(
                spb.ListScoresRequest(cycle_code=ctx.cycle, page_size=500)
            )
        except grpc.RpcError as err:
            if err.code() not in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION):
                raise
            first = None
        groups: dict[str, list] = {}
        if first is not None:
            scores = list(first.scores)
            if first.next_page_token:
                scores += await every(
                    clients.scoring.ListScores,
                    spb.ListScoresRequest(
                        cycle_code=ctx.cycle, page_size=500, page_token=first.next_page_token
                    ),
                    "scores",
                )
            for s in sorted(scores, key=lambda s: (s.group, s.rank)):
                groups.setdefault(s.group, []).append(s)
        charts = {
            group: horizontal_bars(
                _("Ranking in %(group)s") % {"group": group},
                [
                    (
                        names.unit_name(s.unit_code),
                        float(s.composite or 0),
                        f"{s.composite_display or s.composite} · {s.tier}",
                    )
                    for s in rows
                ],
            )
            for group, rows in groups.items()
        }
        return page(
            request,
            "audit/scoreboard.html",
            groups=groups,
            charts=charts,
            run=first.run if first else None,
            tiers={t.group: t for t in first.tiers} if first else {},
            names=names,
        )

    async def unit_detail(request: Request):
        unit_code = request.path_params["unit"]
        names = await ctx.catalogues.names(ctx.cycle)
        if unit_code not in names.units:
            return not_found(request)
        tz = names.cycle.timezone or "Asia/Shanghai"
        try:
            card = await clients.scoring.GetScorecard(
                spb.GetScorecardRequest(cycle_code=ctx.cycle, unit_code=unit_code)
            )
        except grpc.RpcError as err:
            if err.code() not in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION):
                raise
            card = None
        reviews = await every(
            clients.scoring.ListReviews,
            spb.ListReviewsRequest(cycle_code=ctx.cycle, unit_code=unit_code, page_size=500),
            "reviews",
        )
        submissions = await every(
            clients.submissions.ListSubmissions,
            pb.ListSubmissionsRequest(cycle_code=ctx.cycle, unit_code=unit_code, page_size=500),
            "submissions",
        )
        notes = await every(
            clients.submissions.ListNotifications,
            pb.ListNotificationsRequest(cycle_code=ctx.cycle, unit_code=unit_code, page_size=500),
            "notifications",
        )
        claims = await every(
            clients.scoring.ListClaims,
            spb.ListClaimsRequest(cycle_code=ctx.cycle, unit_code=unit_code, page_size=200),
            "claims",
        )
        appeals = await every(
            clients.scoring.ListAppeals,
            spb.ListAppealsRequest(cycle_code=ctx.cycle, unit_code=unit_code, page_size=200),
            "appeals",
        )
        exports = await every(
            clients.submissions.ListHistoryExports,
            pb.ListHistoryExportsRequest(cycle_code=ctx.cycle, unit_code=unit_code, page_size=100),
            "exports",
        )
        timeline = []
        for s in submissions:
            timeline.append(
                (
                    as_datetime(s.submitted_at),
                    s.submitted_at,
                    _(EVENTS["submitted"])
                    % {
                        "name": names.evidence_name(s.evidence_key),
                        "version": s.version,
                        "sha": s.sha256[:12],
                    },
                )
            )
        for n in notes:
            timeline.append(
                (
                    as_datetime(n.at),
                    n.at,
                    _(EVENTS["notified"])
                    % {
                        "kind": _(NOTIFICATION_KINDS.get(n.kind, "")),
                        "recipient": n.recipient or "-",
                        "subject": n.subject,
                    },
                )
            )
        for r in reviews:
            timeline.append(
                (
                    as_datetime(r.reviewed_at),
                    r.reviewed_at,
                    _(EVENTS["reviewed"])
                    % {
                        "indicator": names.indicator_name(
                            r.special_assessment_code, r.indicator_code
                        ),
                        "by": r.reviewed_by,
                        "revision": r.revision,
                    },
                )
            )
        for c in claims:
            timeline.append(
                (
                    as_datetime(c.filed_at),
                    c.filed_at,
                    _(EVENTS["claim"])
                    % {
                        "category": c.category_name or c.category,
                    },
                )
            )
        for a in appeals:
            timeline.append(
                (
                    as_datetime(a.filed_at),
                    a.filed_at,
                    _(EVENTS["appeal"])
                    % {
                        "indicator": names.indicator_name(
                            a.indicator.special_assessment_code, a.indicator.indicator_code
                        ),
                    },
                )
            )
        for e in exports:
            timeline.append(
                (
                    as_datetime(e.close_time),
                    e.close_time,
                    _(EVENTS["workflow"])
                    % {
                        "workflow": e.workflow_id,
                        "events": e.event_count,
                        "sha": e.sha256[:12],
                    },
                )
            )
        workflow = await unit_timeline(ctx, unit_code)
        timeline = [
            (ts, text)
            for moment, ts, text in sorted(
                (t for t in timeline if t[0] is not None), key=lambda t: t[0]
            )
        ]
        reviews_by = {(r.special_assessment_code, r.indicator_code): r for r in reviews}
        return page(
            request,
            "audit/unit.html",
            unit=names.units[unit_code],
            card=card.scorecard if card else None,
            run=card.run if card else None,
            reviews_by=reviews_by,
            submissions=sorted(submissions, key=lambda s: (s.evidence_key, s.version)),
            timeline=timeline,
            names=names,
            tz=tz,
            workflow=workflow,
        )

    async def verify(request: Request):
        try:
            result = await clients.scoring.VerifyScores(
                spb.VerifyScoresRequest(cycle_code=ctx.cycle)
            )
        except grpc.RpcError as err:
            if err.code() not in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION):
                raise
            result = None
        # Each service's audit chain, checked whole. Heads kept from earlier checks (what
        # exposes a chain recomputed from scratch) are the CLI's: `oneassess audit verify`.
        chains = await check_chains(clients, {})
        return page(request, "audit/verify.html", result=result, chains=chains)

    only = requires("auditor")
    return [
        Route("/audit", only(scoreboard)),
        Route("/audit/verify", only(verify)),
        Route("/audit/units/{unit}", only(unit_detail)),
    ]

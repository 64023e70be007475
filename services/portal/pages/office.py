"""The assessment office's pages (考核办): the cycle dashboard — phase timeline, completion by
unit and by special assessment, overdue units, reminders sent, the burden saved by folding —
granting extensions, and previewing weights."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from oneassess.indicators.v1 import cycle_control_service_pb2 as cc
from oneassess.scoring.v1 import scoring_service_pb2 as spb
from oneassess.submissions.v1 import submissions_service_pb2 as pb
from services.portal.charts import grouped_bars, horizontal_bars, percent_line
from services.portal.i18n import N_, _
from services.portal.pages import Context, flash, request_id, take_flash
from services.portal.progress import completion_by_day
from services.portal.render import as_datetime, not_found, page, when
from services.portal.rpc import burden_of, every
from services.portal.security import requires

PHASES = [
    ("opens", N_("Collection opens")),
    ("evidence_due", N_("Evidence due")),
    ("collection_closes", N_("Collection closes")),
    ("review_due", N_("Reviews due")),
    ("publish", N_("Results published")),
]
CYCLE_PHASES = {
    cc.CYCLE_PHASE_FOLDED: N_("Waiting for collection to open"),
    cc.CYCLE_PHASE_COLLECTING: N_("Collecting evidence"),
    cc.CYCLE_PHASE_REVIEWING: N_("Reviewing"),
    cc.CYCLE_PHASE_SCORING: N_("Scoring"),
    cc.CYCLE_PHASE_PUBLISHED: N_("Published; appeals open"),
    cc.CYCLE_PHASE_CLOSED: N_("Closed"),
}
MILESTONES = ("opens", "evidence_due", "collection_closes", "review_due", "publish")
# What the close-review form may carry: a city has a few dozen line departments.
MAX_DEPARTMENTS, MAX_FIELD = 200, 200
KINDS = {"township": N_("Townships and streets"), "department": N_("Departments")}
NOTIFICATION_KINDS = {
    pb.NOTIFICATION_KIND_REMINDER: N_("Reminders"),
    pb.NOTIFICATION_KIND_OVERDUE: N_("Overdue reminders"),
    pb.NOTIFICATION_KIND_ESCALATION: N_("Escalations to the unit head"),
    pb.NOTIFICATION_KIND_REVIEW_REMINDER: N_("Review reminders"),
    pb.NOTIFICATION_KIND_EXTENSION_DECIDED: N_("Extension decisions"),
    pb.NOTIFICATION_KIND_RESULTS: N_("Results notices"),
}


async def cycle_status(ctx: Context) -> cc.GetCycleStatusResponse | None:
    """The running cycle's status from the cycle-control RPC; None when no cycle workflow
    runs (folded but not started): the dashboard then shows what the services hold."""
    try:
        return await ctx.clients.cycles.GetCycleStatus(
            cc.GetCycleStatusRequest(cycle_code=ctx.cycle)
        )
    except grpc.RpcError as err:
        if err.code() in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED):
            raise
        return None


def kind_label(kind: str) -> str:
    return _(KINDS[kind]) if kind in KINDS else kind


async def reviews_missing(ctx: Context) -> list[dict]:
    """Reviews still missing per line department, with the "department:missing" text that
    CloseReviewing's override must name."""
    reply = await ctx.clients.scoring.ListMissingReviews(
        spb.ListMissingReviewsRequest(cycle_code=ctx.cycle)
    )
    return [
        {
            "department": d.department,
            "missing": d.missing,
            "total": d.total,
            "acknowledged": f"{d.department}:{d.missing}",
        }
        for d in reply.departments
        if d.missing
    ]


async def completion(ctx: Context, names):
    """Per unit: asks, submitted, its deadline; per special assessment: share of needed
    (unit, evidence) pairs submitted. From the submissions service's ask times."""
    first = await ctx.clients.submissions.ListAskTimes(
        pb.ListAskTimesRequest(cycle_code=ctx.cycle, page_size=1000)
    )
    times = list(first.ask_times)
    if first.next_page_token:
        times += await every(
            ctx.clients.submissions.ListAskTimes,
            pb.ListAskTimesRequest(
                cycle_code=ctx.cycle, page_size=1000, page_token=first.next_page_token
            ),
            "ask_times",
        )
    submitted: dict[str, set[str]] = {}
    first_at = {}
    for t in times:
        submitted.setdefault(t.unit_code, set()).add(t.evidence_key)
        first_at[(t.unit_code, t.evidence_key)] = as_datetime(t.first_submitted_at)
    answered = []  # when each ask a unit owes was first submitted
    extended = {e.unit_code: e.deadline for e in first.extended}
    asks_of_kind = {k.kind: k.asks for k in names.catalogue.asks_by_kind}
    now = datetime.now(UTC)
    units = []
    sa_need: Counter = Counter()
    sa_done: Counter = Counter()
    for unit in names.catalogue.units:
        asks = asks_of_kind.get(unit.kind, [])
        done = submitted.get(unit.code, set())
        deadline = extended.get(unit.code) or first.cycle_deadline
        due = as_datetime(deadline)
        count = sum(1 for a in asks if a.evidence_key in done)
        units.append(
            {
                "unit": unit,
                "asks": len(asks),
                "done": count,
                "deadline": deadline,
                "extended": unit.code in extended,
                "overdue": bool(due and due < now and count < len(asks)),
            }
        )
        for ask in asks:
            if first_at.get((unit.code, ask.evidence_key)):
                answered.append(first_at[(unit.code, ask.evidence_key)])
            for sa in {ref.special_assessment_code for ref in ask.serves}:
                sa_need[sa] += 1
                sa_done[sa] += ask.evidence_key in done
    by_sa = [
        {
            "code": code,
            "name": names.sa_name(code),
            "need": sa_need[code],
            "done": sa_done[code],
            "percent": round(100 * sa_done[code] / sa_need[code]) if sa_need[code] else 0,
        }
        for code in names.special_assessments
    ]
    return units, by_sa, first.cycle_deadline, answered


def completion_chart(names, status, answered: list[datetime], owed: int):
    """Share of the asks owed that were submitted by the end of each day, from the day
    collection opened to today (or the day it closed), on the running workflow's calendar
    when there is one, else the plan's; None before it opens."""
    if status is not None:
        opens = _parsed(status.calendar.opens)
        closes = _parsed(status.calendar.collection_closes)
    else:
        opens = as_datetime(names.cycle.calendar.opens)
        closes = as_datetime(names.cycle.calendar.collection_closes)
    now = datetime.now(UTC)
    if opens is None or opens > now or not owed:
        return None
    zone = ZoneInfo(cycle_timezone(names))
    closes = closes or now
    last = min(now, closes).astimezone(zone).date()
    days = completion_by_day(answered, opens.astimezone(zone).date(), last, cycle_timezone(names))
    points = [(day.strftime("%m-%d"), 100 * done / owed) for day, done in days]
    return {
        "svg": percent_line(_("Completion by day"), points),
        "rows": [(day.isoformat(), done, round(100 * done / owed)) for day, done in days],
    }


def routes(ctx: Context) -> list[Route]:
    clients = ctx.clients

    async def dashboard(request: Request):
        names = await ctx.catalogues.names(ctx.cycle)
        cycle = names.cycle
        now = datetime.now(UTC)
        timeline = []
        for field, label in PHASES:
            ts = getattr(cycle.calendar, field)
            moment = as_datetime(ts)
            timeline.append({"label": _(label), "at": ts, "past": bool(moment and moment <= now)})
        units, by_sa, deadline, answered = await completion(ctx, names)
        notes = await every(
            clients.submissions.ListNotifications,
            pb.ListNotificationsRequest(cycle_code=ctx.cycle, page_size=1000),
            "notifications",
        )
        sent = Counter(n.kind for n in notes if n.outcome == pb.NOTIFICATION_OUTCOME_SENT)
        reminders = [
            {"label": _(label), "count": sent.get(kind, 0)}
            for kind, label in NOTIFICATION_KINDS.items()
        ]
        burden = await burden_of(clients, names)
        burden_chart = grouped_bars(
            _("Evidence asks per unit, before and after folding"),
            [kind_label(k.kind) for k in burden.by_kind],
            [
                (_("Before folding"), [k.asks_before for k in burden.by_kind]),  # per unit
                (_("After folding"), [k.asks_after for k in burden.by_kind]),
            ],
        )
        sa_chart = horizontal_bars(
            _("Completion by special assessment"),
            [(row["name"], row["percent"], f"{row['percent']}%") for row in by_sa],
        )
        status = await cycle_status(ctx)
        missing_reviews = []
        if status is not None and status.phase == cc.CYCLE_PHASE_REVIEWING:
            missing_reviews = await reviews_missing(ctx)
        by_day = completion_chart(names, status, answered, sum(u["asks"] for u in units))
        if status is not None:  # the running workflow's calendar (it may have moved)
            for item, field in zip(timeline, MILESTONES, strict=True):
                moment = getattr(status.calendar, field)
                item["at"] = None
                item["iso"] = moment
                item["past"] = bool(moment) and datetime.fromisoformat(moment) <= now
        return page(
            request,
            "office/dashboard.html",
            status=status,
            phase=_(CYCLE_PHASES.get(status.phase, "")) if status else "",
            pending=[
                {"request": e, "unit_name": names.unit_name(e.unit_code)}
                for e in (status.pending_extensions if status else [])
            ],
            milestones=MILESTONES,
            cycle=cycle,
            timeline=timeline,
            units=units,
            overdue=[u for u in units if u["overdue"]],
            complete=sum(1 for u in units if u["asks"] and u["done"] >= u["asks"]),
            by_sa=by_sa,
            deadline=deadline,
            reminders=reminders,
            burden=burden,
            kind_label=kind_label,
            burden_chart=burden_chart,
            sa_chart=sa_chart,
            by_day=by_day,
            reviewing=status is not None and status.phase == cc.CYCLE_PHASE_REVIEWING,
            missing_reviews=missing_reviews,
            flash=take_flash(request),
        )

    async def extend(request: Request):
        """Grant a unit more time (ExtendUnit on the submissions service, office only)."""
        person = request.state.person
        form = await request.form()
        names = await ctx.catalogues.names(ctx.cycle)
        unit_code = str(form.get("unit", ""))
        if unit_code not in names.units:
            return not_found(request)
        try:
            days = max(1, min(60, int(str(form.get("days", "7")))))
        except ValueError:
            days = 7
        first = await clients.submissions.ListAskTimes(
            pb.ListAskTimesRequest(cycle_code=ctx.cycle, page_size=1)
        )
        base = max(as_datetime(first.cycle_deadline) or datetime.now(UTC), datetime.now(UTC))
        deadline = base + timedelta(days=days)
        due, closes = Timestamp(), Timestamp()
        due.FromDatetime(deadline)
        closes.FromDatetime(deadline + timedelta(days=1))
        if await cycle_status(ctx) is not None:  # a running cycle: its workflow moves the deadline
            try:
                await clients.cycles.GrantExtension(
                    cc.GrantExtensionRequest(
                        request_id=request_id(),
                        cycle_code=ctx.cycle,
                        unit_code=unit_code,
                        days=days,
                        reason=str(form.get("reason", ""))[:500],
                    )
                )
            except grpc.RpcError as err:
                flash(
                    request,
                    _("The extension was refused: %(why)s") % {"why": err.details()},
                    "error",
                )
                return RedirectResponse("/office", status_code=303)
            flash(
                request, _("Extension granted to %(unit)s.") % {"unit": names.unit_name(unit_code)}
            )
            return RedirectResponse("/office", status_code=303)
        try:
            await clients.submissions.ExtendUnit(
                pb.ExtendUnitRequest(
                    request_id=request_id(),
                    cycle_code=ctx.cycle,
                    unit_code=unit_code,
                    deadline=due,
                    closes_at=closes,
                    approved_by=person.subject,
                    reason=str(form.get("reason", ""))[:2000],
                )
            )
        except grpc.RpcError as err:
            flash(
                request, _("The extension was refused: %(why)s") % {"why": err.details()}, "error"
            )
            return RedirectResponse("/office", status_code=303)
        flash(
            request,
            _("%(unit)s now has until %(deadline)s.")
            % {"unit": names.unit_name(unit_code), "deadline": when(due, cycle_timezone(names))},
        )
        return RedirectResponse("/office", status_code=303)

    async def weights(request: Request):
        names = await ctx.catalogues.names(ctx.cycle)
        current = dict(names.cycle.weights)
        asked = {
            code: request.query_params.get(f"w_{code}", "")
            for code in current
            if request.query_params.get(f"w_{code}", "")
        }
        preview = None
        error = ""
        if asked:
            try:
                preview = await clients.scoring.PreviewWeights(
                    spb.PreviewWeightsRequest(cycle_code=ctx.cycle, weights=asked)
                )
            except grpc.RpcError as err:
                error = err.details() or err.code().name
        return page(
            request,
            "office/weights.html",
            current=current,
            asked=asked,
            preview=preview,
            error=error,
            names=names,
        )

    async def decide_extension(request: Request):
        form = await request.form()
        names = await ctx.catalogues.names(ctx.cycle)
        unit_code = str(form.get("unit", ""))
        approve = form.get("decision") == "approve"
        try:
            await clients.cycles.DecideExtension(
                cc.DecideExtensionRequest(
                    request_id=request_id(),
                    cycle_code=ctx.cycle,
                    unit_code=unit_code,
                    extension_id=request.path_params["extension_id"],
                    approve=approve,
                )
            )
        except grpc.RpcError as err:
            flash(request, _("The decision was refused: %(why)s") % {"why": err.details()}, "error")
            return RedirectResponse("/office", status_code=303)
        message = (
            _("Extension of %(unit)s approved.")
            if approve
            else _("Extension of %(unit)s rejected.")
        )
        flash(request, message % {"unit": names.unit_name(unit_code)})
        return RedirectResponse("/office", status_code=303)

    async def change_calendar(request: Request):
        form = await request.form()
        names = await ctx.catalogues.names(ctx.cycle)
        tz = ZoneInfo(cycle_timezone(names))
        changed = {}
        for field in MILESTONES:
            raw = str(form.get(field, "")).strip()
            if raw:
                try:
                    moment = datetime.fromisoformat(raw).replace(tzinfo=tz)
                except ValueError:
                    continue
                changed[field] = moment.isoformat()
        try:
            await clients.cycles.ChangeCalendar(
                cc.ChangeCalendarRequest(
                    request_id=request_id(),
                    cycle_code=ctx.cycle,
                    calendar=cc.CycleMilestones(**changed),
                )
            )
        except grpc.RpcError as err:
            flash(
                request,
                _("The calendar change was refused: %(why)s") % {"why": err.details()},
                "error",
            )
            return RedirectResponse("/office", status_code=303)
        flash(request, _("Calendar changed."))
        return RedirectResponse("/office", status_code=303)

    async def close_collection(request: Request):
        try:
            await clients.cycles.CloseCollection(
                cc.CloseCollectionRequest(request_id=request_id(), cycle_code=ctx.cycle)
            )
        except grpc.RpcError as err:
            flash(
                request,
                _("Closing collection was refused: %(why)s") % {"why": err.details()},
                "error",
            )
            return RedirectResponse("/office", status_code=303)
        flash(request, _("Collection closed: asks are locked and reviewing starts."))
        return RedirectResponse("/office", status_code=303)

    async def close_reviewing(request: Request):
        """Close review now; with reviews missing only when the office ticked that it closes
        without them (the form names them as ListMissingReviews did; the service checks the
        names are still exact)."""
        form = await request.form()
        missing = [str(m)[:MAX_FIELD] for m in form.getlist("missing")][:MAX_DEPARTMENTS]
        if missing and form.get("confirm") != "yes":
            flash(request, _("Tick the box to close review with reviews missing."), "error")
            return RedirectResponse("/office", status_code=303)
        try:
            await clients.cycles.CloseReviewing(
                cc.CloseReviewingRequest(
                    request_id=request_id(), cycle_code=ctx.cycle, missing_acknowledged=missing
                )
            )
        except grpc.RpcError as err:
            refused = _("Closing review was refused: %(why)s") % {"why": err.details()}
            flash(request, refused, "error")
            return RedirectResponse("/office", status_code=303)
        flash(request, _("Review closed: scores are computed and published now."))
        return RedirectResponse("/office", status_code=303)

    only = requires("admin")
    return [
        Route("/office", only(dashboard)),
        Route("/office/extensions", only(extend), methods=["POST"]),
        Route("/office/weights", only(weights)),
        Route("/office/extensions/{extension_id}", only(decide_extension), methods=["POST"]),
        Route("/office/calendar", only(change_calendar), methods=["POST"]),
        Route("/office/close-collection", only(close_collection), methods=["POST"]),
        Route("/office/close-reviewing", only(close_reviewing), methods=["POST"]),
    ]


def _parsed(moment: str) -> datetime | None:
    return datetime.fromisoformat(moment) if moment else None


def cycle_timezone(names) -> str:
    return names.cycle.timezone or "Asia/Shanghai"

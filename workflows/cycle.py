"""CycleWorkflow `cycle/{code}`: one year-end cycle, phase by phase, on its calendar.

folded -> collecting -> reviewing -> scoring -> published (appeal window) -> final -> closed.
Durable timers wait for each milestone; admin updates (validated before they enter history)
may move the calendar, close collection early, extend a unit or decide a unit's extension
request. Units run as children started in windows of at most `window` per run, abandoned on
parent close, and the workflow continues as new after each window and whenever its history
grows, so no run comes near Temporal's limits even for 2,000 units.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import (
    RetryPolicy,
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from oneassess.contract import (
        QUERY_STATUS,
        SA_CYCLE,
        SA_PHASE,
        SA_UNIT,
        SIGNAL_CALENDAR_CHANGED,
        SIGNAL_DEADLINE_EXTENDED,
        SIGNAL_EXTENSION_REQUESTED,
        UPDATE_CHANGE_CALENDAR,
        UPDATE_CLOSE_COLLECTION,
        UPDATE_DECIDE_EXTENSION,
        UPDATE_EXTEND_UNIT,
        WORKFLOW_UNIT,
        ExtensionRequested,
        unit_workflow_id,
    )
    from workflows import timeline
    from workflows.model import (
        CLOSED,
        COLLECTING,
        DEFAULT_ESCALATION,
        FINAL,
        FOLDED,
        PUBLISHED,
        REVIEWING,
        SCORING,
        UNIT_WAITING,
        AssessorDigestInput,
        CalendarChange,
        CloseCollectionEarly,
        CloseCollectionInput,
        CollectionInput,
        CycleCalendar,
        CycleInput,
        CyclePlan,
        CycleState,
        CycleStatus,
        DeliverResultsInput,
        ExportInput,
        ExtendUnitInput,
        ExtendUnitRequest,
        ExtensionDecision,
        ExtensionRecord,
        LoadCycleInput,
        NoticeInput,
        Recipient,
        ScoresInput,
        SignalUnitsInput,
        UnitCalendarChange,
        UnitExtended,
        UnitInput,
        UnitRef,
    )

CYCLE = SearchAttributeKey.for_keyword(SA_CYCLE)
UNIT = SearchAttributeKey.for_keyword(SA_UNIT)
PHASE = SearchAttributeKey.for_keyword(SA_PHASE)

# Activities are called by name: the worker registers the real ones, tests register fakes.
LOAD_CYCLE = "load_cycle"
OPEN_COLLECTION = "open_collection"
CLOSE_COLLECTION = "close_collection"
EXTEND_UNIT = "extend_unit"
COMPUTE_SCORES = "compute_scores"
PUBLISH_SCORES = "publish_scores"
FINALIZE_SCORES = "finalize_scores"
REMIND_ASSESSORS = "remind_assessors"
SEND_NOTICE = "send_notice"
SIGNAL_UNITS = "signal_units"
DELIVER_RESULTS = "deliver_results"
START_HISTORY_EXPORT = "start_history_export"

SERVICE_CALL = {
    "start_to_close_timeout": timedelta(minutes=2),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=30)),
}
BATCH_CALL = {
    "start_to_close_timeout": timedelta(minutes=30),
    "heartbeat_timeout": timedelta(seconds=60),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=30)),
}
# Runs recorded before this patch recomputed and republished in the final phase, which the
# scoring service refuses once results are published (appeals recompute as they are decided).
PATCH_FINALIZE_AFTER_APPEALS = "finalize-after-appeals"
EXTENSION_DAYS = (1, 60)  # what the submissions service accepts in RequestExtension


def _refused_unless(check):
    """Run a check inside an update handler: a ValueError refuses the update (the caller sees
    why) instead of failing the workflow task, which would retry forever."""
    try:
        return check()
    except ValueError as err:
        raise ApplicationError(str(err), type="REFUSED", non_retryable=True) from err


@workflow.defn(name="CycleWorkflow")
class CycleWorkflow:
    def __init__(self) -> None:
        self._state: CycleState | None = None
        self._input: CycleInput | None = None
        self._revision = 0  # bumped whenever the calendar changes
        self._lock = asyncio.Lock()
        self._early_requests: list[ExtensionRequested] = []  # signalled before the plan loaded

    # ---- the cycle's life ----

    @workflow.run
    async def run(self, input: CycleInput) -> CycleStatus:
        self._input = input
        if input.state is None:
            self._state = await self._first_state(input)
        else:
            self._state = input.state
        state = self._state
        for request in self._early_requests:
            self.extension_requested(request)
        workflow.upsert_search_attributes(
            [CYCLE.value_set(state.cycle_code), PHASE.value_set(state.phase)]
        )
        await self._start_units()
        while state.phase != CLOSED:
            await self._run_phase(state.phase)
            await self._continue_as_new_if_long()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._activity(
            START_HISTORY_EXPORT,
            ExportInput(state.cycle_code, workflow.info().workflow_id, workflow.info().run_id),
        )
        return self.status()

    async def _first_state(self, input: CycleInput) -> CycleState:
        plan: CyclePlan = await workflow.execute_activity(
            LOAD_CYCLE, LoadCycleInput(input.cycle_code), result_type=CyclePlan, **SERVICE_CALL
        )
        calendar = input.calendar or plan.calendar
        try:
            factor = timeline.compression_factor(
                calendar, factor=input.compress_factor, span_seconds=input.span_seconds
            )
            calendar, reminders = timeline.compress(
                calendar, plan.reminders, start=workflow.now(), factor=factor
            )
        except ValueError as err:
            raise ApplicationError(str(err), type="InvalidCalendar", non_retryable=True) from err
        problems = timeline.order_problems(calendar)
        if problems:
            raise ApplicationError("; ".join(problems), type="InvalidCalendar", non_retryable=True)
        return CycleState(
            cycle_code=input.cycle_code,
            calendar=calendar,
            reminders=reminders,
            units=plan.units,
            asks_by_kind=plan.asks_by_kind,
            escalation=input.escalation or DEFAULT_ESCALATION,
            compression=factor,
        )

    async def _start_units(self) -> None:
        """Start unit children, at most `window` per run; continue as new after each full
        window, so pending children never pile up in one run."""
        state, window = self._state, self._input.window
        assert state is not None
        while state.units_started < len(state.units):
            batch = state.units[state.units_started : state.units_started + window]
            await asyncio.gather(*(self._start_unit(unit) for unit in batch))
            state.units_started += len(batch)
            if state.units_started < len(state.units):
                await self._continue_as_new()

    async def _start_unit(self, unit: UnitRef) -> None:
        state = self._state
        assert state is not None
        deadline, closes = self._unit_deadline(unit.code)
        try:
            await workflow.start_child_workflow(
                WORKFLOW_UNIT,
                UnitInput(
                    cycle_code=state.cycle_code,
                    unit=unit,
                    asks=state.asks_by_kind.get(unit.kind, []),
                    opens=state.calendar.opens,
                    deadline=deadline,
                    closes_at=closes,
                    reminders=state.reminders,
                    escalation=state.escalation,
                ),
                id=unit_workflow_id(state.cycle_code, unit.code),
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(CYCLE, state.cycle_code),
                        SearchAttributePair(UNIT, unit.code),
                        SearchAttributePair(PHASE, UNIT_WAITING),
                    ]
                ),
            )
        except WorkflowAlreadyStartedError:
            workflow.logger.info("unit workflow of %s already running", unit.code)

    async def _run_phase(self, phase: str) -> None:
        state = self._state
        assert state is not None
        if phase == FOLDED:
            await self._until("opens")
            self._enter(COLLECTING)
        elif phase == COLLECTING:
            await self._once("open", self._open_collection)
            await self._until("collection_closes")
            self._enter(REVIEWING)
        elif phase == REVIEWING:
            await self._once("close", self._close_collection)
            await self._assessor_digests()
            await self._until("review_due")
            self._enter(SCORING)
        elif phase == SCORING:
            await self._once("compute:1", lambda: self._compute(1))
            await self._until("publish")
            self._enter(PUBLISHED)
        elif phase == PUBLISHED:
            await self._once("publish:1", lambda: self._publish(1))
            await self._once("results:1", lambda: self._deliver_results(final=False))
            await self._until("appeal_deadline")
            self._enter(FINAL)
        elif phase == FINAL:
            if workflow.patched(PATCH_FINALIZE_AFTER_APPEALS):
                # The scoring service recomputes the unit and its group as each appeal is
                # decided; once the window has closed the office makes the last run final
                # (the activity retries while an appeal still awaits its decision).
                pass
            else:
                await self._once("compute:2", lambda: self._compute(2))
                await self._once("publish:2", lambda: self._publish(2))
            await self._once(
                "finalize",
                lambda: self._activity(
                    FINALIZE_SCORES, ScoresInput(self._request_id("finalize"), state.cycle_code)
                ),
            )
            await self._once("results:2", lambda: self._deliver_results(final=True))
            self._enter(CLOSED)
        else:  # pragma: no cover - the phases are closed
            raise ApplicationError(f"unknown phase {phase!r}", non_retryable=True)

    # ---- phase actions ----

    async def _open_collection(self) -> None:
        state = self._state
        assert state is not None
        cal = state.calendar
        await self._activity(
            OPEN_COLLECTION,
            CollectionInput(
                self._request_id(f"open/r{state.calendar_revision}"),
                state.cycle_code,
                cal.opens,
                cal.evidence_due,
                cal.collection_closes,
            ),
        )

    async def _close_collection(self) -> None:
        state = self._state
        assert state is not None
        await self._activity(
            CLOSE_COLLECTION,
            CloseCollectionInput(
                self._request_id(f"close/r{state.calendar_revision}"),
                state.cycle_code,
                state.calendar.collection_closes,
            ),
        )

    async def _assessor_digests(self) -> None:
        """Digests of reviews still missing at the plan's `before` points ahead of review_due."""
        state = self._state
        assert state is not None
        while True:
            due = timeline.parse(state.calendar.review_due)
            points = [
                (f"review-before:{label}", due - timedelta(seconds=seconds))
                for seconds, label in zip(
                    state.reminders.before_seconds, self._before_labels(), strict=True
                )
            ]
            start = timeline.parse(state.calendar.collection_closes)
            pending = sorted(
                (at, label)
                for label, at in points
                if at > start and label not in state.assessor_points_sent
            )
            if not pending:
                return
            at, label = pending[0]
            if not await self._sleep_until(at):
                continue  # the calendar moved: recompute the points
            state.assessor_points_sent.append(label)
            await self._activity(
                REMIND_ASSESSORS,
                AssessorDigestInput(
                    state.cycle_code, label, state.calendar.review_due, timeline.iso(at)
                ),
            )

    async def _compute(self, number: int) -> None:
        state = self._state
        assert state is not None
        await self._activity(
            COMPUTE_SCORES, ScoresInput(self._request_id(f"compute/{number}"), state.cycle_code)
        )
        state.score_runs.append(number)

    async def _publish(self, number: int) -> None:
        state = self._state
        assert state is not None
        await self._activity(
            PUBLISH_SCORES,
            ScoresInput(
                self._request_id(f"publish/{number}"),
                state.cycle_code,
                state.calendar.appeal_deadline,
            ),
        )

    async def _deliver_results(self, *, final: bool) -> None:
        state = self._state
        assert state is not None
        await self._activity(
            DELIVER_RESULTS,
            DeliverResultsInput(state.cycle_code, final, [u.code for u in state.units]),
            batch=True,
        )

    # ---- signals, updates, queries ----

    @workflow.signal(name=SIGNAL_EXTENSION_REQUESTED)
    def extension_requested(self, request: ExtensionRequested) -> None:
        state = self._state
        if state is None:
            self._early_requests.append(request)
            return
        if any(e.extension_id == request.extension_id for e in state.extensions):
            return
        state.extensions.append(
            ExtensionRecord(
                extension_id=request.extension_id,
                unit_code=request.unit_code,
                days=request.days,
                reason=request.reason,
                requested_by=request.requested_by,
                requested_at=request.requested_at,
            )
        )

    @workflow.update(name=UPDATE_CHANGE_CALENDAR)
    async def change_calendar(self, change: CalendarChange) -> CycleCalendar:
        async with self._lock:
            state = self._state
            assert state is not None
            before = state.calendar
            # Checked again under the lock: an update queued behind another may no longer fit.
            state.calendar = _refused_unless(
                lambda: timeline.apply_change(before, change, now=workflow.now())
            )
            await self._calendar_moved(before)
            return state.calendar

    @change_calendar.validator
    def _validate_change_calendar(self, change: CalendarChange) -> None:
        state = self._require_state()
        if state.phase in (FINAL, CLOSED):
            raise ValueError(f"the cycle is {state.phase}: its calendar can no longer change")
        timeline.apply_change(state.calendar, change, now=workflow.now())

    @workflow.update(name=UPDATE_CLOSE_COLLECTION)
    async def close_collection_early(self, request: CloseCollectionEarly) -> CycleCalendar:
        async with self._lock:
            state = self._state
            assert state is not None
            before = state.calendar
            now = timeline.iso(workflow.now())
            due = min(timeline.parse(before.evidence_due), workflow.now())
            state.calendar = replace(before, evidence_due=timeline.iso(due), collection_closes=now)
            await self._calendar_moved(before)
            return state.calendar

    @close_collection_early.validator
    def _validate_close_collection(self, request: CloseCollectionEarly) -> None:
        state = self._require_state()
        if state.phase != COLLECTING:
            raise ValueError(f"collection is not open: the cycle is {state.phase}")

    @workflow.update(name=UPDATE_EXTEND_UNIT)
    async def extend_unit(self, request: ExtendUnitRequest) -> ExtensionRecord:
        async with self._lock:
            state = self._state
            assert state is not None
            record = ExtensionRecord(
                extension_id=f"office-{sum(1 for e in state.extensions if e.extension_id.startswith('office-')) + 1}",
                unit_code=request.unit_code,
                days=request.days,
                reason=request.reason,
                requested_by=request.approved_by,
                requested_at=timeline.iso(workflow.now()),
            )
            state.extensions.append(record)
            await self._approve(record, request.approved_by, request.days)
            return record

    @extend_unit.validator
    def _validate_extend_unit(self, request: ExtendUnitRequest) -> None:
        self._check_extendable(request.unit_code, request.days)

    @workflow.update(name=UPDATE_DECIDE_EXTENSION)
    async def decide_extension(self, decision: ExtensionDecision) -> ExtensionRecord:
        async with self._lock:
            record = _refused_unless(lambda: self._pending_extension(decision))
            if decision.approve:
                await self._approve(record, decision.decided_by, decision.days or record.days)
            else:
                record.status = "rejected"
                record.decided_by = decision.decided_by
                record.decided_at = timeline.iso(workflow.now())
                await self._notify_extension(record)
            return record

    @decide_extension.validator
    def _validate_decide_extension(self, decision: ExtensionDecision) -> None:
        record = self._pending_extension(decision)
        if decision.approve:
            self._check_extendable(record.unit_code, decision.days or record.days)
        elif self._require_state().phase in (FINAL, CLOSED):
            raise ValueError(
                f"the cycle is {self._require_state().phase}: extension requests are closed"
            )

    @workflow.query(name=QUERY_STATUS)
    def status(self) -> CycleStatus:
        state = self._require_state()
        return CycleStatus(
            cycle_code=state.cycle_code,
            phase=state.phase,
            calendar=state.calendar,
            units_total=len(state.units),
            units_started=state.units_started,
            run=state.runs,
            extensions_pending=sum(e.status == "pending" for e in state.extensions),
            extensions_approved=sum(e.status == "approved" for e in state.extensions),
            extensions_rejected=sum(e.status == "rejected" for e in state.extensions),
            score_runs=list(state.score_runs),
            pending_extension_units=sorted(
                {e.unit_code for e in state.extensions if e.status == "pending"}
            ),
        )

    # ---- helpers ----

    def _require_state(self) -> CycleState:
        if self._state is None:
            raise ValueError("the cycle workflow is still loading its plan: try again in a moment")
        return self._state

    def _pending_extension(self, decision: ExtensionDecision) -> ExtensionRecord:
        state = self._require_state()
        pending = [
            e
            for e in state.extensions
            if e.status == "pending"
            and (not decision.extension_id or e.extension_id == decision.extension_id)
            and (not decision.unit_code or e.unit_code == decision.unit_code)
        ]
        if not decision.extension_id and not decision.unit_code:
            raise ValueError("name the unit (unit_code) or the request (extension_id)")
        if not pending:
            who = decision.extension_id or decision.unit_code
            raise ValueError(f"no pending extension request for {who!r}")
        return pending[-1]

    def _check_extendable(self, unit_code: str, days: int) -> None:
        state = self._require_state()
        if unit_code not in {u.code for u in state.units}:
            raise ValueError(f"unit_code: {unit_code!r} is not a unit of cycle {state.cycle_code}")
        low, high = EXTENSION_DAYS
        if not low <= days <= high:
            raise ValueError(f"days: must be {low} to {high}, got {days}")
        if state.phase not in (FOLDED, COLLECTING, REVIEWING):
            raise ValueError(f"the cycle is {state.phase}: extensions are over once scoring starts")
        _, closes = self._unit_deadline(unit_code)
        new_closes = timeline.parse(closes) + timedelta(days=days) / state.compression
        if new_closes >= timeline.parse(state.calendar.review_due):
            raise ValueError(
                f"days: {days} more days would keep {unit_code}'s asks open until "
                f"{timeline.iso(new_closes)}, past review_due ({state.calendar.review_due})"
            )

    def _unit_deadline(self, unit_code: str) -> tuple[str, str]:
        state = self._state
        assert state is not None
        deadline, closes = state.unit_deadlines.get(
            unit_code, [state.calendar.evidence_due, state.calendar.collection_closes]
        )
        return deadline, closes

    async def _approve(self, record: ExtensionRecord, by: str, days: int) -> None:
        """Move the unit's deadline and lock by `days`: the lock in the submissions service,
        the reminders in the unit workflow."""
        state = self._state
        assert state is not None
        deadline, closes = self._unit_deadline(record.unit_code)
        moved = timedelta(days=days) / state.compression
        new_deadline = timeline.iso(timeline.parse(deadline) + moved)
        new_closes = timeline.iso(timeline.parse(closes) + moved)
        await self._activity(
            EXTEND_UNIT,
            ExtendUnitInput(
                self._request_id(f"extend/{record.unit_code}/{record.extension_id}"),
                state.cycle_code,
                record.unit_code,
                new_deadline,
                new_closes,
                by,
                record.reason,
            ),
        )
        state.unit_deadlines[record.unit_code] = [new_deadline, new_closes]
        record.status, record.decided_by = "approved", by
        record.decided_at = timeline.iso(workflow.now())
        record.deadline, record.closes_at, record.days = new_deadline, new_closes, days
        await workflow.get_external_workflow_handle(
            unit_workflow_id(state.cycle_code, record.unit_code)
        ).signal(
            SIGNAL_DEADLINE_EXTENDED,
            UnitExtended(record.extension_id, new_deadline, new_closes, by, record.reason, days),
        )
        await self._notify_extension(record)

    async def _notify_extension(self, record: ExtensionRecord) -> None:
        state = self._state
        assert state is not None
        unit = next(u for u in state.units if u.code == record.unit_code)
        if record.status == "approved":
            body = f"Extension of {record.days} day(s) approved by {record.decided_by}: new deadline {record.deadline}."
        else:
            body = f"Extension request rejected by {record.decided_by}."
        await self._activity(
            SEND_NOTICE,
            NoticeInput(
                notification_id=f"{state.cycle_code}/{unit.code}/extension/{record.extension_id}",
                cycle_code=state.cycle_code,
                unit_code=unit.code,
                kind="extension_decided",
                subject=f"{state.cycle_code}: extension {record.status}",
                body=body,
                recipients=[Recipient("contact", unit.contact)],
            ),
        )

    async def _calendar_moved(self, before: CycleCalendar) -> None:
        """Tell the submissions service and every unit about the new calendar."""
        state = self._state
        assert state is not None
        after = state.calendar
        state.calendar_revision += 1
        try:
            await self._push_calendar(before, after)
        except BaseException:
            state.calendar = before  # the update failed: nothing moved
            raise
        finally:
            # Wake the phase loop only once the services and units know: the loop's own
            # phase actions (e.g. closing collection) must not race the handler's.
            self._revision += 1

    async def _push_calendar(self, before: CycleCalendar, after: CycleCalendar) -> None:
        state = self._state
        assert state is not None
        window_moved = (before.evidence_due, before.collection_closes) != (
            after.evidence_due,
            after.collection_closes,
        )
        if not window_moved:
            return
        if state.phase == COLLECTING:
            if (
                after.collection_closes != before.collection_closes
                and timeline.parse(after.collection_closes) <= workflow.now()
            ):
                await self._once("close", self._close_collection)
            else:
                await self._open_collection()
        await self._activity(
            SIGNAL_UNITS,
            SignalUnitsInput(
                state.cycle_code,
                [u.code for u in state.units[: state.units_started]],
                SIGNAL_CALENDAR_CHANGED,
                UnitCalendarChange(
                    after.evidence_due, after.collection_closes, state.calendar_revision
                ),
            ),
            batch=True,
        )

    def _before_labels(self) -> list[str]:
        state = self._state
        assert state is not None
        return state.reminders.before_labels or [
            timeline.offset_label(s) for s in state.reminders.before_seconds
        ]

    def _enter(self, phase: str) -> None:
        state = self._state
        assert state is not None
        state.phase = phase
        workflow.upsert_search_attributes([PHASE.value_set(phase)])

    async def _once(self, name: str, action) -> None:
        state = self._state
        assert state is not None
        if name in state.done:
            return
        await action()
        state.done.append(name)

    async def _until(self, milestone: str) -> None:
        """Sleep until a calendar milestone; re-arm whenever the calendar changes."""
        state = self._state
        assert state is not None
        while not await self._sleep_until(timeline.parse(getattr(state.calendar, milestone))):
            await self._continue_as_new_if_long()  # many signals and updates within one phase

    async def _sleep_until(self, moment: datetime) -> bool:
        """True when `moment` came; False when the calendar changed first."""
        revision = self._revision
        delay = moment - workflow.now()
        if delay <= timedelta(0):
            return True
        try:
            await workflow.wait_condition(
                lambda: self._revision != revision or self._history_long(), timeout=delay
            )
        except TimeoutError:
            return True
        return False

    async def _activity(self, name: str, arg, *, batch: bool = False):
        return await workflow.execute_activity(name, arg, **(BATCH_CALL if batch else SERVICE_CALL))

    def _request_id(self, purpose: str) -> str:
        state = self._state
        assert state is not None
        return f"cycle/{state.cycle_code}/{purpose}"

    def _history_long(self) -> bool:
        info = workflow.info()
        assert self._input is not None
        return info.is_continue_as_new_suggested() or (
            info.get_current_history_length() > self._input.max_history_events
        )

    async def _continue_as_new_if_long(self) -> None:
        info = workflow.info()
        assert self._input is not None
        if info.is_continue_as_new_suggested() or (
            info.get_current_history_length() > self._input.max_history_events
        ):
            await self._continue_as_new()

    async def _continue_as_new(self) -> None:
        assert self._input is not None and self._state is not None
        await workflow.wait_condition(workflow.all_handlers_finished)
        self._state.runs += 1
        workflow.continue_as_new(replace(self._input, state=self._state, calendar=None))

"""CycleWorkflow `cycle/{code}`: one year-end cycle, phase by phase, on its calendar.

folded -> collecting -> reviewing -> scoring -> published (appeal window) -> final -> closed.
Durable timers wait for each milestone; admin updates (validated before they enter history)
may move the calendar, close collection early, extend a unit or decide a unit's extension
request. Units run as children started in windows of at most `window` per run, abandoned on
parent close, and the workflow continues as new after each window and whenever its history
grows, so no run comes near Temporal's limits even for 2,000 units.

Once closed it starts HistoryExportWorkflow, which stores every closed run's history (its
own included, so only after it has closed): see workflows.control.wait_until_closed.

What it asks of the services is in workflows.cycle_actions, the extension rules in
workflows.extensions, the state's pure reads in workflows.cycle_state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from workflows.unit import UnitWorkflow

with workflow.unsafe.imports_passed_through():
    from oneassess.contract import (
        QUERY_STATUS,
        SA_CYCLE,
        SA_PHASE,
        SA_UNIT,
        SIGNAL_EXTENSION_REQUESTED,
        UPDATE_CHANGE_CALENDAR,
        UPDATE_CLOSE_COLLECTION,
        UPDATE_CLOSE_REVIEWING,
        UPDATE_DECIDE_EXTENSION,
        UPDATE_EXTEND_UNIT,
        WORKFLOW_CYCLE,
        ExtensionRequested,
        unit_workflow_id,
    )
    from oneassess.contract.cycle import (
        CLOSED,
        COLLECTING,
        FINAL,
        FOLDED,
        MAX_EXTENSIONS_PER_UNIT,
        PUBLISHED,
        REVIEWING,
        SCORING,
        UNIT_WAITING,
        CalendarChange,
        CloseCollectionEarly,
        CloseReviewing,
        CycleCalendar,
        CycleInput,
        CycleState,
        CycleStatus,
        ExtendUnitRequest,
        ExtensionDecision,
        ExtensionRecord,
        UnitRef,
    )
    from workflows import cycle_actions as act
    from workflows import extensions, timeline
    from workflows.cycle_state import (
        OPEN_COLLECTION,
        initial_state,
        next_assessor_point,
        pending_assessor_points,
        status_of,
    )
    from workflows.model import ExtendUnitInput, UnitExtended, UnitInput

CYCLE = SearchAttributeKey.for_keyword(SA_CYCLE)
UNIT = SearchAttributeKey.for_keyword(SA_UNIT)
PHASE = SearchAttributeKey.for_keyword(SA_PHASE)

# Runs recorded before this patch recomputed and republished in the final phase, which the
# scoring service refuses once results are published (appeals recompute as they are decided).
PATCH_FINALIZE_AFTER_APPEALS = "finalize-after-appeals"

T = TypeVar("T")

# Requests signalled while the plan loads (seconds after the start): held until it is read.
MAX_EARLY_REQUESTS = 1000

LOADING = "the cycle workflow is still loading its plan: try again in a moment"


def _refused_unless(check: Callable[[], T]) -> T:
    """Run a check inside an update handler: a ValueError refuses the update (the caller sees
    why) instead of failing the workflow task, which would retry forever."""
    try:
        return check()
    except ValueError as err:
        raise ApplicationError(str(err), type="REFUSED", non_retryable=True) from err


@workflow.defn(name=WORKFLOW_CYCLE)
class CycleWorkflow:
    @workflow.init
    def __init__(self, input: CycleInput) -> None:
        self._input = input
        # A continued run carries its state; a first run loads the plan before it has one.
        self._state: CycleState | None = input.state
        self._revision = 0  # bumped whenever the calendar changes
        self._lock = asyncio.Lock()
        self._early_requests: list[ExtensionRequested] = []  # signalled before the plan loaded

    @property
    def state(self) -> CycleState:
        """The cycle's state; handlers that arrive while the plan is loading are refused."""
        if self._state is None:
            raise ValueError(LOADING)
        return self._state

    # ---- the cycle's life ----

    @workflow.run
    async def run(self, input: CycleInput) -> CycleStatus:
        if self._state is None:
            self._state = await self._first_state(input)
        state = self._state
        for request in self._early_requests:
            extensions.record_request(state, request)
        self._early_requests = []
        workflow.upsert_search_attributes(
            [CYCLE.value_set(state.cycle_code), PHASE.value_set(state.phase)]
        )
        await self._start_units()
        while state.phase != CLOSED:
            await self._run_phase(state.phase)
            await self._continue_as_new_if_long()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await act.start_history_export(state)
        return self.status()

    async def _first_state(self, input: CycleInput) -> CycleState:
        plan = await act.load_plan(input.cycle_code)
        try:
            return initial_state(input, plan, now=workflow.now())
        except ValueError as err:
            raise ApplicationError(str(err), type="InvalidCalendar", non_retryable=True) from err

    async def _start_units(self) -> None:
        """Start unit children, at most `window` per run; continue as new after each full
        window, so pending children never pile up in one run."""
        state, window = self.state, self._input.window
        while state.units_started < len(state.units):
            batch = state.units[state.units_started : state.units_started + window]
            await asyncio.gather(*(self._start_unit(unit) for unit in batch))
            state.units_started += len(batch)
            if state.units_started < len(state.units):
                await self._continue_as_new()

    async def _start_unit(self, unit: UnitRef) -> None:
        state = self.state
        deadline, closes = extensions.unit_deadline(state, unit.code)
        try:
            await workflow.start_child_workflow(
                UnitWorkflow.run,
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
        state = self.state
        if phase == FOLDED:
            await self._until("opens")
            self._enter(COLLECTING)
        elif phase == COLLECTING:
            await self._once(OPEN_COLLECTION, lambda: act.open_collection(state))
            await self._until("collection_closes")
            self._enter(REVIEWING)
        elif phase == REVIEWING:
            await self._once("close", lambda: act.close_collection(state))
            await self._assessor_digests()
            await self._until("review_due")
            self._enter(SCORING)
        elif phase == SCORING:
            await self._once("compute:1", lambda: self._compute(1))
            await self._until("publish")
            self._enter(PUBLISHED)
        elif phase == PUBLISHED:
            await self._once("publish:1", lambda: act.publish_scores(state, 1))
            await self._once("results:1", lambda: act.deliver_results(state, final=False))
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
                await self._once("publish:2", lambda: act.publish_scores(state, 2))
            await self._once("finalize", lambda: act.finalize_scores(state))
            await self._once("results:2", lambda: act.deliver_results(state, final=True))
            self._enter(CLOSED)
        else:  # pragma: no cover - the phases are closed
            raise ApplicationError(f"unknown phase {phase!r}", non_retryable=True)

    async def _compute(self, number: int) -> None:
        await act.compute_scores(self.state, number)
        self.state.score_runs.append(number)

    async def _assessor_digests(self) -> None:
        """Digests of reviews still missing at the plan's `before` points ahead of review_due."""
        state = self.state
        while (point := next_assessor_point(state)) is not None:
            at, label = point
            if not await self._sleep_until(at):
                continue  # the calendar moved: recompute the points
            state.assessor_points_sent.append(label)
            await act.remind_assessors(state, label, at)

    # ---- signals, updates, queries ----

    @workflow.signal(name=SIGNAL_EXTENSION_REQUESTED)
    def extension_requested(self, request: ExtensionRequested) -> None:
        if self._state is None:
            if len(self._early_requests) < MAX_EARLY_REQUESTS:
                self._early_requests.append(request)
            return
        if not extensions.record_request(self._state, request):
            workflow.logger.warning(
                "extension request %s of %s dropped: the unit has %d already",
                request.extension_id,
                request.unit_code,
                MAX_EXTENSIONS_PER_UNIT,
            )

    @workflow.update(name=UPDATE_CHANGE_CALENDAR)
    async def change_calendar(self, change: CalendarChange) -> CycleCalendar:
        async with self._lock:
            state = self.state
            before = state.calendar
            # Checked again under the lock: an update queued behind another may no longer fit.
            state.calendar = _refused_unless(
                lambda: timeline.apply_change(before, change, now=workflow.now())
            )
            if change.publish and change.changed_by:
                state.publish_ordered_by = change.changed_by
            await self._calendar_moved(before)
            return state.calendar

    @change_calendar.validator
    def _validate_change_calendar(self, change: CalendarChange) -> None:
        state = self.state
        if state.phase in (FINAL, CLOSED):
            raise ValueError(f"the cycle is {state.phase}: its calendar can no longer change")
        timeline.apply_change(state.calendar, change, now=workflow.now())

    @workflow.update(name=UPDATE_CLOSE_COLLECTION)
    async def close_collection_early(self, request: CloseCollectionEarly) -> CycleCalendar:
        async with self._lock:
            state = self.state
            before = state.calendar
            now = timeline.iso(workflow.now())
            due = min(timeline.parse(before.evidence_due), workflow.now())
            state.calendar = replace(before, evidence_due=timeline.iso(due), collection_closes=now)
            await self._calendar_moved(before)
            return state.calendar

    @close_collection_early.validator
    def _validate_close_collection(self, request: CloseCollectionEarly) -> None:
        if self.state.phase != COLLECTING:
            raise ValueError(f"collection is not open: the cycle is {self.state.phase}")

    @workflow.update(name=UPDATE_CLOSE_REVIEWING)
    async def close_reviewing(self, request: CloseReviewing) -> CycleCalendar:
        """Review is over now: scoring starts at once and publication follows it (the appeal
        window keeps its deadline). The assessor reminders still ahead are dropped: there is
        nothing left to remind of. Whether reviews are missing is the service's check (it
        sends this only when none is, or with the office's override naming them)."""
        async with self._lock:
            state = self.state
            before = state.calendar
            now = timeline.iso(workflow.now())
            state.calendar = _refused_unless(
                lambda: timeline.close_reviewing(before, now=workflow.now())
            )
            state.assessor_points_sent.extend(pending_assessor_points(state))
            state.publish_ordered_by = request.closed_by
            state.calendar_revision += 1
            self._revision += 1  # wakes the phase loop: review_due has come
            workflow.logger.info("review closed early at %s by %s", now, request.closed_by)
            return state.calendar

    @close_reviewing.validator
    def _validate_close_reviewing(self, request: CloseReviewing) -> None:
        state = self.state
        if state.phase != REVIEWING:
            raise ValueError(f"review is not under way: the cycle is {state.phase}")
        if not request.closed_by:
            raise ValueError("closed_by: name the person closing review")
        timeline.close_reviewing(state.calendar, now=workflow.now())

    @workflow.update(name=UPDATE_EXTEND_UNIT)
    async def extend_unit(self, request: ExtendUnitRequest) -> ExtensionRecord:
        async with self._lock:
            state = self.state
            record = extensions.office_record(state, request, workflow.now())
            state.extensions.append(record)
            await self._approve(record, request.approved_by, request.days)
            return record

    @extend_unit.validator
    def _validate_extend_unit(self, request: ExtendUnitRequest) -> None:
        extensions.check_grantable(self.state, request.unit_code, request.days)

    @workflow.update(name=UPDATE_DECIDE_EXTENSION)
    async def decide_extension(self, decision: ExtensionDecision) -> ExtensionRecord:
        async with self._lock:
            state = self.state
            record = _refused_unless(lambda: extensions.pending(state, decision))
            if decision.approve:
                await self._approve(record, decision.decided_by, decision.days or record.days)
            else:
                extensions.reject(record, by=decision.decided_by, now=workflow.now())
                await act.send_notice(extensions.decision_notice(state, record))
            return record

    @decide_extension.validator
    def _validate_decide_extension(self, decision: ExtensionDecision) -> None:
        extensions.check_decidable(self.state, decision)

    @workflow.query(name=QUERY_STATUS)
    def status(self) -> CycleStatus:
        return status_of(self.state)

    # ---- what the handlers do ----

    async def _approve(self, record: ExtensionRecord, by: str, days: int) -> None:
        """Move the unit's deadline and lock by `days`: the lock in the submissions service,
        the reminders in the unit workflow."""
        state = self.state
        deadline, closes = extensions.moved_deadline(state, record.unit_code, days)
        await act.extend_unit(
            ExtendUnitInput(
                act.request_id(state, f"extend/{record.unit_code}/{record.extension_id}"),
                state.cycle_code,
                record.unit_code,
                deadline,
                closes,
                by,
                record.reason,
            )
        )
        extensions.approve(
            state, record, by=by, days=days, deadline=deadline, closes=closes, now=workflow.now()
        )
        unit = workflow.get_external_workflow_handle_for(
            UnitWorkflow.run, unit_workflow_id(state.cycle_code, record.unit_code)
        )
        await unit.signal(
            UnitWorkflow.deadline_extended,
            UnitExtended(record.extension_id, deadline, closes, by, record.reason, days),
        )
        await act.send_notice(extensions.decision_notice(state, record))

    async def _calendar_moved(self, before: CycleCalendar) -> None:
        """Tell the submissions service and every unit about the new calendar."""
        state = self.state
        state.calendar_revision += 1
        try:
            await self._push_calendar(before, state.calendar)
        except BaseException:
            state.calendar = before  # the update failed: nothing moved
            raise
        finally:
            # Wake the phase loop only once the services and units know: the loop's own
            # phase actions (e.g. closing collection) must not race the handler's.
            self._revision += 1

    async def _push_calendar(self, before: CycleCalendar, after: CycleCalendar) -> None:
        state = self.state
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
                await self._once("close", lambda: act.close_collection(state))
            else:
                await act.open_collection(state)
        await act.tell_units_the_calendar(state)

    # ---- time, phases and continue-as-new ----

    def _enter(self, phase: str) -> None:
        self.state.phase = phase
        workflow.upsert_search_attributes([PHASE.value_set(phase)])

    async def _once(self, name: str, action: Callable[[], Awaitable[None]]) -> None:
        """Run a phase action once per cycle, across continue-as-new."""
        state = self.state
        if name in state.done:
            return
        await action()
        state.done.append(name)

    async def _until(self, milestone: str) -> None:
        """Sleep until a calendar milestone; re-arm whenever the calendar changes."""
        while not await self._sleep_until(timeline.parse(getattr(self.state.calendar, milestone))):
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

    def _history_long(self) -> bool:
        info = workflow.info()
        return info.is_continue_as_new_suggested() or (
            info.get_current_history_length() > self._input.max_history_events
        )

    async def _continue_as_new_if_long(self) -> None:
        if self._history_long():
            await self._continue_as_new()

    async def _continue_as_new(self) -> None:
        await workflow.wait_condition(workflow.all_handlers_finished)
        self.state.runs += 1
        workflow.continue_as_new(replace(self._input, state=self.state, calendar=None))

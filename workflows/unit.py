"""UnitWorkflow `cycle/{code}/unit/{unit}`: one unit's asks through one cycle.

It holds the unit's asks and what was submitted for each (signals from the submissions
outbox relay, idempotent by submission id), sends ONE digest per reminder point listing
everything still missing (nothing, and no activity, when nothing is missing), climbs the
escalation ladder after the deadline, follows extensions and calendar changes, and ends
once it learns its final result.

History budget: a digest is a local activity (one marker event, no extra workflow task), a
unit that has submitted everything waits on a single timer, so a unit stays near 50 events
plus its signals.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from oneassess.contract import (
        QUERY_STATUS,
        SA_PHASE,
        SIGNAL_CALENDAR_CHANGED,
        SIGNAL_DEADLINE_EXTENDED,
        SIGNAL_EVIDENCE_BATCH,
        SIGNAL_EVIDENCE_SUBMITTED,
        SIGNAL_SCORED,
        WORKFLOW_UNIT,
        EvidenceBatch,
        EvidenceSubmitted,
    )
    from oneassess.contract.cycle import (
        UNIT_COLLECTING,
        UNIT_FINAL,
        UNIT_LOCKED,
        UNIT_OVERDUE,
        UNIT_SCORED,
        UNIT_WAITING,
    )
    from workflows import timeline
    from workflows.activities.notifications import NotificationActivities
    from workflows.model import (
        DigestInput,
        Recipient,
        UnitCalendarChange,
        UnitExtended,
        UnitInput,
        UnitResult,
        UnitStatus,
    )

PHASE = SearchAttributeKey.for_keyword(SA_PHASE)


@workflow.defn(name=WORKFLOW_UNIT)
class UnitWorkflow:
    @workflow.init
    def __init__(self, input: UnitInput) -> None:
        # Initialised from the input before any signal is handled: a submission may be
        # signalled in the very first workflow task.
        self._input = input
        self._submitted: dict[str, EvidenceSubmitted] = {}  # evidence key -> latest
        self._submission_ids: set[str] = set()
        self._extensions: list[UnitExtended] = []
        self._base_deadline, self._base_closes = input.deadline, input.closes_at
        self._calendar_revision = 0
        self._revision = 0  # bumped by anything that changes what to wait for
        self._generation_since = timeline.parse(input.opens)  # reminder points count from
        self._handled: list[str] = []
        self._result: UnitResult | None = None
        self._phase = ""

    # ---- signals (idempotent) ----

    @workflow.signal(name=SIGNAL_EVIDENCE_SUBMITTED)
    def evidence_submitted(self, event: EvidenceSubmitted) -> None:
        if event.submission_id in self._submission_ids:
            return
        self._submission_ids.add(event.submission_id)
        had_missing = bool(self._missing())
        latest = self._submitted.get(event.evidence_key)
        if latest is None or event.version >= latest.version:
            self._submitted[event.evidence_key] = event
        if had_missing and not self._missing():
            self._revision += 1  # nothing left to remind of: drop the reminder timer

    @workflow.signal(name=SIGNAL_EVIDENCE_BATCH)
    def evidence_batch_submitted(self, batch: EvidenceBatch) -> None:
        for event in batch.submissions:
            self.evidence_submitted(event)

    @workflow.signal(name=SIGNAL_DEADLINE_EXTENDED)
    def deadline_extended(self, extension: UnitExtended) -> None:
        if any(e.extension_id == extension.extension_id for e in self._extensions):
            return
        self._extensions.append(extension)
        self._generation_since = workflow.now()
        self._revision += 1

    @workflow.signal(name=SIGNAL_CALENDAR_CHANGED)
    def calendar_changed(self, change: UnitCalendarChange) -> None:
        if change.revision <= self._calendar_revision:
            return
        self._calendar_revision = change.revision
        self._base_deadline, self._base_closes = change.deadline, change.closes_at
        self._revision += 1

    @workflow.signal(name=SIGNAL_SCORED)
    def scored(self, result: UnitResult) -> None:
        if self._result is not None and self._result.final:
            return
        self._result = result
        self._revision += 1

    @workflow.query(name=QUERY_STATUS)
    def status(self) -> UnitStatus:
        return UnitStatus(
            unit_code=self._input.unit.code,
            phase=self._phase,
            deadline=timeline.iso(self._deadline()),
            closes_at=timeline.iso(self._closes_at()),
            missing=self._missing(),
            submitted=sorted(self._submitted),
            points_sent=list(self._handled),
            result=self._result,
        )

    # ---- the unit's life ----

    @workflow.run
    async def run(self, input: UnitInput) -> UnitStatus:
        opens = timeline.parse(input.opens)
        while self._result is None or not self._result.final:
            now = workflow.now()
            revision = self._revision
            if now < opens:
                self._set_phase(UNIT_WAITING)
                await self._wait_until(opens, revision)
                continue
            closes = self._closes_at()
            if now < closes:
                missing = self._missing()
                overdue = now >= self._deadline() and missing
                self._set_phase(UNIT_OVERDUE if overdue else UNIT_COLLECTING)
                point = self._next_point() if missing else None
                came = await self._wait_until(point.at if point else closes, revision)
                # A point reached only after the lock (say, after an outage) reminds of
                # nothing the unit could still submit.
                if came and point and workflow.now() < self._closes_at():
                    await self._remind(point)
                continue
            self._set_phase(UNIT_SCORED if self._result else UNIT_LOCKED)
            await self._wait_until(datetime.max.replace(tzinfo=now.tzinfo), revision)
        self._set_phase(UNIT_FINAL)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.status()

    async def _wait_until(self, moment: datetime, revision: int) -> bool:
        """True when `moment` came; False when something changed first."""
        changed = lambda: self._revision != revision  # noqa: E731
        if moment.year == datetime.max.year:  # no deadline: wait for a change only
            await workflow.wait_condition(changed)
            return False
        delay = moment - workflow.now()
        if delay <= timedelta(0):
            return True
        try:
            await workflow.wait_condition(changed, timeout=delay)
        except TimeoutError:
            return True
        return False

    async def _remind(self, point: timeline.ReminderPoint) -> None:
        self._handled.append(point.label)
        missing = self._missing()
        if not missing:
            return
        unit = self._input.unit
        addresses = {"contact": unit.contact, "head": unit.head}
        roles = timeline.escalation_roles(self._input.escalation, point.overdue)
        digest = DigestInput(
            cycle_code=self._input.cycle_code,
            unit_code=unit.code,
            point=point.label,
            kind="overdue" if point.overdue else "reminder",
            missing=missing,
            recipients=[Recipient(role, addresses.get(role, "")) for role in roles],
            deadline=timeline.iso(self._deadline()),
            at=timeline.iso(point.at),
        )
        try:
            await workflow.execute_local_activity_method(
                NotificationActivities.send_unit_digest,
                digest,
                start_to_close_timeout=timedelta(seconds=60),
                schedule_to_close_timeout=timedelta(minutes=30),
                retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
            )
        except ActivityError as err:
            # A digest that cannot be delivered must not stop the unit's calendar.
            workflow.logger.warning("digest %s of %s failed: %s", point.label, unit.code, err)

    # ---- derived state ----

    def _missing(self) -> list[str]:
        return [key for key in self._input.asks if key not in self._submitted]

    def _deadline(self) -> datetime:
        moments = [timeline.parse(self._base_deadline)]
        moments += [timeline.parse(e.deadline) for e in self._extensions]
        return max(moments)

    def _closes_at(self) -> datetime:
        moments = [timeline.parse(self._base_closes)]
        moments += [timeline.parse(e.closes_at) for e in self._extensions]
        return max(moments)

    def _next_point(self) -> timeline.ReminderPoint | None:
        points = timeline.reminder_points(
            deadline=self._deadline(),
            closes_at=self._closes_at(),
            reminders=self._input.reminders,
            generation=len(self._extensions),
        )
        for point in points:
            if point.label not in self._handled and point.at >= self._generation_since:
                return point
        return None

    def _set_phase(self, phase: str) -> None:
        if phase != self._phase:
            self._phase = phase
            workflow.upsert_search_attributes([PHASE.value_set(phase)])

"""The cycle's plan, read from the indicators service."""

from __future__ import annotations

from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

from temporalio import activity
from temporalio.exceptions import ApplicationError

from oneassess.client.channels import ServiceClients
from oneassess.indicators.v1 import indicators_service_pb2 as ind
from workflows import timeline
from workflows.activities.calls import call, instant
from workflows.model import CycleCalendar, CyclePlan, LoadCycleInput, ReminderPlan, UnitRef


class CatalogueActivities:
    def __init__(self, services: ServiceClients) -> None:
        self._services = services

    @activity.defn(name="load_cycle")
    async def load_cycle(self, input: LoadCycleInput) -> CyclePlan:
        indicators = self._services.indicators
        cycle = (
            await call(indicators.GetCycle, ind.GetCycleRequest(cycle_code=input.cycle_code))
        ).cycle
        if cycle.state != ind.CYCLE_STATE_FOLDED:
            raise ApplicationError(
                f"cycle {input.cycle_code} is not folded yet: fold it before starting its workflow",
                type="NotFolded",
                non_retryable=True,
            )
        catalogue = (
            await call(
                indicators.GetCatalogue, ind.GetCatalogueRequest(cycle_code=input.cycle_code)
            )
        ).catalogue
        zone = ZoneInfo(cycle.timezone) if cycle.timezone else None
        cal = cycle.calendar
        publish = cal.publish.ToDatetime(tzinfo=UTC)
        appeal = publish + timedelta(days=cal.appeal_days)
        calendar = CycleCalendar(
            opens=instant(cal.opens, zone),
            evidence_due=instant(cal.evidence_due, zone),
            collection_closes=instant(cal.collection_closes, zone),
            review_due=instant(cal.review_due, zone),
            publish=instant(cal.publish, zone),
            appeal_deadline=timeline.iso(appeal.astimezone(zone) if zone else appeal),
        )
        before = [d.ToTimedelta().total_seconds() for d in cycle.reminders.before]
        reminders = ReminderPlan(
            before_seconds=before,
            before_labels=[timeline.offset_label(s) for s in before],
            overdue_every_seconds=cycle.reminders.overdue_every.ToTimedelta().total_seconds(),
            overdue_max=cycle.reminders.overdue_max,
        )
        units = [
            UnitRef(code=u.code, kind=u.kind, name=u.name, contact=u.contact, head=u.head)
            for u in catalogue.units
        ]
        asks = {k.kind: [a.evidence_key for a in k.asks] for k in catalogue.asks_by_kind}
        return CyclePlan(input.cycle_code, calendar, reminders, units, asks, cycle.timezone)

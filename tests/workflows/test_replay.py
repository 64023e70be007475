"""Determinism guard: recorded histories of every workflow type replay against today's
code. An incompatible change (a command added, removed or reordered) fails here first.
Histories come from `python -m tests.workflows.record_histories`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from workflows.cycle import CycleWorkflow
from workflows.export import HistoryExportWorkflow
from workflows.model import UnitInput, UnitStatus
from workflows.unit import UnitWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_every_workflow_type_is_recorded():
    kinds = {p.name.split("-")[0].removesuffix(".json") for p in HISTORIES}
    assert kinds == {"cycle", "unit", "export"}
    assert any(p.name == "cycle-run2.json" for p in HISTORIES)  # a continued-as-new run too


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.name)
async def test_recorded_history_replays(path):
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(workflows=[CycleWorkflow, UnitWorkflow, HistoryExportWorkflow])
    await replayer.replay_workflow(history)


@workflow.defn(name="UnitWorkflow")
class UnitWorkflowThatStoppedReminding(UnitWorkflow):
    """What a careless change looks like: the same workflow without its digests."""

    @workflow.run
    async def run(self, input: UnitInput) -> UnitStatus:
        return await super().run(input)

    async def _remind(self, point) -> None:
        await workflow.sleep(timedelta(seconds=1))


async def test_an_incompatible_change_fails_replay():
    path = next(p for p in HISTORIES if p.name == "unit-overdue-town.json")
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    with pytest.raises(NondeterminismError):
        await Replayer(workflows=[UnitWorkflowThatStoppedReminding]).replay_workflow(history)

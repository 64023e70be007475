"""Issue 8: a short cycle on the real dev server, its histories exported when it closes; after
the executions are deleted (as retention would), `audit history` still gives the same
verified events from the export, and altering one byte makes `audit verify` name it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.service import RPCError, RPCStatusCode

from oneassess.contract import (
    SIGNAL_EVIDENCE_SUBMITTED,
    EvidenceSubmitted,
    unit_workflow_id,
)
from tests.workflows.fake_services import city
from tests.workflows.harness import eventually, export_summary, fake_stack, indicators_service
from workflows import control

pytestmark = pytest.mark.slow

SHA = "5d41402abc4b2a76b9719d911017c592" * 2


async def _gone(client, workflow_id: str) -> bool:
    try:
        await client.get_workflow_handle(workflow_id).fetch_history()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return True
        raise
    return False


async def _exists(client, workflow_id: str) -> bool:
    try:
        await client.get_workflow_handle(workflow_id).describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def test_history_outlives_the_executions(dev_server, tmp_path, database_url):
    client = dev_server.client
    code = f"audit-{uuid.uuid4().hex[:6]}"
    async with (
        fake_stack(client, tmp_path) as stack,
        indicators_service(stack, database_url, tmp_path, code),
    ):
        stack.fakes.cities[code] = city(code, datetime.now(UTC), 3)
        started = await stack.cli("cycle", "start", code, "--span-minutes", "0.4")
        assert started.exit_code == 0, started.output
        unit = unit_workflow_id(code, "unit-0001")
        # The unit workflow starts with the cycle's first window.
        await eventually(lambda: _exists(client, unit), what=f"{unit} started")
        await client.get_workflow_handle(unit).signal(
            SIGNAL_EVIDENCE_SUBMITTED,
            EvidenceSubmitted(
                "sub-1",
                code,
                "unit-0001",
                "evidence-000",
                SHA,
                1,
                "2026-11-02T09:00:00+08:00",
                "unit:unit-0001",
                "plan.pdf",
                1234,
            ),
        )
        status = await stack.cli("cycle", "status", code, "--json")
        assert status.exit_code == 0, status.output
        assert json.loads(status.output)["units_total"] == 3

        summary = await export_summary(client, code)
        assert summary is not None and summary.exported == 4, summary  # 1 cycle run + 3 units
        assert await control.history_export(client, code) == summary

        listed = await stack.cli("audit", "exports", code, "--json", "--as", "auditor")
        assert listed.exit_code == 0, listed.output
        exports = json.loads(listed.output)
        assert sorted(e["workflow_id"] for e in exports) == sorted(
            [f"cycle/{code}", *(unit_workflow_id(code, f"unit-{i:04d}") for i in range(3))]
        )
        assert all(e["event_count"] > 5 and len(e["sha256"]) == 64 for e in exports)

        before = await stack.cli(
            "audit", "history", code, "--unit", "unit-0001", "--json", "--as", "auditor"
        )
        assert before.exit_code == 0, before.output
        live = json.loads(before.output)
        assert live["source"] == "TIMELINE_SOURCE_TEMPORAL"
        texts = [e["text"] for r in live["runs"] for e in r["entries"]]
        assert any(
            f"submitted evidence-000 v1 (plan.pdf) sha256 {SHA} by unit:unit-0001" in t
            for t in texts
        )
        assert any(t.startswith("reminded at before:14d → contact") for t in texts), texts
        assert any(t.startswith("scored: composite") and "(final)" in t for t in texts)

        # Retention passes: the executions are gone from Temporal.
        for export in exports:
            await client.workflow_service.delete_workflow_execution(
                DeleteWorkflowExecutionRequest(
                    namespace=client.namespace,
                    workflow_execution=WorkflowExecution(
                        workflow_id=export["workflow_id"], run_id=export["run_id"]
                    ),
                )
            )
        for export in exports:
            workflow_id = export["workflow_id"]
            await eventually(
                lambda workflow_id=workflow_id: _gone(client, workflow_id),
                what=f"{workflow_id} deleted",
                every=0.2,
            )

        after = await stack.cli(
            "audit", "history", code, "--unit", "unit-0001", "--json", "--as", "auditor"
        )
        assert after.exit_code == 0, after.output
        kept = json.loads(after.output)
        assert kept["source"] == "TIMELINE_SOURCE_EXPORT"
        assert [r["entries"] for r in kept["runs"]] == [r["entries"] for r in live["runs"]]
        assert all(r["verified"] for r in kept["runs"])
        plain = await stack.cli("audit", "history", code, "--unit", "unit-0001", "--as", "auditor")
        assert "source: exported history" in plain.output and "verified" in plain.output

        cycle_after = await stack.cli("audit", "history", code, "--json", "--as", "auditor")
        assert json.loads(cycle_after.output)["source"] == "TIMELINE_SOURCE_EXPORT"

        verified = await stack.cli("audit", "verify", code, "--as", "auditor")
        assert verified.exit_code == 0 and "4 of 4 exported histories match" in verified.output

        # One altered byte in one stored export.
        victim = next(e for e in exports if e["workflow_id"].endswith("unit-0002"))
        blob = tmp_path / "blobs" / victim["sha256"]
        data = bytearray(blob.read_bytes())
        data[len(data) // 2] ^= 0x01
        blob.write_bytes(bytes(data))
        failed = await stack.cli("audit", "verify", code, "--as", "auditor")
        assert failed.exit_code == 1
        assert f"MISMATCH {victim['workflow_id']} run {victim['run_id']}" in failed.output
        assert "3 of 4 exported histories match" in failed.output
        refused = await stack.cli(
            "audit", "history", code, "--unit", "unit-0002", "--as", "auditor"
        )
        assert refused.exit_code == 1 and "does not match its sha256" in refused.output

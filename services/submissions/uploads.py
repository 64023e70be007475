"""The upload use case's commit: one new version of an ask, its outbox event and audit entry,
and the blob moved into the store, all in the caller's transaction. No proto here."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from oneassess import telemetry
from oneassess.contract import SIGNAL_EVIDENCE_SUBMITTED, EvidenceSubmitted, unit_workflow_id
from services.common import audit
from services.submissions import model
from services.submissions import repository as repo
from services.submissions.blobstore import BlobWriter, blob_lock_key
from services.submissions.collection import require_collecting


async def commit_upload(
    conn,
    *,
    plan: model.UploadPlan,
    evidence_key: str,
    judged_format: str,
    sha256: str,
    blob: BlobWriter,
    actor: str,
) -> tuple[repo.StoredSubmission, bool]:
    """(the ask's current submission, deduplicated): bytes equal to the current version's
    store nothing new; anything else becomes the next version."""
    await require_collecting(conn, plan.cycle_code, plan.unit_code, lock_ask=evidence_key)
    ask = await repo.current_of_ask(
        conn, cycle_code=plan.cycle_code, unit_code=plan.unit_code, evidence_key=evidence_key
    )
    if ask is not None and ask.current_sha256 == sha256:
        return await repo.get_submission(conn, submission_id=ask.current_submission_id), True
    stored = await repo.insert_submission(
        conn,
        cycle_code=plan.cycle_code,
        unit_code=plan.unit_code,
        evidence_key=evidence_key,
        file_name=plan.file_name,
        format=judged_format,
        size_bytes=plan.size_bytes,
        sha256=sha256,
        effective_date=plan.effective_date,
        submitted_at=datetime.now(UTC),
        submitted_by=actor,
        blob_lock_key=blob_lock_key(sha256),
    )
    await blob.commit()  # a refused upload leaves no file
    # Queued after the blob is stored, so the row's created_at (the relay's lag counts from
    # it) is close to the commit, not the start of a transaction that waited on the store.
    await repo.enqueue(
        conn,
        trace_context=telemetry.current_trace_carrier(),
        workflow_id=unit_workflow_id(stored.cycle_code, stored.unit_code),
        signal=SIGNAL_EVIDENCE_SUBMITTED,
        payload=asdict(
            EvidenceSubmitted(
                submission_id=stored.id,
                cycle_code=stored.cycle_code,
                unit_code=stored.unit_code,
                evidence_key=stored.evidence_key,
                sha256=stored.sha256,
                version=stored.version,
                submitted_at=stored.submitted_at.isoformat(),
                submitted_by=stored.submitted_by,
                file_name=stored.file_name,
                size_bytes=stored.size_bytes,
            )
        ),
    )
    await audit.append(
        conn,
        actor=actor,
        action="evidence.submitted",
        subject=f"{stored.cycle_code}/{stored.unit_code}/{stored.evidence_key}@{stored.version}",
        payload={"submission_id": stored.id, "sha256": sha256, "size_bytes": stored.size_bytes},
    )
    return stored, False

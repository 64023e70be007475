"""How the outbox relay groups rows into signals (services.submissions.signal_batches)."""

from __future__ import annotations

import json
import uuid

from hypothesis import given
from hypothesis import strategies as st

from oneassess.contract import (
    SIGNAL_EVIDENCE_BATCH,
    SIGNAL_EVIDENCE_SUBMITTED,
    SIGNAL_EXTENSION_REQUESTED,
)
from services.submissions.signal_batches import (
    OutboxRow,
    batch_id_for,
    plan_signals,
    request_id_for,
)

WORKFLOWS = ["cycle/c/unit/a", "cycle/c/unit/b", "cycle/c"]


def _row(row_id: int, workflow: str, signal: str, note: str = "", batch: str | None = None):
    return OutboxRow(
        row_id, workflow, signal, {"submission_id": f"s{row_id}", "n": note}, 0, {}, batch
    )


@st.composite
def claimed_rows(draw) -> list[OutboxRow]:
    """Rows in claim order (ids ascending), some already leased in earlier batches."""
    count = draw(st.integers(0, 60))
    rows = []
    for row_id in range(1, count + 1):
        workflow = draw(st.sampled_from(WORKFLOWS))
        signal = SIGNAL_EXTENSION_REQUESTED if workflow == "cycle/c" else SIGNAL_EVIDENCE_SUBMITTED
        note = "x" * draw(st.sampled_from([0, 10, 300]))
        batch = draw(st.sampled_from([None, None, f"old-{workflow}"]))
        rows.append(_row(row_id, workflow, signal, note, batch))
    return rows


@given(claimed_rows(), st.integers(1, 8), st.integers(100, 2000))
def test_every_row_goes_in_exactly_one_signal_to_its_own_workflow(rows, max_rows, max_bytes):
    planned = plan_signals(rows, max_rows=max_rows, max_bytes=max_bytes)
    sent = [row for signal in planned for row in signal.rows]
    assert sorted(r.id for r in sent) == [r.id for r in rows]
    for signal in planned:
        assert {row.workflow_id for row in signal.rows} == {signal.workflow_id}
        assert [r.id for r in signal.rows] == sorted(r.id for r in signal.rows)  # commit order


@given(claimed_rows(), st.integers(1, 8), st.integers(100, 2000))
def test_rows_already_leased_stay_in_their_batch_and_new_batches_respect_the_limits(
    rows, max_rows, max_bytes
):
    planned = plan_signals(rows, max_rows=max_rows, max_bytes=max_bytes)
    for row in rows:
        if row.batch_id is not None:
            [holder] = [p for p in planned if row in p.rows]
            assert holder.batch_id == row.batch_id
            assert all(r.batch_id == row.batch_id for r in holder.rows)
    for signal in planned:
        new = signal.rows[0].batch_id is None
        if new and len(signal.rows) > 1:
            assert len(signal.rows) <= max_rows
            assert sum(len(json.dumps(r.payload).encode()) for r in signal.rows) <= max_bytes
        if signal.rows[0].signal == SIGNAL_EXTENSION_REQUESTED:
            assert len(signal.rows) == 1 or not new


@given(claimed_rows())
def test_batch_and_request_ids_are_stable_and_distinct(rows):
    first, again = plan_signals(rows), plan_signals(rows)
    assert [p.request_id for p in first] == [p.request_id for p in again]
    assert len({p.request_id for p in first}) == len(first)
    new_batches = [p.batch_id for p in first if p.rows[0].batch_id is None]
    assert len(set(new_batches)) == len(new_batches)


def test_evidence_of_one_unit_is_one_batch_signal_and_an_extension_goes_alone():
    rows = [
        _row(1, WORKFLOWS[0], SIGNAL_EVIDENCE_SUBMITTED),
        _row(2, "cycle/c", SIGNAL_EXTENSION_REQUESTED),
        _row(3, WORKFLOWS[1], SIGNAL_EVIDENCE_SUBMITTED),
        _row(4, WORKFLOWS[0], SIGNAL_EVIDENCE_SUBMITTED),
    ]
    planned = plan_signals(rows)
    assert [(p.name, p.ids) for p in planned] == [
        (SIGNAL_EVIDENCE_BATCH, [1, 4]),
        (SIGNAL_EXTENSION_REQUESTED, [2]),
        (SIGNAL_EVIDENCE_BATCH, [3]),
    ]
    assert planned[0].payload() == {"submissions": [rows[0].payload, rows[3].payload]}
    assert planned[1].payload() == rows[1].payload
    assert planned[0].batch_id == batch_id_for(1)


def test_a_cut_batch_never_reuses_the_whole_batch_request_id():
    # The claim's limit took only part of a leased batch: sending that part under the whole
    # batch's id would make Temporal drop the rest later as a duplicate.
    whole = [_row(i, WORKFLOWS[0], SIGNAL_EVIDENCE_SUBMITTED, batch="b") for i in (5, 6, 7)]
    [part] = plan_signals(whole[:2])
    [full] = plan_signals(whole)
    assert part.request_id != full.request_id
    assert full.request_id == request_id_for([7, 6, 5])


def test_a_single_row_keeps_the_request_id_relays_gave_it_before_batching():
    namespace = uuid.UUID("7d1f6f3e-3c55-4c0b-9b1e-5a8e1c0f4b21")
    assert request_id_for([42]) == str(uuid.uuid5(namespace, "outbox/42"))

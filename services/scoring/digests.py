"""Digests of a run's inputs and of its ask snapshot (pure): equal content, equal sha256,
whatever the order or the machine.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from services.scoring.model import Inputs
from services.scoring.numbers import int64s

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def inputs_digest(inputs: Inputs) -> str:
    """sha256 of the canonical inputs: equal inputs give an equal digest, whatever their order."""
    h = hashlib.sha256(b"oneassess.scoring.inputs.v1\n")
    rules = inputs.rules
    h.update(f"catalogue|{inputs.catalogue.cycle_code}|{inputs.catalogue.sha256}\n".encode())
    for s in inputs.catalogue.special_assessments:
        h.update(f"sa|{s.code}|{s.owner}|{s.weight}\n".encode())
    for i in inputs.catalogue.indicators:
        h.update(f"ind|{i!r}\n".encode())
    for u in sorted(inputs.catalogue.units, key=lambda u: u.code):
        h.update(f"unit|{u.code}|{u.kind}|{u.group}\n".encode())
    h.update(
        f"rules|{rules.late_penalty}|{[(t.name, str(t.top_share)) for t in rules.tiers]}|"
        f"{rules.veto_tier}\n".encode()
    )
    h.update(
        f"asks|{asks_digest(inputs.deadline, inputs.unit_deadlines, inputs.ask_times)}\n".encode()
    )
    units = sorted(u.code for u in inputs.catalogue.units)  # reviews of other units are not used
    for key in sorted(inputs.reviews):
        column = list(map(inputs.reviews[key].get, units))
        h.update(f"\nreviews|{key[0]}/{key[1]}|".encode())
        h.update(int64s([-1 if r is None else r[0] for r in column]))
        h.update("\x1f".join(["" if r is None else str(r[1]) for r in column]).encode())
    for key in sorted(inputs.claims):
        claims = inputs.claims[key]
        h.update(f"\nclaims|{key[0]}/{key[1]}|{sorted(claims.items())}".encode())
    return h.hexdigest()


def asks_digest(
    deadline: datetime,
    unit_deadlines: Mapping[str, datetime],
    ask_times: Mapping[str, Mapping[str, datetime]],
) -> str:
    """sha256 of the submission times and deadlines (the ask snapshot a run used)."""
    h = hashlib.sha256(b"oneassess.scoring.asks.v1\n")
    h.update(f"deadline|{_instant(deadline)}\n".encode())
    for unit in sorted(unit_deadlines):
        h.update(f"extended|{unit}|{_instant(unit_deadlines[unit])}\n".encode())
    micro = timedelta(microseconds=1)
    for unit in sorted(ask_times):
        times = ask_times[unit]
        keys = sorted(times)
        h.update(f"asks|{unit}|{len(keys)}|".encode())
        h.update("\x1f".join(keys).encode())
        h.update(
            int64s([(times[k] - EPOCH) // micro for k in keys])
        )  # microseconds since 1970, UTC
    return h.hexdigest()

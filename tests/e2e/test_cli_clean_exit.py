"""Every command group, refused and succeeding, run as its own process against a running
stack: the answer is printed and the process ends cleanly. No "Fatal Python error" (gRPC or
Temporal objects outliving their event loop) and no traceback, whatever the outcome."""

from __future__ import annotations

import pytest

from tests.conftest import EXAMPLE
from tests.e2e.conftest import oneassess

# 44 processes one after another, each starting Python and gRPC: about 2 minutes on a quiet
# machine, over 5 with another suite on the same two cores. Each process has its own limit.
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(900)]

CYCLE = "haizhou-2026"
UNIT = "baiquan-town"
AS_UNIT = ("--as", f"unit:{UNIT}")
AS_ASSESSOR = ("--as", "assessor:emergency-bureau")

# (group, arguments, exit code), in order: later steps rely on earlier ones.
STEPS: list[tuple[str, tuple[str, ...], int]] = [
    ("stack", ("status",), 0),
    ("stack", ("token", "--as", "unit"), 1),  # a unit needs its code
    ("catalog", ("catalog", "import", str(EXAMPLE / "special-assessments")), 0),
    ("catalog", ("catalog", "import", str(EXAMPLE / "no-such-folder")), 1),
    ("catalog", ("catalog", "list"), 0),
    ("units", ("units", "import", str(EXAMPLE / "units.yaml")), 0),
    ("units", ("units", "list", "--as", "mayor"), 1),
    ("cycle", ("cycle", "show", CYCLE), 1),
    ("cycle", ("cycle", "create", str(EXAMPLE / "cycle.yaml")), 0),
    ("cycle", ("cycle", "start", CYCLE, "--span-minutes", "30"), 1),  # not folded yet
    ("cycle", ("cycle", "fold", CYCLE), 0),
    ("cycle", ("cycle", "status", CYCLE), 1),  # no workflow yet
    ("cycle", ("cycle", "calendar", CYCLE, "--evidence-due", "2027-01-05T18:00:00+08:00"), 1),
    ("cycle", ("cycle", "start", CYCLE, "--span-minutes", "30"), 0),
    ("cycle", ("cycle", "wait", CYCLE, "--phase", "collecting"), 0),
    ("cycle", ("cycle", "status", CYCLE), 0),
    ("cycle", ("cycle", "calendar", CYCLE, "--evidence-due", "2020-01-01T00:00:00+08:00"), 1),
    ("cycle", ("cycle", "burden", CYCLE), 0),
    ("cycle", ("cycle", "compute-scores", CYCLE, "--as", f"unit:{UNIT}"), 1),
    ("asks", ("asks", CYCLE, *AS_UNIT), 0),
    ("asks", ("asks", CYCLE), 1),
    ("submit", ("submit", CYCLE, "--unit", UNIT, "--key", "annual-work-plan",
                str(EXAMPLE / "evidence" / "annual-work-plan.pdf"), *AS_UNIT), 0),
    ("submit", ("submit", CYCLE, "--unit", UNIT, "--key", "no-such-key",
                str(EXAMPLE / "evidence" / "annual-work-plan.pdf"), *AS_UNIT), 1),
    ("evidence", ("evidence", "list", CYCLE, "--unit", UNIT, *AS_UNIT), 0),
    ("evidence", ("evidence", "get", "no-such-submission", "--as", "auditor"), 1),
    ("extension", ("extension", "request", CYCLE, "--unit", UNIT, "--days", "5",
                   "--reason", "typhoon", *AS_UNIT), 0),
    ("extension", ("extension", "decide", CYCLE, "--id", "no-such-request", "--approve"), 1),
    ("extension", ("extension", "grant", CYCLE, "--unit", UNIT, "--days", "0"), 1),
    ("reviews", ("reviews", "history", CYCLE, *AS_ASSESSOR), 0),
    ("reviews", ("reviews", "record", CYCLE, "--unit", UNIT, "--indicator", "ws-02",
                 "--value", "1", *AS_ASSESSOR), 1),
    ("claims", ("claims", "list", CYCLE, *AS_ASSESSOR), 0),
    ("claims", ("claims", "decide", CYCLE, "999", "--approve", "--reason", "x", *AS_ASSESSOR), 1),
    ("appeals", ("appeals", "list", CYCLE, *AS_UNIT), 0),
    ("appeals", ("appeals", "file", CYCLE, "--unit", UNIT, "--indicator", "work-safety/ws-02",
                 "--reason", "x", *AS_UNIT), 1),
    ("scores", ("scores", CYCLE, "--as", "auditor"), 1),  # nothing computed yet
    ("scores", ("cycle", "compute-scores", CYCLE), 0),
    ("scores", ("scores", CYCLE, "--as", "auditor"), 0),
    ("scores", ("explain", CYCLE, "--unit", UNIT, "--as", "auditor"), 0),
    ("audit", ("audit", "history", CYCLE, "--unit", UNIT, "--as", "auditor"), 0),
    ("audit", ("audit", "exports", CYCLE, "--as", "auditor"), 0),
    ("audit", ("audit", "verify", CYCLE, "--as", "auditor"), 1),  # the cycle is still open
    ("report", ("report", "no-such-cycle", "--out", "/dev/null", "--as", "auditor"), 1),
    ("demo", ("demo", "--span-seconds", "10"), 1),
]  # fmt: skip


def test_every_group_refuses_and_succeeds_without_a_fatal_error(running_stack):
    problems = []
    for group, args, expected in STEPS:
        ran = oneassess(running_stack, *args)
        line = f"{group}: oneassess {' '.join(args)}"
        if ran.code != expected:
            problems.append(f"{line}: exit {ran.code}, expected {expected}\n{ran.stderr[-2000:]}")
        if "Fatal Python error" in ran.stderr or "Traceback" in ran.stderr:
            problems.append(f"{line}: unclean end\n{ran.stderr[-3000:]}")
        if expected and "error:" not in ran.stderr:
            problems.append(f"{line}: refused without saying why\n{ran.stderr[-2000:]}")
    assert not problems, "\n\n".join(problems)
    covered = {group for group, _, _ in STEPS}
    assert covered >= {"stack", "catalog", "units", "cycle", "evidence", "extension", "claims",
                       "reviews", "scores", "audit", "report", "demo"}  # fmt: skip

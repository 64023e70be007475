"""Fixtures the service tests share (helpers without fixtures are in tests/support/).

Fixture names here are specific (`submissions_stack`, `collecting_stack`,
`indicators_module_stack`), so a test module's own `stack` or a scoring fixture such as
`city` never collides with them.
"""

from __future__ import annotations

import pytest

from tests.conftest import start_stack, stop_stack
from tests.support import submissions as s
from tests.support.indicators import indicators_stack


@pytest.fixture
async def submissions_stack(settings):
    """The indicators and submissions services with the sample cycle folded."""
    running = await start_stack(settings, ("indicators", "submissions"))
    try:  # a failed set-up stops the stack too: nothing outlives its database
        await s.fold_example(running.admin)
        yield running
    finally:
        await stop_stack(running)


@pytest.fixture
async def collecting_stack(submissions_stack):
    """`submissions_stack` with the sample cycle's collection window open."""
    await s.open_window(submissions_stack.admin)
    return submissions_stack


@pytest.fixture(scope="module")
async def indicators_module_stack(postgres_base_url, tmp_path_factory):
    """The indicators service alone on a database of its own, shared by a module whose tests
    each check what they changed."""
    async with indicators_stack(postgres_base_url, tmp_path_factory.mktemp("home")) as running:
        yield running

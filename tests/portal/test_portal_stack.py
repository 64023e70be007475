"""`oneassess up` starts the portal on PORTAL_PORT next to the services; `down` stops it."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import oneassess, running_stack  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e


def test_oneassess_up_serves_the_portal_sign_in_page(running_stack):  # noqa: F811
    url = f"http://127.0.0.1:{running_stack['PORTAL_PORT']}"
    page = httpx.get(f"{url}/signin", timeout=10)
    assert page.status_code == 200 and "登录" in page.text
    status = oneassess(running_stack, "status")
    assert "portal" in status.stdout and "running" in status.stdout

"""`oneassess up` starts the portal on PORTAL_PORT next to the services and the issuer, as the
registered OIDC client `portal`; `oneassess status` lists it."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import oneassess, running_stack  # noqa: F401 - the fixture

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_oneassess_up_serves_the_portal_and_its_sign_in_reaches_the_issuer(running_stack):  # noqa: F811
    portal = f"http://127.0.0.1:{running_stack['PORTAL_PORT']}"
    issuer = f"http://127.0.0.1:{running_stack['ISSUER_PORT']}"
    page = httpx.get(f"{portal}/signin", timeout=10)
    assert page.status_code == 200 and "统一身份认证登录" in page.text
    with httpx.Client(base_url=portal, timeout=10) as browser:
        to_issuer = browser.get("/auth/login")
        assert to_issuer.status_code in (302, 303)
        location = to_issuer.headers["location"]
        assert location.startswith(f"{issuer}/authorize?") and "code_challenge=" in location
        login = browser.get(location)
        assert login.status_code == 200 and 'name="username"' in login.text  # client known
    status = oneassess(running_stack, "status")
    assert "portal" in status.stdout and "running" in status.stdout

"""`python -m services.portal`: the portal on PORTAL_PORT (8080), for `oneassess up`."""

from __future__ import annotations

import uvicorn

from oneassess.config import load
from services.portal.app import create_app


def main() -> None:
    settings = load()
    uvicorn.run(
        create_app(settings),
        host=settings.bind_host,
        port=settings.portal_port,
        log_level="warning",
        proxy_headers=True,
    )


if __name__ == "__main__":
    main()

"""python -m services.issuer: run the local OIDC issuer (ISSUER_PORT, ONEASSESS_BIND_HOST)."""

from __future__ import annotations

import logging

import uvicorn

from oneassess.config import load
from services.issuer.app import build, create_app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = load()
    issuer = build(settings)
    logging.getLogger("services.issuer").info(
        "issuer %s: key %s, %d people, %d clients",
        settings.issuer,
        issuer.key.kid,
        len(issuer.people),
        len(issuer.clients),
    )
    uvicorn.run(
        create_app(issuer),
        host=settings.bind_host,
        port=settings.issuer_port,
        log_level="info",
        access_log=False,
    )


if __name__ == "__main__":
    main()

"""The pages of each role: unit, review (line department), office, audit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from starlette.requests import Request

from oneassess.client.channels import ServiceClients
from oneassess.config import Settings
from services.portal.rpc import Catalogues


@dataclass(frozen=True)
class Context:
    settings: Settings
    clients: ServiceClients
    catalogues: Catalogues

    @property
    def cycle(self) -> str:
        return self.settings.portal_cycle


def request_id() -> str:
    return str(uuid.uuid4())


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """A one-time notice shown on the next page (after a form's redirect)."""
    request.session["flash"] = {"message": message, "kind": kind}


def take_flash(request: Request) -> dict | None:
    return request.session.pop("flash", None)

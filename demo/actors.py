"""The demo's cast: service clients acting as the sample city's people, each signed in at the
local stack's issuer (examples/haizhou-2026/people.yaml)."""

from __future__ import annotations

from dataclasses import dataclass, field

from oneassess.client.channels import ServiceClients
from oneassess.client.tokens import password_login, sample_person
from oneassess.config import Settings


@dataclass
class Actors:
    """Clients acting as the sample person of each role and scope."""

    settings: Settings
    _clients: dict[str, ServiceClients] = field(default_factory=dict)

    def _make(self, as_value: str) -> ServiceClients:
        """Clients of the sample person `--as as_value` would sign in as."""
        if as_value not in self._clients:
            person = sample_person(self.settings.people_file, as_value)
            token = password_login(self.settings, person.sub, person.password)
            self._clients[as_value] = ServiceClients.from_settings(
                self.settings, token.access_token
            )
        return self._clients[as_value]

    @property
    def admin(self) -> ServiceClients:
        return self._make("admin")

    @property
    def auditor(self) -> ServiceClients:
        return self._make("auditor")

    def unit(self, code: str) -> ServiceClients:
        return self._make(f"unit:{code}")

    def assessor(self, department: str) -> ServiceClients:
        return self._make(f"assessor:{department}")

    async def close(self) -> None:
        for clients in self._clients.values():
            await clients.close()

"""The demo's cast: service clients acting as each role, with tokens signed by the local
stack's secret."""

from __future__ import annotations

from dataclasses import dataclass, field

from oneassess.client.channels import ServiceClients
from oneassess.client.tokens import Role, issue_token, token_secret
from oneassess.config import Settings


@dataclass
class Actors:
    """Clients acting as each role, tokens signed with the local stack's secret."""

    settings: Settings
    _clients: dict[str, ServiceClients] = field(default_factory=dict)

    def _make(self, key: str, role: Role, unit: str = "", department: str = "") -> ServiceClients:
        if key not in self._clients:
            token = issue_token(
                token_secret(self.settings),
                role,
                unit=unit,
                department=department,
                subject=f"demo:{key}",
            )
            self._clients[key] = ServiceClients.from_settings(self.settings, token)
        return self._clients[key]

    @property
    def admin(self) -> ServiceClients:
        return self._make("admin", Role.ADMIN)

    @property
    def auditor(self) -> ServiceClients:
        return self._make("auditor", Role.AUDITOR)

    def unit(self, code: str) -> ServiceClients:
        return self._make(f"unit:{code}", Role.UNIT, unit=code)

    def assessor(self, department: str) -> ServiceClients:
        return self._make(f"assessor:{department}", Role.ASSESSOR, department=department)

    async def close(self) -> None:
        for clients in self._clients.values():
            await clients.close()

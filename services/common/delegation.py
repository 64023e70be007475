"""Acting for another person: the `x-oneassess-on-behalf-of` metadata header.

A caller who sends it acts for the person it names (their token `sub`), if an active
delegation from that person to the caller exists in the caller's role (DelegationService on
the indicators service records them; the office grants them, for office staff). The server
interceptor asks a DelegationCheck; the principal then carries both people and every decision
is signed "delegate for delegator" (Principal.signature). Without an active delegation the
call is PERMISSION_DENIED and runs nothing.

The indicators service answers from its own database; every other service asks it through the
CheckDelegation peer RPC and caches what it allows briefly (a revocation takes effect within
CACHE_SECONDS there).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace

from services.common.auth import Principal, Role
from services.common.errors import InvalidArgument, PermissionDenied

HEADER = "x-oneassess-on-behalf-of"
CACHE_SECONDS = 30.0
MAX_SUBJECT = 200

# (delegate, delegator, role) -> whether an active delegation covers it now.
DelegationCheck = Callable[[str, str, str], Awaitable[bool]]


async def acting_for(
    caller: Principal, metadata: Mapping[str, str], check: DelegationCheck | None
) -> Principal:
    """The caller, acting for the person the header names when a delegation allows it."""
    delegator = metadata.get(HEADER, "").strip()
    if not delegator:
        return caller
    if len(delegator) > MAX_SUBJECT or delegator == caller.subject:
        raise InvalidArgument.field(HEADER, "must name another person's subject")
    if caller.role is Role.SERVICE:
        # The worker acts on an order a person gave through an authorising service (a
        # publication at the time the office set): it names them, no delegation needed.
        return replace(caller, on_behalf_of=delegator)
    if check is None or not await check(caller.subject, delegator, caller.role.value):
        raise PermissionDenied(
            f"{caller.subject} holds no active delegation to act for {delegator}",
            "DELEGATION_NOT_ACTIVE",
            metadata={"on_behalf_of": delegator},
        )
    return replace(caller, on_behalf_of=delegator)


class CachedCheck:
    """A DelegationCheck in front of a slower one (a peer RPC), caching what it allows for
    `ttl` seconds (a revocation reaches this service within that time). A refusal is not
    cached: a delegation granted a moment ago works at once."""

    def __init__(self, ask: DelegationCheck, ttl: float = CACHE_SECONDS) -> None:
        self._ask = ask
        self._ttl = ttl
        self._answers: dict[tuple[str, str, str], tuple[float, bool]] = {}

    async def __call__(self, delegate: str, delegator: str, role: str) -> bool:
        key = (delegate, delegator, role)
        now = time.monotonic()
        cached = self._answers.get(key)
        if cached and cached[0] > now:
            return cached[1]
        answer = await self._ask(delegate, delegator, role)
        if answer:
            if len(self._answers) > 10_000:
                self._answers.clear()
            self._answers[key] = (now + self._ttl, answer)
        return answer

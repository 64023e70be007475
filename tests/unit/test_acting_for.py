"""The x-oneassess-on-behalf-of header: a person acts for another only under an active
delegation; the worker (service role) names the person whose order it carries out."""

from __future__ import annotations

import pytest

from services.common.auth import Principal, Role
from services.common.delegation import HEADER, CachedCheck, acting_for
from services.common.errors import InvalidArgument, PermissionDenied


def _granted(*allowed):
    asked = []

    async def check(delegate, delegator, role):
        asked.append((delegate, delegator, role))
        return (delegate, delegator, role) in allowed

    return check, asked


async def test_a_person_acts_for_another_only_under_a_delegation():
    clerk = Principal("li.na", Role.ADMIN)
    check, asked = _granted(("li.na", "zhang.wei", "admin"))
    acting = await acting_for(clerk, {HEADER: "zhang.wei"}, check)
    assert (acting.subject, acting.on_behalf_of, acting.signature) == (
        "li.na",
        "zhang.wei",
        "li.na for zhang.wei",
    )
    with pytest.raises(PermissionDenied):
        await acting_for(clerk, {HEADER: "wang.fang"}, check)
    with pytest.raises(PermissionDenied):  # no way to check: refused, never assumed
        await acting_for(clerk, {HEADER: "zhang.wei"}, None)
    with pytest.raises(InvalidArgument):
        await acting_for(clerk, {HEADER: "li.na"}, check)
    assert await acting_for(clerk, {}, check) is clerk
    assert asked == [("li.na", "zhang.wei", "admin"), ("li.na", "wang.fang", "admin")]


async def test_the_worker_names_the_person_whose_order_it_carries_out():
    worker = Principal("service:worker", Role.SERVICE)
    acting = await acting_for(worker, {HEADER: "zhang.wei"}, None)
    assert acting.signature == "service:worker for zhang.wei"


async def test_the_cache_keeps_what_is_allowed_and_asks_again_after_a_refusal():
    answers = [False, True]
    asked = []

    async def ask(delegate, delegator, role):
        asked.append(delegate)
        return answers[len(asked) - 1]

    cached = CachedCheck(ask, ttl=60)
    assert await cached("li.na", "zhang.wei", "admin") is False
    assert await cached("li.na", "zhang.wei", "admin") is True  # granted since: asked again
    assert await cached("li.na", "zhang.wei", "admin") is True  # cached
    assert len(asked) == 2

"""Claims to Principal: the role decides which scope claim counts; a missing one denies."""

from __future__ import annotations

import pytest

from services.common.auth import Principal, Role, principal_of
from services.common.errors import PermissionDenied


def test_a_person_maps_with_name_and_the_scope_of_their_role():
    caller = principal_of(
        {
            "sub": "guo.jie",
            "name": "郭杰",
            "role": "unit",
            "unit": "baiquan-town",
            "department": "x",
        }
    )
    assert caller == Principal(subject="guo.jie", role=Role.UNIT, unit="baiquan-town", name="郭杰")
    assert caller.on_behalf_of == ""  # delegation fills it, never the token
    assert caller.signature == "guo.jie"


def test_a_scope_claim_on_a_role_without_scope_is_ignored():
    admin = principal_of({"sub": "a", "role": "admin", "unit": "baiquan-town"})
    assert (admin.unit, admin.department) == ("", "")


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "u", "role": "unit"},
        {"sub": "u", "role": "unit", "unit": ""},
        {"sub": "u", "role": "unit", "department": "emergency-bureau"},
        {"sub": "d", "role": "assessor"},
        {"sub": "d", "role": "assessor", "unit": "baiquan-town"},
        {"sub": "n", "role": ""},
        {"sub": "n"},
    ],
)
def test_a_missing_scope_or_role_denies(claims):
    with pytest.raises(PermissionDenied):
        principal_of(claims)

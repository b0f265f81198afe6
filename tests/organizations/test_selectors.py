"""organization_for() answers exactly what guardian would, in one query."""

import itertools

import pytest
from guardian.shortcuts import get_objects_for_user, get_user_perms

from portal.core.exceptions import NotFound, PermissionDenied
from portal.organizations.models import Organization
from portal.organizations.permissions import ALL_ORG_PERMS, perms_on
from portal.organizations.selectors import organization_for
from portal.organizations.services import delegate_grant
from tests.conftest import make_user

PERMS = [*sorted(ALL_ORG_PERMS), "delete_organization"]


def guardian_answer(viewer, organization_id: int, perm: str) -> str:
    """What the selector did with guardian's get_objects_for_user, before it became one statement."""
    if viewer.is_superuser and viewer.is_active:
        found = Organization.objects.filter(pk=organization_id).exists()
        return "found" if found else "404"
    visible = get_objects_for_user(
        viewer, f"organizations.{perm}", klass=Organization, accept_global_perms=False, use_groups=False
    )
    return "found" if visible.filter(pk=organization_id).exists() else "403"


def selector_answer(viewer, organization_id: int, perm: str) -> str:
    try:
        organization = organization_for(viewer, organization_id, perm)
    except NotFound:
        return "404"
    except PermissionDenied:
        return "403"
    assert organization.pk == organization_id
    return "found"


@pytest.fixture
def everyone(world):
    delegate = make_user("delegate_a", organization=world["org_a"])
    delegate_grant(actor=world["root"], organization_id=world["org_a"].pk, user_id=delegate.pk)
    delegate.refresh_from_db()
    return {**world, "delegate_a": delegate}


def test_organization_for_matches_guardian(everyone):
    users = [value for value in everyone.values() if hasattr(value, "is_superuser")]
    org_ids = [everyone["org_a"].pk, everyone["org_b"].pk, everyone["org_b"].pk + 1000]
    for viewer, org_id, perm in itertools.product(users, org_ids, PERMS):
        assert selector_answer(viewer, org_id, perm) == guardian_answer(viewer, org_id, perm), (
            viewer.username,
            org_id,
            perm,
        )


@pytest.mark.parametrize("lock", [False, True])
@pytest.mark.parametrize("with_count", [False, True])
def test_permissions_read_with_the_row_match_guardian(everyone, lock, with_count):
    for name in ("admin_a", "user_a", "delegate_a", "root"):
        viewer = everyone[name]
        organization = organization_for(viewer, everyone["org_a"].pk, lock=lock, with_count=with_count)
        expected = ALL_ORG_PERMS if viewer.is_superuser else frozenset(get_user_perms(viewer, organization))
        assert perms_on(viewer, organization) == expected, name
        if with_count:
            assert organization.member_count == organization.members.count()  # type: ignore[attr-defined]
        # Read for this viewer only: another viewer gets their own answer from guardian.
        other = everyone["user_a"] if name != "user_a" else everyone["admin_a"]
        assert perms_on(other, organization) == frozenset(get_user_perms(other, organization))


def test_ids_beyond_64_bits_match_nothing(world):
    with pytest.raises(NotFound):
        organization_for(world["root"], 2**70)
    with pytest.raises(PermissionDenied):
        organization_for(world["admin_a"], 2**70)

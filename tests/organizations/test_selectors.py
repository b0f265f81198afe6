"""organization_for() answers exactly what guardian would, in one query."""

import itertools

import pytest
from guardian.shortcuts import get_objects_for_user, get_user_perms

from portal.core.exceptions import NotFound, PermissionDenied
from portal.organizations.models import Organization
from portal.organizations.permissions import ALL_ORG_PERMS, perms_on
from portal.organizations.selectors import organization_and_user_for, organization_for
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
@pytest.mark.parametrize("with_user", [False, True])
def test_permissions_read_with_the_row_match_guardian(everyone, lock, with_user):
    target = everyone["user_a"]
    for name in ("admin_a", "user_a", "delegate_a", "root"):
        viewer = everyone[name]
        if with_user:
            organization, user = organization_and_user_for(
                viewer, everyone["org_a"].pk, target.pk, "view_organization", lock=lock
            )
            assert user is not None and user.pk == target.pk and user.username == target.username
            assert user.holds_grants is True  # type: ignore[attr-defined]
        else:
            organization = organization_for(viewer, everyone["org_a"].pk, lock=lock)
        expected = ALL_ORG_PERMS if viewer.is_superuser else frozenset(get_user_perms(viewer, organization))
        assert perms_on(viewer, organization) == expected, name
        assert organization.member_count == organization.members.count()
        # Read for this viewer only: another viewer gets their own answer from guardian.
        other = everyone["user_a"] if name != "user_a" else everyone["admin_a"]
        assert perms_on(other, organization) == frozenset(get_user_perms(other, organization))


def test_organization_and_user_for_refuses_as_organization_for(everyone):
    """The organization is checked first: 403/404 for it as organization_for answers, then a missing user is None."""
    org_a, org_b = everyone["org_a"], everyone["org_b"]
    with pytest.raises(PermissionDenied):
        organization_and_user_for(everyone["admin_a"], org_b.pk, everyone["user_b"].pk, "manage_members")
    with pytest.raises(PermissionDenied):
        organization_and_user_for(everyone["admin_a"], org_b.pk + 1000, 2**70, "manage_members")
    with pytest.raises(NotFound):
        organization_and_user_for(everyone["root"], org_b.pk + 1000, everyone["user_b"].pk, "manage_members")
    organization, user = organization_and_user_for(everyone["admin_a"], org_a.pk, 2**70, "manage_members")
    assert organization.pk == org_a.pk and user is None
    _, nobody = organization_and_user_for(everyone["root"], org_a.pk, 10**9, "manage_members", lock=True)
    assert nobody is None
    _, loner = organization_and_user_for(
        everyone["root"], org_a.pk, everyone["user_none"].pk, "view_organization"
    )
    assert loner is not None and loner.holds_grants is False  # type: ignore[attr-defined]


def test_ids_beyond_64_bits_match_nothing(world):
    with pytest.raises(NotFound):
        organization_for(world["root"], 2**70)
    with pytest.raises(PermissionDenied):
        organization_for(world["admin_a"], 2**70)

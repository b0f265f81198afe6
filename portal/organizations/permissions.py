"""Object permissions on organizations: derived from role and membership, kept in step here.

The grants a user holds follow from three facts: their role, their
organization and whether they were delegated member management. Every
change of those facts calls :func:`sync_grants` in its own transaction, so
the grants never drift (a property test holds this over random sequences).
"""

from typing import Any

from django.contrib.auth.models import Permission
from django.db.models import QuerySet
from guardian.shortcuts import get_objects_for_user, get_user_perms

from portal.accounts.models import Role
from portal.organizations.models import Organization, OrganizationUserObjectPermission

ORG_PERM_VIEW = "view_organization"
ORG_PERM_CHANGE = "change_organization"
ORG_PERM_MANAGE_MEMBERS = "manage_members"
ORG_PERM_VIEW_AUDIT = "view_audit_log"

MEMBER_PERMS = frozenset({ORG_PERM_VIEW})
DELEGATE_PERMS = frozenset({ORG_PERM_VIEW, ORG_PERM_MANAGE_MEMBERS})
ADMIN_PERMS = frozenset({ORG_PERM_VIEW, ORG_PERM_CHANGE, ORG_PERM_MANAGE_MEMBERS, ORG_PERM_VIEW_AUDIT})
ALL_ORG_PERMS = ADMIN_PERMS


def expected_perms(*, role: str, organization_id: int | None, manages_members: bool) -> frozenset[str]:
    """The object permissions on their organization that role and membership give a user.

    Superusers hold none explicitly: guardian's backend grants an active
    superuser every permission.
    """
    if organization_id is None or role == Role.SUPERUSER:
        return frozenset()
    if role == Role.ADMIN:
        return ADMIN_PERMS
    return DELEGATE_PERMS if manages_members else MEMBER_PERMS


def _permission_ids() -> dict[str, int]:
    # Looked up on every sync (writes only): a cached id would go stale when
    # the permission rows are re-created (a restore, a flushed test database).
    rows = Permission.objects.filter(
        content_type__app_label="organizations", codename__in=ALL_ORG_PERMS
    ).values_list("codename", "pk")
    return dict(rows)


def sync_grants(user: Any) -> None:
    """Make the user's guardian grants equal to what their role and membership give.

    Called inside the transaction of every change to role, organization or
    delegation; grants on any other organization are removed.
    """
    wanted = expected_perms(
        role=user.role, organization_id=user.organization_id, manages_members=user.manages_members
    )
    ids = _permission_ids()
    wanted_ids = {ids[codename] for codename in wanted}
    held = OrganizationUserObjectPermission.objects.filter(user=user)
    stale = held.exclude(content_object_id=user.organization_id, permission_id__in=wanted_ids)
    stale.delete()
    if wanted_ids:
        have = set(
            held.filter(content_object_id=user.organization_id).values_list("permission_id", flat=True)
        )
        OrganizationUserObjectPermission.objects.bulk_create(
            [
                OrganizationUserObjectPermission(
                    user=user, permission_id=permission_id, content_object_id=user.organization_id
                )
                for permission_id in sorted(wanted_ids - have)
            ]
        )


def organizations_with_perm(user: Any, perm: str) -> QuerySet[Organization]:
    """Organizations on which the user holds ``perm`` (all of them for an active superuser)."""
    return get_objects_for_user(
        user,
        f"organizations.{perm}",
        klass=Organization,
        accept_global_perms=False,
        use_groups=False,
    )


def organization_ids_with_perm(user: Any, perm: str) -> list[int]:
    return list(organizations_with_perm(user, perm).values_list("pk", flat=True))


def perms_on(user: Any, organization: Organization) -> frozenset[str]:
    """The permissions the user holds on one organization, in one query (none for a superuser).

    No query when the organization was loaded for this user by
    ``selectors.organization_for``, which reads them with the row.
    """
    if user.is_superuser and user.is_active:
        return ALL_ORG_PERMS
    known = getattr(organization, "_perms_of", None)
    if known is not None and known[0] == user.pk:
        return known[1]
    return frozenset(get_user_perms(user, organization))


def remember_perms(organization: Organization, user: Any, codenames: frozenset[str]) -> None:
    """Keep what a query just read about ``user``'s permissions on ``organization``, for perms_on()."""
    organization._perms_of = (user.pk, codenames)  # type: ignore[attr-defined]

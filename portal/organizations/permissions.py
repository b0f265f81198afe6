"""Object permissions on organizations: derived from role and membership, kept in step here.

The grants a user holds follow from three facts: their role, their
organization and whether they were delegated member management. Every
change of those facts calls :func:`sync_grants` in its own transaction, so
the grants never drift (a property test holds this over random sequences).
"""

import functools
from typing import Any

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import QuerySet
from guardian.shortcuts import get_objects_for_user, get_user_perms

from portal.accounts.models import Role
from portal.core import sql
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


def _codenames_sql(count: int) -> str:
    """FROM and WHERE of the organization permissions with ``count`` codenames (placeholders), as ``p``."""
    org = Organization._meta
    return (
        f"FROM {sql.table(Permission)} p INNER JOIN {sql.table(ContentType)} ct "
        f"ON {sql.column(ContentType, 'ct', 'id')} = {sql.column(Permission, 'p', 'content_type')} "
        f"WHERE {sql.column(ContentType, 'ct', 'app_label')} = '{org.app_label}' "
        f"AND {sql.column(ContentType, 'ct', 'model')} = '{org.model_name}' "
        f"AND {sql.column(Permission, 'p', 'codename')} IN ({', '.join(['%s'] * count)})"
    )


@functools.cache
def _grant_sql(vendor: str, count: int) -> str:
    """Insert the user's missing grants of ``count`` codenames on one organization, ids looked up in place.

    The permission ids are not cached: they change when the permission
    rows are re-created (a restore, a flushed test database). Placeholders:
    user id, organization id, the codenames, then user id and organization
    id again for the "not held yet" test.
    """
    grant = OrganizationUserObjectPermission
    p_id = sql.column(Permission, "p", "id")
    return (
        f"INSERT INTO {sql.table(grant)} ({sql.column_name(grant, 'user')}, "  # noqa: S608 (names from the models)
        f"{sql.column_name(grant, 'permission')}, {sql.column_name(grant, 'content_object')}) "
        f"SELECT %s, {p_id}, %s {_codenames_sql(count)} "
        f"AND NOT EXISTS (SELECT 1 FROM {sql.table(grant)} g WHERE {sql.column(grant, 'g', 'user')} = %s "
        f"AND {sql.column(grant, 'g', 'content_object')} = %s AND {sql.column(grant, 'g', 'permission')} = {p_id})"
    )


@functools.cache
def _revoke_sql(vendor: str, count: int) -> str:
    """Delete the user's grants but those of ``count`` codenames on one organization (all, with 0).

    Placeholders: user id, then with codenames the organization id and the codenames.
    """
    grant = OrganizationUserObjectPermission
    statement = f"DELETE FROM {sql.table(grant)} WHERE {sql.column_name(grant, 'user')} = %s"  # noqa: S608 (names from the models)
    if count:
        kept = f"SELECT {sql.column(Permission, 'p', 'id')} {_codenames_sql(count)}"
        statement += (
            f" AND NOT ({sql.column_name(grant, 'content_object')} = %s"
            f" AND {sql.column_name(grant, 'permission')} IN ({kept}))"
        )
    return statement


def sync_grants(user: Any) -> None:
    """Make the user's guardian grants equal to what their role and membership give.

    Called inside the transaction of every change to role, organization or
    delegation; grants on any other organization are removed. Two
    statements at most, written out: remove what is not wanted, add what
    is missing.
    When the query that locked the user found no grant at all (the
    ``holds_grants`` annotation, as member_add's does), there is nothing
    to remove and the first is skipped.
    """
    wanted = sorted(
        expected_perms(
            role=user.role, organization_id=user.organization_id, manages_members=user.manages_members
        )
    )
    with connection.cursor() as cursor:
        if getattr(user, "holds_grants", None) is not False:
            params = [user.pk, user.organization_id, *wanted] if wanted else [user.pk]
            cursor.execute(_revoke_sql(connection.vendor, len(wanted)), params)
        if wanted:
            cursor.execute(
                _grant_sql(connection.vendor, len(wanted)),
                [user.pk, user.organization_id, *wanted, user.pk, user.organization_id],
            )
    user.holds_grants = bool(wanted)


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

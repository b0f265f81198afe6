"""Organization writes: each checks permission, locks, writes, syncs grants and audits in one transaction."""

from typing import Any

from django.db import IntegrityError, connection, transaction

from portal.accounts.models import Role, User
from portal.audit.models import Action
from portal.audit.services import audit_record
from portal.core import sql
from portal.core.exceptions import Conflict, NotFound, PermissionDenied
from portal.organizations.models import Organization
from portal.organizations.permissions import (
    ORG_PERM_CHANGE,
    ORG_PERM_MANAGE_MEMBERS,
    perms_on,
    sync_grants,
)
from portal.organizations.rules import clean_description, clean_name
from portal.organizations.selectors import (
    NOT_ENOUGH_PERMISSIONS,
    ORGANIZATION_NOT_FOUND,
    organization_and_user_for,
    organization_for,
)

UNSET: Any = object()

ONLY_ADMINS_CREATE = "Only admins and superusers can create organizations."
ONLY_SUPERUSERS_DELETE = "Only superusers can delete organizations."
NAME_TAKEN = "An organization with this name already exists."
HAS_MEMBERS = "Cannot delete organization with users. Remove all users first."
USER_NOT_FOUND = "User not found"
NOT_A_MEMBER = "User is not a member of this organization"
CANNOT_ADD_SUPERUSER = "Only a superuser can add a superuser to an organization."
MEMBER_OF_OTHER_ORG = "This user belongs to another organization. Only a superuser can move them."
DELEGATE_USERS_ONLY = "Delegated member managers can only add and remove members with the user role."
CANNOT_REMOVE_SUPERUSER = "Only a superuser can remove a superuser from an organization."
LAST_ADMIN = (
    "You cannot remove the organization's last admin. Ask a superuser, or make another member admin first."
)
DELEGATE_NEEDS_USER_ROLE = (
    "Only members with the user role can be made member managers; admins already manage members."
)
DELEGATE_NOT_MEMBER = "Only members of this organization can be made member managers."
ONLY_ADMINS_DELEGATE = "Only superusers and the organization's admins can delegate member management."


def _check_name_free(name: str, *, exclude_pk: int | None = None) -> None:
    clash = Organization.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise Conflict(NAME_TAKEN, field="name")


def _save_organization(organization: Organization, fields: list[str] | None = None) -> None:
    """Insert the organization, or update only ``fields`` (and updated_at) of an existing one.

    The name check before answers the common case in words; the database's
    unique index settles a race between two writers (only a new name can
    clash, so only then does the write get a savepoint of its own).
    """
    if fields is not None and "name" not in fields:
        sql.update(organization, [*fields, "updated_at"])
        return
    try:
        with transaction.atomic():
            if fields is None:
                organization.save()
            else:
                sql.update(organization, [*fields, "updated_at"])
    except IntegrityError as exc:
        raise Conflict(NAME_TAKEN, field="name") from exc


def _member_count_move_sql() -> str:
    table, org_id = sql.table(Organization), sql.column_name(Organization, "id")
    count = sql.column_name(Organization, "member_count")
    change = f"{count} = {table}.{count} + CASE WHEN {table}.{org_id} = %s THEN 1 ELSE -1 END"
    if not connection.features.has_select_for_update:
        # SQLite: the write transaction is the database's alone.
        return f"UPDATE {table} SET {change} WHERE {org_id} IN (%s, %s) RETURNING {org_id}, {count}"  # noqa: S608 (names from the models)
    # Lock both rows in id order first: an UPDATE takes its row locks in
    # scan order, which differs between two moves of the same pair (deadlock).
    return (
        f"UPDATE {table} SET {change} FROM (SELECT {org_id} FROM {table} WHERE {org_id} IN (%s, %s)"  # noqa: S608 (names from the models)
        f" ORDER BY {org_id} FOR UPDATE) locked WHERE {table}.{org_id} = locked.{org_id}"
        f" RETURNING {table}.{org_id}, {table}.{count}"
    )


_MEMBER_COUNT_MOVE_SQL: dict[str, str] = {}


def member_count_move(*, from_id: int | None, to_id: int | None) -> dict[int, int]:
    """One member fewer in organization ``from_id`` and one more in ``to_id`` (either may be None).

    Arithmetic in the database (what F() would write), so that concurrent
    changes on PostgreSQL add up; one statement, written out once, for a
    join, a leave and a move alike, which also row-locks both organizations
    in one go (lock order: the user first, then organizations). Returns the
    new count of each organization it found: an organization deleted
    meanwhile is missing. Called by membership_set and, for a deleted
    member, by user_delete, in the transaction of the change.
    """
    if from_id == to_id:
        return {}
    if connection.vendor not in _MEMBER_COUNT_MOVE_SQL:
        _MEMBER_COUNT_MOVE_SQL[connection.vendor] = _member_count_move_sql()
    with connection.cursor() as cursor:
        cursor.execute(_MEMBER_COUNT_MOVE_SQL[connection.vendor], [to_id, from_id, to_id])
        return dict(cursor.fetchall())


def membership_set(*, actor: Any, user: User, organization: Organization | None) -> bool:
    """Move ``user`` into ``organization`` (or out of any, with None): the one place membership changes.

    The caller holds the transaction, has checked permission and locked the
    user; this writes the user, counts the member in (and out of the old
    organization), re-derives their grants and audits each leave and join.
    An organization deleted since the caller read it answers NotFound.
    Returns whether anything changed.
    """
    old_org_id = user.organization_id
    new_org_id = organization.pk if organization is not None else None
    if old_org_id == new_org_id:
        return False
    counts = member_count_move(from_id=old_org_id, to_id=new_org_id)
    if organization is not None:
        if new_org_id not in counts:
            raise NotFound(ORGANIZATION_NOT_FOUND)
        organization.member_count = counts[new_org_id]
    user.organization_id = new_org_id
    # Delegation is a grant within one organization; it ends with the membership.
    user.manages_members = False
    sql.update(user, ["organization", "manages_members", "updated_at"])
    sync_grants(user)
    member = f"{user.username} (id {user.pk})"
    if old_org_id is not None:
        audit_record(
            actor=actor,
            action=Action.ORG_REMOVE_USER,
            organization_id=old_org_id,
            resource_type="organization",
            resource_id=old_org_id,
            detail=f"Removed {member} from organization {old_org_id}",
            changes={"organization_id": {"old": old_org_id, "new": new_org_id}},
        )
    if organization is not None:
        audit_record(
            actor=actor,
            action=Action.ORG_ADD_USER,
            organization_id=organization.pk,
            resource_type="organization",
            resource_id=organization.pk,
            detail=f"Added {member} to {organization.name}",
            changes={"organization_id": {"old": old_org_id, "new": new_org_id}},
        )
    return True


@transaction.atomic
def organization_create(*, actor: Any, name: str, description: str | None = None) -> Organization:
    """Admins and superusers create organizations; an admin without one joins the new one."""
    if not organization_create_allowed(actor):
        raise PermissionDenied(ONLY_ADMINS_CREATE)
    name = clean_name(name)
    description = clean_description(description)
    _check_name_free(name)
    organization = Organization(name=name, description=description)
    _save_organization(organization)
    audit_record(
        actor=actor,
        action=Action.ORG_CREATE,
        organization_id=organization.pk,
        resource_type="organization",
        resource_id=organization.pk,
        detail=f"Created organization {organization.name}",
    )
    if actor.role == Role.ADMIN and actor.organization_id is None:
        locked_actor = User.objects.select_for_update().get(pk=actor.pk)
        if locked_actor.organization_id is None:
            membership_set(actor=actor, user=locked_actor, organization=organization)
            actor.organization_id = organization.pk
    return organization


def organization_create_allowed(actor: Any) -> bool:
    """Whether the actor may create organizations (the portal refuses the form page otherwise)."""
    return actor.role in (Role.ADMIN, Role.SUPERUSER)


def admin_joins_on_create(actor: Any) -> bool:
    """Whether creating an organization makes the actor its member (the portal says so first)."""
    return actor.role == Role.ADMIN and actor.organization_id is None


@transaction.atomic
def organization_update(
    *, actor: Any, organization_id: int, name: str = UNSET, description: str | None = UNSET
) -> Organization:
    """Superusers and the organization's admins change its name and description; only given fields change."""
    organization = organization_for(actor, organization_id, ORG_PERM_CHANGE, lock=True)
    if name is not UNSET:
        name = clean_name(name)
    if description is not UNSET:
        description = clean_description(description)
    changes: dict[str, dict[str, Any]] = {}
    if name is not UNSET and name != organization.name:
        if name.lower() != organization.name.lower():
            _check_name_free(name, exclude_pk=organization.pk)
        changes["name"] = {"old": organization.name, "new": name}
        organization.name = name
    if description is not UNSET and description != organization.description:
        changes["description"] = {"old": organization.description, "new": description}
        organization.description = description
    if changes:
        _save_organization(organization, sorted(changes))
        audit_record(
            actor=actor,
            action=Action.ORG_UPDATE,
            organization_id=organization.pk,
            resource_type="organization",
            resource_id=organization.pk,
            detail=f"Updated organization {organization.name}: {', '.join(sorted(changes))}",
            changes=changes,
        )
    return organization


@transaction.atomic
def organization_delete(*, actor: Any, organization_id: int) -> None:
    """Superusers delete organizations that have no members left."""
    if not actor.is_superuser:
        # Permission before existence: a non-superuser learns nothing about the id.
        raise PermissionDenied(ONLY_SUPERUSERS_DELETE)
    organization = organization_for(actor, organization_id, lock=True)
    # Every join counts itself in under this row's lock (member_count_move):
    # on PostgreSQL one that runs now waits, then finds the row gone (404);
    # on SQLite the write transaction is exclusive. Either way the count is current.
    if organization.member_count:
        raise Conflict(HAS_MEMBERS)
    name = organization.name
    organization.delete()
    audit_record(
        actor=actor,
        action=Action.ORG_DELETE,
        organization_id=organization_id,
        resource_type="organization",
        resource_id=organization_id,
        detail=f"Deleted organization {name}",
    )


def _organization_and_user(actor: Any, organization_id: int, user_id: int) -> tuple[Organization, User]:
    """The organization the actor manages members of, and the user, locked, in one query."""
    organization, user = organization_and_user_for(
        actor, organization_id, user_id, ORG_PERM_MANAGE_MEMBERS, lock=True
    )
    if user is None:
        raise NotFound(USER_NOT_FOUND)
    return organization, user


def member_manage_refusal(actor: Any, role: str, perms: frozenset[str]) -> str | None:
    """Why the actor, holding ``perms`` on the organization, may not add or remove a member with
    this role (SPEC section 3); None when they may. The pages use it to offer only what will work."""
    if actor.is_superuser:
        return None
    if role == Role.SUPERUSER:
        return CANNOT_ADD_SUPERUSER
    if ORG_PERM_CHANGE not in perms and role != Role.USER:
        return DELEGATE_USERS_ONLY
    return None


def _check_may_manage(actor: Any, organization: Organization, user: User, perms: frozenset[str]) -> None:
    refusal = member_manage_refusal(actor, user.role, perms)
    if refusal is not None:
        raise PermissionDenied(refusal)


@transaction.atomic
def member_add(*, actor: Any, organization_id: int, user_id: int) -> User:
    """Superusers add anyone anywhere; admins and delegates add users who belong to no organization."""
    organization, user = _organization_and_user(actor, organization_id, user_id)
    perms = perms_on(actor, organization)
    if user.organization_id == organization.pk:
        return user
    _check_may_manage(actor, organization, user, perms)
    if not actor.is_superuser and user.organization_id is not None:
        raise PermissionDenied(MEMBER_OF_OTHER_ORG)
    membership_set(actor=actor, user=user, organization=organization)
    return user


@transaction.atomic
def member_remove(*, actor: Any, organization_id: int, user_id: int) -> User:
    """Superusers remove anyone; admins remove non-superusers but not the last admin; delegates remove users."""
    organization, user = _organization_and_user(actor, organization_id, user_id)
    perms = perms_on(actor, organization)
    if user.organization_id != organization.pk:
        raise NotFound(NOT_A_MEMBER)
    if not actor.is_superuser:
        if user.role == Role.SUPERUSER:
            raise PermissionDenied(CANNOT_REMOVE_SUPERUSER)
        _check_may_manage(actor, organization, user, perms)
        if user.role == Role.ADMIN:
            # Locked first, so that two admins removing each other cannot both pass.
            Organization.objects.select_for_update().filter(pk=organization.pk).exists()
            other_admins = organization.members.filter(role=Role.ADMIN).exclude(pk=user.pk)
            if not other_admins.exists():
                raise Conflict(LAST_ADMIN)
    membership_set(actor=actor, user=user, organization=None)
    return user


def _delegation_set(*, actor: Any, organization_id: int, user_id: int, grant: bool) -> User:
    organization, user = _organization_and_user(actor, organization_id, user_id)
    if ORG_PERM_CHANGE not in perms_on(actor, organization):
        raise PermissionDenied(ONLY_ADMINS_DELEGATE)
    if user.organization_id != organization.pk:
        raise NotFound(DELEGATE_NOT_MEMBER if grant else NOT_A_MEMBER)
    if user.role != Role.USER:
        raise Conflict(DELEGATE_NEEDS_USER_ROLE)
    if user.manages_members == grant:
        return user
    user.manages_members = grant
    user.save(update_fields=["manages_members", "updated_at"])
    sync_grants(user)
    audit_record(
        actor=actor,
        action=Action.ORG_GRANT if grant else Action.ORG_REVOKE,
        organization_id=organization.pk,
        resource_type="user",
        resource_id=user.pk,
        detail=(
            f"{'Granted' if grant else 'Revoked'} member management "
            f"{'to' if grant else 'from'} {user.username} in {organization.name}"
        ),
        changes={"manages_members": {"old": not grant, "new": grant}},
    )
    return user


@transaction.atomic
def delegate_grant(*, actor: Any, organization_id: int, user_id: int) -> User:
    """Superusers and org admins let a member with role user add and remove users."""
    return _delegation_set(actor=actor, organization_id=organization_id, user_id=user_id, grant=True)


@transaction.atomic
def delegate_revoke(*, actor: Any, organization_id: int, user_id: int) -> User:
    """Superusers and org admins end a member's delegated member management."""
    return _delegation_set(actor=actor, organization_id=organization_id, user_id=user_id, grant=False)


__all__ = [
    "NOT_ENOUGH_PERMISSIONS",
    "delegate_grant",
    "delegate_revoke",
    "member_add",
    "member_count_move",
    "member_remove",
    "membership_set",
    "organization_create",
    "organization_delete",
    "organization_update",
]

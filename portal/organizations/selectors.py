"""Organization reads, always starting from the viewer."""

from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Q, QuerySet

from portal.accounts.models import Role, User
from portal.core import sql
from portal.core.exceptions import NotFound, PermissionDenied
from portal.organizations.models import Organization, OrganizationUserObjectPermission
from portal.organizations.permissions import ORG_PERM_VIEW, organizations_with_perm, remember_perms

NOT_ENOUGH_PERMISSIONS = "Not enough permissions"
ORGANIZATION_NOT_FOUND = "Organization not found"


def organizations_visible_to(viewer: Any, *, search: str = "") -> QuerySet[Organization]:
    """All organizations for a superuser; the viewer's own (or none) for everyone else."""
    organizations = organizations_with_perm(viewer, ORG_PERM_VIEW)
    if search:
        organizations = organizations.filter(name__icontains=search)
    return organizations.order_by("name", "pk")


# The viewer's codenames on the organization as one text column.
_STRING_AGG = {"postgresql": "string_agg({}, ',')"}


def _viewer_grants(*, on_o: bool = True) -> str:
    """FROM and WHERE of the viewer's grants (placeholder: the viewer id), on organization ``o`` or any."""
    grant, org = OrganizationUserObjectPermission, Organization._meta
    on = (
        f" AND {sql.column(grant, 'g', 'content_object')} = {sql.column(Organization, 'o', 'id')}"
        if on_o
        else ""
    )
    return (
        f"FROM {sql.table(grant)} g"
        f" INNER JOIN {sql.table(Permission)} p"
        f" ON {sql.column(Permission, 'p', 'id')} = {sql.column(grant, 'g', 'permission')}"
        f" INNER JOIN {sql.table(ContentType)} ct"
        f" ON {sql.column(ContentType, 'ct', 'id')} = {sql.column(Permission, 'p', 'content_type')}"
        f" WHERE {sql.column(grant, 'g', 'user')} = %s{on}"
        f" AND {sql.column(ContentType, 'ct', 'app_label')} = '{org.app_label}'"
        f" AND {sql.column(ContentType, 'ct', 'model')} = '{org.model_name}'"
    )


def _organization_sql(*, check_perm: bool, with_user: bool, lock: bool) -> str:
    """One organization by id, optionally only if the viewer holds a permission on it.

    Written out once per shape and database: this runs on nearly every
    API request and portal page, and building it through guardian and the
    ORM costs several times more than running it. The permission test is
    the one guardian's ``get_objects_for_user(..., use_groups=False,
    accept_global_perms=False)`` makes, a direct user grant on the object,
    and the row also carries every codename the viewer holds there, which
    is what guardian's ``get_user_perms`` would answer next (tests hold
    both equal). ``with_user`` adds one user's row and whether they hold
    any grant; ``lock`` then locks the user's row, not the organization's. Placeholders, in
    order: with ``check_perm`` the viewer id, then the organization id,
    with ``with_user`` the user id, then with ``check_perm`` the viewer id
    and the codename.
    """
    o_id = sql.column(Organization, "o", "id")
    codename = sql.column(Permission, "p", "codename")
    grants = _viewer_grants()
    select = sql.columns(Organization, "o")
    source = f"{sql.table(Organization)} o"
    where = f"{o_id} = %s"
    if check_perm:
        aggregate = _STRING_AGG.get(connection.vendor, "group_concat({}, ',')").format(codename)
        select += f", (SELECT {aggregate} {grants}) AS viewer_codenames"
    if with_user:
        grant, u_id = OrganizationUserObjectPermission, sql.column(User, "u", "id")
        select += (
            f", {sql.columns(User, 'u')}, EXISTS (SELECT 1 FROM {sql.table(grant)} ug"  # noqa: S608 (names from the models)
            f" WHERE {sql.column(grant, 'ug', 'user')} = {u_id}) AS holds_grants"
        )
        source += f" CROSS JOIN {sql.table(User)} u"
        where += f" AND {u_id} = %s"
    statement = f"SELECT {select} FROM {source} WHERE {where}"  # noqa: S608 (names from the models)
    if check_perm:
        statement += f" AND EXISTS (SELECT 1 {grants} AND {codename} = %s)"
    if lock and connection.features.has_select_for_update:
        # With a user, only the user: membership changes lock the user first,
        # then organizations (member_count_move), in one order everywhere.
        of = "u" if with_user else "o"
        statement += f" FOR UPDATE OF {of}" if connection.features.has_select_for_update_of else " FOR UPDATE"
    return statement


_ORGANIZATION_SQL: dict[tuple[str, bool, bool, bool], str] = {}


def _organization_row(
    viewer: Any, organization_id: int, perm: str, user_id: int | None, lock: bool
) -> tuple[Organization, tuple[Any, ...]] | None:
    check_perm = not viewer.is_superuser
    with_user = user_id is not None
    shape = (connection.vendor, check_perm, with_user, lock)
    if shape not in _ORGANIZATION_SQL:
        _ORGANIZATION_SQL[shape] = _organization_sql(check_perm=check_perm, with_user=with_user, lock=lock)
    params: list[Any] = [viewer.pk] if check_perm else []
    params += [organization_id, user_id] if with_user else [organization_id]
    if check_perm:
        params += [viewer.pk, perm]
    if not sql.is_bigint(organization_id) or (user_id is not None and not sql.is_bigint(user_id)):
        return None
    found = sql.fetch_one(Organization, _ORGANIZATION_SQL[shape], params)
    if found is None:
        return None
    organization, extra = found
    if check_perm:
        codenames = extra[0] or ""
        remember_perms(organization, viewer, frozenset(codenames.split(",")) - {""})
        extra = extra[1:]
    return organization, extra


def _refused(viewer: Any) -> Exception:
    if viewer.is_superuser and viewer.is_active:
        return NotFound(ORGANIZATION_NOT_FOUND)
    return PermissionDenied(NOT_ENOUGH_PERMISSIONS)


def organization_for(
    viewer: Any, organization_id: int, perm: str = ORG_PERM_VIEW, *, lock: bool = False
) -> Organization:
    """The organization if the viewer holds ``perm`` on it (a superuser holds every permission).

    For anyone but a superuser the permission comes before existence: an id
    they may not use answers 403 whether or not it exists. One query, which
    also reads what :func:`~portal.organizations.permissions.perms_on` would
    ask next about this viewer and organization.
    """
    found = _organization_row(viewer, organization_id, perm, None, lock)
    if found is None:
        raise _refused(viewer)
    return found[0]


def organization_and_user_for(
    viewer: Any, organization_id: int, user_id: int, perm: str, *, lock: bool = False
) -> tuple[Organization, User | None]:
    """organization_for() and, in the same query, the user ``user_id`` (None if missing), locked with ``lock``.

    The user comes with ``holds_grants``: whether they hold any grant at
    all, so that sync_grants() knows when there is nothing to remove. On
    PostgreSQL the row is the latest version once the lock is granted, but
    the grants were read before a concurrent change committed: "none" is
    trusted only for a user in no organization (grants change only
    together with this row, which is locked). When no row comes back, a
    second query tells a refused organization from a missing user.
    """
    found = _organization_row(viewer, organization_id, perm, user_id, lock)
    if found is None:
        return organization_for(viewer, organization_id, perm, lock=lock), None
    organization, extra = found
    user, (holds_grants,) = sql.instance(User, extra)
    user.holds_grants = bool(holds_grants) or user.organization_id is not None  # type: ignore[attr-defined]
    return organization, user


def members_of(organization: Organization, *, search: str = "") -> QuerySet[User]:
    """The organization's members by username; call after organization_for() checked the viewer."""
    members = User.objects.filter(organization=organization)
    if search:
        members = members.filter(Q(username__icontains=search) | Q(email__icontains=search))
    return members.order_by("username", "pk")


def _page(statement: str, params: list[Any], offset: int, limit: int | None) -> sql.Statement:
    return sql.Statement(
        f"{statement} LIMIT %s OFFSET %s", [*params, sql.no_limit() if limit is None else limit, offset]
    )


def _columns(model: Any, alias: str, fields: Sequence[str]) -> str:
    """The ``fields`` of ``alias`` as columns c0, c1, ... (what sql.fetch_rows and the API's rendering read)."""
    return ", ".join(f"{sql.column(model, alias, name)} AS c{index}" for index, name in enumerate(fields))


def _members_statement(fields: Sequence[str], *, managers_only: bool) -> str:
    u = sql.column
    managers = f" AND {u(User, 'u', 'manages_members')} = %s" if managers_only else ""
    return (
        f"SELECT {_columns(User, 'u', fields)} FROM {sql.table(User)} u"  # noqa: S608 (names from the models)
        f" WHERE {u(User, 'u', 'organization')} = %s{managers}"
        f" ORDER BY {u(User, 'u', 'username')}, {u(User, 'u', 'id')}"
    )


def members_page(
    organization: Organization, fields: Sequence[str], *, offset: int = 0, limit: int | None = None
) -> sql.Statement:
    """members_of(organization) (no search) as one statement: ``fields`` of a page, as columns c0, c1, ...

    For the API's member list and the organization page, which run it on
    every call: building the queryset through the ORM would cost more than
    running it. Tests hold the two equal.
    """
    return _page(_members_statement(fields, managers_only=False), [organization.pk], offset, limit)


def managers_of(organization: Organization, fields: Sequence[str]) -> sql.Statement:
    """members_of(organization).filter(manages_members=True) as one statement: ``fields`` as c0, c1, ...

    Read through an index of the organization's managers (user_org_managers_idx), however many members it has.
    """
    return sql.Statement(_members_statement(fields, managers_only=True), [organization.pk, True])


def _visible_organizations(viewer: Any) -> tuple[str, list[Any]]:
    """FROM and WHERE of organizations_visible_to(viewer), no search (the API's list)."""
    if viewer.is_superuser:
        return f"FROM {sql.table(Organization)} o", []
    # Driven from the viewer's few grants, not from every organization.
    granted = f"SELECT {sql.column(OrganizationUserObjectPermission, 'g', 'content_object')} {_viewer_grants(on_o=False)}"
    codename = sql.column(Permission, "p", "codename")
    return (
        f"FROM {sql.table(Organization)} o WHERE {sql.column(Organization, 'o', 'id')} IN ({granted} AND {codename} = %s)",
        [viewer.pk, ORG_PERM_VIEW],
    )


def organizations_page(
    viewer: Any, fields: Sequence[str], *, offset: int = 0, limit: int | None = None
) -> sql.Statement:
    """organizations_visible_to(viewer) (no search) as one statement: ``fields`` of a page as c0, c1, ...

    The permission test is organization_for()'s, guardian's direct user
    grant. For the API's organization list; tests hold it equal to the
    selector.
    """
    source, params = _visible_organizations(viewer)
    order = f"{sql.column(Organization, 'o', 'name')}, {sql.column(Organization, 'o', 'id')}"
    return _page(
        f"SELECT {_columns(Organization, 'o', fields)} {source} ORDER BY {order}", params, offset, limit
    )


def organizations_total(viewer: Any) -> sql.Statement:
    source, params = _visible_organizations(viewer)
    return sql.Statement(f"SELECT COUNT(*) {source}", params)


def users_addable_by(actor: Any, organization: Organization, *, search: str = "") -> QuerySet[User]:
    """Users the actor may add to the organization (SPEC section 3), not already in it."""
    if actor.is_superuser:
        users = User.objects.exclude(organization=organization)
    else:
        users = User.objects.filter(organization__isnull=True).exclude(role=Role.SUPERUSER)
        if actor.role != Role.ADMIN:
            users = users.filter(role=Role.USER)
    if search:
        users = users.filter(Q(username__icontains=search) | Q(email__icontains=search))
    return users.order_by("username", "pk")

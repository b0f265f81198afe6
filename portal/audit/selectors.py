"""Audit reads, scoped to the viewer."""

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from portal.audit.models import AuditLog
from portal.core import sql
from portal.core.exceptions import PermissionDenied
from portal.organizations.models import Organization
from portal.organizations.permissions import ORG_PERM_VIEW_AUDIT, organization_ids_with_perm, perms_on

AUDIT_FORBIDDEN = "Only superusers and organization admins can read the audit log."
AUDIT_OTHER_ORG = "You can only read your own organization's audit log."


def audit_scope_for(viewer: Any) -> list[int] | None:
    """The organization ids whose entries the viewer may read; None means all (superuser)."""
    if viewer.is_superuser:
        return None
    org_ids = organization_ids_with_perm(viewer, ORG_PERM_VIEW_AUDIT)
    if not org_ids:
        raise PermissionDenied(AUDIT_FORBIDDEN)
    return org_ids


def audit_visible_to(
    viewer: Any,
    *,
    action: str | None = None,
    user_id: int | None = None,
    organization_id: int | None = None,
    resource_type: str | None = None,
    resource_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditLog]:
    """Entries the viewer may read, newest first, with the given filters."""
    scope = audit_scope_for(viewer)
    entries = AuditLog.objects.all()
    if scope is not None:
        if organization_id is not None and organization_id not in scope:
            raise PermissionDenied(AUDIT_OTHER_ORG)
        entries = entries.filter(organization_id__in=scope)
    if organization_id is not None:
        entries = entries.filter(organization_id=organization_id)
    if action:
        entries = entries.filter(action=action)
    if user_id is not None:
        entries = entries.filter(user_id=user_id)
    if resource_type:
        entries = entries.filter(resource_type=resource_type)
    if resource_id:
        entries = entries.filter(resource_id=resource_id)
    if since is not None:
        entries = entries.filter(created_at__gte=since)
    if until is not None:
        entries = entries.filter(created_at__lte=until)
    return entries.order_by("-created_at", "-id")


RECENT_FIELDS = ("created_at", "action", "username", "detail")


def organization_recent_audit(viewer: Any, organization: Organization, *, limit: int) -> list[sql.Row]:
    """The newest entries of one organization, for its page: ``RECENT_FIELDS`` of each.

    The viewer's permission is the one read with the organization
    (``perms_on``), so this costs one query, not a scope lookup as well;
    the statement is audit_visible_to(viewer, organization_id=...)'s.
    """
    if ORG_PERM_VIEW_AUDIT not in perms_on(viewer, organization):
        raise PermissionDenied(AUDIT_OTHER_ORG)
    columns = ", ".join(sql.column(AuditLog, "a", name) for name in RECENT_FIELDS)
    created_at, pk = sql.column(AuditLog, "a", "created_at"), sql.column(AuditLog, "a", "id")
    statement = sql.Statement(
        f"SELECT {columns} FROM {sql.table(AuditLog)} a WHERE {sql.column(AuditLog, 'a', 'organization_id')} = %s"  # noqa: S608 (names from the model)
        f" ORDER BY {created_at} DESC, {pk} DESC LIMIT %s",
        [organization.pk, limit],
    )
    return sql.fetch_rows(AuditLog, RECENT_FIELDS, statement)

"""The one function that records audit entries."""

from typing import Any

from portal.audit.models import Action, AuditLog
from portal.core import context, sql


def audit_record(
    *,
    actor: Any,
    action: Action,
    organization_id: int | None = None,
    resource_type: str = "",
    resource_id: Any = "",
    detail: str = "",
    changes: dict[str, dict[str, Any]] | None = None,
    username: str | None = None,
) -> AuditLog:
    """Append one entry; call it inside the transaction of the change it records.

    ``username`` overrides the actor's name (a failed login names the
    attempted username; there is no actor).
    """
    ctx = context.current()
    entry = AuditLog(
        action=action,
        user_id=getattr(actor, "pk", None),
        username=username if username is not None else getattr(actor, "username", ""),
        organization_id=organization_id,
        resource_type=resource_type,
        resource_id=str(resource_id) if resource_id not in (None, "") else "",
        detail=detail,
        changes=changes or None,
        ip_address=ctx.ip_address,
        request_id=ctx.request_id,
    )
    # One written-out INSERT (always a new row: append-only by construction).
    sql.insert(entry, _FIELDS)
    return entry


_FIELDS = [field.name for field in AuditLog._meta.concrete_fields if not field.primary_key]

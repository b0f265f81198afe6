"""The audit log page and its CSV export: one filter form, one selector, the same rows."""

import csv
import json
from collections.abc import Iterator
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from portal.accounts.selectors import users_visible_to
from portal.audit.forms import AuditFilterForm
from portal.audit.models import AuditLog
from portal.audit.selectors import audit_scope_for, audit_visible_to
from portal.core.exceptions import ServiceError
from portal.core.portal import PortalRequest, paginate, portal_login_required, render, service_error
from portal.organizations.selectors import organizations_visible_to

CSV_COLUMNS = (
    "created_at",
    "action",
    "user_id",
    "username",
    "organization_id",
    "organization",
    "resource_type",
    "resource_id",
    "detail",
    "changes",
    "ip_address",
    "request_id",
)
# A cell that starts with one of these is a formula to a spreadsheet
# (OWASP "CSV injection"); a leading apostrophe makes it text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


class _Echo:
    """A file-like object whose write() hands the line back, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def _filtered(request: PortalRequest) -> tuple[AuditFilterForm, Any, dict[int, str]]:
    """The filter form, the entries it selects, and the names of the organizations the viewer may see."""
    viewer = request.user
    try:
        # Who may read the log at all, before any other work: the 403 page for users.
        audit_scope_for(viewer)
        organizations = list(organizations_visible_to(viewer).values_list("pk", "name"))
        form = AuditFilterForm(
            request.GET or None,
            find_user=lambda username: (
                users_visible_to(viewer).filter(username=username).values_list("pk", flat=True).first()
            ),
            organizations=organizations if viewer.is_superuser else None,
        )
        entries = audit_visible_to(viewer, **form.selector_filters())
    except ServiceError as exc:
        service_error(request, exc)  # raises the portal's 403 (or 404) page
        raise
    return form, entries, dict(organizations)


@portal_login_required
@require_GET
def audit_list(request: PortalRequest) -> HttpResponse:
    form, entries, org_names = _filtered(request)
    page, page_query = paginate(request, entries)
    rows = [(entry, org_names.get(entry.organization_id)) for entry in page.object_list]
    context = {
        "nav_section": "audit",
        "form": form,
        "page": page,
        "rows": rows,
        "page_query": page_query,
        "export_query": page_query,
    }
    return render(request, "audit/list.html", context, partial="results")


def changes_text(changes: dict | None) -> str:
    """Each changed field as {"old", "new"}, fields sorted: the same text on every database
    (PostgreSQL's jsonb does not keep key order)."""
    if not changes:
        return ""
    ordered = {
        field: {"old": value.get("old"), "new": value.get("new")} if isinstance(value, dict) else value
        for field, value in sorted(changes.items())
    }
    return json.dumps(ordered, ensure_ascii=False, default=str)


@portal_login_required
@require_GET
def audit_export(request: PortalRequest) -> StreamingHttpResponse:
    """Exactly the rows the page shows for the same filters (every page), streamed as CSV."""
    _, entries, org_names = _filtered(request)
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(CSV_COLUMNS)
        entry: AuditLog
        for entry in entries.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    neutralize(value)
                    for value in (
                        entry.created_at.isoformat(),
                        entry.action,
                        entry.user_id,
                        entry.username,
                        entry.organization_id,
                        org_names.get(entry.organization_id, "") if entry.organization_id else "",
                        entry.resource_type,
                        entry.resource_id,
                        entry.detail,
                        changes_text(entry.changes),
                        entry.ip_address,
                        entry.request_id,
                    )
                ]
            )

    filename = f"audit-log-{timezone.now():%Y%m%d-%H%M%S}.csv"
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response

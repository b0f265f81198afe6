"""The rows of the organization page's two tables (members, recent activity), written as HTML here.

The page is the portal's busiest, and its budget (a fifth of /healthz's
requests per second) leaves no room for Django's template engine in a
loop: about 50 µs a row there, 2 µs here. The tables' frames (caption,
headings, pagination) stay in ``organizations/detail.html``; only the
repeated rows are built here, the way the admin's change list builds its
cells. Every value from the database goes through ``escape()`` (what
Django's autoescaping does); tests put markup into each field.
"""

from collections.abc import Iterable
from html import escape
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime

from portal.accounts.models import Role

YOU = ' <span class="muted">(you)</span>'
INACTIVE = ' <span class="badge badge-inactive">Inactive</span>'
MANAGER = ' <span class="badge badge-manager">Member manager</span>'
ROLE_LABELS = {role.value: escape(str(role.label)) for role in Role}


def member_rows(
    members: Iterable[Any], *, viewer_id: int, organization_name: str, actions: bool
) -> SafeString:
    """One ``<tr>`` per member; ``actions``: the column of buttons, from each member's ``manager_url``
    (grant or revoke member management) and ``remove_url`` ("" where the viewer may not)."""
    organization = escape(organization_name)
    rows = []
    for member in members:
        name = escape(member.username)
        role = escape(member.role)
        row = (
            f'<tr id="member-{int(member.pk)}">'
            f'<td data-label="Username"><span class="cell">{name}'
            f"{YOU if member.pk == viewer_id else ''}{'' if member.is_active else INACTIVE}</span></td>"
            f'<td data-label="E-mail">{escape(member.email)}</td>'
            f'<td data-label="Role"><span class="cell"><span class="badge badge-{role}">'
            f"{ROLE_LABELS.get(member.role, role)}</span>{MANAGER if member.manages_members else ''}</span></td>"
        )
        if actions:
            row += f'<td data-label="Actions"><div class="actions">{_manager_button(member, name)}'
            row += f"{_remove_link(member, name, organization)}</div></td>"
        rows.append(row + "</tr>")
    return mark_safe("\n".join(rows))  # noqa: S308 (every value above is escaped)


def _manager_button(member: Any, name: str) -> str:
    if not member.manager_url:
        return ""
    if member.manages_members:
        label, text = f"Revoke member management from {name}", "Revoke member management"
    else:
        label, text = f"Grant member management to {name}", "Grant member management"
    return (
        f'<button type="submit" form="member-actions" formaction="{escape(member.manager_url)}" '
        f'class="link small" aria-label="{label}">{text}</button>'
    )


def _remove_link(member: Any, name: str, organization: str) -> str:
    # The link is the confirm page without JS; with it, it opens the page's one dialog (portal.js).
    if not member.remove_url:
        return ""
    return (
        f'<a class="button secondary small" href="{escape(member.remove_url)}" data-dialog="#remove-dialog" '
        f'data-username="{name}"{" data-manager" if member.manages_members else ""} '
        f'aria-label="Remove {name} from {organization}">Remove</a>'
    )


def activity_rows(entries: Iterable[Any]) -> SafeString:
    """One ``<tr>`` per audit entry, its time in the current time zone (as the date filter writes it)."""
    rows = []
    for entry in entries:
        when = localtime(entry.created_at)
        rows.append(
            f'<tr><td data-label="When"><time datetime="{when.isoformat()}">{when:%Y-%m-%d %H:%M}</time></td>'
            f'<td data-label="Action"><code>{escape(entry.action)}</code></td>'
            f'<td data-label="By">{escape(entry.username or "system")}</td>'
            f'<td data-label="What happened">{escape(entry.detail)}</td></tr>'
        )
    return mark_safe("\n".join(rows))  # noqa: S308 (every value above is escaped)

"""The organization page's table rows, written in Python (portal.organizations.tables).

They are held equal to the same markup written as a Django template, so
that escaping is exactly Django's autoescaping, for every kind of row.
"""

import itertools
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.template import engines
from django.utils import timezone

from portal.organizations import tables

MEMBER_ROW = engines["django"].from_string(
    """{% for member in members %}<tr id="member-{{ member.pk }}">"""
    """<td data-label="Username"><span class="cell">{{ member.username }}{% if member.pk == viewer_id %} <span class="muted">(you)</span>{% endif %}{% if not member.is_active %} <span class="badge badge-inactive">Inactive</span>{% endif %}</span></td>"""
    """<td data-label="E-mail">{{ member.email }}</td>"""
    """<td data-label="Role"><span class="cell"><span class="badge badge-{{ member.role }}">{{ member.label }}</span>{% if member.manages_members %} <span class="badge badge-manager">Member manager</span>{% endif %}</span></td>"""
    """{% if actions %}<td data-label="Actions"><div class="actions">"""
    """{% if member.manager_url %}{% if member.manages_members %}<button type="submit" form="member-actions" formaction="{{ member.manager_url }}" class="link small" aria-label="Revoke member management from {{ member.username }}">Revoke member management</button>"""
    """{% else %}<button type="submit" form="member-actions" formaction="{{ member.manager_url }}" class="link small" aria-label="Grant member management to {{ member.username }}">Grant member management</button>{% endif %}{% endif %}"""
    """{% if member.remove_url %}<a class="button secondary small" href="{{ member.remove_url }}" data-dialog="#remove-dialog" data-username="{{ member.username }}"{% if member.manages_members %} data-manager{% endif %} aria-label="Remove {{ member.username }} from {{ organization_name }}">Remove</a>{% endif %}"""
    """</div></td>{% endif %}</tr>{% if not forloop.last %}\n{% endif %}{% endfor %}"""
)
ACTIVITY_ROW = engines["django"].from_string(
    """{% for entry in entries %}<tr><td data-label="When"><time datetime="{{ entry.created_at|date:'c' }}">{{ entry.created_at|date:"Y-m-d H:i" }}</time></td>"""
    """<td data-label="Action"><code>{{ entry.action }}</code></td><td data-label="By">{{ entry.username|default:"system" }}</td>"""
    """<td data-label="What happened">{{ entry.detail }}</td></tr>{% if not forloop.last %}\n{% endif %}{% endfor %}"""
)
HOSTILE = """<script>alert("x")</script>' onmouseover='1' & &amp;"""
LABELS = {"user": "User", "admin": "Admin", "superuser": "Superuser"}


def member(pk, **fields):
    values = {
        "pk": pk,
        "username": f"member{pk}",
        "email": f"member{pk}@example.com",
        "role": "user",
        "is_active": True,
        "manages_members": False,
        "manager_url": "",
        "remove_url": "",
        **fields,
    }
    values["label"] = LABELS.get(values["role"], values["role"])
    return SimpleNamespace(**values)


def every_kind_of_member():
    kinds = itertools.product(
        ["user", "admin", "superuser"],
        [True, False],
        [True, False],
        ["", "/m/1/manager/"],
        ["", "/m/1/remove/"],
    )
    return [
        member(
            pk, role=role, is_active=active, manages_members=manages, manager_url=manager, remove_url=remove
        )
        for pk, (role, active, manages, manager, remove) in enumerate(kinds, start=1)
    ]


@pytest.mark.parametrize("actions", [True, False])
@pytest.mark.parametrize("viewer_id", [1, 7, 999])
def test_member_rows_are_the_template_they_replace(actions, viewer_id):
    members = every_kind_of_member()
    expected = MEMBER_ROW.render(
        {"members": members, "viewer_id": viewer_id, "actions": actions, "organization_name": "Alpha & Co"}
    )
    assert (
        tables.member_rows(members, viewer_id=viewer_id, organization_name="Alpha & Co", actions=actions)
        == expected
    )


def test_member_rows_escape_every_value_as_django_does():
    members = [
        member(
            1,
            username=HOSTILE,
            email=HOSTILE,
            role=HOSTILE,
            manages_members=True,
            manager_url=HOSTILE,
            remove_url=HOSTILE,
        )
    ]
    html = tables.member_rows(members, viewer_id=1, organization_name=HOSTILE, actions=True)
    assert "<script>" not in html
    assert "' onmouseover='" not in html
    expected = MEMBER_ROW.render(
        {"members": members, "viewer_id": 1, "actions": True, "organization_name": HOSTILE}
    )
    assert html == expected


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/Los_Angeles"])
def test_activity_rows_are_the_template_they_replace(zone):
    entries = [
        SimpleNamespace(
            created_at=datetime(2026, 3, 29, 1, 30, 5, 123456, tzinfo=UTC),
            action="org.add_user",
            username="",
            detail=HOSTILE,
        ),
        SimpleNamespace(
            created_at=datetime(2026, 12, 4, 23, 59, 59, tzinfo=UTC),
            action=HOSTILE,
            username=HOSTILE,
            detail="Renamed",
        ),
    ]
    with timezone.override(zone):
        html = tables.activity_rows(entries)
        assert html == ACTIVITY_ROW.render({"entries": entries})
    assert "<script>" not in html


def test_no_rows_is_empty():
    assert tables.member_rows([], viewer_id=1, organization_name="A", actions=True) == ""
    assert tables.activity_rows([]) == ""

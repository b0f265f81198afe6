"""The organization page's hand-written statements read what the ORM would (held equal, on both databases)."""

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.audit.models import AuditLog
from portal.audit.selectors import RECENT_FIELDS, organization_recent_audit
from portal.core import sql
from portal.core.exceptions import PermissionDenied
from portal.core.portal import StatementRows
from portal.organizations.selectors import managers_of, members_of, members_page, organization_for
from portal.organizations.services import delegate_grant, member_add, organization_update
from tests.conftest import make_user

FIELDS = ("id", "username", "email", "role", "is_active", "manages_members")


@pytest.fixture
def crowded(world):
    org = world["org_a"]
    for number in range(12):
        user = make_user(f"m{number:02d}", organization=org, is_active=number % 4 != 0)
        if number % 3 == 0:
            delegate_grant(actor=world["root"], organization_id=org.pk, user_id=user.pk)
    for number in range(4):
        organization_update(actor=world["root"], organization_id=org.pk, description=f"Round {number}")
    member_add(actor=world["root"], organization_id=world["org_b"].pk, user_id=make_user("b-side").pk)
    return world


def as_dicts(rows, names):
    return [{name: getattr(row, name) for name in names} for row in rows]


def test_managers_of_is_the_orm_filter(crowded):
    for org in (crowded["org_a"], crowded["org_b"]):
        expected = list(members_of(org).filter(manages_members=True).values(*FIELDS))
        assert (
            as_dicts(sql.fetch_rows(type(crowded["root"]), FIELDS, managers_of(org, FIELDS)), FIELDS)
            == expected
        )
    assert len(expected) == 0  # org_b has none; org_a's four were compared above


@pytest.mark.parametrize("per_page", [1, 5, 25])
def test_statement_pages_are_the_orm_pages(crowded, per_page):
    org = crowded["org_a"]
    org.refresh_from_db()
    rows = StatementRows(
        type(crowded["root"]),
        FIELDS,
        lambda offset, limit: members_page(org, FIELDS, offset=offset, limit=limit),
        total=org.member_count,
    )
    ours, theirs = Paginator(rows, per_page), Paginator(members_of(org).values(*FIELDS), per_page)
    assert ours.count == theirs.count == 14
    assert ours.num_pages == theirs.num_pages
    for number in ours.page_range:
        assert as_dicts(ours.page(number).object_list, FIELDS) == list(theirs.page(number).object_list)


def test_fetch_rows_converts_as_values_does(crowded):
    row = sql.fetch_rows(type(crowded["root"]), FIELDS, managers_of(crowded["org_a"], FIELDS))[0]
    assert row.is_active is True or row.is_active is False
    assert row.manages_members is True
    assert row.pk == row.id


def test_recent_audit_is_the_orm_query(crowded):
    # Loaded for the viewer as the page loads it: the permissions come with the row.
    org = organization_for(crowded["admin_a"], crowded["org_a"].pk)
    with CaptureQueriesContext(connection) as queries:
        ours = organization_recent_audit(crowded["admin_a"], org, limit=7)
    assert len(queries) == 1
    expected = list(
        AuditLog.objects.filter(organization_id=org.pk)
        .order_by("-created_at", "-id")
        .values(*RECENT_FIELDS)[:7]
    )
    assert len(expected) == 7
    assert as_dicts(ours, RECENT_FIELDS) == expected
    assert ours[0].created_at.tzinfo is not None


@pytest.mark.parametrize("viewer", ["user_a", "admin_b"])
def test_recent_audit_refuses_who_may_not_read_it(crowded, viewer):
    with pytest.raises(PermissionDenied):
        organization_recent_audit(crowded[viewer], crowded["org_a"], limit=5)

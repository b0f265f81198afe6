"""Each organization page costs a small, fixed number of queries: the same with 3 or 40 rows."""

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from portal.accounts.models import Role, User
from portal.organizations.selectors import managers_of
from portal.organizations.services import delegate_grant
from tests.conftest import make_org, make_user

MAX_QUERIES = 10
HTMX = {"HX-Request": "true"}


@pytest.fixture
def measure(django_assert_max_num_queries):
    def measure(client: Client, url: str, *, htmx: bool = False) -> int:
        headers = HTMX if htmx else {}
        client.get(url, headers=headers)  # warm per-process caches (content types, permission ids)
        with django_assert_max_num_queries(MAX_QUERIES) as captured:
            response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        return len(captured)

    return measure


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def grow_members(org, count: int, root) -> None:
    for _ in range(count):
        member = make_user(organization=org)
        if member.pk % 5 == 0:
            delegate_grant(actor=root, organization_id=org.pk, user_id=member.pk)


@pytest.mark.parametrize("actor", ["root", "admin_a", "user_a"])
def test_list_queries_do_not_grow_with_organizations(world, measure, actor):
    client = client_for(world[actor])
    url = reverse("organizations:list")
    small = measure(client, url), measure(client, url + "?q=a", htmx=True)
    for number in range(40):
        org = make_org(f"Team {number:02d}")
        make_user(organization=org)
    large = measure(client, url), measure(client, url + "?q=a", htmx=True)
    assert small == large


@pytest.mark.parametrize("actor", ["root", "admin_a", "user_a"])
def test_detail_queries_do_not_grow_with_members(world, measure, actor):
    org = world["org_a"]
    make_user(organization=org)
    client = client_for(world[actor])
    url = reverse("organizations:detail", args=[org.pk])
    small = (
        measure(client, url),
        measure(client, url + "?q=user&page=1", htmx=True),
    )
    grow_members(org, 37, world["root"])
    large = (
        measure(client, url),
        measure(client, url + "?q=user&page=1", htmx=True),
    )
    assert small == large


@pytest.mark.parametrize("actor", ["root", "admin_a"])
def test_member_pages_do_not_grow_with_users(world, measure, actor):
    org = world["org_a"]
    client = client_for(world[actor])
    urls = [
        (reverse("organizations:member_add", args=[org.pk]), False),
        (reverse("organizations:member_add", args=[org.pk]) + "?q=u", True),
        (reverse("organizations:member_remove", args=[org.pk, world["user_a"].pk]), False),
        (reverse("organizations:edit", args=[org.pk]), False),
        (reverse("organizations:edit", args=[org.pk]), True),
        (reverse("organizations:header", args=[org.pk]), True),
        (reverse("organizations:activity", args=[org.pk]), True),
    ]
    small = [measure(client, url, htmx=htmx) for url, htmx in urls]
    for _ in range(37):
        make_user()  # candidates for the picker
    grow_members(org, 37, world["root"])
    large = [measure(client, url, htmx=htmx) for url, htmx in urls]
    assert small == large


def test_delete_and_create_pages(world, measure):
    org = world["org_a"]
    root_client = client_for(world["root"])
    small = measure(root_client, reverse("organizations:delete", args=[org.pk]))
    grow_members(org, 37, world["root"])
    assert measure(root_client, reverse("organizations:delete", args=[org.pk])) == small
    measure(client_for(world["admin_a"]), reverse("organizations:create"))
    measure(client_for(make_user("another_admin", role=Role.ADMIN)), reverse("organizations:create"))


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        # session, user, organization with the viewer's permissions, page of members,
        # delegates (admins only), recent activity (admins only)
        ("root", 6),
        ("admin_a", 6),
        ("user_a", 4),
    ],
)
def test_detail_page_reads_the_member_total_with_the_organization(world, measure, actor, expected):
    """No COUNT for the members table: unfiltered, its total is the organization's member count."""
    org = world["org_a"]
    grow_members(org, 30, world["root"])
    client = client_for(world[actor])
    url = reverse("organizations:detail", args=[org.pk])
    assert measure(client, url) == expected
    response = client.get(url + "?page=2")
    page = response.context["page"]
    assert page.paginator.count == org.members.count() == 32
    assert page.number == 2
    assert len(page.object_list) == 7
    # Filtered, the total is counted: one query more.
    assert measure(client, url + "?q=user") == expected + 1


def test_member_managers_are_found_through_their_index(world):
    """The page lists an organization's member managers without reading its other members."""
    statement = managers_of(world["org_a"], ["id", "username"])
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + statement.sql, statement.params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "user_org_managers_idx (organization_id=? AND manages_members=?)" in plan
            assert "TEMP B-TREE" not in plan  # already in username order
        else:
            # PostgreSQL plans by statistics: give it an organization worth an index, as in the benchmark.
            User.objects.bulk_create(
                User(username=f"bulk{n}", email=f"bulk{n}@example.com", organization=world["org_a"])
                for n in range(3000)
            )
            cursor.execute(f"ANALYZE {User._meta.db_table}")
            cursor.execute("EXPLAIN " + statement.sql, statement.params)
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "user_org_managers_idx" in plan, plan

"""Every API request costs a small, fixed number of queries: at most 6, the same with little or much data.

A query here is an SQL statement other than transaction control: BEGIN,
COMMIT, SAVEPOINT and RELEASE are the transaction's bookkeeping (inside a
test each service's transaction is a savepoint), not work that grows.
Read endpoints open no transaction, so they are held to the plain
``django_assert_max_num_queries``.
"""

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.accounts.models import Role
from portal.organizations.services import delegate_grant
from tests.conftest import api_as, make_org, make_user

MAX_QUERIES = 6
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")

pytestmark = pytest.mark.django_db


def count_queries(call: Callable[[], object]) -> tuple[object, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        result = call()
    queries = [
        q["sql"] for q in captured.captured_queries if not q["sql"].upper().startswith(TRANSACTION_CONTROL)
    ]
    return result, queries


def measured(call: Callable[[], object], status: int = 200) -> int:
    """Queries of one request, after a first one that fills per-process caches (content types)."""
    call()
    response, queries = count_queries(call)
    assert response.status_code == status, response.content  # type: ignore[attr-defined]
    assert len(queries) <= MAX_QUERIES, "\n".join(queries)
    return len(queries)


def grow(org, count: int, root) -> None:
    for number in range(count):
        member = make_user(organization=org)
        if number % 10 == 0:
            delegate_grant(actor=root, organization_id=org.pk, user_id=member.pk)


@pytest.fixture
def big(world):
    """An organization like org_a (an admin and a user) with 40 more members."""
    org = make_org("Big")
    admin = make_user("big_admin", role=Role.ADMIN, organization=org)
    user = make_user("big_user", organization=org)
    grow(org, 40, world["root"])
    return {"org": org, "admin": admin, "user": user}


def test_reads_are_one_query_per_step(world, django_assert_max_num_queries):
    user = api_as(world["user_a"])
    user.get("/api/v1/users/me")
    with django_assert_max_num_queries(1):
        assert user.get("/api/v1/users/me").status_code == 200
    with django_assert_max_num_queries(2):
        assert user.get(f"/api/v1/organizations/{world['org_a'].pk}").status_code == 200
    with django_assert_max_num_queries(2):  # no permission: the same one check, then 403
        assert user.get(f"/api/v1/organizations/{world['org_b'].pk}").status_code == 403


@pytest.mark.parametrize("actor", ["root", "admin_a", "user_a"])
def test_organization_reads_do_not_grow_with_members(world, big, actor):
    client = api_as(world[actor])
    org_a = world["org_a"]
    paths = [
        "/api/v1/organizations/{id}",
        "/api/v1/organizations/{id}/users",
        "/api/v1/organizations/{id}/users?limit=2",
        "/api/v1/organizations/{id}/users?skip=1&limit=2",
    ]
    small = [measured(lambda p=p: client.get(p.format(id=org_a.pk))) for p in paths]
    big_client = client if actor == "root" else api_as(big["admin" if actor == "admin_a" else "user"])
    large = [measured(lambda p=p: big_client.get(p.format(id=big["org"].pk))) for p in paths]
    assert small == large


@pytest.mark.parametrize("actor", ["root", "admin_a", "user_a", "user_none"])
def test_organization_list_does_not_grow_with_organizations(world, actor):
    client = api_as(world[actor])
    paths = [
        "/api/v1/organizations/",
        "/api/v1/organizations/?limit=1",
        "/api/v1/organizations/?skip=1&limit=1",
    ]
    small = [measured(lambda p=p: client.get(p)) for p in paths]
    for number in range(30):
        make_user(organization=make_org(f"Team {number:02d}"))
    large = [measured(lambda p=p: client.get(p)) for p in paths]
    assert small == large


@pytest.mark.parametrize("actor", ["root", "admin_a"])
def test_users_and_audit_lists_do_not_grow(world, big, actor):
    client = api_as(world[actor])
    # limit=1: both sizes fill the page, so both ask for the total.
    paths = ["/api/v1/users/", "/api/v1/users/?limit=1", "/api/v1/audit-logs/", "/api/v1/audit-logs/?limit=1"]
    small = [measured(lambda p=p: client.get(p)) for p in paths]
    for _ in range(20):
        make_user(organization=world["org_a"])
    large = [measured(lambda p=p: client.get(p)) for p in paths]
    assert small == large


def measured_once(call: Callable[[], object]) -> int:
    response, queries = count_queries(call)
    assert response.status_code == 200, response.content  # type: ignore[attr-defined]
    assert len(queries) <= MAX_QUERIES, "\n".join(queries)
    return len(queries)


@pytest.mark.parametrize("actor", ["root", "admin"])
def test_writes_do_not_grow_with_members(world, big, actor):
    """PUT, add and remove cost the same on an organization of 2 members and one of 42."""

    def writes(org, admin) -> list[int]:
        client = api_as(world["root"] if actor == "root" else admin)
        newcomer = make_user()
        base = f"/api/v1/organizations/{org.pk}"
        client.get(base)  # per-process caches
        return [
            measured_once(lambda: client.put(base, {"description": "one"})),
            measured_once(lambda: client.put(base, {"description": "two"})),
            measured_once(lambda: client.put(base, {"name": f"{org.name} renamed"})),
            measured_once(lambda: client.post(f"{base}/users/{newcomer.pk}")),
            measured_once(lambda: client.post(f"{base}/users/{newcomer.pk}")),  # already a member: no-op
            measured_once(lambda: client.delete(f"{base}/users/{newcomer.pk}")),
        ]

    small = writes(world["org_a"], world["admin_a"])
    large = writes(big["org"], big["admin"])
    assert small == large


def test_add_and_remove_are_at_most_six_queries(world):
    """Token, organization with the actor's permissions, locked user, user row, grants, audit entry."""
    client = api_as(world["admin_a"])
    newcomer = make_user()
    base = f"/api/v1/organizations/{world['org_a'].pk}/users/{newcomer.pk}"
    response, added = count_queries(lambda: client.post(base))
    assert response.status_code == 200 and len(added) <= MAX_QUERIES, "\n".join(added)
    response, removed = count_queries(lambda: client.delete(base))
    assert response.status_code == 200 and len(removed) <= MAX_QUERIES, "\n".join(removed)

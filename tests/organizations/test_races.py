"""Races on PostgreSQL (real row locks, real concurrent transactions): the loser gets a clean 4xx.

On SQLite the write transactions are serialized by BEGIN IMMEDIATE, so
these races cannot happen there; the tests need PostgreSQL.
"""

import threading

import pytest
from django.db import connection, connections

from portal.accounts.models import User
from portal.audit.models import AuditLog
from portal.organizations.models import Organization
from tests.conftest import PASSWORD, api_as, make_org, make_user

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL); SQLite serializes writers")


def run_together(*calls):
    """Start every call at the same moment in its own thread (and connection); return their results."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_delete_organization_races_add_member():
    root = make_user("root", role="superuser")
    outcomes = set()
    for round_ in range(25):
        organization = make_org(f"Race {round_}")
        user = make_user(f"racer{round_}")
        deleter, adder = api_as(root), api_as(root)
        org_path = f"/api/v1/organizations/{organization.pk}"
        member_path = f"{org_path}/users/{user.pk}"
        deleted, added = run_together(
            lambda c=deleter, p=org_path: c.delete(p),
            lambda c=adder, p=member_path: c.post(p),
        )
        statuses = (deleted.status_code, added.status_code)
        assert statuses in {(204, 404), (400, 200)}, (statuses, deleted.content, added.content)
        outcomes.add(statuses)
        user.refresh_from_db()
        if statuses == (204, 404):
            assert not Organization.objects.filter(pk=organization.pk).exists()
            assert user.organization_id is None
        else:
            assert user.organization_id == organization.pk
    # no member ever points at a deleted organization
    assert (
        not User.objects.exclude(organization=None)
        .exclude(organization__in=Organization.objects.all())
        .exists()
    )


def test_concurrent_creates_of_one_name_one_wins():
    root = make_user("root", role="superuser")
    for round_ in range(5):
        clients = [api_as(root) for _ in range(6)]
        names = [f"Clash {round_}", f"clash {round_}", f"CLASH {round_}"] * 2
        responses = run_together(
            *[
                (lambda c=c, n=n: c.post("/api/v1/organizations/", {"name": n}))
                for c, n in zip(clients, names, strict=True)
            ]
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201, 400, 400, 400, 400, 400], [r.content for r in responses]
        assert Organization.objects.filter(name__iexact=f"clash {round_}").count() == 1
    assert AuditLog.objects.filter(action="org_create").count() == 5


def test_concurrent_bootstrap_creates_one_superuser():
    body = {"password": PASSWORD, "role": "superuser"}
    responses = run_together(
        *[
            (
                lambda i=i: api_as(None).post(
                    "/api/v1/users/", {**body, "username": f"first{i}", "email": f"f{i}@example.test"}
                )
            )
            for i in range(4)
        ]
    )
    assert sorted(r.status_code for r in responses) == [201, 401, 401, 401]
    assert User.objects.count() == 1


def test_concurrent_member_moves_keep_grants_consistent():
    from guardian.core import ObjectPermissionChecker

    root = make_user("root", role="superuser")
    orgs = [make_org(f"Target {i}") for i in range(4)]
    user = make_user("mover")
    clients = [api_as(root) for _ in orgs]
    responses = run_together(
        *[
            (lambda c=c, o=o: c.post(f"/api/v1/organizations/{o.pk}/users/{user.pk}"))
            for c, o in zip(clients, orgs, strict=True)
        ]
    )
    assert all(r.status_code == 200 for r in responses)
    user.refresh_from_db()
    checker = ObjectPermissionChecker(user)
    assert [o.pk for o in orgs if checker.has_perm("view_organization", o)] == [user.organization_id]


def assert_counts_equal_rows():
    stored = dict(Organization.objects.values_list("pk", "member_count"))
    rows = {pk: Organization.objects.get(pk=pk).members.count() for pk in stored}
    assert stored == rows


def request(client, method, path, data=None):
    """One request, to run in run_together (each with its own client, built beforehand)."""
    return lambda: client.request(method, path, data)


def test_concurrent_adds_removes_and_moves_keep_member_counts_equal_to_rows():
    """Joins, leaves and moves of the same users through every path at once: no lost update, no deadlock."""
    root = make_user("root", role="superuser")
    orgs = [make_org(f"Count {i}") for i in range(3)]
    admins = [make_user(f"count_admin{i}", role="admin", organization=org) for i, org in enumerate(orgs)]
    people = [make_user(f"counted{i}") for i in range(6)]
    for round_ in range(8):
        calls = []
        for index, person in enumerate(people):
            target, other = orgs[(index + round_) % 3], orgs[(index + round_ + 1) % 3]
            base = f"/api/v1/organizations/{target.pk}/users/{person.pk}"
            calls += [
                request(api_as(root), "POST", base),  # join, or move (superuser)
                request(api_as(admins[(index + round_) % 3]), "DELETE", base),  # leave, if a member
                request(api_as(root), "PATCH", f"/api/v1/users/{person.pk}", {"organization_id": other.pk}),
            ]
        responses = run_together(*calls)
        for response in responses:
            assert not isinstance(response, Exception), response
            assert response.status_code in (200, 403, 404), (response.status_code, response.content)
        assert_counts_equal_rows()
    # Deleting members while others join their organizations.
    victims = User.objects.filter(username__startswith="counted", organization__isnull=False)
    calls = [request(api_as(root), "DELETE", f"/api/v1/users/{victim.pk}") for victim in victims]
    for index in range(4):
        late = make_user(f"late{index}")
        calls.append(
            request(api_as(root), "POST", f"/api/v1/organizations/{orgs[index % 3].pk}/users/{late.pk}")
        )
    responses = run_together(*calls)
    assert all(r.status_code in (200, 204) for r in responses), [r.content for r in responses]
    assert_counts_equal_rows()


def test_member_count_races_delete_organization():
    """An organization deleted while someone joins it: either the join fails or the delete does."""
    root = make_user("root", role="superuser")
    for round_ in range(10):
        organization = make_org(f"Gone {round_}")
        user = make_user(f"joiner{round_}")
        deleted, moved = run_together(
            lambda o=organization.pk: api_as(root).delete(f"/api/v1/organizations/{o}"),
            lambda u=user.pk, o=organization.pk: api_as(root).patch(
                f"/api/v1/users/{u}", {"organization_id": o}
            ),
        )
        assert (deleted.status_code, moved.status_code) in {(204, 404), (400, 200)}, (
            deleted.content,
            moved.content,
        )
        assert_counts_equal_rows()


def test_two_admins_removing_each_other_leave_one():
    """Each is the other's "other admin": the organization's lock makes the second see the first gone."""
    for round_ in range(10):
        organization = make_org(f"Pair {round_}")
        first = make_user(f"first{round_}", role="admin", organization=organization)
        second = make_user(f"second{round_}", role="admin", organization=organization)
        base = f"/api/v1/organizations/{organization.pk}/users"
        responses = run_together(
            request(api_as(first), "DELETE", f"{base}/{second.pk}"),
            request(api_as(second), "DELETE", f"{base}/{first.pk}"),
        )
        assert sorted(r.status_code for r in responses) in ([200, 400], [200, 403]), [
            r.content for r in responses
        ]
        assert organization.members.filter(role="admin").count() == 1
        assert_counts_equal_rows()

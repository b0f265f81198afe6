"""Id guessing across tenants: admin and user of organization A try every page and action on B's
organization, its members and its audit entries, in the portal and the API. All refused, nothing changed."""

import pytest
from django.test import Client

from tests.conftest import api_as
from tests.helpers import snapshot


def portal_targets(world):
    org_b, user_b, admin_b = world["org_b"].pk, world["user_b"].pk, world["admin_b"].pk
    gets = [
        f"/organizations/{org_b}/",
        f"/organizations/{org_b}/edit/",
        f"/organizations/{org_b}/delete/",
        f"/organizations/{org_b}/members/add/",
        f"/organizations/{org_b}/members/{user_b}/remove/",
        f"/organizations/{org_b}/activity/",
        f"/organizations/{org_b}/header/",
        f"/users/{user_b}/",
        f"/users/{admin_b}/",
        f"/audit/?organization={org_b}",
        f"/audit/export.csv?organization={org_b}",
    ]
    posts = [
        (f"/organizations/{org_b}/edit/", {"name": "Owned", "description": ""}),
        (f"/organizations/{org_b}/delete/", {}),
        (f"/organizations/{org_b}/members/add/", {"user_id": world["user_none"].pk}),
        (f"/organizations/{org_b}/members/{user_b}/remove/", {}),
        (f"/organizations/{org_b}/members/{user_b}/manager/grant/", {}),
        (f"/organizations/{org_b}/members/{user_b}/manager/revoke/", {}),
        (f"/users/{user_b}/", {"email": "owned@example.test", "role": "user"}),
        (
            f"/users/{user_b}/password/",
            {"new_password1": "owned-pass-1234", "new_password2": "owned-pass-1234"},
        ),
        (f"/users/{user_b}/delete/", {}),
    ]
    return gets, posts


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["admin_a", "user_a"])
def test_portal_refuses_other_tenant(world, actor):
    client = Client()
    client.force_login(world[actor])
    gets, posts = portal_targets(world)
    before = snapshot()
    for path in gets:
        response = client.get(path)
        if path.startswith("/audit/"):
            # the audit page answers, but never with B's entries
            assert response.status_code in (200, 403), path
            if response.status_code == 200:
                content = b"".join(response.streaming_content) if response.streaming else response.content
                assert b"Beta" not in content and b"admin_b" not in content, path
            continue
        assert response.status_code in (403, 404), (path, response.status_code)
    for path, data in posts:
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = client.post(path, data, **headers)
            assert response.status_code in (403, 404), (path, response.status_code)
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["admin_a", "user_a"])
def test_api_refuses_other_tenant(world, actor):
    client = api_as(world[actor])
    org_b, user_b = world["org_b"].pk, world["user_b"].pk
    before = snapshot()
    calls = [
        ("GET", f"/api/v1/organizations/{org_b}", None),
        ("PUT", f"/api/v1/organizations/{org_b}", {"name": "Owned"}),
        ("DELETE", f"/api/v1/organizations/{org_b}", None),
        ("GET", f"/api/v1/organizations/{org_b}/users", None),
        ("POST", f"/api/v1/organizations/{org_b}/users/{world['user_none'].pk}", None),
        ("DELETE", f"/api/v1/organizations/{org_b}/users/{user_b}", None),
        ("GET", f"/api/v1/users/{user_b}", None),
        ("PATCH", f"/api/v1/users/{user_b}", {"email": "owned@example.test"}),
        ("DELETE", f"/api/v1/users/{user_b}", None),
        ("GET", f"/api/v1/audit-logs/?organization_id={org_b}", None),
    ]
    for method, path, body in calls:
        response = client.request(method, path, body)
        assert response.status_code in (403, 404), (method, path, response.status_code)
    # and B's organization and members never appear in A's lists
    assert [o["id"] for o in client.get("/api/v1/organizations/").json()] == [world["org_a"].pk]
    if actor == "admin_a":
        assert user_b not in [u["id"] for u in client.get("/api/v1/users/").json()]
        assert all(
            e["organization_id"] == world["org_a"].pk for e in client.get("/api/v1/audit-logs/").json()
        )
    assert snapshot() == before

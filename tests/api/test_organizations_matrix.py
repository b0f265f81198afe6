"""SPEC section 3 x section 5: every organization endpoint against every kind of actor, through HTTP.

One table of (endpoint, actor, target) -> expected status; after every
refused request nothing changed and no audit entry was written.
"""

import pytest

from portal.audit.models import AuditLog
from tests.conftest import api_as, make_user
from tests.helpers import snapshot

ACTORS = ["anonymous", "root", "admin_a", "user_a", "admin_b", "user_b", "admin_none", "user_none"]
MISSING = 987654321

# status per actor, in ACTORS order, for org_a (which has members) and for a missing id.
MATRIX = {
    "view": (
        "GET",
        "/api/v1/organizations/{org}",
        None,
        [401, 200, 200, 200, 403, 403, 403, 403],
        [401, 404, 403, 403, 403, 403, 403, 403],
    ),
    "update": (
        "PUT",
        "/api/v1/organizations/{org}",
        {"description": "changed"},
        [401, 200, 200, 403, 403, 403, 403, 403],
        [401, 404, 403, 403, 403, 403, 403, 403],
    ),
    "delete_with_members": (
        "DELETE",
        "/api/v1/organizations/{org}",
        None,
        [401, 400, 403, 403, 403, 403, 403, 403],
        [401, 404, 403, 403, 403, 403, 403, 403],
    ),
    "list_members": (
        "GET",
        "/api/v1/organizations/{org}/users",
        None,
        [401, 200, 200, 200, 403, 403, 403, 403],
        [401, 404, 403, 403, 403, 403, 403, 403],
    ),
    "add_member": (
        "POST",
        "/api/v1/organizations/{org}/users/{user_none}",
        None,
        [401, 200, 200, 403, 403, 403, 403, 403],
        [401, 404, 403, 403, 403, 403, 403, 403],
    ),
    "remove_member": (
        "DELETE",
        "/api/v1/organizations/{org}/users/{user_a}",
        None,
        [401, 200, 200, 403, 403, 403, 403, 403],
        [401, 404, 403, 403, 403, 403, 403, 403],
    ),
}
CASES = [
    pytest.param(action, actor, target, id=f"{action}-{actor}-{target}")
    for action in MATRIX
    for actor in ACTORS
    for target in ("org_a", "missing")
]


def client_for(world, actor):
    return api_as(None if actor == "anonymous" else world[actor])


def call(world, action, actor, target):
    method, template, body, _, _ = MATRIX[action]
    org_id = world["org_a"].pk if target == "org_a" else MISSING
    path = template.format(org=org_id, user_none=world["user_none"].pk, user_a=world["user_a"].pk)
    return client_for(world, actor).request(method, path, body)


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "actor", "target"), CASES)
def test_organization_endpoint_matrix(world, action, actor, target):
    expected = MATRIX[action][3 if target == "org_a" else 4][ACTORS.index(actor)]
    before = snapshot()
    response = call(world, action, actor, target)
    assert response.status_code == expected, response.content
    assert response["Content-Type"].startswith("application/json")
    if expected >= 400:
        assert isinstance(response.json()["detail"], str) and response.json()["detail"]
        assert snapshot() == before, "a refused request changed something"
    if expected == 401:
        assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ACTORS)
def test_create_organization_matrix(world, actor):
    expected = {"anonymous": 401, "user_a": 403, "user_b": 403, "user_none": 403}.get(actor, 201)
    before = snapshot()
    response = client_for(world, actor).post("/api/v1/organizations/", {"name": f"New {actor}"})
    assert response.status_code == expected, response.content
    if expected == 201:
        body = response.json()
        assert body["name"] == f"New {actor}"
        assert AuditLog.objects.filter(action="org_create", resource_id=str(body["id"])).count() == 1
    else:
        assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "visible"),
    [
        ("root", ["Alpha", "Beta"]),
        ("admin_a", ["Alpha"]),
        ("user_a", ["Alpha"]),
        ("admin_b", ["Beta"]),
        ("user_b", ["Beta"]),
        ("admin_none", []),
        ("user_none", []),
    ],
)
def test_list_organizations_is_scoped(world, actor, visible):
    response = client_for(world, actor).get("/api/v1/organizations/")
    assert response.status_code == 200
    assert [org["name"] for org in response.json()] == visible
    assert response["X-Total-Count"] == str(len(visible))


@pytest.mark.django_db
def test_list_organizations_anonymous_is_401(world):
    response = api_as(None).get("/api/v1/organizations/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["admin_none", "user_none", "admin_b", "user_b"])
def test_non_member_403_does_not_reveal_existence(world, actor):
    client = client_for(world, actor)
    real = client.get(f"/api/v1/organizations/{world['org_a'].pk}")
    missing = client.get(f"/api/v1/organizations/{MISSING}")
    assert real.status_code == missing.status_code == 403
    assert real.json() == missing.json()


# --- the rules beside the matrix (SPEC section 3) ---------------------------


@pytest.mark.django_db
def test_admin_cannot_take_user_from_other_org(world):
    before = snapshot()
    response = api_as(world["admin_a"]).post(
        f"/api/v1/organizations/{world['org_a'].pk}/users/{world['user_b'].pk}"
    )
    assert response.status_code == 403
    assert "another organization" in response.json()["detail"]
    assert snapshot() == before


@pytest.mark.django_db
def test_admin_cannot_add_superuser(world):
    lone_root = make_user("lone-root", role="superuser")
    before = snapshot()
    response = api_as(world["admin_a"]).post(
        f"/api/v1/organizations/{world['org_a'].pk}/users/{lone_root.pk}"
    )
    assert response.status_code == 403
    assert "superuser" in response.json()["detail"]
    assert snapshot() == before


@pytest.mark.django_db
def test_superuser_moves_user_between_orgs_with_two_audit_entries(world):
    org_a, org_b, user_b = world["org_a"], world["org_b"], world["user_b"]
    response = api_as(world["root"]).post(f"/api/v1/organizations/{org_a.pk}/users/{user_b.pk}")
    assert response.status_code == 200
    assert response.json()["organization_id"] == org_a.pk
    entries = AuditLog.objects.filter(action__in=["org_add_user", "org_remove_user"]).order_by("-id")[:2]
    assert {(e.action, e.organization_id) for e in entries} == {
        ("org_remove_user", org_b.pk),
        ("org_add_user", org_a.pk),
    }
    # user_b now sees Alpha, not Beta
    assert [o["name"] for o in api_as(user_b).get("/api/v1/organizations/").json()] == ["Alpha"]


@pytest.mark.django_db
def test_adding_existing_member_is_a_noop_200(world):
    before = snapshot()
    response = api_as(world["admin_a"]).post(
        f"/api/v1/organizations/{world['org_a'].pk}/users/{world['user_a'].pk}"
    )
    assert response.status_code == 200
    assert response.json()["organization_id"] == world["org_a"].pk
    assert snapshot() == before


@pytest.mark.django_db
def test_add_missing_user_is_404_for_admin_and_superuser(world):
    for actor in ("root", "admin_a"):
        response = api_as(world[actor]).post(f"/api/v1/organizations/{world['org_a'].pk}/users/{MISSING}")
        assert response.status_code == 404, actor
        assert response.json() == {"detail": "User not found"}


@pytest.mark.django_db
def test_remove_non_member_is_404(world):
    response = api_as(world["admin_a"]).delete(
        f"/api/v1/organizations/{world['org_a'].pk}/users/{world['user_b'].pk}"
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "User is not a member of this organization"}


@pytest.mark.django_db
def test_removed_member_loses_access_at_once(world):
    org_a, user_a = world["org_a"], world["user_a"]
    member_client = api_as(user_a)
    assert member_client.get(f"/api/v1/organizations/{org_a.pk}").status_code == 200
    response = api_as(world["admin_a"]).delete(f"/api/v1/organizations/{org_a.pk}/users/{user_a.pk}")
    assert response.status_code == 200
    assert response.json()["organization_id"] is None
    assert member_client.get(f"/api/v1/organizations/{org_a.pk}").status_code == 403
    assert member_client.get(f"/api/v1/organizations/{org_a.pk}/users").status_code == 403
    assert member_client.get("/api/v1/organizations/").json() == []


@pytest.mark.django_db
def test_admin_cannot_remove_last_admin_but_superuser_can(world):
    org_a, admin_a = world["org_a"], world["admin_a"]
    before = snapshot()
    response = api_as(admin_a).delete(f"/api/v1/organizations/{org_a.pk}/users/{admin_a.pk}")
    assert response.status_code == 400
    assert "last admin" in response.json()["detail"]
    assert snapshot() == before
    response = api_as(world["root"]).delete(f"/api/v1/organizations/{org_a.pk}/users/{admin_a.pk}")
    assert response.status_code == 200


@pytest.mark.django_db
def test_admin_may_remove_self_when_another_admin_remains(world):
    org_a = world["org_a"]
    make_user("admin_a2", role="admin", organization=org_a)
    response = api_as(world["admin_a"]).delete(
        f"/api/v1/organizations/{org_a.pk}/users/{world['admin_a'].pk}"
    )
    assert response.status_code == 200


@pytest.mark.django_db
def test_admin_never_removes_superuser(world):
    org_a = world["org_a"]
    member_root = make_user("member-root", role="superuser", organization=org_a)
    before = snapshot()
    response = api_as(world["admin_a"]).delete(f"/api/v1/organizations/{org_a.pk}/users/{member_root.pk}")
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.django_db
def test_delete_refused_while_members_remain_then_allowed(world):
    org_b = world["org_b"]
    root = api_as(world["root"])
    response = root.delete(f"/api/v1/organizations/{org_b.pk}")
    assert response.status_code == 400
    assert response.json() == {"detail": "Cannot delete organization with users. Remove all users first."}
    for member in ("admin_b", "user_b"):
        assert root.delete(f"/api/v1/organizations/{org_b.pk}/users/{world[member].pk}").status_code == 200
    response = root.delete(f"/api/v1/organizations/{org_b.pk}")
    assert response.status_code == 204
    assert response.content == b""
    assert root.get(f"/api/v1/organizations/{org_b.pk}").status_code == 404
    assert AuditLog.objects.filter(action="org_delete", organization_id=org_b.pk).count() == 1


@pytest.mark.django_db
def test_admin_without_org_joins_the_org_they_create(world):
    response = api_as(world["admin_none"]).post("/api/v1/organizations/", {"name": "Fresh"})
    assert response.status_code == 201
    body = response.json()
    assert body["member_count"] == 1
    me = api_as(world["admin_none"]).get("/api/v1/users/me").json()
    assert me["organization_id"] == body["id"]
    assert AuditLog.objects.filter(action="org_add_user", organization_id=body["id"]).count() == 1
    # and may now manage it
    assert (
        api_as(world["admin_none"])
        .put(f"/api/v1/organizations/{body['id']}", {"name": "Fresher"})
        .status_code
        == 200
    )


@pytest.mark.django_db
def test_admin_with_org_creates_without_joining(world):
    response = api_as(world["admin_a"]).post("/api/v1/organizations/", {"name": "Side project"})
    assert response.status_code == 201
    assert response.json()["member_count"] == 0
    assert api_as(world["admin_a"]).get("/api/v1/users/me").json()["organization_id"] == world["org_a"].pk
    # not a member, so no access to it
    assert api_as(world["admin_a"]).get(f"/api/v1/organizations/{response.json()['id']}").status_code == 403


# --- delegated member management ---------------------------------------------


@pytest.fixture
def delegate(world):
    from portal.organizations.services import delegate_grant

    delegate_grant(actor=world["admin_a"], organization_id=world["org_a"].pk, user_id=world["user_a"].pk)
    return world["user_a"]


@pytest.mark.django_db
def test_delegate_adds_and_removes_role_user_members(world, delegate):
    org_a, user_none = world["org_a"], world["user_none"]
    client = api_as(delegate)
    assert client.post(f"/api/v1/organizations/{org_a.pk}/users/{user_none.pk}").status_code == 200
    assert client.delete(f"/api/v1/organizations/{org_a.pk}/users/{user_none.pk}").status_code == 200


@pytest.mark.django_db
def test_delegate_cannot_remove_admin_or_add_admin_or_edit_org(world, delegate):
    org_a = world["org_a"]
    client = api_as(delegate)
    before = snapshot()
    assert client.delete(f"/api/v1/organizations/{org_a.pk}/users/{world['admin_a'].pk}").status_code == 403
    assert client.post(f"/api/v1/organizations/{org_a.pk}/users/{world['admin_none'].pk}").status_code == 403
    assert client.put(f"/api/v1/organizations/{org_a.pk}", {"name": "Hijacked"}).status_code == 403
    assert client.get("/api/v1/audit-logs/").status_code == 403
    assert snapshot() == before


@pytest.mark.django_db
def test_delegation_ends_when_member_leaves(world, delegate):
    org_a = world["org_a"]
    api_as(world["admin_a"]).delete(f"/api/v1/organizations/{org_a.pk}/users/{delegate.pk}")
    api_as(world["admin_a"]).post(f"/api/v1/organizations/{org_a.pk}/users/{delegate.pk}")
    response = api_as(delegate).post(f"/api/v1/organizations/{org_a.pk}/users/{world['user_none'].pk}")
    assert response.status_code == 403
    assert AuditLog.objects.filter(action="org_grant").count() == 1

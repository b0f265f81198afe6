"""/api/v1/users/: bootstrap, who may create, see, change and delete whom (SPEC section 5)."""

import pytest

from portal.accounts.models import Token, User
from portal.audit.models import AuditLog
from portal.organizations.permissions import perms_on
from tests.conftest import PASSWORD, api_as, make_user
from tests.helpers import snapshot

MISSING = 987654321


def new_user(**extra):
    body = {"username": "newbie", "email": "newbie@example.test", "password": PASSWORD}
    body.update(extra)
    return body


@pytest.mark.django_db
def test_bootstrap_creates_first_user_without_token_then_closes():
    response = api_as(None).post(
        "/api/v1/users/", new_user(username="first", email="first@example.test", role="superuser")
    )
    assert response.status_code == 201, response.content
    assert response.json()["role"] == "superuser"
    assert User.objects.get(username="first").is_superuser
    assert AuditLog.objects.filter(action="user_create").count() == 1
    again = api_as(None).post("/api/v1/users/", new_user(role="superuser"))
    assert again.status_code == 401
    assert again["WWW-Authenticate"] == "Bearer"
    assert User.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "extra", "expected"),
    [
        ("root", {"role": "admin"}, 201),
        ("root", {"role": "superuser"}, 201),
        ("root", {"organization_id": "org_b"}, 201),
        ("admin_a", {}, 201),
        ("admin_a", {"organization_id": "org_a"}, 201),
        ("admin_a", {"organization_id": "org_b"}, 403),
        ("admin_a", {"role": "admin"}, 403),
        ("admin_a", {"role": "superuser"}, 403),
        ("admin_none", {}, 201),
        ("user_a", {}, 403),
        ("user_none", {}, 403),
        ("anonymous", {}, 401),
    ],
)
def test_create_user_matrix(world, actor, extra, expected):
    if "organization_id" in extra:
        extra = {**extra, "organization_id": world[extra["organization_id"]].pk}
    before = snapshot()
    client = api_as(None if actor == "anonymous" else world[actor])
    response = client.post("/api/v1/users/", new_user(**extra))
    assert response.status_code == expected, response.content
    if expected == 201:
        body = response.json()
        assert "password" not in body
        assert body["role"] == extra.get("role", "user")
        assert body["organization_id"] == extra.get("organization_id")
        if extra.get("organization_id"):
            assert AuditLog.objects.filter(
                action="org_add_user", organization_id=extra["organization_id"]
            ).exists()
    else:
        assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extra", "detail"),
    [
        ({"username": "user_a"}, "Username already registered"),
        ({"email": "USER_A@example.test"}, "Email already registered"),
    ],
)
def test_create_duplicate_is_400(world, extra, detail):
    response = api_as(world["root"]).post("/api/v1/users/", new_user(**extra))
    assert response.status_code == 400
    assert response.json() == {"detail": detail}


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["short", "12345678901", "password123", "newbie1234"])
def test_weak_password_is_422(root, password):
    response = api_as(root).post("/api/v1/users/", new_user(password=password))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "password"
    assert not User.objects.filter(username="newbie").exists()


@pytest.mark.django_db
def test_create_in_missing_org_is_404(root):
    response = api_as(root).post("/api/v1/users/", new_user(organization_id=MISSING))
    assert response.status_code == 404
    assert not User.objects.filter(username="newbie").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "visible"),
    [
        ("root", ["admin_a", "admin_b", "admin_none", "root", "user_a", "user_b", "user_none"]),
        ("admin_a", ["admin_a", "admin_none", "root", "user_a", "user_none"]),
        ("admin_none", ["admin_none", "root", "user_none"]),
    ],
)
def test_list_users_scoped(world, actor, visible):
    response = api_as(world[actor]).get("/api/v1/users/")
    assert response.status_code == 200
    names = [u["username"] for u in response.json()]
    assert [n for n in names if n != "root-maker"] == visible
    assert response["X-Total-Count"] == str(len(names))


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["user_a", "user_none"])
def test_users_cannot_list_users(world, actor):
    assert api_as(world[actor]).get("/api/v1/users/").status_code == 403


@pytest.mark.django_db
def test_list_users_filters(world):
    client = api_as(world["root"])
    assert [u["username"] for u in client.get("/api/v1/users/", {"q": "_b"}).json()] == ["admin_b", "user_b"]
    by_org = client.get("/api/v1/users/", {"organization_id": world["org_a"].pk}).json()
    assert [u["username"] for u in by_org] == ["admin_a", "user_a"]
    unassigned = client.get("/api/v1/users/", {"unassigned": "true"}).json()
    assert {u["username"] for u in unassigned} >= {"admin_none", "user_none", "root"}
    assert all(u["organization_id"] is None for u in unassigned)


@pytest.mark.django_db
def test_me(world):
    response = api_as(world["user_a"]).get("/api/v1/users/me")
    assert response.status_code == 200
    assert response.json()["username"] == "user_a"
    assert response.json()["organization_id"] == world["org_a"].pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "target", "expected"),
    [
        ("user_a", "user_a", 200),
        ("user_a", "admin_a", 404),
        ("user_a", "user_b", 404),
        ("admin_a", "user_a", 200),
        ("admin_a", "user_none", 200),
        ("admin_a", "user_b", 404),
        ("admin_b", "user_a", 404),
        ("root", "user_b", 200),
        ("root", "missing", 404),
        ("admin_a", "missing", 404),
    ],
)
def test_get_user_visibility(world, actor, target, expected):
    target_id = MISSING if target == "missing" else world[target].pk
    response = api_as(world[actor]).get(f"/api/v1/users/{target_id}")
    assert response.status_code == expected
    if expected == 404:
        assert response.json() == {"detail": "User not found"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "target", "change", "expected"),
    [
        ("user_a", "user_a", {"email": "me@example.test"}, 200),
        ("user_a", "user_a", {"role": "admin"}, 403),
        ("user_a", "user_a", {"organization_id": None}, 403),
        ("user_a", "user_a", {"can_create_ca": True}, 403),
        ("user_a", "user_a", {"is_active": False}, 403),
        ("admin_a", "admin_a", {"role": "superuser"}, 403),
        ("admin_a", "admin_a", {"organization_id": "org_b"}, 403),
        ("admin_a", "user_a", {"can_create_ca": True, "can_delete_ca": True}, 200),
        ("admin_a", "user_a", {"email": "ua@example.test"}, 200),
        ("admin_a", "user_a", {"role": "admin"}, 403),
        ("admin_a", "user_a", {"is_active": False}, 403),
        ("admin_a", "user_a", {"organization_id": None}, 403),
        ("admin_a", "user_none", {"can_create_ca": True}, 403),
        ("admin_a", "user_b", {"can_create_ca": True}, 404),
        ("root", "user_a", {"role": "admin", "can_create_ca": True}, 200),
        ("root", "user_a", {"organization_id": "org_b"}, 200),
        ("root", "user_a", {"is_active": False}, 200),
        ("root", "missing", {"email": "x@example.test"}, 404),
    ],
)
def test_patch_user_matrix(world, actor, target, change, expected):
    if isinstance(change.get("organization_id"), str):
        change = {**change, "organization_id": world[change["organization_id"]].pk}
    target_id = MISSING if target == "missing" else world[target].pk
    before = snapshot()
    response = api_as(world[actor]).patch(f"/api/v1/users/{target_id}", change)
    assert response.status_code == expected, response.content
    if expected == 200:
        body = response.json()
        for field, value in change.items():
            assert body[field] == value
    else:
        assert snapshot() == before


@pytest.mark.django_db
def test_same_value_patch_of_forbidden_field_is_harmless(world):
    response = api_as(world["user_a"]).patch(f"/api/v1/users/{world['user_a'].pk}", {"role": "user"})
    assert response.status_code == 200


@pytest.mark.django_db
def test_org_change_by_patch_is_a_membership_change(world):
    user_a, org_a, org_b = world["user_a"], world["org_a"], world["org_b"]
    response = api_as(world["root"]).patch(f"/api/v1/users/{user_a.pk}", {"organization_id": org_b.pk})
    assert response.status_code == 200
    assert AuditLog.objects.filter(action="org_remove_user", organization_id=org_a.pk).count() == 1
    assert AuditLog.objects.filter(action="org_add_user", organization_id=org_b.pk).count() >= 1
    user_a.refresh_from_db()
    assert perms_on(user_a, org_b) == {"view_organization"}
    assert perms_on(user_a, org_a) == frozenset()


@pytest.mark.django_db
def test_promotion_to_admin_grants_admin_perms(world):
    user_a, org_a = world["user_a"], world["org_a"]
    api_as(world["root"]).patch(f"/api/v1/users/{user_a.pk}", {"role": "admin"})
    response = api_as(user_a).put(f"/api/v1/organizations/{org_a.pk}", {"description": "now I can"})
    assert response.status_code == 200
    entry = AuditLog.objects.filter(action="user_update").first()
    assert entry.changes == {"role": {"old": "user", "new": "admin"}}


@pytest.mark.django_db
def test_password_change_revokes_tokens_and_is_not_audited_in_clear(world):
    user_a = world["user_a"]
    client = api_as(user_a)
    response = client.patch(f"/api/v1/users/{user_a.pk}", {"password": "another-long-passphrase"})
    assert response.status_code == 200
    assert Token.objects.filter(user=user_a).count() == 0
    assert client.get("/api/v1/users/me").status_code == 401
    entry = AuditLog.objects.filter(action="user_update").first()
    assert "password" in entry.detail
    assert "another-long-passphrase" not in str(entry.changes) + entry.detail


@pytest.mark.django_db
def test_deactivation_revokes_tokens(world):
    client = api_as(world["user_b"])
    api_as(world["root"]).patch(f"/api/v1/users/{world['user_b'].pk}", {"is_active": False})
    assert client.get("/api/v1/users/me").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("change", [{"role": "admin"}, {"is_active": False}])
def test_last_active_superuser_cannot_be_demoted_or_deactivated(root, change):
    before = snapshot()
    response = api_as(root).patch(f"/api/v1/users/{root.pk}", change)
    assert response.status_code == 400
    assert response.json() == {"detail": "The system must keep at least one active superuser."}
    assert snapshot() == before


@pytest.mark.django_db
def test_superuser_may_step_down_when_another_remains(root):
    make_user("root2", role="superuser")
    response = api_as(root).patch(f"/api/v1/users/{root.pk}", {"role": "user"})
    assert response.status_code == 200
    root.refresh_from_db()
    assert not root.is_superuser


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "target", "expected"),
    [
        ("root", "user_a", 204),
        ("root", "root", 400),
        ("root", "missing", 404),
        ("admin_a", "user_a", 403),
        ("user_a", "user_a", 403),
    ],
)
def test_delete_user_matrix(world, actor, target, expected):
    target_id = MISSING if target == "missing" else world[target].pk
    before = snapshot()
    response = api_as(world[actor]).delete(f"/api/v1/users/{target_id}")
    assert response.status_code == expected
    if expected == 204:
        assert response.content == b""
        assert not User.objects.filter(pk=target_id).exists()
        entry = AuditLog.objects.get(action="user_delete")
        assert entry.resource_id == str(target_id) and target in entry.detail
    else:
        assert snapshot() == before


@pytest.mark.django_db
def test_deleting_a_member_keeps_audit_history(world):
    user_a = world["user_a"]
    entries_before = AuditLog.objects.filter(resource_id=str(user_a.pk)).count()
    api_as(world["root"]).delete(f"/api/v1/users/{user_a.pk}")
    assert AuditLog.objects.filter(resource_id=str(user_a.pk)).count() == entries_before + 1
    assert api_as(world["root"]).get(f"/api/v1/organizations/{world['org_a'].pk}").json()["member_count"] == 1

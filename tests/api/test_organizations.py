"""The documented organization endpoints: bodies, names, partial updates, pagination, audit."""

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.accounts.models import User
from portal.audit.models import AuditLog
from tests.conftest import api_as, make_org, make_user
from tests.helpers import snapshot

ORG_FIELDS = {"id", "name", "description", "member_count", "created_at", "updated_at"}
USER_FIELDS = {
    "id",
    "username",
    "email",
    "role",
    "is_active",
    "organization_id",
    "can_create_ca",
    "can_create_cert",
    "can_revoke_cert",
    "can_export_private_key",
    "can_delete_ca",
    "created_at",
    "updated_at",
}


@pytest.mark.django_db
def test_create_returns_documented_object(root):
    response = api_as(root).post(
        "/api/v1/organizations/", {"name": "Engineering", "description": "Engineering department"}
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == ORG_FIELDS
    assert body["name"] == "Engineering" and body["description"] == "Engineering department"
    assert body["member_count"] == 0
    for stamp in ("created_at", "updated_at"):
        assert body[stamp].endswith("Z")
        assert datetime.fromisoformat(body[stamp]).utcoffset().total_seconds() == 0
    entry = AuditLog.objects.get(action="org_create")
    assert entry.username == "root" and entry.organization_id == body["id"]


@pytest.mark.django_db
def test_name_is_trimmed_and_description_optional(root):
    response = api_as(root).post("/api/v1/organizations/", {"name": "  Ops  "})
    assert response.status_code == 201
    assert response.json()["name"] == "Ops"
    assert response.json()["description"] is None


@pytest.mark.django_db
@pytest.mark.parametrize("clash", ["Alpha", "alpha", "ALPHA", "  alpha "])
def test_name_taken_case_insensitively_is_400(world, clash):
    before = snapshot()
    response = api_as(world["root"]).post("/api/v1/organizations/", {"name": clash})
    assert response.status_code == 400
    assert response.json() == {"detail": "An organization with this name already exists."}
    assert snapshot() == before


@pytest.mark.django_db
def test_update_name_taken_is_400(world):
    response = api_as(world["root"]).put(f"/api/v1/organizations/{world['org_a'].pk}", {"name": "beta"})
    assert response.status_code == 400


@pytest.mark.django_db
def test_update_changes_only_given_fields_and_audits_changes(world):
    org_a = world["org_a"]
    client = api_as(world["admin_a"])
    client.put(f"/api/v1/organizations/{org_a.pk}", {"description": "first"})
    response = client.put(f"/api/v1/organizations/{org_a.pk}", {"name": "Alpha Team"})
    assert response.status_code == 200
    assert response.json()["name"] == "Alpha Team"
    assert response.json()["description"] == "first"
    assert response.json()["member_count"] == 2
    entry = AuditLog.objects.filter(action="org_update").first()
    assert entry.changes == {"name": {"old": "Alpha", "new": "Alpha Team"}}


@pytest.mark.django_db
def test_update_with_same_values_writes_no_audit_entry(world):
    org_a = world["org_a"]
    before = AuditLog.objects.count()
    response = api_as(world["admin_a"]).put(f"/api/v1/organizations/{org_a.pk}", {"name": "Alpha"})
    assert response.status_code == 200
    assert AuditLog.objects.count() == before


@pytest.mark.django_db
def test_case_only_rename_is_allowed(world):
    response = api_as(world["root"]).put(f"/api/v1/organizations/{world['org_a'].pk}", {"name": "ALPHA"})
    assert response.status_code == 200
    assert response.json()["name"] == "ALPHA"


@pytest.mark.django_db
def test_description_can_be_cleared_with_null(world):
    org_a = world["org_a"]
    client = api_as(world["root"])
    client.put(f"/api/v1/organizations/{org_a.pk}", {"description": "x"})
    response = client.put(f"/api/v1/organizations/{org_a.pk}", {"description": None})
    assert response.json()["description"] is None


@pytest.mark.django_db
def test_list_members_returns_users_by_username(world):
    response = api_as(world["user_a"]).get(f"/api/v1/organizations/{world['org_a'].pk}/users")
    assert response.status_code == 200
    body = response.json()
    assert [u["username"] for u in body] == ["admin_a", "user_a"]
    assert all(set(u) == USER_FIELDS for u in body)
    assert response["X-Total-Count"] == "2"
    assert "password" not in response.content.decode()


@pytest.mark.django_db
def test_add_member_returns_user_object_and_audits(world):
    org_a, user_none = world["org_a"], world["user_none"]
    response = api_as(world["admin_a"]).post(f"/api/v1/organizations/{org_a.pk}/users/{user_none.pk}")
    assert response.status_code == 200
    assert set(response.json()) == USER_FIELDS
    assert response.json()["organization_id"] == org_a.pk
    entry = AuditLog.objects.filter(action="org_add_user").first()
    assert entry.organization_id == org_a.pk
    assert "user_none" in entry.detail and str(user_none.pk) in entry.detail


@pytest.mark.django_db
def test_remove_member_audits_with_member_name(world):
    org_a, user_a = world["org_a"], world["user_a"]
    api_as(world["admin_a"]).delete(f"/api/v1/organizations/{org_a.pk}/users/{user_a.pk}")
    entry = AuditLog.objects.filter(action="org_remove_user").first()
    assert entry.organization_id == org_a.pk and "user_a" in entry.detail


@pytest.mark.django_db
def test_pagination_skip_limit_and_total(root):
    for index in range(7):
        make_org(f"Org {index:02d}")
    client = api_as(root)
    response = client.get("/api/v1/organizations/", {"skip": 2, "limit": 3})
    assert [o["name"] for o in response.json()] == ["Org 02", "Org 03", "Org 04"]
    assert response["X-Total-Count"] == "7"
    whole = client.get("/api/v1/organizations/")
    assert len(whole.json()) == 7 and whole["X-Total-Count"] == "7"
    beyond = client.get("/api/v1/organizations/", {"skip": 100, "limit": 5})
    assert beyond.json() == [] and beyond["X-Total-Count"] == "7"


@pytest.mark.django_db
def test_member_pages_take_their_total_from_the_stored_count(world):
    org = world["org_a"]
    for index in range(5):
        make_user(f"crew{index}", organization=org)
    client = api_as(world["admin_a"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/organizations/{org.pk}/users", {"skip": 1, "limit": 2})
    assert [user["username"] for user in response.json()] == ["crew0", "crew1"]
    assert response["X-Total-Count"] == str(User.objects.filter(organization=org).count()) == "7"
    assert not [query for query in queries.captured_queries if "SELECT COUNT(*) FROM" in query["sql"].upper()]
    beyond = client.get(f"/api/v1/organizations/{org.pk}/users", {"skip": 50, "limit": 2})
    assert beyond.json() == [] and beyond["X-Total-Count"] == "7"
    whole = client.get(f"/api/v1/organizations/{org.pk}/users")
    assert len(whole.json()) == 7 and whole["X-Total-Count"] == "7"


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1001}, {"skip": -1}, {"limit": "ten"}])
def test_bad_pagination_is_422(root, params):
    response = api_as(root).get("/api/v1/organizations/", params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "query"


@pytest.mark.django_db
def test_member_count_is_current(world):
    org_a = world["org_a"]
    make_user("third", organization=org_a)
    response = api_as(world["root"]).get(f"/api/v1/organizations/{org_a.pk}")
    assert response.json()["member_count"] == 3
    listed = {
        o["name"]: o["member_count"] for o in api_as(world["root"]).get("/api/v1/organizations/").json()
    }
    assert listed == {"Alpha": 3, "Beta": 2}


@pytest.mark.django_db
def test_member_count_follows_add_remove_move_and_delete(world):
    """The stored count moves with every membership change, whichever endpoint makes it."""
    root = api_as(world["root"])
    org_a, org_b = world["org_a"], world["org_b"]
    newcomer = world["user_none"]

    def counts() -> dict[str, int]:
        shown = {o["name"]: o["member_count"] for o in root.get("/api/v1/organizations/").json()}
        for org in (org_a, org_b):
            one = root.get(f"/api/v1/organizations/{org.pk}").json()["member_count"]
            assert one == shown[org.name] == org.members.count(), org.name
        return shown

    assert counts() == {"Alpha": 2, "Beta": 2}
    assert root.post(f"/api/v1/organizations/{org_a.pk}/users/{newcomer.pk}").status_code == 200
    assert counts() == {"Alpha": 3, "Beta": 2}
    assert root.post(f"/api/v1/organizations/{org_a.pk}/users/{newcomer.pk}").status_code == 200  # no-op
    assert counts() == {"Alpha": 3, "Beta": 2}
    # A superuser's add moves a member of another organization.
    assert root.post(f"/api/v1/organizations/{org_b.pk}/users/{newcomer.pk}").status_code == 200
    assert counts() == {"Alpha": 2, "Beta": 3}
    assert root.patch(f"/api/v1/users/{newcomer.pk}", {"organization_id": org_a.pk}).status_code == 200
    assert counts() == {"Alpha": 3, "Beta": 2}
    assert root.patch(f"/api/v1/users/{newcomer.pk}", {"organization_id": None}).status_code == 200
    assert counts() == {"Alpha": 2, "Beta": 2}
    assert root.delete(f"/api/v1/organizations/{org_b.pk}/users/{world['user_b'].pk}").status_code == 200
    assert counts() == {"Alpha": 2, "Beta": 1}
    assert root.delete(f"/api/v1/users/{world['user_a'].pk}").status_code == 204
    assert counts() == {"Alpha": 1, "Beta": 1}
    created = root.post(
        "/api/v1/users/",
        {
            "username": "fresh",
            "email": "fresh@example.test",
            "password": "pw-correct-horse-9",
            "organization_id": org_b.pk,
        },
    )
    assert created.status_code == 201, created.content
    assert counts() == {"Alpha": 1, "Beta": 2}


@pytest.mark.django_db
def test_refused_membership_changes_leave_the_count(world):
    admin_a = api_as(world["admin_a"])
    org_a = world["org_a"]
    assert admin_a.post(f"/api/v1/organizations/{org_a.pk}/users/{world['user_b'].pk}").status_code == 403
    assert admin_a.delete(f"/api/v1/organizations/{org_a.pk}/users/{world['admin_a'].pk}").status_code == 400
    org_a.refresh_from_db()
    world["org_b"].refresh_from_db()
    assert (org_a.member_count, world["org_b"].member_count) == (2, 2)

"""The Django admin site, through its HTTP pages: superusers only, writes through the services."""

import re

import pytest
from django.test import Client

from portal.accounts.models import Role, Token, User
from portal.audit.models import Action, AuditLog
from portal.core.admin import ADMIN_FOR_SUPERUSERS
from portal.organizations.models import Organization, OrganizationUserObjectPermission
from portal.organizations.permissions import ADMIN_PERMS, MEMBER_PERMS
from portal.organizations.services import HAS_MEMBERS, NAME_TAKEN
from tests.conftest import PASSWORD, ApiClient, api_as, make_org, make_user

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def grants(user: User) -> set[tuple[int, str]]:
    return set(
        OrganizationUserObjectPermission.objects.filter(user=user).values_list(
            "content_object_id", "permission__codename"
        )
    )


def snapshot() -> tuple:
    """Everything the admin could write to, for "nothing changed" assertions."""
    return (
        list(User.objects.order_by("pk").values()),
        list(Organization.objects.order_by("pk").values()),
        sorted(
            OrganizationUserObjectPermission.objects.values_list(
                "user_id", "content_object_id", "permission_id"
            )
        ),
        AuditLog.objects.count(),
    )


def user_form(user: User, **changes) -> dict:
    """The admin change form as the browser would post it, with changes applied."""
    data = {
        "username": user.username,
        "email": user.email,
        "role": user.role,
        "organization": user.organization_id or "",
        "_save": "Save",
    }
    if user.is_active:
        data["is_active"] = "on"
    for flag in (
        "can_create_ca",
        "can_create_cert",
        "can_revoke_cert",
        "can_export_private_key",
        "can_delete_ca",
    ):
        if getattr(user, flag):
            data[flag] = "on"
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        elif value is True:
            data[name] = "on"
        else:
            data[name] = value
    return data


# --- who gets in ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/accounts/user/",
        "/admin/organizations/organization/",
        "/admin/audit/auditlog/",
    ],
)
def test_superuser_can_list(world, path):
    response = signed_in(world["root"]).get(path)
    assert response.status_code == 200


def test_superuser_sees_the_objects(world):
    client = signed_in(world["root"])
    users = client.get("/admin/accounts/user/").content.decode()
    assert "admin_a" in users and "user_none" in users
    orgs = client.get("/admin/organizations/organization/").content.decode()
    assert "Alpha" in orgs and "Beta" in orgs
    page = client.get(f"/admin/organizations/organization/{world['org_a'].pk}/change/")
    assert page.status_code == 200
    audit = client.get("/admin/audit/auditlog/").content.decode()
    assert "org_create" in audit
    entry = AuditLog.objects.first()
    assert client.get(f"/admin/audit/auditlog/{entry.pk}/change/").status_code == 200


def test_superuser_sees_who_holds_grants_on_an_organization(world):
    response = signed_in(world["root"]).get(
        f"/admin/organizations/organization/{world['org_a'].pk}/permissions/"
    )
    assert response.status_code == 200
    assert "admin_a" in response.content.decode()


@pytest.mark.parametrize("who", ["admin_a", "user_a", "admin_none"])
@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/accounts/user/",
        "/admin/organizations/organization/",
        "/admin/audit/auditlog/",
        "/admin/accounts/user/1/change/",
    ],
)
def test_non_superusers_cannot_reach_the_admin(world, who, path):
    client = signed_in(world[who])
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    # The admin's login page does not let them in either, nor loop back: a 403 that says why.
    response = client.get(response["Location"])
    assert response.status_code == 403
    assert ADMIN_FOR_SUPERUSERS in response.content.decode()


def test_non_superuser_posts_to_the_admin_change_nothing(world):
    client = signed_in(world["admin_a"])
    before = snapshot()
    user_b = world["user_b"]
    response = client.post(
        f"/admin/accounts/user/{user_b.pk}/change/", user_form(user_b, organization=world["org_a"].pk)
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert snapshot() == before


def test_anonymous_is_sent_to_the_portal_login(db):
    client = Client()
    response = client.get("/admin/", follow=False)
    assert response["Location"].startswith("/admin/login/")
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/admin/"


def test_the_admin_has_no_password_guessing_form_of_its_own(world):
    # Its login would bypass the portal's throttle and audit; it redirects there instead.
    client = Client()
    before = AuditLog.objects.count()
    response = client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session
    assert AuditLog.objects.count() == before


def test_admin_password_change_is_the_portals(world):
    response = signed_in(world["root"]).get("/admin/password_change/")
    assert response.status_code == 302
    assert response["Location"] == "/account/"


# --- the audit log is read-only --------------------------------------------------


def test_audit_entries_cannot_be_added_changed_or_deleted(world):
    client = signed_in(world["root"])
    entry = AuditLog.objects.order_by("pk").first()
    fields_before = list(AuditLog.objects.order_by("pk").values())
    assert client.get("/admin/audit/auditlog/add/").status_code == 403
    response = client.post(
        f"/admin/audit/auditlog/{entry.pk}/change/",
        {"action": "user_delete", "detail": "rewritten", "username": "someone-else"},
    )
    assert response.status_code == 403
    assert client.get(f"/admin/audit/auditlog/{entry.pk}/delete/").status_code == 403
    assert client.post(f"/admin/audit/auditlog/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    # No bulk action either.
    response = client.post(
        "/admin/audit/auditlog/", {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
    )
    assert response.status_code in (200, 302)
    assert list(AuditLog.objects.order_by("pk").values()) == fields_before
    page = client.get(f"/admin/audit/auditlog/{entry.pk}/change/").content.decode()
    assert 'name="_save"' not in page
    assert "delete_selected" not in client.get("/admin/audit/auditlog/").content.decode()


# --- users go through the services ------------------------------------------------


def test_changing_a_users_organization_is_a_membership_change(world):
    root, user_b, org_a, org_b = world["root"], world["user_b"], world["org_a"], world["org_b"]
    assert grants(user_b) == {(org_b.pk, perm) for perm in MEMBER_PERMS}
    before = AuditLog.objects.count()
    response = signed_in(root).post(
        f"/admin/accounts/user/{user_b.pk}/change/", user_form(user_b, organization=org_a.pk)
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user_b.refresh_from_db()
    assert user_b.organization_id == org_a.pk
    assert grants(user_b) == {(org_a.pk, perm) for perm in MEMBER_PERMS}
    new = AuditLog.objects.order_by("pk")[before:]
    removed = [entry for entry in new if entry.action == Action.ORG_REMOVE_USER]
    added = [entry for entry in new if entry.action == Action.ORG_ADD_USER]
    assert len(removed) == 1 and removed[0].organization_id == org_b.pk
    assert len(added) == 1 and added[0].organization_id == org_a.pk
    assert all(entry.user_id == root.pk for entry in new)
    assert str(user_b.pk) in added[0].detail


def test_taking_a_user_out_of_their_organization(world):
    admin_b, org_b = world["admin_b"], world["org_b"]
    response = signed_in(world["root"]).post(
        f"/admin/accounts/user/{admin_b.pk}/change/", user_form(admin_b, organization="")
    )
    assert response.status_code == 302
    admin_b.refresh_from_db()
    assert admin_b.organization_id is None
    assert grants(admin_b) == set()
    assert AuditLog.objects.filter(action=Action.ORG_REMOVE_USER, organization_id=org_b.pk).exists()


def test_role_and_flags_change_through_user_update(world):
    user_a, org_a = world["user_a"], world["org_a"]
    token = api_as(user_a).token
    response = signed_in(world["root"]).post(
        f"/admin/accounts/user/{user_a.pk}/change/",
        user_form(user_a, role=Role.ADMIN, can_create_ca=True),
    )
    assert response.status_code == 302
    user_a.refresh_from_db()
    assert user_a.role == Role.ADMIN and user_a.can_create_ca
    assert grants(user_a) == {(org_a.pk, perm) for perm in ADMIN_PERMS}
    entry = AuditLog.objects.filter(action=Action.USER_UPDATE, resource_id=str(user_a.pk)).latest("pk")
    assert entry.changes == {
        "role": {"old": "user", "new": "admin"},
        "can_create_ca": {"old": False, "new": True},
    }
    # A role change is not a credential change: the user's token still works.
    assert ApiClient(token).get("/api/v1/users/me").json()["role"] == "admin"


def test_deactivating_a_user_revokes_their_tokens(world):
    user_a = world["user_a"]
    api = api_as(user_a)
    assert api.get("/api/v1/users/me").status_code == 200
    response = signed_in(world["root"]).post(
        f"/admin/accounts/user/{user_a.pk}/change/", user_form(user_a, is_active=False)
    )
    assert response.status_code == 302
    assert not Token.objects.filter(user=user_a).exists()
    assert api.get("/api/v1/users/me").status_code == 401


def test_superuser_role_keeps_is_superuser_in_step(world):
    user_none = world["user_none"]
    response = signed_in(world["root"]).post(
        f"/admin/accounts/user/{user_none.pk}/change/", user_form(user_none, role=Role.SUPERUSER)
    )
    assert response.status_code == 302
    user_none.refresh_from_db()
    assert user_none.role == Role.SUPERUSER and user_none.is_superuser


def test_a_refusal_is_an_admin_error_message_and_changes_nothing(world):
    root = world["root"]
    client = signed_in(root)
    before = snapshot()
    # The last active superuser cannot demote themselves.
    response = client.post(
        f"/admin/accounts/user/{root.pk}/change/", user_form(root, role=Role.USER), follow=True
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "The system must keep at least one active superuser." in text
    assert "was changed successfully" not in text
    assert snapshot() == before


def test_a_taken_username_is_refused_with_the_services_message(world):
    user_a = world["user_a"]
    client = signed_in(world["root"])
    before = snapshot()
    response = client.post(
        f"/admin/accounts/user/{user_a.pk}/change/", user_form(user_a, username="admin_b"), follow=True
    )
    assert "Username already registered" in response.content.decode()
    assert snapshot() == before


def test_creating_a_user_in_the_admin_uses_user_create(world):
    org_a = world["org_a"]
    data = user_form(
        User(username="carol", email="carol@example.test", role=Role.USER, is_active=True),
        organization=org_a.pk,
        can_create_cert=True,
    )
    data.update({"password": "carol-long-password-1", "password_confirm": "carol-long-password-1"})
    response = signed_in(world["root"]).post("/admin/accounts/user/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    carol = User.objects.get(username="carol")
    assert carol.organization_id == org_a.pk and carol.can_create_cert
    assert carol.check_password("carol-long-password-1")
    assert grants(carol) == {(org_a.pk, perm) for perm in MEMBER_PERMS}
    actions = set(
        AuditLog.objects.filter(resource_id__in=[str(carol.pk), str(org_a.pk)]).values_list(
            "action", flat=True
        )
    )
    assert {Action.USER_CREATE, Action.ORG_ADD_USER} <= actions


def test_a_weak_password_is_refused_in_the_admin(world):
    data = user_form(User(username="dave", email="dave@example.test", role=Role.USER, is_active=True))
    data.update({"password": "12345678", "password_confirm": "12345678"})
    client = signed_in(world["root"])
    before = snapshot()
    response = client.post("/admin/accounts/user/add/", data, follow=True)
    assert "too common" in response.content.decode() or "entirely numeric" in response.content.decode()
    assert snapshot() == before


def test_deleting_a_user_in_the_admin_is_audited(world):
    user_none = world["user_none"]
    response = signed_in(world["root"]).post(f"/admin/accounts/user/{user_none.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=user_none.pk).exists()
    assert AuditLog.objects.filter(action=Action.USER_DELETE, resource_id=str(user_none.pk)).exists()


def test_bulk_delete_is_not_offered(world):
    client = signed_in(world["root"])
    before = snapshot()
    for path, pk in (
        ("/admin/accounts/user/", world["user_none"].pk),
        ("/admin/organizations/organization/", world["org_b"].pk),
    ):
        assert "delete_selected" not in client.get(path).content.decode()
        client.post(path, {"action": "delete_selected", "_selected_action": [pk], "post": "yes"})
    assert snapshot() == before


def test_the_user_form_never_offers_password_hash_or_grants(world):
    page = signed_in(world["root"]).get(f"/admin/accounts/user/{world['user_a'].pk}/change/").content.decode()
    for name in ("password", "is_superuser", "user_permissions", "groups", "manages_members"):
        assert f'name="{name}"' not in page
    assert world["user_a"].password not in page


# --- organizations go through the services -----------------------------------------


def test_creating_and_renaming_an_organization_is_audited(world):
    client = signed_in(world["root"])
    response = client.post(
        "/admin/organizations/organization/add/", {"name": "  Gamma  ", "description": "", "_save": "Save"}
    )
    assert response.status_code == 302
    gamma = Organization.objects.get(name="Gamma")
    assert AuditLog.objects.filter(action=Action.ORG_CREATE, organization_id=gamma.pk).count() == 1
    response = client.post(
        f"/admin/organizations/organization/{gamma.pk}/change/",
        {"name": "Gamma Team", "description": "Third", "_save": "Save"},
    )
    assert response.status_code == 302
    entry = AuditLog.objects.get(action=Action.ORG_UPDATE, organization_id=gamma.pk)
    assert entry.changes == {
        "name": {"old": "Gamma", "new": "Gamma Team"},
        "description": {"old": None, "new": "Third"},
    }


def test_a_taken_organization_name_is_refused_ignoring_case(world):
    client = signed_in(world["root"])
    before = snapshot()
    response = client.post(
        "/admin/organizations/organization/add/",
        {"name": "ALPHA", "description": "", "_save": "Save"},
        follow=True,
    )
    assert NAME_TAKEN in response.content.decode()
    assert snapshot() == before


def test_an_organization_with_members_cannot_be_deleted(world):
    org_a = world["org_a"]
    client = signed_in(world["root"])
    before = snapshot()
    # The admin sees the members first (a protected relation) and refuses by itself ...
    response = client.post(f"/admin/organizations/organization/{org_a.pk}/delete/", {"post": "yes"})
    assert "Cannot delete organization" in response.content.decode()
    assert "admin_a" in response.content.decode()
    assert snapshot() == before


def test_a_delete_refused_by_the_service_is_an_admin_error_message(world, monkeypatch):
    # ... and if a member joins between that look and the delete, the service refuses.
    empty = make_org("Soon Busy")
    client = signed_in(world["root"])
    monkeypatch.setattr(
        "portal.organizations.admin.OrganizationAdmin.get_deleted_objects",
        lambda self, objs, request: ([str(empty)], {}, set(), []),
    )
    make_user("late_joiner", organization=empty)
    before = snapshot()
    response = client.post(
        f"/admin/organizations/organization/{empty.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert HAS_MEMBERS in response.content.decode()
    assert snapshot() == before


def test_deleting_an_empty_organization_is_audited(world):
    empty = make_org("Empty")
    response = signed_in(world["root"]).post(
        f"/admin/organizations/organization/{empty.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Organization.objects.filter(pk=empty.pk).exists()
    assert AuditLog.objects.filter(action=Action.ORG_DELETE, organization_id=empty.pk).count() == 1


def test_object_permissions_cannot_be_granted_by_hand(world):
    org_a, user_none = world["org_a"], world["user_none"]
    client = signed_in(world["root"])
    url = f"/admin/organizations/organization/{org_a.pk}/permissions/user-manage/{user_none.pk}/"
    client.get("/admin/")
    assert client.get(url).status_code == 200
    before = snapshot()
    response = client.post(url, {"permissions": ["change_organization", "manage_members"]}, follow=True)
    assert "cannot be edited here" in response.content.decode()
    assert grants(user_none) == set()
    assert snapshot() == before


def test_the_list_shows_member_counts(world):
    make_user("member_x", organization=world["org_b"])
    page = signed_in(world["root"]).get("/admin/organizations/organization/").content.decode()
    counts = re.findall(r'<td class="field-member_count">(\d+)</td>', page)
    assert counts == ["2", "3"]  # Alpha, Beta by name

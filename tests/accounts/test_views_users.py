"""The users pages: list, create, editor, password reset, delete. Actor matrix, JavaScript off and htmx."""

import pytest
from django.test import Client

from portal.accounts import services
from portal.accounts.models import Token, User
from portal.accounts.views import NOT_STAFF, PASSWORD_RESET, USER_CREATED, USER_DELETED, USER_SAVED
from portal.audit.models import Action, AuditLog
from tests.conftest import PASSWORD, make_org, make_user
from tests.helpers import snapshot

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
FORBIDDEN_PAGE = b"You cannot open this page"
NOT_FOUND_PAGE = b"This page does not exist"
NEW_PASSWORD = "another-long-passphrase-42"


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def listed(response) -> set[str]:
    return {user.username for user in response.context["page"].object_list}


def edit_data(user: User, **changes) -> dict:
    """What a browser posts from the editor: every enabled field (unchecked boxes are absent)."""
    data = {
        "username": user.username,
        "email": user.email,
        "role": user.role,
        "organization_id": user.organization_id or "",
        "is_active": user.is_active,
        **{flag: getattr(user, flag) for flag in ("can_create_ca", "can_create_cert", "can_revoke_cert")},
        **{flag: getattr(user, flag) for flag in ("can_export_private_key", "can_delete_ca")},
    }
    data.update(changes)
    return {name: ("on" if value is True else value) for name, value in data.items() if value is not False}


def admin_edit_data(**flags) -> dict:
    """What a browser posts from an admin's editor: only e-mail and the capability flags are enabled."""
    return {"email": flags.pop("email", "user_a@example.test"), **{k: "on" for k, v in flags.items() if v}}


# --- the actor matrix ----------------------------------------------------------------

USERS_PAGES = ["/users/", "/users/new/", "/users/{user_a}/", "/users/{user_a}/delete/"]


@pytest.mark.parametrize("path", USERS_PAGES)
def test_anonymous_is_sent_to_login(world, path):
    path = path.format(user_a=world["user_a"].pk)
    response = client_for(None).get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


@pytest.mark.parametrize("actor", ["user_a", "user_b", "user_none"])
@pytest.mark.parametrize("path", USERS_PAGES)
def test_users_with_role_user_get_the_403_page(world, actor, path):
    response = client_for(world[actor]).get(path.format(user_a=world["user_a"].pk))
    assert response.status_code == 403
    assert FORBIDDEN_PAGE in response.content
    assert NOT_STAFF.encode() in response.content


def test_users_with_role_user_cannot_post_either(world):
    before = snapshot()
    client = client_for(world["user_a"])
    target = world["user_a"].pk
    assert (
        client.post(f"/users/{target}/", {"can_create_ca": "on", "email": "x@example.test"}).status_code
        == 403
    )
    assert client.post("/users/new/", {"username": "sneaky"}).status_code == 403
    assert client.post(f"/users/{target}/password/", {"password": "x"}).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("root", {"root", "admin_a", "user_a", "admin_b", "user_b", "admin_none", "user_none"}),
        ("admin_a", {"root", "admin_a", "user_a", "admin_none", "user_none"}),
        ("admin_b", {"root", "admin_b", "user_b", "admin_none", "user_none"}),
        ("admin_none", {"root", "admin_none", "user_none"}),
    ],
)
def test_users_list_shows_what_the_selector_allows(world, actor, expected):
    response = client_for(world[actor]).get("/users/")
    assert response.status_code == 200
    assert listed(response) == expected


@pytest.mark.parametrize(
    ("actor", "target", "status"),
    [
        ("root", "user_b", 200),
        ("root", "admin_a", 200),
        ("root", "root", 200),
        ("admin_a", "user_a", 200),
        ("admin_a", "admin_a", 200),
        ("admin_a", "user_none", 200),
        ("admin_a", "user_b", 404),
        ("admin_a", "admin_b", 404),
        ("admin_none", "user_none", 200),
        ("admin_none", "user_a", 404),
    ],
)
def test_user_editor_matrix(world, actor, target, status):
    response = client_for(world[actor]).get(f"/users/{world[target].pk}/")
    assert response.status_code == status
    if status == 404:
        assert NOT_FOUND_PAGE in response.content


@pytest.mark.parametrize("user_id", [999999, 2**63 - 1, 2**63, 10**30])
@pytest.mark.parametrize("suffix", ["", "password/", "delete/"])
def test_missing_user_ids_give_the_404_page(world, user_id, suffix):
    client = client_for(world["root"])
    response = (
        client.get(f"/users/{user_id}/{suffix}")
        if suffix != "password/"
        else client.post(
            f"/users/{user_id}/{suffix}", {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
        )
    )
    assert response.status_code == 404
    assert NOT_FOUND_PAGE in response.content


def test_other_orgs_user_cannot_be_changed_by_admin(world):
    before = snapshot()
    client = client_for(world["admin_a"])
    user_b = world["user_b"].pk
    assert client.post(f"/users/{user_b}/", {"email": "hijack@example.test"}).status_code == 404
    assert (
        client.post(
            f"/users/{user_b}/password/", {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
        ).status_code
        == 404
    )
    assert snapshot() == before


# --- list: search, filters, pagination ---------------------------------------------------


def test_search_matches_username_and_email(world):
    client = client_for(world["root"])
    assert listed(client.get("/users/", {"q": "user_"})) == {"user_a", "user_b", "user_none"}
    assert listed(client.get("/users/", {"q": "ADMIN_B@EXAMPLE"})) == {"admin_b"}


def test_search_with_htmx_returns_only_the_results_partial(world):
    response = client_for(world["root"]).get("/users/", {"q": "admin"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="user-results"')
    assert "admin_a" in html and "user_a" not in html
    assert "HX-Request" in response["Vary"]


def test_history_restore_gets_the_whole_page(world):
    response = client_for(world["root"]).get(
        "/users/", {"q": "admin"}, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX
    )
    assert "<html" in response.content.decode()


def test_filters_organization_role_unassigned(world):
    client = client_for(world["root"])
    assert listed(client.get("/users/", {"organization": world["org_a"].pk})) == {"admin_a", "user_a"}
    assert listed(client.get("/users/", {"role": "admin"})) == {"admin_a", "admin_b", "admin_none"}
    assert listed(client.get("/users/", {"unassigned": "on", "role": "user"})) == {"user_none"}


def test_admin_cannot_filter_by_another_organization(world):
    response = client_for(world["admin_a"]).get("/users/", {"organization": world["org_b"].pk})
    assert response.status_code == 200
    assert "organization" in response.context["form"].errors
    assert "user_b" not in listed(response)
    assert "Beta" not in response.content.decode()


def test_pagination_keeps_the_filters(world):
    for number in range(30):
        make_user(f"bulk{number:02d}")
    client = client_for(world["root"])
    first = client.get("/users/", {"q": "bulk"})
    assert len(first.context["page"].object_list) == 25
    html = first.content.decode()
    assert 'href="?q=bulk&amp;page=2"' in html
    second = client.get("/users/", {"q": "bulk", "page": 2})
    assert listed(second) == {f"bulk{number:02d}" for number in range(25, 30)}


def test_markup_in_names_renders_as_text(world):
    org = make_org('<img src=x onerror="alert(1)">')
    make_user("marked", organization=org)
    html = client_for(world["root"]).get("/users/").content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


# --- create ----------------------------------------------------------------------------

NEW_USER = {
    "username": "newbie",
    "email": "newbie@example.test",
    "password": PASSWORD,
    "password_confirm": PASSWORD,
    "role": "user",
    "organization_id": "",
    "is_active": "on",
}


def test_superuser_creates_user_with_role_org_and_flags(world):
    data = {**NEW_USER, "role": "admin", "organization_id": world["org_b"].pk, "can_create_ca": "on"}
    response = client_for(world["root"]).post("/users/new/", data, follow=True)
    user = User.objects.get(username="newbie")
    assert response.redirect_chain[-1][0] == f"/users/{user.pk}/"
    assert USER_CREATED.format(username="newbie") in response.content.decode()
    assert (user.role, user.organization_id, user.can_create_ca, user.can_delete_ca, user.is_active) == (
        "admin",
        world["org_b"].pk,
        True,
        False,
        True,
    )
    assert user.check_password(PASSWORD)
    assert AuditLog.objects.filter(action=Action.USER_CREATE, resource_id=str(user.pk)).exists()


def test_create_inactive_user(world):
    data = {key: value for key, value in NEW_USER.items() if key != "is_active"}
    client_for(world["root"]).post("/users/new/", data)
    assert User.objects.get(username="newbie").is_active is False


def test_admin_create_form_shows_role_fixed_and_only_own_org(world):
    response = client_for(world["admin_a"]).get("/users/new/")
    html = response.content.decode()
    assert '<select name="role" disabled id="id_role">' in html
    assert '<select name="organization_id" id="id_organization_id">' in html
    assert "Alpha" in html
    assert "Beta" not in html


def test_admin_creates_user_in_own_org(world):
    data = {key: value for key, value in NEW_USER.items() if key != "role"}  # the role select is disabled
    data["organization_id"] = world["org_a"].pk
    response = client_for(world["admin_a"]).post("/users/new/", data)
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert (user.role, user.organization_id) == ("user", world["org_a"].pk)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"role": "admin"}, "role", services.ADMIN_CREATES_USERS_ONLY),
        ({"role": "superuser"}, "role", services.ADMIN_CREATES_USERS_ONLY),
        ({"organization_id": "ORG_B"}, "organization_id", services.ADMIN_OWN_ORG_ONLY),
    ],
)
def test_admin_forbidden_create_shows_the_service_message(world, changes, field, message):
    changes = {k: (world["org_b"].pk if v == "ORG_B" else v) for k, v in changes.items()}
    before = snapshot()
    response = client_for(world["admin_a"]).post("/users/new/", {**NEW_USER, **changes})
    assert response.status_code == 422
    assert message in response.context["form"].errors[field]
    assert f'id="id_{field}_error"' in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"username": "user_a"}, "username", services.USERNAME_TAKEN),
        ({"email": "USER_A@example.test"}, "email", services.EMAIL_TAKEN),
        ({"username": "bad name!"}, "username", "letters, digits"),
        ({"password": "password", "password_confirm": "password"}, "password", "too common"),
        ({"password_confirm": "different-thing-99"}, "password_confirm", "do not match"),
        ({"organization_id": "999999"}, "organization_id", services.ORGANIZATION_NOT_FOUND),
        ({"organization_id": "abc"}, "organization_id", "whole number"),
        ({"role": "emperor"}, "role", "valid choice"),
    ],
)
def test_create_refusals_beside_fields(world, changes, field, message):
    before = snapshot()
    response = client_for(world["root"]).post("/users/new/", {**NEW_USER, **changes})
    assert response.status_code == 422
    assert any(message in error for error in response.context["form"].errors[field])
    assert snapshot() == before


def test_create_with_htmx_redirects_the_client_or_returns_the_form(world):
    client = client_for(world["root"])
    bad = client.post("/users/new/", {**NEW_USER, "username": "user_a"}, **HTMX)
    html = bad.content.decode()
    assert "<html" not in html and 'id="user-create"' in html and services.USERNAME_TAKEN in html
    good = client.post("/users/new/", NEW_USER, **HTMX)
    assert good["HX-Redirect"] == f"/users/{User.objects.get(username='newbie').pk}/"


# --- edit ---------------------------------------------------------------------------------


def test_superuser_edits_role_org_active_and_flags(world):
    target = world["user_none"]
    data = edit_data(
        target, role="admin", organization_id=world["org_a"].pk, can_revoke_cert=True, is_active=False
    )
    response = client_for(world["root"]).post(f"/users/{target.pk}/", data, follow=True)
    assert response.redirect_chain[-1][0] == f"/users/{target.pk}/"
    assert USER_SAVED.format(username="user_none") in response.content.decode()
    target.refresh_from_db()
    assert (target.role, target.organization_id, target.can_revoke_cert, target.is_active) == (
        "admin",
        world["org_a"].pk,
        True,
        False,
    )
    assert AuditLog.objects.filter(action=Action.ORG_ADD_USER, resource_id=str(world["org_a"].pk)).exists()


def test_superuser_removes_user_from_organization(world):
    target = world["user_a"]
    client_for(world["root"]).post(f"/users/{target.pk}/", edit_data(target, organization_id=""))
    target.refresh_from_db()
    assert target.organization_id is None


def test_unchecking_a_flag_clears_it(world):
    target = make_user("flagged", can_delete_ca=True)
    client_for(world["root"]).post(f"/users/{target.pk}/", edit_data(target, can_delete_ca=False))
    target.refresh_from_db()
    assert target.can_delete_ca is False


def test_admin_editor_enables_only_what_admin_may_change(world):
    html = client_for(world["admin_a"]).get(f"/users/{world['user_a'].pk}/").content.decode()
    assert (
        '<input type="email" name="email" value="user_a@example.test" maxlength="254" required id="id_email">'
        in html
    )
    assert '<select name="role" disabled id="id_role">' in html
    assert '<select name="organization_id" disabled id="id_organization_id">' in html
    assert '<input type="checkbox" name="is_active" disabled id="id_is_active" checked>' in html
    assert 'name="username" value="user_a"' in html and 'disabled id="id_username">' in html
    assert '<input type="checkbox" name="can_create_ca" id="id_can_create_ca">' in html
    assert "Reset the password of user_a" in html
    assert "Delete user_a" not in html


def test_superuser_editor_enables_everything(world):
    html = client_for(world["root"]).get(f"/users/{world['user_a'].pk}/").content.decode()
    assert " disabled" not in html
    assert "Delete user_a" in html


def test_admin_sees_unassigned_user_but_cannot_change_anything(world):
    html = client_for(world["admin_a"]).get(f"/users/{world['user_none'].pk}/").content.decode()
    assert "You can see this account but not change it." in html
    assert "Reset the password" not in html


def test_admin_changes_flags_and_email_of_own_member(world):
    target = world["user_a"]
    response = client_for(world["admin_a"]).post(
        f"/users/{target.pk}/",
        admin_edit_data(email="a.new@example.test", can_create_cert=True, can_delete_ca=True),
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.email, target.can_create_cert, target.can_delete_ca) == ("a.new@example.test", True, True)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"role": "superuser"}, "role"),
        ({"role": "admin"}, "role"),
        ({"is_active": "on", "__uncheck_active": True}, "is_active"),
        ({"organization_id": "ORG_B"}, "organization_id"),
        ({"organization_id": ""}, "organization_id"),
        ({"username": "renamed"}, "username"),
    ],
)
def test_admin_forbidden_change_shows_the_service_message(world, extra, field):
    target = world["user_a"]
    if extra.pop("__uncheck_active", False):
        User.objects.filter(pk=target.pk).update(is_active=False)
    extra = {k: (world["org_b"].pk if v == "ORG_B" else v) for k, v in extra.items()}
    before = snapshot()
    response = client_for(world["admin_a"]).post(f"/users/{target.pk}/", {**admin_edit_data(), **extra})
    assert response.status_code == 422
    assert services.FIELD_FORBIDDEN.format(field=field) in response.context["form"].errors[field]
    assert snapshot() == before


def test_admin_cannot_change_a_superuser(world):
    root = world["root"]
    before = snapshot()
    response = client_for(world["admin_a"]).post(f"/users/{root.pk}/", {"email": "pwned@example.test"})
    assert response.status_code == 422
    assert services.CANNOT_MANAGE_SUPERUSER in response.context["form"].non_field_errors()
    assert snapshot() == before


def test_last_superuser_cannot_demote_self(world):
    root = world["root"]
    before = snapshot()
    response = client_for(root).post(f"/users/{root.pk}/", edit_data(root, role="admin"))
    assert services.LAST_SUPERUSER in response.content.decode()
    assert snapshot() == before


def test_edit_with_htmx_returns_the_editor_partial_with_messages(world):
    target = world["user_b"]
    response = client_for(world["root"]).post(
        f"/users/{target.pk}/", edit_data(target, can_create_ca=True), **HTMX
    )
    html = response.content.decode()
    assert "<html" not in html
    assert html.lstrip().startswith('<section class="card editor" id="user-editor"')
    assert 'hx-swap-oob="true"' in html and USER_SAVED.format(username="user_b") in html
    assert '<input type="checkbox" name="can_create_ca" id="id_can_create_ca" checked>' in html


def test_edit_refusal_with_htmx_shows_error_in_partial(world):
    target = world["user_a"]
    response = client_for(world["admin_a"]).post(
        f"/users/{target.pk}/", {**admin_edit_data(), "role": "admin"}, **HTMX
    )
    html = response.content.decode()
    assert "<html" not in html
    assert services.FIELD_FORBIDDEN.format(field="role") in html


# --- reset password ---------------------------------------------------------------------


def test_reset_password_revokes_tokens_and_lets_the_user_sign_in(world):
    target = world["user_a"]
    services.personal_token_create(actor=target, name="ci", expires_in_days=5)
    response = client_for(world["admin_a"]).post(
        f"/users/{target.pk}/password/",
        {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
        follow=True,
    )
    assert PASSWORD_RESET.format(username="user_a") in response.content.decode()
    assert not Token.objects.filter(user=target).exists()
    assert Client().post("/login/", {"username": "user_a", "password": NEW_PASSWORD}).status_code == 302


def test_reset_own_password_keeps_own_session(world):
    root = world["root"]
    client = client_for(root)
    client.post(f"/users/{root.pk}/password/", {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert client.get("/users/").status_code == 200


def test_reset_password_refusals(world):
    client = client_for(world["root"])
    target = world["user_b"]
    before = snapshot()
    weak = client.post(f"/users/{target.pk}/password/", {"password": "user_b", "password_confirm": "user_b"})
    assert "password" in weak.context["password_form"].errors
    differ = client.post(
        f"/users/{target.pk}/password/", {"password": NEW_PASSWORD, "password_confirm": "x"}, **HTMX
    )
    assert "<html" not in differ.content.decode() and "do not match" in differ.content.decode()
    assert snapshot() == before


def test_admin_cannot_reset_unassigned_users_password(world):
    before = snapshot()
    response = client_for(world["admin_a"]).post(
        f"/users/{world['user_none'].pk}/password/",
        {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert response.status_code == 422
    assert (
        services.FIELD_FORBIDDEN.format(field="password")
        in response.context["password_form"].errors["password"]
    )
    assert snapshot() == before


# --- delete --------------------------------------------------------------------------------


def test_superuser_deletes_user_after_confirmation(world):
    target = world["user_none"]
    client = client_for(world["root"])
    assert client.get(f"/users/{target.pk}/delete/").status_code == 200
    assert User.objects.filter(pk=target.pk).exists()
    response = client.post(f"/users/{target.pk}/delete/", follow=True)
    assert response.redirect_chain[-1][0] == "/users/"
    assert USER_DELETED.format(username="user_none") in response.content.decode()
    assert not User.objects.filter(pk=target.pk).exists()


def test_admin_cannot_delete_users(world):
    before = snapshot()
    response = client_for(world["admin_a"]).post(f"/users/{world['user_a'].pk}/delete/")
    assert response.status_code == 403
    assert FORBIDDEN_PAGE in response.content
    assert snapshot() == before


def test_superuser_cannot_delete_self(world):
    root = world["root"]
    response = client_for(root).post(f"/users/{root.pk}/delete/", follow=True)
    assert services.CANNOT_DELETE_SELF in response.content.decode()
    assert User.objects.filter(pk=root.pk).exists()


# --- query counts --------------------------------------------------------------------------


@pytest.mark.parametrize("extra_users", [0, 60])
@pytest.mark.parametrize("actor", ["root", "admin_a"])
def test_users_pages_query_counts(world, actor, extra_users, django_assert_max_num_queries):
    for number in range(extra_users):
        make_user(f"many{number}", organization=world["org_a"] if number % 2 else None)
    for number in range(extra_users // 10):
        make_org(f"Extra {number}")
    client = client_for(world[actor])
    target = world["user_a"].pk
    with django_assert_max_num_queries(6):
        assert client.get("/users/").status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get("/users/", {"q": "many", "role": "user"}, **HTMX).status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get("/users/new/").status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get(f"/users/{target}/").status_code == 200

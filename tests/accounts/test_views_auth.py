"""Sign-in, sign-out and first-run setup through the portal, JavaScript off (Django test client)."""

import pytest
from django.conf import settings
from django.test import Client

from portal.accounts import services
from portal.accounts.forms import PASSWORDS_DIFFER
from portal.accounts.models import Role, User
from portal.accounts.views import SETUP_WELCOME, SIGNED_OUT, THROTTLED, wait_text
from portal.audit.models import Action, AuditLog
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

NOT_FOUND_PAGE = b"This page does not exist"


def post_login(client: Client, username: str, password: str, **extra):
    return client.post("/login/", {"username": username, "password": password, **extra})


def signed_in_user(client: Client) -> User | None:
    response = client.get("/account/")
    return response.context["user"] if response.status_code == 200 else None


# --- login ---------------------------------------------------------------------


def test_login_page_has_labelled_fields_and_csrf(root):
    response = Client(enforce_csrf_checks=True).get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<label for="id_username">Username' in html
    assert '<label for="id_password">Password' in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_login_without_csrf_token_is_refused_in_portal_look(root):
    client = Client(enforce_csrf_checks=True)
    response = post_login(client, "root", PASSWORD)
    assert response.status_code == 403
    assert b"did not come from this site" in response.content
    assert signed_in_user(client) is None


def test_login_success_rotates_session_and_audits(root):
    client = Client()
    session = client.session
    session["before"] = True
    session.save()
    old_key = session.session_key
    response = post_login(client, "root", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session.session_key != old_key
    assert signed_in_user(client).pk == root.pk
    assert AuditLog.objects.filter(action=Action.LOGIN_SUCCESS, user_id=root.pk).exists()


def test_login_wrong_password_says_so_and_audits_failure(root):
    client = Client()
    response = post_login(client, "root", "wrong-password")
    assert response.status_code == 422
    assert services.BAD_CREDENTIALS in response.content.decode()
    assert signed_in_user(client) is None
    entry = AuditLog.objects.filter(action=Action.LOGIN_FAILURE).get()
    assert entry.username == "root"


def test_login_unknown_and_inactive_users_get_the_same_answer(root):
    make_user("sleeper", is_active=False)
    for username in ("nobody", "sleeper"):
        response = post_login(Client(), username, PASSWORD)
        assert response.status_code == 422
        assert services.BAD_CREDENTIALS in response.content.decode()


def test_login_empty_form_shows_field_errors(root):
    response = Client().post("/login/", {"username": "", "password": ""})
    assert response.status_code == 422
    assert response.context["form"].errors.keys() == {"username", "password"}
    assert 'id="id_username_error"' in response.content.decode()


def test_login_throttled_after_five_failures_with_wait_message(root):
    client = Client()
    for _ in range(settings.LOGIN_THROTTLE_PER_USERNAME):
        assert post_login(client, "root", "wrong-password").status_code == 422
    response = post_login(client, "root", PASSWORD)  # even the right password now
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= settings.LOGIN_THROTTLE_WINDOW.total_seconds() + 1
    html = response.content.decode()
    assert THROTTLED.format(wait=wait_text(retry_after)) in html
    assert "Try again in 15 minutes." in html
    assert signed_in_user(client) is None


def test_wait_text_reads_well():
    assert wait_text(1) == "1 second"
    assert wait_text(59) == "59 seconds"
    assert wait_text(61) == "2 minutes"
    assert wait_text(60) == "1 minute"


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/users/", "/users/"),
        ("/audit/?action=login_success", "/audit/?action=login_success"),
        ("https://evil.example/", "/"),
        ("//evil.example/path", "/"),
        ("http://testserver.evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
def test_login_follows_only_safe_next(root, next_url, expected):
    response = post_login(Client(), "root", PASSWORD, next=next_url)
    assert response.status_code == 302
    assert response["Location"] == expected


def test_login_page_keeps_safe_next_in_the_form(root):
    html = Client().get("/login/?next=/users/").content.decode()
    assert '<input type="hidden" name="next" value="/users/">' in html
    html = Client().get("/login/?next=https://evil.example/").content.decode()
    assert "evil.example" not in html


def test_signed_in_user_visiting_login_goes_on(root):
    client = Client()
    client.force_login(root)
    response = client.get("/login/?next=/audit/")
    assert response.status_code == 302
    assert response["Location"] == "/audit/"


def test_login_page_sends_to_setup_while_no_user_exists(db):
    response = Client().get("/login/")
    assert response.status_code == 302
    assert response["Location"] == "/setup/"


# --- logout --------------------------------------------------------------------


def test_logout_is_post_only(root):
    client = Client()
    client.force_login(root)
    assert client.get("/logout/").status_code == 405
    assert signed_in_user(client).pk == root.pk


def test_logout_ends_the_session_with_a_message(root):
    client = Client()
    client.force_login(root)
    response = client.post("/logout/", follow=True)
    assert response.redirect_chain[-1][0] == "/login/"
    assert SIGNED_OUT in response.content.decode()
    assert signed_in_user(client) is None


# --- first-run setup -------------------------------------------------------------

SETUP = {
    "username": "first",
    "email": "first@example.test",
    "password": PASSWORD,
    "password_confirm": PASSWORD,
}


def test_setup_creates_first_superuser_and_signs_in(db):
    client = Client()
    assert client.get("/setup/").status_code == 200
    response = client.post("/setup/", SETUP, follow=True)
    user = User.objects.get()
    assert (user.username, user.role, user.is_superuser) == ("first", Role.SUPERUSER, True)
    assert signed_in_user(client).pk == user.pk
    assert SETUP_WELCOME.format(username="first") in response.content.decode()
    assert AuditLog.objects.filter(action=Action.USER_CREATE, user_id=user.pk).exists()


def test_setup_is_gone_once_a_user_exists(db):
    Client().post("/setup/", SETUP)
    for method in ("get", "post"):
        response = getattr(Client(), method)(
            "/setup/", {**SETUP, "username": "second"} if method == "post" else {}
        )
        assert response.status_code == 404
        assert NOT_FOUND_PAGE in response.content
    assert User.objects.count() == 1


def test_setup_gone_when_users_exist_even_for_signed_in_superuser(root):
    client = Client()
    client.force_login(root)
    assert client.get("/setup/").status_code == 404


def test_setup_refuses_weak_password_beside_the_field(db):
    response = Client().post("/setup/", {**SETUP, "password": "12345678", "password_confirm": "12345678"})
    assert response.status_code == 422
    form = response.context["form"]
    assert "password" in form.errors
    assert 'id="id_password_error"' in response.content.decode()
    assert not User.objects.exists()


def test_setup_refuses_mismatched_passwords(db):
    response = Client().post("/setup/", {**SETUP, "password_confirm": PASSWORD + "x"})
    assert PASSWORDS_DIFFER in response.context["form"].errors["password_confirm"]
    assert not User.objects.exists()


def test_setup_refuses_bad_username(db):
    response = Client().post("/setup/", {**SETUP, "username": "<b>x</b>"})
    assert "username" in response.context["form"].errors
    assert "<b>x</b>" not in response.content.decode()
    assert not User.objects.exists()


def test_setup_loser_of_a_race_gets_404(db, monkeypatch):
    """A set-up that finds a user created after its page loaded is told the page is gone."""
    client = Client()
    client.get("/setup/")
    real_create = services.user_create

    def create_after_rival(**kwargs):
        make_user("rival", role=Role.SUPERUSER)
        return real_create(**kwargs)

    monkeypatch.setattr(services, "user_create", create_after_rival)
    response = client.post("/setup/", SETUP)
    assert response.status_code == 404
    assert list(User.objects.values_list("username", flat=True)) == ["rival"]


def test_auth_pages_query_counts(root, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        assert Client().get("/login/").status_code == 200

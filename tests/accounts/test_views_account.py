"""My account: profile, e-mail and password change, personal API tokens. JavaScript off, and htmx partials."""

import re

import pytest
from django.test import Client

from portal.accounts import services
from portal.accounts.forms import PASSWORDS_DIFFER, WRONG_CURRENT_PASSWORD
from portal.accounts.models import Token, TokenKind, User
from portal.accounts.views import EMAIL_CHANGED, PASSWORD_CHANGED, TOKEN_CREATED, TOKEN_REVOKED
from portal.audit.models import Action, AuditLog
from tests.conftest import PASSWORD, api_as, make_org, make_user
from tests.helpers import snapshot

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
NEW_PASSWORD = "another-long-passphrase-42"
TOKEN_RE = re.compile(r"op_pat_[A-Za-z0-9_\-]{20,}")


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def raw_tokens_in(html: str) -> list[str]:
    return TOKEN_RE.findall(html)


@pytest.fixture
def alice(db):
    org = make_org("<b>Bold & Co</b>")
    return make_user("alice", organization=org, can_create_cert=True)


# --- access ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/account/", "/account/email/", "/account/password/", "/account/tokens/", "/account/tokens/1/revoke/"],
)
def test_anonymous_is_sent_to_login(db, path):
    response = Client().get(path)
    assert response.status_code in (302, 405)
    if response.status_code == 302:
        assert response["Location"] == f"/login/?next={path}"


def test_anonymous_htmx_request_loads_the_login_page_whole(db):
    response = Client().post("/account/tokens/", {"name": "x", "expires_in_days": 5}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/login/?next=/account/tokens/"


def test_account_page_shows_profile_with_markup_as_text(alice):
    response = client_for(alice).get("/account/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "&lt;b&gt;Bold &amp; Co&lt;/b&gt;" in html
    assert "<b>Bold" not in html
    assert "Create certificates" in html
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.parametrize("role", ["user", "admin", "superuser"])
def test_every_role_has_an_account_page(db, role):
    user = make_user(f"r-{role}", role=role)
    assert client_for(user).get("/account/").status_code == 200


# --- e-mail --------------------------------------------------------------------------


def test_change_email_without_js(alice):
    client = client_for(alice)
    response = client.post("/account/email/", {"email": "alice@new.example"})
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    alice.refresh_from_db()
    assert alice.email == "alice@new.example"
    page = client.get("/account/").content.decode()
    assert EMAIL_CHANGED.format(email="alice@new.example") in page
    assert AuditLog.objects.filter(action=Action.USER_UPDATE, resource_id=str(alice.pk)).exists()


def test_change_email_with_htmx_returns_the_partial_and_messages(alice):
    response = client_for(alice).post("/account/email/", {"email": "alice@htmx.example"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="email-card"' in html
    assert 'hx-swap-oob="true"' in html
    assert EMAIL_CHANGED.format(email="alice@htmx.example") in html
    assert 'value="alice@htmx.example"' in html


def test_change_email_taken_shows_error_beside_field(alice):
    make_user("bob")
    before = snapshot()
    response = client_for(alice).post("/account/email/", {"email": "BOB@example.test"})
    assert response.status_code == 422
    assert services.EMAIL_TAKEN in response.context["email_form"].errors["email"]
    assert 'id="id_email_error"' in response.content.decode()
    assert snapshot() == before


def test_change_email_invalid(alice):
    response = client_for(alice).post("/account/email/", {"email": "not an address"}, **HTMX)
    assert response.status_code == 422
    assert "email" in response.context["email_form"].errors


# --- password ------------------------------------------------------------------------------


def test_change_password_keeps_this_session_ends_others_and_revokes_tokens(alice):
    client = client_for(alice)
    other = client_for(alice)
    services.personal_token_create(actor=alice, name="ci", expires_in_days=5)
    response = client.post(
        "/account/password/",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    page = client.get("/account/")
    assert page.status_code == 200
    assert PASSWORD_CHANGED in page.content.decode()
    assert other.get("/account/").status_code == 302  # the other session ended
    assert not Token.objects.filter(user=alice).exists()
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_change_password_with_htmx_reloads_the_page(alice):
    response = client_for(alice).post(
        "/account/password/",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
        **HTMX,
    )
    assert response["HX-Redirect"] == "/account/"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"current_password": "wrong", "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
            "current_password",
            WRONG_CURRENT_PASSWORD,
        ),
        (
            {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_confirm": "other-thing-123"},
            "password_confirm",
            PASSWORDS_DIFFER,
        ),
        (
            {"current_password": PASSWORD, "password": "short", "password_confirm": "short"},
            "password",
            "too short",
        ),
        (
            {"current_password": PASSWORD, "password": "12345678901", "password_confirm": "12345678901"},
            "password",
            "entirely numeric",
        ),
    ],
)
def test_change_password_refusals_beside_fields(alice, data, field, message):
    before = snapshot()
    response = client_for(alice).post("/account/password/", data)
    assert response.status_code == 422
    errors = response.context["password_form"].errors[field]
    assert any(message in error for error in errors)
    assert f'id="id_{field}_error"' in response.content.decode()
    assert snapshot() == before


# --- tokens ------------------------------------------------------------------------------


def test_create_token_without_js_shows_it_once_and_it_works(alice):
    client = client_for(alice)
    response = client.post("/account/tokens/", {"name": "backup <script>", "expires_in_days": 30})
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    html = client.get("/account/").content.decode()
    raws = raw_tokens_in(html)
    assert len(raws) == 1
    raw = raws[0]
    assert TOKEN_CREATED.format(name="backup &lt;script&gt;") in html
    assert "<script>" not in html.split("</head>")[1]
    assert 'data-copy="#new-token-value"' in html
    # Shown once: the next view of the page no longer has it, and the database only has its hash.
    assert raw_tokens_in(client.get("/account/").content.decode()) == []
    token = Token.objects.get(user=alice, kind=TokenKind.PERSONAL)
    assert raw not in (token.key_hash, token.prefix)
    assert raw.startswith(token.prefix)
    me = api_as(None)
    me.token = raw
    assert me.get("/api/v1/users/me").json()["username"] == "alice"
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_create_token_with_htmx_returns_the_token_in_the_partial(alice):
    client = client_for(alice)
    response = client.post("/account/tokens/", {"name": "deploy", "expires_in_days": 7}, **HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="tokens"' in html
    assert len(raw_tokens_in(html)) == 1
    assert 'hx-swap-oob="true"' in html
    assert TOKEN_CREATED.format(name="deploy") in html
    assert raw_tokens_in(client.get("/account/").content.decode()) == []


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "expires_in_days": 5}, "name"),
        ({"name": "   ", "expires_in_days": 5}, "name"),
        ({"name": "x" * 101, "expires_in_days": 5}, "name"),
        ({"name": "ok", "expires_in_days": 0}, "expires_in_days"),
        ({"name": "ok", "expires_in_days": 366}, "expires_in_days"),
        ({"name": "ok", "expires_in_days": "soon"}, "expires_in_days"),
    ],
)
def test_create_token_refusals_beside_fields(alice, data, field):
    response = client_for(alice).post("/account/tokens/", data)
    assert response.status_code == 422
    assert field in response.context["token_form"].errors
    assert not Token.objects.filter(user=alice).exists()


def test_token_list_shows_prefix_dates_and_last_use(alice):
    _, token = services.personal_token_create(actor=alice, name="listed", expires_in_days=10)
    html = client_for(alice).get("/account/").content.decode()
    assert "listed" in html
    assert f"{token.prefix}…" in html
    assert token.expires_at.strftime("%Y-%m-%d") in html
    assert "Never" in html


def test_revoke_token_confirm_page_then_post_without_js(alice):
    raw, token = services.personal_token_create(actor=alice, name="old", expires_in_days=10)
    client = client_for(alice)
    confirm = client.get(f"/account/tokens/{token.pk}/revoke/")
    assert confirm.status_code == 200
    assert "Revoke “old”" in confirm.content.decode()
    assert Token.objects.filter(pk=token.pk).exists()  # a GET changes nothing
    response = client.post(f"/account/tokens/{token.pk}/revoke/", follow=True)
    assert TOKEN_REVOKED.format(name="old") in response.content.decode()
    assert not Token.objects.filter(pk=token.pk).exists()
    assert AuditLog.objects.filter(action=Action.TOKEN_REVOKE, resource_id=str(token.pk)).exists()
    api = api_as(None)
    api.token = raw
    assert api.get("/api/v1/users/me").status_code == 401


def test_revoke_token_with_htmx_returns_the_list(alice):
    _, token = services.personal_token_create(actor=alice, name="gone", expires_in_days=10)
    response = client_for(alice).post(f"/account/tokens/{token.pk}/revoke/", **HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="tokens"' in html
    assert "You have no personal API tokens." in html
    assert TOKEN_REVOKED.format(name="gone") in html


def test_cannot_revoke_someone_elses_token(alice):
    _, token = services.personal_token_create(
        actor=make_user("mallory-victim"), name="theirs", expires_in_days=10
    )
    client = client_for(alice)
    before = snapshot()
    for method in ("get", "post"):
        response = getattr(client, method)(f"/account/tokens/{token.pk}/revoke/")
        assert response.status_code == 404
        assert b"This page does not exist" in response.content
    assert Token.objects.filter(pk=token.pk).exists()
    assert snapshot() == before


@pytest.mark.parametrize("token_id", [999999, 2**63, 10**30])
def test_revoke_missing_token_is_404(alice, token_id):
    assert client_for(alice).post(f"/account/tokens/{token_id}/revoke/").status_code == 404


def test_session_token_pairs_are_not_listed(alice):
    services._issue_pair(alice)
    html = client_for(alice).get("/account/").content.decode()
    assert "You have no personal API tokens." in html


# --- query counts ------------------------------------------------------------------------


@pytest.mark.parametrize("tokens", [1, 15])
def test_account_page_queries_are_few_and_constant(alice, tokens, django_assert_max_num_queries):
    for number in range(tokens):
        services.personal_token_create(actor=alice, name=f"t{number}", expires_in_days=5)
    client = client_for(alice)
    with django_assert_max_num_queries(5):
        assert client.get("/account/").status_code == 200

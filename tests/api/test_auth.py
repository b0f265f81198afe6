"""Tokens: password flow, refresh rotation, logout, expiry, throttling (SPEC section 4)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.accounts.models import LoginFailure, Token, hash_token
from portal.accounts.services import personal_token_create, personal_token_revoke
from portal.audit.models import AuditLog
from tests.conftest import PASSWORD, ApiClient, make_user


def form_login(username, password, **headers):
    return ApiClient().post(
        "/api/v1/auth/token",
        raw=f"username={username}&password={password}",
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.mark.django_db
def test_password_flow_form_encoded(alice):
    response = form_login("alice", PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert body["access_token"].startswith("op_at_") and body["refresh_token"].startswith("op_rt_")
    # stored only as hashes
    assert not Token.objects.filter(key_hash=body["access_token"]).exists()
    assert Token.objects.filter(key_hash=hash_token(body["access_token"])).exists()
    assert ApiClient(body["access_token"]).get("/api/v1/users/me").json()["username"] == "alice"
    assert AuditLog.objects.filter(action="login_success", user_id=alice.pk).count() == 1


@pytest.mark.django_db
def test_password_flow_json_accepted(alice):
    response = ApiClient().post("/api/v1/auth/token", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "password"), [("alice", "wrong-password"), ("nobody", PASSWORD), ("bob", PASSWORD)]
)
def test_bad_credentials_unknown_and_inactive_look_the_same(alice, username, password):
    make_user("bob", is_active=False)
    response = form_login(username, password)
    assert response.status_code == 401
    assert response.json() == {"detail": "Incorrect username or password"}
    assert response["WWW-Authenticate"] == "Bearer"
    entry = AuditLog.objects.get(action="login_failure")
    assert entry.username == username


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        ("username=alice", "application/x-www-form-urlencoded"),
        ("", "application/x-www-form-urlencoded"),
        ("{bad", "application/json"),
        ("[1]", "application/json"),
    ],
)
def test_token_request_missing_fields_is_422(alice, raw, content_type):
    response = ApiClient().post("/api/v1/auth/token", raw=raw, content_type=content_type)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)


@pytest.mark.django_db
def test_throttle_after_five_failures_per_username_with_retry_after(alice):
    for _ in range(5):
        assert form_login("alice", "wrong-password").status_code == 401
    response = form_login("alice", PASSWORD)  # even the right password waits
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= 15 * 60
    assert "Too many" in response.json()["detail"]
    # the window passes
    LoginFailure.objects.update(created_at=timezone.now() - timedelta(minutes=16))
    assert form_login("alice", PASSWORD).status_code == 200


@pytest.mark.django_db
def test_throttle_per_address_after_twenty_failures(alice):
    for index in range(20):
        form_login(f"guess{index}", "x")
    assert form_login("alice", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_refresh_rotates_and_second_use_fails(alice):
    first = form_login("alice", PASSWORD).json()
    response = ApiClient().post("/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert response.status_code == 200
    second = response.json()
    assert second["access_token"] != first["access_token"]
    # the old pair died with the rotation
    assert ApiClient(first["access_token"]).get("/api/v1/users/me").status_code == 401
    again = ApiClient().post("/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert again.status_code == 401
    assert again.json() == {"detail": "Could not validate credentials"}
    assert ApiClient(second["access_token"]).get("/api/v1/users/me").status_code == 200


@pytest.mark.django_db
def test_access_token_is_not_a_refresh_token(alice):
    pair = form_login("alice", PASSWORD).json()
    assert (
        ApiClient().post("/api/v1/auth/refresh", {"refresh_token": pair["access_token"]}).status_code == 401
    )
    assert ApiClient(pair["refresh_token"]).get("/api/v1/users/me").status_code == 401


@pytest.mark.django_db
def test_logout_revokes_access_and_refresh(alice):
    pair = form_login("alice", PASSWORD).json()
    response = ApiClient(pair["access_token"]).post("/api/v1/auth/logout")
    assert response.status_code == 204
    assert ApiClient(pair["access_token"]).get("/api/v1/users/me").status_code == 401
    assert (
        ApiClient().post("/api/v1/auth/refresh", {"refresh_token": pair["refresh_token"]}).status_code == 401
    )


@pytest.mark.django_db
def test_expired_token_is_401(alice):
    pair = form_login("alice", PASSWORD).json()
    Token.objects.filter(user=alice).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = ApiClient(pair["access_token"]).get("/api/v1/users/me")
    assert response.status_code == 401
    assert response.json() == {"detail": "Could not validate credentials"}
    assert (
        ApiClient().post("/api/v1/auth/refresh", {"refresh_token": pair["refresh_token"]}).status_code == 401
    )


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Basic abc", "bearer op_at_nonsense", "Token x"])
def test_malformed_authorization_is_401(alice, header):
    client = ApiClient()
    response = client.client.get("/api/v1/users/me", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.django_db
def test_personal_token_works_until_revoked_and_records_last_use(alice):
    raw, token = personal_token_create(actor=alice, name="ci", expires_in_days=30)
    assert raw.startswith("op_pat_")
    assert ApiClient(raw).get("/api/v1/users/me").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    personal_token_revoke(actor=alice, token_id=token.pk)
    assert ApiClient(raw).get("/api/v1/users/me").status_code == 401
    assert list(
        AuditLog.objects.filter(resource_type="token").values_list("action", flat=True).order_by("id")
    ) == ["token_create", "token_revoke"]


@pytest.mark.django_db
def test_personal_token_dies_with_password_change(alice):
    raw, _ = personal_token_create(actor=alice, name="ci", expires_in_days=30)
    ApiClient(raw).patch(f"/api/v1/users/{alice.pk}", {"password": "a-brand-new-passphrase"})
    assert ApiClient(raw).get("/api/v1/users/me").status_code == 401

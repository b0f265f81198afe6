"""Structured logs: every line of a request carries its id; no password or token in any line.

The lines are written by the project's own formatter and filter
(settings.LOGGING), attached to the root logger for the test, so what is
checked is what a log collector would receive.
"""

import io
import json
import logging

import pytest
from django.test import Client

from portal.core.logging import JsonFormatter, RequestContextFilter, redact
from tests.conftest import PASSWORD, api_as, make_user
from tests.helpers import failing_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_lines():
    """Every log line written while the test runs, as the production handler would write it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)

    def lines() -> list[dict]:
        handler.flush()
        return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]

    yield lines
    root.removeHandler(handler)
    root.setLevel(old_level)


def _request(client: Client, method: str, path: str, request_id: str, **kwargs):
    return getattr(client, method)(path, HTTP_X_REQUEST_ID=request_id, **kwargs)


def test_every_line_of_a_request_carries_its_id(root, log_lines, monkeypatch):
    api = api_as(root)
    calls = [
        ("get", "/api/v1/users/me", {}),  # 200: nothing to say
        ("get", "/api/v1/organizations/999", {}),  # 404: django.request warns
        ("post", "/api/v1/organizations/", {"data": "{", "content_type": "application/json"}),  # 422
        ("get", "/no-such-page/", {}),  # portal 404
    ]
    seen = 0
    for number, (method, path, kwargs) in enumerate(calls):
        request_id = f"req-{number}"
        response = _request(api.client, method, path, request_id, **api._headers(None), **kwargs)
        assert response["X-Request-ID"] == request_id
        lines = log_lines()[seen:]
        seen += len(lines)
        assert all(line["request_id"] == request_id for line in lines), lines
    assert seen >= 3  # the 404s and the 422 were logged

    # A request without an id gets one, echoed in the response and on its lines.
    before = len(log_lines())
    response = api.client.get("/api/v1/organizations/424242", **api._headers(None))
    generated = response["X-Request-ID"]
    assert len(generated) == 32
    new = log_lines()[before:]
    assert new
    assert {line["request_id"] for line in new} == {generated}


def test_an_unsafe_request_id_is_replaced(root, log_lines):
    api = api_as(root)
    response = api.client.get(
        "/api/v1/organizations/77", HTTP_X_REQUEST_ID='x"\n{"level": "CRITICAL"}', **api._headers(None)
    )
    assert response["X-Request-ID"] != 'x"\n{"level": "CRITICAL"}'
    assert {line["request_id"] for line in log_lines()} == {response["X-Request-ID"]}


def test_an_error_line_carries_the_request_id_and_the_traceback(root, log_lines, monkeypatch):
    api = api_as(root)
    client = Client(raise_request_exception=False)
    with failing_queries("organizations_organization", RuntimeError("injected failure")):
        response = client.get("/api/v1/organizations/", HTTP_X_REQUEST_ID="err-1", **api._headers(None))
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}
    errors = [line for line in log_lines() if line["level"] == "ERROR"]
    assert errors
    assert all(line["request_id"] == "err-1" for line in errors)
    assert any("injected failure" in line.get("exception", "") for line in errors)


def test_no_password_or_token_in_any_log_line(root, log_lines, monkeypatch):
    """Sign in (portal and API), use and refresh tokens, fail sign-ins, change a password, fail hard."""
    secrets_seen: list[str] = [PASSWORD]
    portal = Client(raise_request_exception=False)
    assert portal.post("/login/", {"username": "root", "password": PASSWORD}).status_code == 302
    assert portal.post("/login/", {"username": "root", "password": "wrong-" + PASSWORD}).status_code == 422
    secrets_seen.append("wrong-" + PASSWORD)

    anonymous = Client(raise_request_exception=False)
    response = anonymous.post("/api/v1/auth/token", {"username": "root", "password": PASSWORD})
    assert response.status_code == 200
    pair = response.json()
    secrets_seen += [pair["access_token"], pair["refresh_token"]]
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {pair['access_token']}"}
    assert anonymous.get("/api/v1/users/me", **bearer).status_code == 200
    assert anonymous.get("/api/v1/audit-logs/", {"limit": 5}, **bearer).status_code == 200
    # Unknown user, bad password, and a JSON body that names the password field.
    for username, password in (("nobody", PASSWORD), ("root", "not-" + PASSWORD)):
        response = anonymous.post(
            "/api/v1/auth/token",
            json.dumps({"username": username, "password": password}),
            content_type="application/json",
        )
        assert response.status_code == 401
    secrets_seen.append("not-" + PASSWORD)
    # A token that is not (or no longer) valid.
    assert (
        anonymous.get("/api/v1/users/me", HTTP_AUTHORIZATION="Bearer op_at_forgedforgedforged").status_code
        == 401
    )
    secrets_seen.append("forgedforgedforged")

    # Password change through the API: the new password must not show either.
    new_password = "brand-new-password-" + "x7" * 4
    secrets_seen.append(new_password)
    other = make_user("victim")
    other_token = api_as(other).token
    assert other_token is not None
    secrets_seen.append(other_token)
    response = anonymous.patch(
        f"/api/v1/users/{other.pk}",
        json.dumps({"password": new_password}),
        content_type="application/json",
        **bearer,
    )
    assert response.status_code == 200
    response = anonymous.post(
        "/api/v1/auth/refresh",
        json.dumps({"refresh_token": pair["refresh_token"]}),
        content_type="application/json",
    )
    assert response.status_code == 200
    secrets_seen += [response.json()["access_token"], response.json()["refresh_token"]]

    # An error in the middle of a request that carries both a password and a token,
    # whose message quotes them the way a careless library might.
    token = response.json()["access_token"]

    def explode(*args, **kwargs):
        raise RuntimeError(f"failed for Authorization: Bearer {token} with password={PASSWORD}")

    monkeypatch.setattr("portal.api.tokens.services.token_pair_issue", explode)
    response = anonymous.post(
        "/api/v1/auth/token",
        {"username": "root", "password": PASSWORD},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 500

    lines = log_lines()
    assert any(line["level"] == "ERROR" for line in lines)
    assert any(line["logger"] == "django.request" for line in lines)
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    for secret in secrets_seen:
        assert secret not in text, secret[:12]
    # Every line was written during a request and says which.
    assert all(line["request_id"] for line in lines)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer abc.def-123", "abc.def-123"),
        ("token op_pat_SomeRandomValue_-9 leaked", "SomeRandomValue_-9"),
        ('{"password": "hunter2hunter2"}', "hunter2hunter2"),
        ("password=hunter2hunter2&next=/", "hunter2hunter2"),
        ("new_password: s3cr3t-value", "s3cr3t-value"),
    ],
)
def test_redaction_catches_the_shapes_secrets_come_in(text, secret):
    assert secret not in redact(text)

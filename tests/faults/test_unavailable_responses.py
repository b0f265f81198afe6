"""The 503 responses for an unreachable database, on either database (the outage itself is simulated).

test_database_outage.py stops a real PostgreSQL server; these raise the
driver's error where it would surface, so the shapes are checked on SQLite
too: in a view, while rendering a page, in the API's authentication, and in
the health check.
"""

import pytest
from django.db import OperationalError
from django.template import engines
from django.test import Client

from portal.core.middleware import DATABASE_UNAVAILABLE
from tests.conftest import api_as
from tests.helpers import failing_queries

pytestmark = pytest.mark.django_db

GONE = OperationalError(
    'connection failed: connection to server at "127.0.0.1", port 5432 failed: Connection refused'
)


def _raise(*args, **kwargs):
    raise GONE


def quiet_client() -> Client:
    return Client(raise_request_exception=False)


def assert_portal_503(response) -> None:
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"] == "5"
    assert b"temporarily unavailable" in response.content
    assert b"Traceback" not in response.content


def test_api_answers_json_503(world, monkeypatch):
    api = api_as(world["root"])
    api.client.raise_request_exception = False
    monkeypatch.setattr("portal.api.auth.token_authenticate", _raise)
    response = api.get("/api/v1/organizations/")
    assert response.status_code == 503
    assert response.json() == {"detail": DATABASE_UNAVAILABLE}
    assert response["Retry-After"] == "5"


def test_signed_in_portal_page_answers_the_503_page(world, monkeypatch):
    client = quiet_client()
    client.force_login(world["admin_a"])
    # The session (and with it the signed-in user) lives in the database.
    monkeypatch.setattr("django.contrib.sessions.backends.db.SessionStore.load", _raise)
    assert_portal_503(client.get("/organizations/"))


def test_failure_while_rendering_still_answers_the_503_page(world, monkeypatch):
    client = quiet_client()
    client.force_login(world["admin_a"])
    # The view succeeds; a context processor (the navigation asks who is signed in) fails while
    # the page is rendered, after the view returned.
    engine = engines["django"].engine
    monkeypatch.setattr(engine, "template_context_processors", (*engine.template_context_processors, _raise))
    assert_portal_503(client.get("/organizations/"))


def test_health_check_answers_json_503(db, monkeypatch):
    monkeypatch.setattr("portal.core.views.connection.cursor", _raise)
    response = quiet_client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"detail": DATABASE_UNAVAILABLE}


def test_other_database_errors_are_not_disguised_as_an_outage(world, monkeypatch):
    api = api_as(world["root"])
    api.client.raise_request_exception = False
    with failing_queries("organizations_organization", OperationalError("no such function: lower")):
        response = api.get("/api/v1/organizations/")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}

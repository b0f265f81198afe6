"""Schemathesis over the project's own OpenAPI document (SPEC sections 5 and 6, issue 4 item 1).

Every operation of /api/v1/openapi.json is called in-process through the
WSGI application (the full middleware stack, as gunicorn runs it), once as
a superuser and once as an organization admin, with real bearer tokens.
Each response must not be a 5xx, must match its documented schema, status
code and content type, and an authenticated success must not also succeed
without credentials. Generation is derandomized and bounded
(FUZZ_MAX_EXAMPLES per operation, default 100) so CI stays within minutes.

The database is a small fixed world (ids 1.. reset per operation) and path
ids are drawn from it half of the time, so that the fuzzer reaches the
success paths (200/201/204) and not only 404s.
"""

import os
from collections import Counter

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup, ServerError
from schemathesis.openapi.checks import JsonSchemaError

from portal.accounts.models import Role, User
from portal.accounts.services import _issue_pair
from tests.conftest import make_org, make_user
from tests.helpers import failing_queries

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "100"))
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    ignored_auth,
]
ID_PARAMETERS = {"organization_id", "user_id"}
WORLD_IDS = st.integers(min_value=1, max_value=8)
VALID_USERNAMES = st.from_regex(r"\A[a-z][a-z0-9_.+-]{0,20}\Z")
VALID_EMAILS = st.from_regex(r"\A[a-z][a-z0-9]{0,15}\Z").map(lambda local: f"{local}@example.test")
ACTORS = ("superuser", "org_admin")

# Responses by (operation, status), reported at the end of the run (conftest.py).
STATS: Counter[tuple[str, int]] = Counter()

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
# Tokens are sent by the test; schemathesis probes missing and invalid ones itself (ignored_auth).
schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True, with_security_parameters=False)


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    if not isinstance(path_parameters, dict):
        return st.just(path_parameters)
    return st.fixed_dictionaries(
        {
            name: st.one_of(st.just(value), WORLD_IDS) if name in ID_PARAMETERS else st.just(value)
            for name, value in path_parameters.items()
        }
    )


@schema.hook
def flatmap_body(context, body):
    # Random text seldom passes the username and e-mail rules; half of the user bodies get
    # well-formed ones, so that creating and renaming users is fuzzed too.
    if not isinstance(body, dict) or not ({"username", "email"} & body.keys()):
        return st.just(body)
    fixed = {
        name: (VALID_USERNAMES if name == "username" else VALID_EMAILS)
        if name in ("username", "email")
        else st.just(value)
        for name, value in body.items()
    }
    return st.one_of(st.just(body), st.fixed_dictionaries(fixed))


@pytest.fixture
def world():
    make_user("root", role=Role.SUPERUSER)
    alpha, beta = make_org("Alpha"), make_org("Beta")
    make_user("admin_a", role=Role.ADMIN, organization=alpha)
    make_user("user_a", organization=alpha)
    make_user("admin_b", role=Role.ADMIN, organization=beta)
    make_user("user_b", organization=beta)
    make_user("user_none")
    make_user("admin_none", role=Role.ADMIN)


def _actor(kind: str) -> User:
    """An active actor of this kind; the fuzzer may have deleted, demoted or moved the last one."""
    if kind == "superuser":
        found = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        return found or make_user(role=Role.SUPERUSER)
    found = (
        User.objects.filter(role=Role.ADMIN, is_active=True, organization__isnull=False)
        .order_by("pk")
        .first()
    )
    return found or make_user(role=Role.ADMIN, organization=make_org())


# Examples share the world on purpose: earlier writes are state for later calls.
@pytest.mark.django_db(transaction=True, reset_sequences=True)
@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_conforms_to_its_schema(case, world):
    for kind in ACTORS:
        token = _issue_pair(_actor(kind))["access_token"]
        response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
        STATS[(case.operation.label, response.status_code)] += 1


# --- the harness itself: it must be able to fail ---------------------------


@pytest.mark.django_db
def test_harness_reports_a_server_error(world, monkeypatch):
    case = schema["/api/v1/organizations/"]["GET"].Case()
    token = _issue_pair(_actor("superuser"))["access_token"]
    with (
        pytest.raises(FailureGroup) as raised,
        failing_queries("organizations_organization", RuntimeError("injected")),
    ):
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
    assert any(isinstance(failure, ServerError) for failure in raised.value.exceptions)


def test_harness_reports_a_body_that_contradicts_the_schema():
    import requests

    case = schema["/api/v1/organizations/{organization_id}"]["GET"].Case(
        path_parameters={"organization_id": 1}
    )
    response = requests.Response()
    response.status_code = 200
    response._content = b'{"id": 1, "name": "Alpha"}'  # no description, member_count or times
    response.headers["Content-Type"] = "application/json"
    response.request = requests.Request("GET", "http://localhost/api/v1/organizations/1").prepare()
    with pytest.raises(FailureGroup) as raised:
        case.validate_response(response, checks=[response_schema_conformance])
    assert any(isinstance(failure, JsonSchemaError) for failure in raised.value.exceptions)

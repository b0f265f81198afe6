"""When the audit entry cannot be written, the change it records does not happen (issue 4, faults).

Each write records its audit entry in the same transaction (SPEC section 2),
so a failing audit insert must take the change down with it: nothing
written, grants as before, and a clean error for the client (the API's
JSON 500, the portal's and the admin's 500 page), not a traceback.

The failure is injected two ways: in Python (the audit insert raises) and
in the database (a trigger refuses the row, after the change's own rows
were written in the same transaction), only for the action under test, so
that a multi-entry change (leave, then join) fails half-way.
"""

from collections.abc import Iterator

import pytest
from django.db import DatabaseError, connection
from django.test import Client

from portal.accounts.models import LoginFailure, Role, Token, User
from portal.audit import services as audit_services
from portal.audit.models import Action, AuditLog
from portal.organizations.models import Organization, OrganizationUserObjectPermission
from tests.conftest import PASSWORD, api_as, make_org

pytestmark = pytest.mark.django_db

INTERNAL_ERROR = {"detail": "Internal Server Error"}


def snapshot() -> dict:
    """Every table a change could touch (the audit log included)."""
    return {
        "users": list(User.objects.order_by("pk").values()),
        "organizations": list(Organization.objects.order_by("pk").values()),
        "grants": sorted(
            OrganizationUserObjectPermission.objects.values_list(
                "user_id", "content_object_id", "permission_id"
            )
        ),
        "audit": list(AuditLog.objects.order_by("pk").values_list("pk", "action")),
        "tokens": sorted(Token.objects.values_list("pk", "key_hash")),
        "login_failures": LoginFailure.objects.count(),
    }


def _python_failure(monkeypatch, action: str) -> None:
    insert = audit_services.sql.insert

    def failing_insert(entry, names):
        if isinstance(entry, AuditLog) and entry.action == action:
            raise DatabaseError("injected: the audit log refused the entry")
        return insert(entry, names)

    monkeypatch.setattr(audit_services.sql, "insert", failing_insert)


def _database_failure(action: str) -> Iterator[None]:
    table = AuditLog._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"""
                CREATE FUNCTION fault_audit_refuse() RETURNS trigger AS $$
                BEGIN
                    IF NEW.action = '{action}' THEN
                        RAISE EXCEPTION 'injected: the audit log refused the entry';
                    END IF;
                    RETURN NEW;
                END $$ LANGUAGE plpgsql
                """
            )
            cursor.execute(
                f"CREATE TRIGGER fault_audit_refuse BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION fault_audit_refuse()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER fault_audit_refuse BEFORE INSERT ON {table} "
                f"WHEN NEW.action = '{action}' "
                "BEGIN SELECT RAISE(ABORT, 'injected: the audit log refused the entry'); END"
            )
    yield
    # The test's transaction is rolled back afterwards, trigger included (both databases
    # have transactional DDL); drop it explicitly anyway for readers of this file.
    with connection.cursor() as cursor:
        cursor.execute(
            f"DROP TRIGGER IF EXISTS fault_audit_refuse ON {table}"
            if connection.vendor == "postgresql"
            else "DROP TRIGGER IF EXISTS fault_audit_refuse"
        )
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION IF EXISTS fault_audit_refuse()")


@pytest.fixture(params=["python", "database"])
def audit_fails(request, monkeypatch):
    """Call with an action: from then on, writing an entry with that action fails."""
    cleanups: list[Iterator[None]] = []

    def install(action: str) -> None:
        if request.param == "python":
            _python_failure(monkeypatch, action)
        else:
            cleanup = _database_failure(action)
            next(cleanup)
            cleanups.append(cleanup)

    yield install
    for cleanup in cleanups:
        next(cleanup, None)


def quiet(client: Client) -> Client:
    """Answer a server error as the server would, instead of raising it into the test."""
    client.raise_request_exception = False
    return client


def assert_internal_error(response) -> None:
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == INTERNAL_ERROR
    assert b"Traceback" not in response.content


# (actor, method, path, body, the action whose entry fails); paths name the world's objects.
API_CASES = [
    ("root", "post", "/api/v1/organizations/", {"name": "Gamma"}, Action.ORG_CREATE),
    # An admin without an organization joins the one they create: the second entry fails.
    ("admin_none", "post", "/api/v1/organizations/", {"name": "Gamma"}, Action.ORG_ADD_USER),
    ("admin_a", "put", "/api/v1/organizations/{org_a}", {"name": "Alpha Two"}, Action.ORG_UPDATE),
    ("root", "delete", "/api/v1/organizations/{empty}", None, Action.ORG_DELETE),
    ("admin_a", "post", "/api/v1/organizations/{org_a}/users/{user_none}", None, Action.ORG_ADD_USER),
    ("admin_a", "delete", "/api/v1/organizations/{org_a}/users/{user_a}", None, Action.ORG_REMOVE_USER),
    # A move is a leave then a join: the join's entry fails after the leave's was written.
    ("root", "patch", "/api/v1/users/{user_b}", {"organization_id": "{org_a}"}, Action.ORG_ADD_USER),
    ("root", "patch", "/api/v1/users/{user_a}", {"role": "admin", "can_create_ca": True}, Action.USER_UPDATE),
    (
        "admin_a",
        "patch",
        "/api/v1/users/{user_a}",
        {"password": "a-brand-new-password-1"},
        Action.USER_UPDATE,
    ),
    ("root", "patch", "/api/v1/users/{admin_b}", {"is_active": False}, Action.USER_UPDATE),
    (
        "root",
        "post",
        "/api/v1/users/",
        {
            "username": "carol",
            "email": "carol@example.test",
            "password": "carol-long-password",
            "organization_id": "{org_a}",
        },
        Action.USER_CREATE,
    ),
    (
        "root",
        "post",
        "/api/v1/users/",
        {
            "username": "carol",
            "email": "carol@example.test",
            "password": "carol-long-password",
            "organization_id": "{org_a}",
        },
        Action.ORG_ADD_USER,
    ),
    ("root", "delete", "/api/v1/users/{user_none}", None, Action.USER_DELETE),
]


def _ids(world, empty) -> dict[str, int]:
    ids = {name: obj.pk for name, obj in world.items()}
    ids["empty"] = empty.pk
    return ids


def _fill(value, ids):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
        return ids[value[1:-1]]
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


def _send(api, method: str, path: str, body):
    call = getattr(api, method)
    return call(path, body) if body is not None else call(path)


@pytest.mark.parametrize(
    ("actor", "method", "path", "body", "action"),
    API_CASES,
    ids=[f"{case[1]} {case[2]} fails at {case[4].value}" for case in API_CASES],
)
def test_api_change_is_rolled_back_when_its_audit_entry_fails(
    world, audit_fails, actor, method, path, body, action
):
    ids = _ids(world, make_org("Empty"))
    api = api_as(world[actor])
    quiet(api.client)
    before = snapshot()
    audit_fails(action)
    response = _send(api, method, _fill(path, ids), _fill(body, ids))
    assert_internal_error(response)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("actor", "method", "path", "body", "action"),
    API_CASES,
    ids=[f"{case[1]} {case[2]} writes {case[4].value}" for case in API_CASES],
)
def test_without_the_fault_the_same_request_changes_something(world, actor, method, path, body, action):
    """The control: the requests above fail only because of the injected fault."""
    ids = _ids(world, make_org("Empty"))
    api = api_as(world[actor])
    before = snapshot()
    response = _send(api, method, _fill(path, ids), _fill(body, ids))
    assert 200 <= response.status_code < 300, response.content
    assert snapshot() != before
    assert AuditLog.objects.filter(action=action).count() > sum(1 for _, a in before["audit"] if a == action)


def test_sign_in_is_refused_cleanly_when_its_audit_entry_fails(world, audit_fails):
    client = quiet(Client())
    before = snapshot()
    audit_fails(Action.LOGIN_SUCCESS)
    response = client.post("/api/v1/auth/token", {"username": "root", "password": PASSWORD})
    assert_internal_error(response)
    # No token was issued: the pair comes after the audited sign-in.
    assert snapshot() == before


def test_failed_sign_in_with_the_audit_down_gives_nothing_away(world, audit_fails):
    client = quiet(Client())
    audit_fails(Action.LOGIN_FAILURE)
    before = snapshot()
    response = client.post("/api/v1/auth/token", {"username": "root", "password": "not-the-password"})
    # The same answer as for a correct password with the audit down: no oracle.
    assert_internal_error(response)
    after = snapshot()
    # The attempt still counts for the throttle: guessing is never free while the log fails.
    assert after.pop("login_failures") == before.pop("login_failures") + 1
    assert after == before


def test_portal_create_is_rolled_back_and_answers_its_error_page(world, audit_fails):
    client = quiet(Client())
    client.force_login(world["admin_none"])
    before = snapshot()
    audit_fails(Action.ORG_ADD_USER)
    response = client.post("/organizations/new/", {"name": "Gamma", "description": ""})
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert b"Traceback" not in response.content
    assert b"Something went wrong" in response.content
    assert snapshot() == before


def test_admin_membership_change_is_rolled_back(world, audit_fails):
    client = quiet(Client())
    client.force_login(world["root"])
    user_b = world["user_b"]
    before = snapshot()
    audit_fails(Action.ORG_ADD_USER)
    response = client.post(
        f"/admin/accounts/user/{user_b.pk}/change/",
        {
            "username": user_b.username,
            "email": user_b.email,
            "role": Role.USER,
            "organization": world["org_a"].pk,
            "is_active": "on",
            "_save": "Save",
        },
    )
    assert response.status_code == 500
    assert b"Traceback" not in response.content
    assert snapshot() == before

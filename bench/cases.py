"""The benchmark's cases and budgets, shared by the load driver and the query counter.

A case names who asks (an account seeded by ``seed_bench``), what is asked,
and which budget applies (issue 5):

- ``single``: single-object API reads, >= 50% of /healthz requests/s;
- ``list``: lists of 100-200 rows, >= 30%;
- ``write``: writes, >= 30%, and at concurrency 16 p99 < 250 ms with no error;
- ``portal``: portal pages, >= 20%;
- ``twin``: a case on big data is within 1.5x the p50 latency of its small twin.
"""

from dataclasses import dataclass, field

# Budgets.
RATIO = {"single": 0.50, "list": 0.30, "write": 0.30, "portal": 0.20}
GROWTH = 1.5
MAX_QUERIES = {"api": 6, "portal": 10}
WRITE_P99_MS = 250.0
FASTAPI_FACTOR = 1.5
PUT_BODY = '{"description": "Changed by the benchmark, request {n}."}'


@dataclass(frozen=True)
class Case:
    name: str
    title: str
    kind: str  # floor | api | portal
    path: str
    budget: str = ""  # single | list | write | portal
    actor: str | None = None  # account key in the seed's output (None: anonymous)
    method: str = "GET"
    body: str = ""
    script: str = "request"  # request | add_remove
    org: str = ""  # big | small: the organization an add/remove case works on
    twin: str = ""  # the small-data case this one must stay within GROWTH of
    server: str = "main"  # main | twin (the database with only 100 organizations)
    # FastAPI + SQLAlchemy figures from the issue (req/s at -c16, 2 workers, SQLite).
    fastapi: tuple[int, int] | None = None
    extra: dict = field(default_factory=dict)


def build(info: dict) -> list[Case]:
    """The cases for a seeded database described by seed_bench's --output JSON."""
    big, small = info["big_org_id"], info["small_org_id"]
    return [
        Case("healthz", "GET /healthz", "floor", "/healthz"),
        Case(
            "users_me",
            "GET /users/me",
            "api",
            "/api/v1/users/me",
            "single",
            "small_member",
            fastapi=(620, 740),
        ),
        Case(
            "org_get",
            "GET /organizations/{small}",
            "api",
            f"/api/v1/organizations/{small}",
            "single",
            "small_member",
            fastapi=(570, 670),
        ),
        Case(
            "org_get_big",
            "GET /organizations/{big}",
            "api",
            f"/api/v1/organizations/{big}",
            "single",
            "big_member",
            twin="org_get",
        ),
        Case(
            "orgs_list_super",
            "GET /organizations/?limit=100 (superuser, 10k orgs)",
            "api",
            "/api/v1/organizations/?limit=100",
            "list",
            "root",
            twin="orgs_list_super_twin",
            fastapi=(370, 530),
        ),
        Case(
            "orgs_list_super_twin",
            "GET /organizations/?limit=100 (superuser, 100 orgs)",
            "api",
            "/api/v1/organizations/?limit=100",
            "list",
            "root",
            server="twin",
        ),
        Case(
            "orgs_list_member",
            "GET /organizations/?limit=100 (member)",
            "api",
            "/api/v1/organizations/?limit=100",
            "list",
            "small_member",
        ),
        Case(
            "members_small",
            "GET /organizations/{small}/users (200)",
            "api",
            f"/api/v1/organizations/{small}/users",
            "list",
            "small_member",
            fastapi=(80, 95),
        ),
        Case(
            "members_big",
            "GET /organizations/{big}/users?limit=200 (of 10k)",
            "api",
            f"/api/v1/organizations/{big}/users?limit=200",
            "list",
            "big_member",
            twin="members_small",
        ),
        Case(
            "org_put",
            "PUT /organizations/{small}",
            "api",
            f"/api/v1/organizations/{small}",
            "write",
            "small_admin",
            method="PUT",
            body=PUT_BODY,
            fastapi=(150, 195),
        ),
        Case(
            "org_put_big",
            "PUT /organizations/{big}",
            "api",
            f"/api/v1/organizations/{big}",
            "write",
            "big_admin",
            method="PUT",
            body=PUT_BODY,
            twin="org_put",
        ),
        Case(
            "add_remove",
            "POST+DELETE /organizations/{small}/users/{id}",
            "api",
            f"/api/v1/organizations/{small}/users/{{user_id}}",
            "write",
            "small_admin",
            script="add_remove",
            org="small",
            fastapi=(95, 120),
        ),
        Case(
            "add_remove_big",
            "POST+DELETE /organizations/{big}/users/{id}",
            "api",
            f"/api/v1/organizations/{big}/users/{{user_id}}",
            "write",
            "big_admin",
            script="add_remove",
            org="big",
            twin="add_remove",
        ),
        Case(
            "portal_small",
            "portal /organizations/{small}/ (200)",
            "portal",
            f"/organizations/{small}/",
            "portal",
            "small_admin",
        ),
        Case(
            "portal_big",
            "portal /organizations/{big}/ (10k)",
            "portal",
            f"/organizations/{big}/",
            "portal",
            "big_admin",
            twin="portal_small",
        ),
    ]

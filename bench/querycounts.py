"""SQL queries per request for every benchmark case, against the seeded database.

A query is an SQL statement other than transaction control (BEGIN,
COMMIT, SAVEPOINT, RELEASE); the total with those is reported beside it.

Runs each case through Django's test Client (the whole middleware stack,
as gunicorn runs it) inside CaptureQueriesContext, after one warm-up
request, so that per-process caches (content types, permission ids) are
filled as in a running worker. Nothing is added to the production code
path. Usage (environment as for the server, plus ALLOWED_HOSTS=testserver):

    python bench/querycounts.py INFO_JSON OUT_JSON [main|twin]

(the cases of that server; run it once per database).
"""

import json
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.cases import Case, build  # noqa: E402
from portal.accounts.models import User  # noqa: E402

# Not queries: the transaction's own bookkeeping (Django's CaptureQueriesContext lists them too).
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def main(info_path: str, out_path: str, server: str) -> None:
    info = json.loads(Path(info_path).read_text())
    password = os.environ["BENCH_PASSWORD"]
    accounts = info["accounts"]
    tokens: dict[str, str] = {}
    spare = info["unassigned_user_ids"][-2:]
    results: dict[str, dict] = {}
    serial = 0

    def token(actor: str) -> str:
        if actor not in tokens:
            response = Client(raise_request_exception=False).post(
                "/api/v1/auth/token", {"username": accounts[actor]["username"], "password": password}
            )
            assert response.status_code == 200, response.content
            tokens[actor] = response.json()["access_token"]
        return tokens[actor]

    def run(client: Client, method: str, path: str, body: str, headers: dict) -> tuple[int, list[str]]:
        nonlocal serial
        serial += 1
        call = getattr(client, method.lower())
        kwargs: dict = {"headers": headers}
        if body:
            kwargs.update(data=body.replace("{n}", f"q-{serial}"), content_type="application/json")
        with CaptureQueriesContext(connection) as ctx:
            response = call(path, **kwargs)
        return response.status_code, [q["sql"] for q in ctx.captured_queries]

    def measure(case: Case, path: str, actor: str | None, add_remove_user: int) -> dict:
        client = Client(raise_request_exception=False)
        headers: dict = {}
        if case.kind == "api" and actor:
            headers["Authorization"] = f"Bearer {token(actor)}"
        elif case.kind == "portal" and actor:
            client.force_login(User.objects.get(pk=accounts[actor]["id"]))
        if case.script == "add_remove":
            path = path.replace("{user_id}", str(add_remove_user))
            steps = [("POST", path), ("DELETE", path)] * 2
        else:
            steps = [(case.method, path)] * 2
        measured = []
        for method, step_path in steps:
            status, queries = run(client, method, step_path, case.body, headers)
            measured.append((method, status, queries))
        # The first round warmed the process; report the second.
        last = measured[len(measured) // 2 :]
        statuses = [status for _, status, _ in last]
        if case.kind == "portal" and statuses[0] == 404:
            return {"status": "missing", "queries": None}
        statements = {method: len(queries) for method, _, queries in last}
        counts = {
            method: sum(1 for q in queries if not q.upper().startswith(TRANSACTION_CONTROL))
            for method, _, queries in last
        }
        return {
            "status": "ok" if all(200 <= s < 300 for s in statuses) else f"HTTP {statuses}",
            "queries": max(counts.values()),
            "by_method": counts,
            "statements_with_transaction_control": max(statements.values()),
            "sql": {method: queries for method, _, queries in last},
        }

    cases = build(info)
    by_name = {case.name: case for case in cases}
    big = re.compile(rf"/organizations/{info['big_org_id']}(?=[/?]|$)")
    for case in cases:
        if case.server != server:
            continue
        results[case.name] = measure(case, case.path, case.actor, spare[0] if case.org != "big" else spare[1])
        twin = by_name.get(case.twin)
        if twin is not None and twin.server == server:
            # The very same request (path, query string) against the small organization.
            same = big.sub(f"/organizations/{info['small_org_id']}", case.path)
            results[case.name]["same_request_on_small"] = measure(case, same, twin.actor, spare[0])["queries"]
    Path(out_path).write_text(json.dumps(results, indent=2))
    width = max(len(name) for name in results)
    for name, result in results.items():
        extra = result.get("statements_with_transaction_control")
        extra = f" ({extra} statements with BEGIN/COMMIT/SAVEPOINT)" if extra != result["queries"] else ""
        print(f"  {name:<{width}}  {result['status']:<8} queries/request: {result['queries']}{extra}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "main")

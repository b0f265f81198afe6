"""The database goes away for a moment: 503s that say so, then recovery without a restart.

PostgreSQL only: the test stops the very server the suite runs on (CI's,
named by PG_BIN and PG_DATA in .ci/run) and always starts it again. The
application under test is a real gunicorn (the repository's
gunicorn.conf.py, production settings) on its own database, so that the
test suite's own connection and transaction are not part of the story.
"""

import json
import os
import shlex
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.test_production import Server, _login, manage, production_env

DATABASE_URL = os.environ.get("DATABASE_URL", "")
PG_BIN = os.environ.get("PG_BIN", "")
PG_DATA = os.environ.get("PG_DATA", "")

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        not DATABASE_URL.startswith(("postgres://", "postgresql://")),
        reason="stops and restarts a PostgreSQL server: runs only with DATABASE_URL=postgres://... (SQLite cannot be taken away)",
    ),
    pytest.mark.skipif(
        not (PG_BIN and PG_DATA),
        reason="needs PG_BIN and PG_DATA of a PostgreSQL server this test may stop and start (.ci/run sets them)",
    ),
]

UNAVAILABLE = "The service is temporarily unavailable. Try again shortly."
PASSWORD = "outage-test-password-42"


def _as_postgres(*args: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)


def _server_options() -> str:
    """The options the server was started with (pg_ctl start does not remember them; postmaster.opts does)."""
    argv = shlex.split(Path(PG_DATA, "postmaster.opts").read_text())[1:]
    options = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "-D":
            skip = True
        else:
            options.append(arg)
    return shlex.join(options)


def _pg_ctl(*args: str) -> None:
    subprocess.run(
        _as_postgres(f"{PG_BIN}/pg_ctl", "-D", PG_DATA, *args), check=True, capture_output=True, timeout=60
    )


def _url_for(database: str) -> str:
    parts = urlsplit(DATABASE_URL)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _admin_sql(sql: str) -> None:
    import psycopg

    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture
def outage_site(tmp_path):
    """A migrated database of its own, static files, and a production gunicorn on it."""
    database = f"orgportal_outage_{uuid.uuid4().hex[:8]}"
    _admin_sql(f'CREATE DATABASE "{database}"')
    env = production_env(
        tmp_path, HTTPS="0", DATABASE_URL=_url_for(database), FORWARDED_ALLOW_IPS="127.0.0.1"
    )
    server = None
    try:
        for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
            result = manage(env, *command)
            assert result.returncode == 0, result.stdout + result.stderr
        server = Server(env, tmp_path)
        server.https = False  # type: ignore[attr-defined]
        yield server
    finally:
        if server is not None:
            server.stop()
        _admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _json(server: Server, method: str, path: str, body: dict | None = None, token: str | None = None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    return server.request(method, path, data, headers)


def test_database_outage_answers_503_and_recovers_by_itself(outage_site):
    server = outage_site
    status, _, _ = _json(
        server,
        "POST",
        "/api/v1/users/",
        {"username": "root", "email": "root@example.test", "password": PASSWORD, "role": "superuser"},
    )
    assert status == 201
    status, _, body = server.request(
        "POST",
        "/api/v1/auth/token",
        f"username=root&password={PASSWORD}".encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 200
    token = json.loads(body)["access_token"]
    login_status, login_headers = _login(server, PASSWORD)
    assert login_status == 302
    session = next(
        line.split(";", 1)[0] for line in login_headers.get_all("Set-Cookie") if line.startswith("sessionid=")
    )
    portal = {"Cookie": session}
    # Every worker has a live connection before the outage.
    for _ in range(6):
        assert _json(server, "GET", "/api/v1/organizations/", token=token)[0] == 200
        assert server.request("GET", "/organizations/", headers=portal)[0] == 200
    pid = server.process.pid

    options = _server_options()
    _pg_ctl("-m", "fast", "stop")
    try:
        for _ in range(4):  # both workers, old connections and new ones
            status, headers, body = _json(server, "GET", "/api/v1/organizations/", token=token)
            assert status == 503, body[:300]
            assert headers["Content-Type"].startswith("application/json")
            assert json.loads(body) == {"detail": UNAVAILABLE}
            assert headers["Retry-After"] == "5"

            status, headers, body = _json(
                server, "POST", "/api/v1/organizations/", {"name": "During"}, token=token
            )
            assert status == 503 and json.loads(body) == {"detail": UNAVAILABLE}

            for path, extra in (("/organizations/", portal), ("/login/", {})):
                status, headers, body = server.request("GET", path, headers=extra)
                assert status == 503, (path, body[:300])
                assert headers["Content-Type"].startswith("text/html")
                assert headers["Retry-After"] == "5"
                assert b"temporarily unavailable" in body
                assert b"Traceback" not in body

            # Load balancers take the node out while its database is gone.
            status, headers, body = server.request("GET", "/healthz")
            assert status == 503 and json.loads(body) == {"detail": UNAVAILABLE}
    finally:
        _pg_ctl("-l", str(Path(PG_DATA) / "server.log"), "-w", "-o", options, "start")
        # The suite's own connections died with the server; the next test opens new ones.
        from django.db import connections

        connections.close_all()

    deadline = time.monotonic() + 30
    while _json(server, "GET", "/api/v1/organizations/", token=token)[0] != 200:
        assert time.monotonic() < deadline, "the server did not recover within 30 s"
        time.sleep(0.5)
    for _ in range(6):
        assert _json(server, "GET", "/api/v1/organizations/", token=token)[0] == 200
        assert server.request("GET", "/organizations/", headers=portal)[0] == 200
        assert server.request("GET", "/healthz")[0] == 200
    status, _, body = _json(server, "POST", "/api/v1/organizations/", {"name": "After"}, token=token)
    assert status == 201, body
    # Recovered by itself: the same gunicorn, nothing restarted, and the logs say what happened.
    assert server.process.poll() is None and server.process.pid == pid
    lines = [json.loads(line) for line in server.logs() if line.startswith("{")]
    unavailable = [line for line in lines if line["message"].startswith("database unavailable")]
    assert unavailable and all(line["request_id"] for line in unavailable)

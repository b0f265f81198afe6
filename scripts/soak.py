# ruff: noqa: S603, S311 -- runs our own binaries; the load is pseudo-random on purpose (seeded)
"""Soak test: the production server under a mixed load on PostgreSQL, then the invariants.

Starts gunicorn (the repository's gunicorn.conf.py, DEBUG=0, HTTPS=0, a
random SECRET_KEY, several workers) against PostgreSQL: a throwaway cluster
made here with initdb/pg_ctl, or a scratch database created on the server
DATABASE_URL names. Seeds users and organizations through the API, then N
concurrent clients (threads, http.client) drive the documented endpoints for
a bounded time (and at most --max-requests requests): reads, creates,
renames, deletes, membership changes by superusers and org admins, flag
changes, sign-ins, refresh and logout, and refused cross-tenant attempts.

Afterwards it checks, through the API and the database:
  - no 5xx and no request without an answer;
  - every refused cross-tenant attempt was refused (403);
  - no member of a deleted organization;
  - every organization's stored member_count (the column, and the API's) equals its member rows and list;
  - each client's users are where the client last successfully put them;
  - the guardian grants are exactly those role and membership give;
  - one audit entry per successful change: the audit log grew, per action,
    by exactly what the clients counted.

Prints requests, errors, throughput, p50/p90/p99 latencies and each
invariant; exits 1 if any is violated. Run it with scripts/soak.sh (make soak).
"""

from __future__ import annotations

import argparse
import glob
import http.client
import json
import os
import random
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "soak-" + secrets.token_hex(8)
AUDITED = (
    "org_create",
    "org_update",
    "org_delete",
    "org_add_user",
    "org_remove_user",
    "user_create",
    "user_update",
    "user_delete",
    "login_success",
    "login_failure",
)
FLAGS = ("can_create_ca", "can_create_cert", "can_revoke_cert", "can_export_private_key", "can_delete_ca")


def log(message: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- PostgreSQL ------------------------------------------------------------------------------


def _as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@contextmanager
def throwaway_cluster(workdir: Path) -> Iterator[str]:
    """initdb + pg_ctl start on a free port; yields its DATABASE_URL; stopped and removed afterwards."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    if not candidates:
        sys.exit(
            "No PostgreSQL binaries under /usr/lib/postgresql/*/bin; install postgresql or set DATABASE_URL."
        )
    bin_dir = candidates[-1]
    data = workdir / "pgdata"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
        shutil.chown(data, "postgres", "postgres")
    port = free_port()
    subprocess.run(
        _as_postgres([f"{bin_dir}/initdb", "-D", str(data), "-A", "trust", "-U", "postgres"]),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {shlex.quote(str(workdir))} -c listen_addresses=127.0.0.1 -c max_connections=300"
    subprocess.run(
        _as_postgres(
            [
                f"{bin_dir}/pg_ctl",
                "-D",
                str(data),
                "-l",
                str(workdir / "postgres.log"),
                "-w",
                "-o",
                options,
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    log(f"PostgreSQL ({bin_dir.split('/')[-2]}) throwaway cluster on port {port}")
    try:
        for sql in ("CREATE ROLE soak LOGIN PASSWORD 'soak'", "CREATE DATABASE soak OWNER soak"):
            subprocess.run(
                _as_postgres(
                    [f"{bin_dir}/psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-qc", sql]
                ),
                check=True,
                capture_output=True,
            )
        yield f"postgres://soak:soak@127.0.0.1:{port}/soak"
    finally:
        subprocess.run(
            _as_postgres([f"{bin_dir}/pg_ctl", "-D", str(data), "-m", "fast", "stop"]), capture_output=True
        )


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """A new database on the server DATABASE_URL names (dropped afterwards): the soak never writes to yours."""
    import psycopg

    name = f"orgportal_soak_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    log(f"scratch database {name} on the server of DATABASE_URL")
    try:
        yield urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- HTTP -------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body) if self.body else None


class TransportError(Exception):
    pass


class Http:
    """One client's connection: keep-alive for reads; a fresh connection for every write.

    A write sent on a kept-alive connection that the server is closing could
    be lost or not; on a fresh connection it either reaches a worker or
    fails to connect, so every write's outcome is known.
    """

    def __init__(self, port: int, timeout: float) -> None:
        self.port = port
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def _send(self, conn: http.client.HTTPConnection, method: str, path: str, body, headers) -> Reply:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data)

    def request(
        self, method: str, path: str, *, token: str | None = None, json_body=None, form=None
    ) -> Reply:
        headers = {}
        body = None
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if method != "GET":
            headers["Connection"] = "close"
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                return self._send(conn, method, path, body, headers)
            except (OSError, http.client.HTTPException) as exc:
                raise TransportError(f"{method} {path}: {exc!r}") from exc
            finally:
                conn.close()
        for attempt in (1, 2):  # a kept-alive connection may have been closed by the server meanwhile
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                reply = self._send(self.conn, method, path, body, headers)
                if reply.headers.get("connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return reply
            except (OSError, http.client.HTTPException) as exc:
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise TransportError(f"{method} {path}: {exc!r}") from exc
        raise AssertionError("unreachable")


# --- the shared picture of the world ---------------------------------------------------------


class Registry:
    """Organizations the clients know of; deleted ones are remembered for the checks."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.live: set[int] = set()
        self.deleted: set[int] = set()
        self.shared: list[int] = []
        self.teams: list[int] = []

    def add(self, org_id: int) -> None:
        with self.lock:
            self.live.add(org_id)

    def remove(self, org_id: int) -> None:
        with self.lock:
            self.live.discard(org_id)
            self.deleted.add(org_id)

    def pick(self, rng: random.Random) -> int:
        with self.lock:
            return rng.choice(tuple(self.live))

    def pick_any(self, rng: random.Random) -> int:
        """A live organization, or now and then one that is gone."""
        with self.lock:
            if self.deleted and rng.random() < 0.1:
                return rng.choice(tuple(self.deleted))
            return rng.choice(tuple(self.live))


@dataclass
class OwnUser:
    id: int
    username: str
    organization_id: int | None = None
    flags: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(FLAGS, False))
    deleted: bool = False


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    by_operation: Counter = field(default_factory=Counter)
    expected: Counter = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    transport_errors: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    requests: int = 0


class Budget:
    def __init__(self, deadline: float, max_requests: int) -> None:
        self.deadline = deadline
        self.left = max_requests
        self.lock = threading.Lock()

    def take(self) -> bool:
        if time.monotonic() >= self.deadline:
            return False
        with self.lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True


# --- clients -------------------------------------------------------------------------------


class Client(threading.Thread):
    kind = "client"

    def __init__(self, number: int, port: int, registry: Registry, budget: Budget, args) -> None:
        super().__init__(name=f"{self.kind}-{number}", daemon=True)
        self.number = number
        self.http = Http(port, args.timeout)
        self.registry = registry
        self.budget = budget
        self.rng = random.Random(args.seed * 1000 + number)
        self.stats = Stats()
        self.token = ""
        self.users: list[OwnUser] = []
        self.counter = 0
        # Organizations answered 404: each must be one that some client deleted.
        self.gone: set[int] = set()

    # one request, timed and classified
    def call(
        self, operation: str, method: str, path: str, *, ok=(200,), token: str | None = None, **kw
    ) -> Reply | None:
        started = time.perf_counter()
        try:
            reply = self.http.request(method, path, token=self.token if token is None else token, **kw)
        except TransportError as exc:
            self.stats.transport_errors.append(str(exc))
            return None
        elapsed = time.perf_counter() - started
        self.stats.requests += 1
        self.stats.by_operation[operation] += 1
        self.stats.latencies["write" if method != "GET" else "read"].append(elapsed)
        self.stats.statuses[reply.status] += 1
        if reply.status >= 500:
            self.stats.server_errors.append(f"{method} {path} -> {reply.status} {reply.body[:200]!r}")
        return reply

    def expect(self, action: str, count: int = 1) -> None:
        self.stats.expected[action] += count

    def violation(self, text: str) -> None:
        self.stats.violations.append(text)

    def run(self) -> None:
        operations, weights = zip(*self.operations(), strict=True)
        while self.budget.take():
            operation = self.rng.choices(operations, weights)[0]
            try:
                operation()
            except Exception as exc:  # a bug in the soak itself must not pass silently
                self.violation(f"{self.name}: {operation.__name__} raised {exc!r}")

    def operations(self):
        raise NotImplementedError

    def unique(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.number}-{self.counter}-{secrets.token_hex(2)}"

    # reads everyone does
    def read_me(self) -> None:
        self.call("GET /users/me", "GET", "/api/v1/users/me")

    def read_health(self) -> None:
        self.call("GET /healthz", "GET", "/healthz", token="")

    def sign_in_cycle(self) -> None:
        """Sign in as one of the client's users, refresh the pair, log out: all audited or none."""
        user = self.rng.choice([u for u in self.users if not u.deleted] or [None])
        if user is None:
            return
        reply = self.call(
            "POST /auth/token",
            "POST",
            "/api/v1/auth/token",
            token="",
            form={"username": user.username, "password": PASSWORD},
        )
        if reply is None or reply.status != 200:
            return
        self.expect("login_success")
        pair = reply.json()
        reply = self.call(
            "POST /auth/refresh",
            "POST",
            "/api/v1/auth/refresh",
            token="",
            json_body={"refresh_token": pair["refresh_token"]},
        )
        if reply is not None and reply.status == 200:
            pair = reply.json()
        self.call("POST /auth/logout", "POST", "/api/v1/auth/logout", token=pair["access_token"])

    def failed_sign_in(self) -> None:
        reply = self.call(
            "POST /auth/token (bad)",
            "POST",
            "/api/v1/auth/token",
            token="",
            form={"username": self.unique("nobody"), "password": "wrong-password"},
        )
        if reply is not None and reply.status == 401:
            self.expect("login_failure")


class SuperuserClient(Client):
    kind = "superuser"

    def operations(self):
        return [
            (self.read_orgs, 14),
            (self.read_org, 14),
            (self.read_members, 12),
            (self.read_users, 10),
            (self.read_audit, 6),
            (self.read_me, 4),
            (self.read_health, 3),
            (self.create_org, 3),
            (self.create_duplicate_org, 1),
            (self.update_org, 5),
            (self.rename_onto_taken_name, 1),
            (self.delete_org, 3),
            (self.move_user, 8),
            (self.add_member, 4),
            (self.remove_member, 3),
            (self.toggle_flag, 4),
            (self.create_user, 0.15),
            (self.delete_user, 0.15),
            (self.sign_in_cycle, 0.1),
            (self.failed_sign_in, 0.3),
        ]

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.created: list[int] = []

    def read_orgs(self) -> None:
        self.call(
            "GET /organizations/", "GET", f"/api/v1/organizations/?limit=50&skip={self.rng.randrange(0, 40)}"
        )

    def read_org(self) -> None:
        org = self.registry.pick_any(self.rng)
        self.call("GET /organizations/{id}", "GET", f"/api/v1/organizations/{org}")

    def read_members(self) -> None:
        org = self.registry.pick_any(self.rng)
        self.call("GET /organizations/{id}/users", "GET", f"/api/v1/organizations/{org}/users")

    def read_users(self) -> None:
        query = self.rng.choice(["?limit=50", "?unassigned=true&limit=20", f"?q=c{self.number}&limit=20"])
        self.call("GET /users/", "GET", f"/api/v1/users/{query}")

    def read_audit(self) -> None:
        action = self.rng.choice(AUDITED)
        self.call("GET /audit-logs/", "GET", f"/api/v1/audit-logs/?action={action}&limit=20")

    def create_org(self) -> None:
        reply = self.call(
            "POST /organizations/",
            "POST",
            "/api/v1/organizations/",
            json_body={"name": self.unique("Soak Org"), "description": "made by the soak"},
        )
        if reply is not None and reply.status == 201:
            org_id = reply.json()["id"]
            self.created.append(org_id)
            self.registry.add(org_id)
            self.expect("org_create")

    def create_duplicate_org(self) -> None:
        with self.registry.lock:
            shared = self.registry.shared[:]
        name = f"SHARED {self.rng.randrange(len(shared))}"  # the seeded "Shared n", another case
        reply = self.call(
            "POST /organizations/ (taken)", "POST", "/api/v1/organizations/", json_body={"name": name}
        )
        if reply is not None and reply.status != 400:
            self.violation(f"duplicate name {name!r} answered {reply.status}")
            if reply.status == 201:
                self.expect("org_create")

    def update_org(self) -> None:
        org = self.registry.pick_any(self.rng)
        reply = self.call(
            "PUT /organizations/{id}",
            "PUT",
            f"/api/v1/organizations/{org}",
            json_body={"description": f"updated {uuid.uuid4().hex}"},
        )
        if reply is not None and reply.status == 200:
            self.expect("org_update")
        elif reply is not None and reply.status == 404:
            self.gone.add(org)

    def rename_onto_taken_name(self) -> None:
        if not self.created:
            return
        org = self.rng.choice(self.created)
        reply = self.call(
            "PUT /organizations/{id} (taken)",
            "PUT",
            f"/api/v1/organizations/{org}",
            json_body={"name": "shared 0"},
        )
        if reply is not None and reply.status == 200:
            self.violation(f"rename of {org} onto a taken name succeeded")
            self.expect("org_update")

    def delete_org(self) -> None:
        if not self.created:
            return
        org = self.rng.choice(self.created)
        reply = self.call("DELETE /organizations/{id}", "DELETE", f"/api/v1/organizations/{org}")
        if reply is None:
            return
        if reply.status == 204:
            self.created.remove(org)
            self.registry.remove(org)
            self.expect("org_delete")
        elif reply.status != 400:
            self.violation(f"DELETE organization {org} answered {reply.status}")

    def _own(self) -> OwnUser | None:
        live = [user for user in self.users if not user.deleted]
        return self.rng.choice(live) if live else None

    def _moved(self, user: OwnUser, target: int | None) -> None:
        if user.organization_id is not None:
            self.expect("org_remove_user")
        if target is not None:
            self.expect("org_add_user")
        user.organization_id = target

    def move_user(self) -> None:
        user = self._own()
        if user is None:
            return
        target = (
            None
            if user.organization_id is not None and self.rng.random() < 0.3
            else self.registry.pick_any(self.rng)
        )
        if target == user.organization_id:
            return
        reply = self.call(
            "PATCH /users/{id} (organization)",
            "PATCH",
            f"/api/v1/users/{user.id}",
            json_body={"organization_id": target},
        )
        if reply is None:
            return
        if reply.status == 200:
            self._moved(user, target)
        elif reply.status == 404 and target is not None:
            self.gone.add(target)  # deleted a moment earlier, or a bug: checked at the end
        else:
            self.violation(f"move of user {user.id} to {target} answered {reply.status}")

    def add_member(self) -> None:
        user = self._own()
        if user is None:
            return
        target = self.registry.pick_any(self.rng)
        reply = self.call(
            "POST /organizations/{id}/users/{user_id}",
            "POST",
            f"/api/v1/organizations/{target}/users/{user.id}",
        )
        if reply is None:
            return
        if reply.status == 200:
            if reply.json()["organization_id"] != target:
                self.violation(
                    f"add of {user.id} to {target} answered a user in {reply.json()['organization_id']}"
                )
            if user.organization_id != target:
                self._moved(user, target)
        elif reply.status == 404:
            self.gone.add(target)
        else:
            self.violation(f"superuser add of {user.id} to {target} answered {reply.status}")

    def remove_member(self) -> None:
        members = [user for user in self.users if not user.deleted and user.organization_id is not None]
        if not members:
            return
        user = self.rng.choice(members)
        reply = self.call(
            "DELETE /organizations/{id}/users/{user_id}",
            "DELETE",
            f"/api/v1/organizations/{user.organization_id}/users/{user.id}",
        )
        if reply is None:
            return
        if reply.status == 200:
            self._moved(user, None)
        else:
            self.violation(f"remove of {user.id} from {user.organization_id} answered {reply.status}")

    def toggle_flag(self) -> None:
        user = self._own()
        if user is None:
            return
        flag = self.rng.choice(FLAGS)
        value = not user.flags[flag]
        reply = self.call(
            "PATCH /users/{id} (flag)", "PATCH", f"/api/v1/users/{user.id}", json_body={flag: value}
        )
        if reply is not None and reply.status == 200:
            user.flags[flag] = value
            self.expect("user_update")
        elif reply is not None:
            self.violation(f"flag change of {user.id} answered {reply.status}")

    def create_user(self) -> None:
        username = self.unique("c")
        reply = self.call(
            "POST /users/",
            "POST",
            "/api/v1/users/",
            json_body={"username": username, "email": f"{username}@soak.example", "password": PASSWORD},
        )
        if reply is not None and reply.status == 201:
            self.users.append(OwnUser(reply.json()["id"], username))
            self.expect("user_create")

    def delete_user(self) -> None:
        live = [user for user in self.users if not user.deleted]
        if len(live) <= 2:
            return
        user = self.rng.choice(live)
        reply = self.call("DELETE /users/{id}", "DELETE", f"/api/v1/users/{user.id}")
        if reply is not None and reply.status == 204:
            user.deleted = True
            self.expect("user_delete")
        elif reply is not None:
            self.violation(f"delete of user {user.id} answered {reply.status}")


class AdminClient(Client):
    """An org admin: manages their own organization; every reach into another is refused."""

    kind = "admin"

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.team = 0

    def operations(self):
        return [
            (self.read_orgs, 10),
            (self.read_team, 12),
            (self.read_members, 12),
            (self.read_users, 8),
            (self.read_audit, 6),
            (self.read_me, 4),
            (self.add_member, 6),
            (self.remove_member, 6),
            (self.update_team, 4),
            (self.toggle_flag, 4),
            (self.create_user, 0.15),
            (self.cross_tenant, 5),
            (self.sign_in_cycle, 0.1),
        ]

    def read_orgs(self) -> None:
        reply = self.call("GET /organizations/", "GET", "/api/v1/organizations/")
        if reply is not None and reply.status == 200 and [org["id"] for org in reply.json()] != [self.team]:
            self.violation(f"admin of {self.team} listed {[org['id'] for org in reply.json()]}")

    def read_team(self) -> None:
        self.call("GET /organizations/{id}", "GET", f"/api/v1/organizations/{self.team}")

    def read_members(self) -> None:
        self.call("GET /organizations/{id}/users", "GET", f"/api/v1/organizations/{self.team}/users")

    def read_users(self) -> None:
        self.call("GET /users/", "GET", "/api/v1/users/?limit=50")

    def read_audit(self) -> None:
        reply = self.call("GET /audit-logs/", "GET", "/api/v1/audit-logs/?limit=20")
        if reply is not None and reply.status == 200:
            foreign = {entry["organization_id"] for entry in reply.json()} - {self.team}
            if foreign:
                self.violation(f"admin of {self.team} read audit entries of {sorted(foreign)}")

    def add_member(self) -> None:
        outside = [user for user in self.users if user.organization_id is None and not user.deleted]
        if not outside:
            return
        user = self.rng.choice(outside)
        reply = self.call(
            "POST /organizations/{id}/users/{user_id}",
            "POST",
            f"/api/v1/organizations/{self.team}/users/{user.id}",
        )
        if reply is not None and reply.status == 200:
            user.organization_id = self.team
            self.expect("org_add_user")
        elif reply is not None:
            self.violation(f"admin add of own user {user.id} answered {reply.status}")

    def remove_member(self) -> None:
        inside = [user for user in self.users if user.organization_id == self.team]
        if not inside:
            return
        user = self.rng.choice(inside)
        reply = self.call(
            "DELETE /organizations/{id}/users/{user_id}",
            "DELETE",
            f"/api/v1/organizations/{self.team}/users/{user.id}",
        )
        if reply is not None and reply.status == 200:
            user.organization_id = None
            self.expect("org_remove_user")
        elif reply is not None:
            self.violation(f"admin remove of own user {user.id} answered {reply.status}")

    def update_team(self) -> None:
        reply = self.call(
            "PUT /organizations/{id}",
            "PUT",
            f"/api/v1/organizations/{self.team}",
            json_body={"description": f"team notes {uuid.uuid4().hex}"},
        )
        if reply is not None and reply.status == 200:
            self.expect("org_update")
        elif reply is not None:
            self.violation(f"admin update of own organization answered {reply.status}")

    def toggle_flag(self) -> None:
        inside = [user for user in self.users if user.organization_id == self.team]
        if not inside:
            return
        user = self.rng.choice(inside)
        flag = self.rng.choice(FLAGS)
        value = not user.flags[flag]
        reply = self.call(
            "PATCH /users/{id} (flag)", "PATCH", f"/api/v1/users/{user.id}", json_body={flag: value}
        )
        if reply is not None and reply.status == 200:
            user.flags[flag] = value
            self.expect("user_update")
        elif reply is not None:
            self.violation(f"admin flag change of own member {user.id} answered {reply.status}")

    def create_user(self) -> None:
        username = self.unique("t")
        reply = self.call(
            "POST /users/",
            "POST",
            "/api/v1/users/",
            json_body={
                "username": username,
                "email": f"{username}@soak.example",
                "password": PASSWORD,
                "organization_id": self.team,
            },
        )
        if reply is not None and reply.status == 201:
            self.users.append(OwnUser(reply.json()["id"], username, organization_id=self.team))
            self.expect("user_create")
            self.expect("org_add_user")

    def cross_tenant(self) -> None:
        """Another tenant's organization, by id: every operation must be refused, and change nothing."""
        with self.registry.lock:
            others = [org for org in self.registry.shared + self.registry.teams if org != self.team]
        org = self.rng.choice(others)
        user = self._any_user()
        attempt = self.rng.choice(
            [
                ("GET", f"/api/v1/organizations/{org}", None),
                ("GET", f"/api/v1/organizations/{org}/users", None),
                ("PUT", f"/api/v1/organizations/{org}", {"description": "taken over"}),
                ("DELETE", f"/api/v1/organizations/{org}", None),
                ("POST", f"/api/v1/organizations/{org}/users/{user}", None),
                ("DELETE", f"/api/v1/organizations/{org}/users/{user}", None),
                ("GET", f"/api/v1/audit-logs/?organization_id={org}", None),
            ]
        )
        method, path, body = attempt
        reply = self.call(f"{method} (other tenant)", method, path, **({"json_body": body} if body else {}))
        if reply is not None and reply.status != 403:
            self.violation(f"admin of {self.team}: {method} {path} answered {reply.status}, not 403")

    def _any_user(self) -> int:
        live = [user for user in self.users if not user.deleted]
        return self.rng.choice(live).id if live else 1


# --- the server ------------------------------------------------------------------------------


class Server:
    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.port = free_port()
        self.log_path = workdir / "gunicorn.log"
        self.env = {**env, "BIND": f"127.0.0.1:{self.port}"}
        with self.log_path.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        http_client = Http(self.port, 5)
        deadline = time.monotonic() + 60
        while True:
            try:
                if http_client.request("GET", "/healthz").status == 200:
                    return
            except TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                sys.exit("gunicorn did not start:\n" + self.log_path.read_text()[-3000:])
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


# --- seeding through the API -----------------------------------------------------------------


def api(port: int, method: str, path: str, expect: int, **kw) -> Reply:
    reply = Http(port, 120).request(method, path, **kw)
    if reply.status != expect:
        sys.exit(f"seeding: {method} {path} answered {reply.status} (wanted {expect}): {reply.body[:300]!r}")
    return reply


def sign_in(port: int, username: str) -> str:
    reply = api(port, "POST", "/api/v1/auth/token", 200, form={"username": username, "password": PASSWORD})
    return reply.json()["access_token"]


def seed(
    port: int, clients: list[Client], registry: Registry, shared_count: int, users_per_client: int
) -> str:
    api(
        port,
        "POST",
        "/api/v1/users/",
        201,
        json_body={
            "username": "soak-root",
            "email": "root@soak.example",
            "password": PASSWORD,
            "role": "superuser",
        },
    )
    root = sign_in(port, "soak-root")
    for n in range(shared_count):
        org = api(
            port, "POST", "/api/v1/organizations/", 201, token=root, json_body={"name": f"Shared {n}"}
        ).json()
        registry.shared.append(org["id"])
        registry.add(org["id"])

    def prepare(client: Client) -> None:
        if isinstance(client, AdminClient):
            team = api(
                port,
                "POST",
                "/api/v1/organizations/",
                201,
                token=root,
                json_body={"name": f"Team {client.number}"},
            ).json()["id"]
            client.team = team
            with registry.lock:
                registry.teams.append(team)
            registry.add(team)
            name = f"admin{client.number}"
            api(
                port,
                "POST",
                "/api/v1/users/",
                201,
                token=root,
                json_body={
                    "username": name,
                    "email": f"{name}@soak.example",
                    "password": PASSWORD,
                    "role": "admin",
                    "organization_id": team,
                },
            )
            client.token = sign_in(port, name)
        else:
            client.token = sign_in(port, "soak-root")
        for n in range(users_per_client):
            name = f"c{client.number}u{n}"
            user = api(
                port,
                "POST",
                "/api/v1/users/",
                201,
                token=root,
                json_body={"username": name, "email": f"{name}@soak.example", "password": PASSWORD},
            ).json()
            client.users.append(OwnUser(user["id"], name))

    threads = [threading.Thread(target=prepare, args=(client,)) for client in clients]
    # A few at a time: each user is an Argon2 hash, which is meant to be slow.
    for batch in range(0, len(threads), 8):
        for thread in threads[batch : batch + 8]:
            thread.start()
        for thread in threads[batch : batch + 8]:
            thread.join()
    return root


# --- invariants ------------------------------------------------------------------------------


def audit_totals(port: int, token: str) -> dict[str, int]:
    totals = {}
    for action in AUDITED:
        reply = api(port, "GET", f"/api/v1/audit-logs/?action={action}&limit=1", 200, token=token)
        totals[action] = int(reply.headers["x-total-count"])
    return totals


def all_organizations(port: int, token: str) -> list[dict]:
    organizations, skip = [], 0
    while True:
        page = api(port, "GET", f"/api/v1/organizations/?skip={skip}&limit=1000", 200, token=token).json()
        organizations += page
        if len(page) < 1000:
            return organizations
        skip += 1000


def check_invariants(
    port: int, root: str, database_url: str, clients: list[Client], registry: Registry, baseline, stats: Stats
) -> list[tuple[str, bool, str]]:
    import psycopg

    results: list[tuple[str, bool, str]] = []

    def record(name: str, ok: bool, detail: str = "") -> None:
        results.append((name, ok, detail))

    record(
        "no 5xx",
        not stats.server_errors,
        f"{len(stats.server_errors)} server errors: {stats.server_errors[:3]}",
    )
    record(
        "every request answered",
        not stats.transport_errors,
        f"{len(stats.transport_errors)} without an answer: {stats.transport_errors[:3]}",
    )
    record(
        "clients saw what they expected",
        not stats.violations,
        f"{len(stats.violations)}: {stats.violations[:5]}",
    )
    answered_gone = set().union(*(client.gone for client in clients))
    record(
        "only deleted organizations answered 404",
        answered_gone <= registry.deleted,
        f"404 for organizations nobody deleted: {sorted(answered_gone - registry.deleted)[:10]}",
    )

    organizations = all_organizations(port, root)
    live_ids = {org["id"] for org in organizations}
    gone = registry.deleted
    record(
        "deleted organizations are gone",
        not (gone & live_ids),
        f"still listed: {sorted(gone & live_ids)[:10]}",
    )
    mismatched = []
    for org in organizations:
        members = api(port, "GET", f"/api/v1/organizations/{org['id']}/users", 200, token=root).json()
        if len(members) != org["member_count"] or any(m["organization_id"] != org["id"] for m in members):
            mismatched.append((org["id"], org["member_count"], len(members)))
    with psycopg.connect(database_url) as conn:
        rows = dict(
            conn.execute(
                "SELECT o.id, count(u.id) FROM organizations_organization o "
                "LEFT JOIN accounts_user u ON u.organization_id = o.id GROUP BY o.id"
            ).fetchall()
        )
        # The stored column itself, not only what the API shows of it.
        stored_drift = conn.execute(
            "SELECT o.id, o.member_count, count(u.id) FROM organizations_organization o "
            "LEFT JOIN accounts_user u ON u.organization_id = o.id "
            "GROUP BY o.id, o.member_count HAVING o.member_count <> count(u.id) ORDER BY o.id"
        ).fetchall()
        orphans = conn.execute(
            "SELECT count(*) FROM accounts_user u LEFT JOIN organizations_organization o "
            "ON o.id = u.organization_id WHERE u.organization_id IS NOT NULL AND o.id IS NULL"
        ).fetchone()[0]
        stale_grants = conn.execute(
            "SELECT count(*) FROM organizations_organizationuserobjectpermission p "
            "JOIN accounts_user u ON u.id = p.user_id "
            "WHERE u.role = 'superuser' OR u.organization_id IS DISTINCT FROM p.content_object_id"
        ).fetchone()[0]
        wrong_grants = conn.execute(
            """
            SELECT count(*) FROM accounts_user u
            LEFT JOIN LATERAL (
                SELECT array_agg(ap.codename ORDER BY ap.codename) AS perms
                FROM organizations_organizationuserobjectpermission p
                JOIN auth_permission ap ON ap.id = p.permission_id
                WHERE p.user_id = u.id AND p.content_object_id = u.organization_id
            ) g ON true
            WHERE u.organization_id IS NOT NULL AND u.role <> 'superuser' AND g.perms IS DISTINCT FROM (
                CASE WHEN u.role = 'admin'
                     THEN ARRAY['change_organization', 'manage_members', 'view_audit_log', 'view_organization']
                     WHEN u.manages_members THEN ARRAY['manage_members', 'view_organization']
                     ELSE ARRAY['view_organization'] END)::varchar[]
            """
        ).fetchone()[0]
    counted = {org["id"]: org["member_count"] for org in organizations}
    record(
        "member_count (stored column and API) equals the member rows",
        not mismatched and counted == rows and not stored_drift,
        f"API mismatches {mismatched[:5]}; API vs rows differ for {[k for k in rows if counted.get(k) != rows[k]][:5]};"
        f" stored vs rows (id, stored, rows) {stored_drift[:5]}",
    )
    record(
        "no member of a deleted organization",
        orphans == 0,
        f"{orphans} users point at a missing organization",
    )
    record(
        "grants follow role and membership",
        stale_grants == 0 and wrong_grants == 0,
        f"stale {stale_grants}, wrong {wrong_grants}",
    )

    misplaced = []
    for client in clients:
        for user in client.users:
            reply = api(port, "GET", f"/api/v1/users/{user.id}", 404 if user.deleted else 200, token=root)
            if not user.deleted:
                server = reply.json()
                if server["organization_id"] != user.organization_id or any(
                    server[f] != v for f, v in user.flags.items()
                ):
                    misplaced.append((user.id, user.organization_id, server["organization_id"]))
    record("users are where their last successful change put them", not misplaced, f"{misplaced[:5]}")

    after = audit_totals(port, root)
    delta = {action: after[action] - baseline[action] for action in AUDITED}
    # The checks above signed in nobody and changed nothing; the baseline came after seeding.
    diff = {a: (delta[a], stats.expected[a]) for a in AUDITED if delta[a] != stats.expected[a]}
    record(
        "one audit entry per successful change",
        not diff,
        "audited vs counted: " + (", ".join(f"{a} {d}/{e}" for a, (d, e) in diff.items()) or "all equal"),
    )
    return results


# --- report -----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index] * 1000


def merge(clients: list[Client]) -> Stats:
    total = Stats()
    for client in clients:
        for kind, values in client.stats.latencies.items():
            total.latencies[kind] += values
        total.statuses += client.stats.statuses
        total.by_operation += client.stats.by_operation
        total.expected += client.stats.expected
        total.server_errors += client.stats.server_errors
        total.transport_errors += client.stats.transport_errors
        total.violations += client.stats.violations
        total.requests += client.stats.requests
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=int(os.environ.get("SOAK_CLIENTS", 64)))
    parser.add_argument(
        "--duration", type=float, default=float(os.environ.get("SOAK_DURATION", 120)), help="seconds"
    )
    parser.add_argument("--max-requests", type=int, default=int(os.environ.get("SOAK_MAX_REQUESTS", 500_000)))
    parser.add_argument(
        "--workers", type=int, default=int(os.environ.get("SOAK_WORKERS", 2 * (os.cpu_count() or 1) + 1))
    )
    parser.add_argument("--threads", type=int, default=int(os.environ.get("SOAK_THREADS", 4)))
    parser.add_argument("--admins", type=float, default=0.25, help="share of clients that are org admins")
    parser.add_argument("--shared-organizations", type=int, default=8)
    parser.add_argument("--users-per-client", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60.0, help="client timeout per request, seconds")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("SOAK_SEED", 4)))
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, PostgreSQL data)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="orgportal-soak-"))
    log(f"work directory {workdir}")
    given = os.environ.get("DATABASE_URL", "")
    database = scratch_database(given) if given else throwaway_cluster(workdir)
    try:
        with database as database_url:
            return run(args, workdir, database_url)
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run(args, workdir: Path, database_url: str) -> int:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(workdir)),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "0",
        "HTTPS": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "VAR_DIR": str(workdir / "var"),
        "STATIC_ROOT": str(workdir / "static"),
        "WEB_CONCURRENCY": str(args.workers),
        "GUNICORN_THREADS": str(args.threads),
        "LOG_LEVEL": "WARNING",
        # Every client comes from 127.0.0.1: the per-address sign-in limit would throttle them all.
        # The per-username limit stays as configured.
        "LOGIN_THROTTLE_PER_ADDRESS": "1000000000",
    }
    log("migrating")
    manage(env, "migrate", "--noinput")
    server = Server(env, workdir)
    log(
        f"gunicorn on 127.0.0.1:{server.port}: {args.workers} workers x {args.threads} threads, DEBUG=0, HTTPS=0"
    )
    try:
        registry = Registry()
        budget = Budget(float("inf"), args.max_requests)
        admins = round(args.clients * args.admins)
        clients: list[Client] = []
        for number in range(args.clients):
            cls = (
                AdminClient
                if number % max(1, round(args.clients / max(admins, 1))) == 0 and admins
                else SuperuserClient
            )
            clients.append(cls(number, server.port, registry, budget, args))
        started = time.monotonic()
        log(
            f"seeding through the API: {args.shared_organizations} shared organizations, "
            f"{sum(isinstance(c, AdminClient) for c in clients)} admin clients with their teams, "
            f"{args.users_per_client} users per client"
        )
        root = seed(server.port, clients, registry, args.shared_organizations, args.users_per_client)
        log(f"seeded in {time.monotonic() - started:.0f} s")
        baseline = audit_totals(server.port, root)

        log(f"load: {args.clients} clients for {args.duration:.0f} s (at most {args.max_requests} requests)")
        budget.deadline = time.monotonic() + args.duration
        started = time.monotonic()
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        elapsed = time.monotonic() - started
        stats = merge(clients)

        log("checking invariants")
        results = check_invariants(server.port, root, database_url, clients, registry, baseline, stats)
    finally:
        server.stop()

    reads, writes = stats.latencies["read"], stats.latencies["write"]
    every = reads + writes
    print()
    print("== orgportal soak")
    print(
        f"clients {args.clients} ({sum(isinstance(c, AdminClient) for c in clients)} org admins), "
        f"gunicorn {args.workers} workers x {args.threads} threads, PostgreSQL, DEBUG=0"
    )
    print(
        f"duration {elapsed:.1f} s, requests {stats.requests} ({stats.requests / elapsed:.0f}/s), "
        f"reads {len(reads)}, writes {len(writes)}"
    )
    print(f"errors: 5xx {len(stats.server_errors)}, no answer {len(stats.transport_errors)}")
    print("statuses: " + ", ".join(f"{status}: {count}" for status, count in sorted(stats.statuses.items())))
    for name, values in (("all", every), ("reads", reads), ("writes", writes)):
        print(
            f"latency {name:6} p50 {percentile(values, 50):7.1f} ms  p90 {percentile(values, 90):7.1f} ms  "
            f"p99 {percentile(values, 99):7.1f} ms  max {max(values, default=0) * 1000:7.1f} ms"
        )
    print("operations: " + ", ".join(f"{op} {n}" for op, n in stats.by_operation.most_common()))
    print("audited changes counted by the clients: " + ", ".join(f"{a} {stats.expected[a]}" for a in AUDITED))
    print(f"organizations deleted during the run: {len(registry.deleted)}")
    print()
    failed = 0
    for name, ok, detail in results:
        print(f"{'PASS' if ok else 'FAIL'}  {name}" + ("" if ok else f"  -- {detail}"))
        failed += not ok
    print()
    print("soak: " + ("all invariants hold" if not failed else f"{failed} invariant(s) violated"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

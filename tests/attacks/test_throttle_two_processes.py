"""The login throttle is shared by every server process (it lives in the database, not in memory).

Two production-mode gunicorn processes serve one database; five failures
spread over both lock the username on both.
"""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery-staple"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(
    port: int, path: str, data: bytes | None = None, content_type: str = "application/x-www-form-urlencoded"
):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=data, headers={"Content-Type": content_type}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def two_servers(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DEBUG="0",
        HTTPS="0",
        SECRET_KEY=secrets.token_urlsafe(40),
        ALLOWED_HOSTS="127.0.0.1",
        SQLITE_PATH=str(tmp_path / "shared.sqlite3"),
        VAR_DIR=str(tmp_path),
        STATIC_ROOT=str(tmp_path / "static"),
        LOG_LEVEL="ERROR",
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO, env=env, check=True
    )
    ports = [free_port(), free_port()]
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--pythonpath",
                str(REPO),
                "--workers",
                "1",
                "--bind",
                f"127.0.0.1:{port}",
                "portal.wsgi",
            ],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        deadline = time.monotonic() + 30
        for port in ports:
            while True:
                try:
                    if call(port, "/healthz")[0] == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start")
                time.sleep(0.2)
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def test_login_throttle_is_shared_between_two_server_processes(two_servers):
    first, second = two_servers
    body = json.dumps({"username": "alice", "email": "alice@example.test", "password": PASSWORD}).encode()
    assert call(first, "/api/v1/users/", body, "application/json")[0] == 201
    for port in (first, second, first, second, first):
        assert call(port, "/api/v1/auth/token", b"username=alice&password=wrong-guess")[0] == 401
    for port in (first, second):
        status, headers, content = call(
            port, "/api/v1/auth/token", f"username=alice&password={PASSWORD}".encode()
        )
        assert status == 429, content
        assert 0 < int(headers["Retry-After"]) <= 900
        assert b"Too many" in content

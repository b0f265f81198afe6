"""Production settings (DEBUG=0) and the gunicorn configuration, each in its own process.

The test suite's own settings turn HTTPS off; these tests build the
environment an operator would (SPEC section 8) and look at what the server
really answers: `manage.py check --deploy`, the SECRET_KEY requirement, the
security headers and cookies, and gunicorn's JSON logs.
"""

import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "production-test-password-42"


def production_env(tmp: Path, **overrides: str | None) -> dict[str, str]:
    """An operator's environment: DEBUG off, a real key, its own SQLite file and static root."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(tmp)),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "0",
        "HTTPS": "1",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "VAR_DIR": str(tmp / "var"),
        "SQLITE_PATH": str(tmp / "orgportal.sqlite3"),
        "STATIC_ROOT": str(tmp / "static"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


# --- settings ----------------------------------------------------------------


@pytest.mark.parametrize(("https", "silenced"), [("1", 1), ("0", 4)])
def test_check_deploy_is_clean(tmp_path, https, silenced):
    result = manage(production_env(tmp_path, HTTPS=https), "check", "--deploy", "--fail-level", "INFO")
    assert result.returncode == 0, result.stdout + result.stderr
    # HTTPS=0 silences exactly the four HTTPS-only warnings (SSL redirect, HSTS, two secure cookies);
    # with HTTPS, only "HSTS preload is off" is silenced (an operator's opt-in, SECURE_HSTS_PRELOAD=1).
    assert f"System check identified no issues ({silenced} silenced)." in result.stdout


def test_check_deploy_with_hsts_preload_chosen_is_clean_unsilenced(tmp_path):
    env = production_env(tmp_path, SECURE_HSTS_PRELOAD="1")
    result = manage(env, "check", "--deploy", "--fail-level", "INFO")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_complains_when_debug_is_on(tmp_path):
    # The check above would pass vacuously if --deploy checked nothing.
    result = manage(production_env(tmp_path, DEBUG="1"), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr


@pytest.mark.parametrize("secret_key", [None, ""])
def test_secret_key_is_required_when_debug_is_off(tmp_path, secret_key):
    env = production_env(tmp_path, SECRET_KEY=secret_key)
    result = subprocess.run(
        [sys.executable, "-c", "import portal.settings"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set when DEBUG is off." in result.stderr
    assert not (tmp_path / "var" / "dev-secret-key").exists()


def test_development_makes_its_own_key_under_var(tmp_path):
    env = production_env(tmp_path, SECRET_KEY=None, DEBUG="1")
    code = "import portal.settings as s; print(len(s.SECRET_KEY))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    key_file = tmp_path / "var" / "dev-secret-key"
    assert key_file.stat().st_mode & 0o077 == 0
    assert int(result.stdout) == len(key_file.read_text().strip()) >= 50


def test_production_hashes_passwords_with_argon2(tmp_path):
    code = (
        "import django; django.setup();"
        "from django.contrib.auth.hashers import make_password; print(make_password('x' * 12))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=production_env(tmp_path), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


# --- a real gunicorn ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with the repository's gunicorn.conf.py, spoken to over plain HTTP on loopback."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.port = _free_port()
        self.stdout = log_dir / f"gunicorn-{self.port}.out"
        self.stderr = log_dir / f"gunicorn-{self.port}.err"
        env = {**env, "BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": "2"}
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn"], cwd=ROOT, env=env, stdout=out, stderr=err
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("gunicorn did not start:\n" + self.stderr.read_text())
            time.sleep(0.2)

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()

    def logs(self) -> list[str]:
        return (self.stdout.read_text() + self.stderr.read_text()).splitlines()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A migrated database and collected static files, shared by the servers below."""
    tmp = tmp_path_factory.mktemp("production")
    env = production_env(tmp)
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        result = manage(env, *command)
        assert result.returncode == 0, result.stdout + result.stderr
    return tmp


@pytest.fixture(scope="module")
def secret_key() -> str:
    return secrets.token_urlsafe(50)


@pytest.fixture(scope="module", params=["https", "http"])
def server(request, site, secret_key) -> Iterator[Server]:
    https = request.param == "https"
    env = production_env(
        site, HTTPS="1" if https else "0", SECRET_KEY=secret_key, FORWARDED_ALLOW_IPS="127.0.0.1"
    )
    server = Server(env, site)
    server.https = https  # type: ignore[attr-defined]
    yield server
    server.stop()


def _proxied(server: Server, headers: dict[str, str] | None = None) -> dict[str, str]:
    """What the TLS proxy in front of gunicorn adds (only for the HTTPS server)."""
    out = dict(headers or {})
    if server.https:  # type: ignore[attr-defined]
        out["X-Forwarded-Proto"] = "https"
    return out


def _cookies(headers: http.client.HTTPMessage) -> dict[str, str]:
    """Set-Cookie lines by cookie name, whole (attributes included)."""
    return {line.split("=", 1)[0]: line for line in headers.get_all("Set-Cookie") or []}


def _login(server: Server, password: str = PASSWORD) -> tuple[int, http.client.HTTPMessage]:
    origin = f"{'https' if server.https else 'http'}://127.0.0.1:{server.port}"  # type: ignore[attr-defined]
    status, headers, body = server.request("GET", "/login/", headers=_proxied(server))
    assert status == 200, body[:500]
    csrf_cookie = SimpleCookie(headers["Set-Cookie"])["csrftoken"].value
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert token is not None
    form = urlencode(
        {"username": "root", "password": password, "csrfmiddlewaretoken": token.group(1).decode()}
    )
    status, headers, _ = server.request(
        "POST",
        "/login/",
        form.encode(),
        _proxied(
            server,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={csrf_cookie}",
                "Origin": origin,
                "Referer": f"{origin}/login/",
            },
        ),
    )
    return status, headers


@pytest.fixture(scope="module")
def bootstrapped(site, secret_key) -> None:
    """The first superuser, made once through the bootstrap API call."""
    env = production_env(site, SECRET_KEY=secret_key, HTTPS="0")
    code = (
        "import django; django.setup();"
        "from portal.accounts.services import user_create;"
        f"user_create(actor=None, username='root', email='root@example.test', password={PASSWORD!r},"
        " role='superuser')"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@pytest.mark.parametrize("path", ["/login/", "/api/v1/users/me", "/healthz", "/api/v1/openapi.json"])
def test_security_headers_on_every_response(server, bootstrapped, path):
    status, headers, _ = server.request("GET", path, headers=_proxied(server))
    assert status in (200, 401)
    for name, value in SECURITY_HEADERS.items():
        assert headers[name] == value, name
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    if server.https:
        assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    else:
        assert "Strict-Transport-Security" not in headers


def test_cookies_are_secure_only_over_https(server, bootstrapped):
    status, headers = _login(server)
    assert status == 302
    cookies = _cookies(headers)
    session = cookies["sessionid"]
    assert "HttpOnly" in session
    assert "SameSite=Lax" in session
    assert ("Secure" in session) is server.https
    status, headers, _ = server.request("GET", "/login/", headers=_proxied(server))
    csrf = _cookies(headers)["csrftoken"]
    assert ("Secure" in csrf) is server.https


def test_plain_http_is_redirected_to_https_except_the_health_check(server):
    status, headers, _ = server.request("GET", "/login/")
    if server.https:
        assert status == 301
        assert headers["Location"] == f"https://127.0.0.1:{server.port}/login/"
    else:
        assert status in (200, 302)
    # Load balancers probe over plain HTTP.
    assert server.request("GET", "/healthz")[0] == 200


def test_forwarded_proto_is_believed_only_from_allowed_proxies(site, secret_key, bootstrapped):
    env = production_env(site, SECRET_KEY=secret_key, FORWARDED_ALLOW_IPS="192.0.2.1")
    server = Server(env, site)
    try:
        status, headers, _ = server.request("GET", "/login/", headers={"X-Forwarded-Proto": "https"})
        assert status == 301
        assert headers["Location"].startswith("https://")
    finally:
        server.stop()


def test_gunicorn_logs_are_json_and_the_access_line_has_the_request_id(server, bootstrapped):
    request_id = f"prod-{secrets.token_hex(6)}"
    status, headers, _ = server.request(
        "GET", "/api/v1/users/me", headers=_proxied(server, {"X-Request-ID": request_id})
    )
    assert status == 401
    assert headers["X-Request-ID"] == request_id
    time.sleep(0.5)  # the access line is written after the response
    entries = [json.loads(line) for line in server.logs() if line.strip()]
    ours = [entry for entry in entries if entry["request_id"] == request_id]
    loggers = {entry["logger"] for entry in ours}
    assert {"gunicorn.access", "django.request"} <= loggers
    access = next(entry for entry in ours if entry["logger"] == "gunicorn.access")
    assert access["status"] == 401
    assert access["path"] == "/api/v1/users/me"
    assert access["method"] == "GET"
    assert isinstance(access["duration_ms"], int | float)


def test_no_password_or_token_in_gunicorn_output(server, bootstrapped):
    status, _ = _login(server)
    assert status == 302
    form = urlencode({"username": "root", "password": PASSWORD}).encode()
    form_headers = _proxied(server, {"Content-Type": "application/x-www-form-urlencoded"})
    status, _, body = server.request("POST", "/api/v1/auth/token", form, form_headers)
    assert status == 200
    pair = json.loads(body)
    bearer = _proxied(server, {"Authorization": f"Bearer {pair['access_token']}"})
    assert server.request("GET", "/api/v1/users/me", headers=bearer)[0] == 200
    wrong = urlencode({"username": "root", "password": PASSWORD + "-wrong"}).encode()
    assert server.request("POST", "/api/v1/auth/token", wrong, form_headers)[0] == 401
    refresh = json.dumps({"refresh_token": pair["refresh_token"]}).encode()
    json_headers = _proxied(server, {"Content-Type": "application/json"})
    assert server.request("POST", "/api/v1/auth/refresh", refresh, json_headers)[0] == 200
    # A token in the query string is not how the API takes it, but a careless client may send one.
    query = urlencode({"q": pair["access_token"]})
    assert server.request("GET", f"/api/v1/users/?{query}", headers=bearer)[0] == 401
    time.sleep(0.5)
    output = "\n".join(server.logs())
    assert output
    for secret in (PASSWORD, pair["access_token"], pair["refresh_token"]):
        assert secret not in output
        assert secret[6:] not in output  # not even without its prefix

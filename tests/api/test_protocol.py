"""Wire details: JSON 404s, optional trailing slashes without redirects, OpenAPI, docs, health."""

import json
import re

import pytest
from django.test import Client

from tests.conftest import ApiClient, api_as


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/organizations/",
        "/api/v1/organizations",
        "/api/v1/users/me",
        "/api/v1/users/me/",
        "/api/v1/audit-logs",
        "/api/v1/audit-logs/",
    ],
)
def test_paths_work_with_and_without_trailing_slash(world, path):
    response = api_as(world["root"]).get(path)
    assert response.status_code == 200


@pytest.mark.django_db
def test_item_paths_accept_trailing_slash_for_writes(world):
    client = api_as(world["root"])
    org = world["org_a"].pk
    assert client.put(f"/api/v1/organizations/{org}/", {"description": "d"}).status_code == 200
    assert client.post(f"/api/v1/organizations/{org}/users/{world['user_none'].pk}/").status_code == 200
    assert client.get(f"/api/v1/organizations/{org}/users/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("post", "/api/v1/organizations", 201),
        ("put", "/api/v1/organizations/{org}/", 200),
        ("post", "/api/v1/organizations/{org}/users/{user}/", 200),
        ("delete", "/api/v1/organizations/{org}/users/{user}/", 200),
    ],
)
def test_other_slash_writes_need_no_csrf_cookie_as_any_api_write(world, method, path, status):
    """Scripts send a bearer token, never a CSRF cookie: the other-slash form is served like the documented one."""
    org, user = world["org_a"].pk, world["user_none"].pk
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {api_as(world['root']).token}")
    if method == "delete":
        client.post(f"/api/v1/organizations/{org}/users/{user}", content_type="application/json")
    response = getattr(client, method)(
        path.format(org=org, user=user),
        json.dumps({"name": "Gamma", "description": "d"}),
        content_type="application/json",
    )
    assert response.status_code == status, response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/v1/nothing", "/api/v1/organizations/1/whatever", "/api/v2/organizations/", "/api/"]
)
def test_unknown_api_paths_are_json_404(root, path):
    response = api_as(root).get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Not Found"}


@pytest.mark.django_db
def test_wrong_method_is_json_405(root):
    response = api_as(root).patch("/api/v1/organizations/", {})
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}


@pytest.mark.django_db
def test_openapi_documents_every_endpoint():
    response = ApiClient().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    expected = {
        ("/api/v1/organizations/", "post"),
        ("/api/v1/organizations/", "get"),
        ("/api/v1/organizations/{organization_id}", "get"),
        ("/api/v1/organizations/{organization_id}", "put"),
        ("/api/v1/organizations/{organization_id}", "delete"),
        ("/api/v1/organizations/{organization_id}/users/{user_id}", "post"),
        ("/api/v1/organizations/{organization_id}/users/{user_id}", "delete"),
        ("/api/v1/organizations/{organization_id}/users", "get"),
        ("/api/v1/auth/token", "post"),
        ("/api/v1/auth/refresh", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/users/", "post"),
        ("/api/v1/users/", "get"),
        ("/api/v1/users/me", "get"),
        ("/api/v1/users/{user_id}", "get"),
        ("/api/v1/users/{user_id}", "patch"),
        ("/api/v1/users/{user_id}", "delete"),
        ("/api/v1/audit-logs/", "get"),
    }
    documented = {(path, method) for path, ops in paths.items() for method in ops}
    assert expected <= documented


@pytest.mark.django_db
def test_swagger_ui_loads_nothing_from_the_internet():
    response = ApiClient().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert not re.search(r"""(src|href)=["']https?://""", html)


@pytest.mark.django_db
def test_healthz_needs_no_auth_and_queries_once(django_assert_num_queries):
    with django_assert_num_queries(1):
        response = ApiClient().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_request_id_is_returned_and_recorded(root):
    response = api_as(root).post(
        "/api/v1/organizations/", {"name": "Traced"}, headers={"X-Request-ID": "trace-123"}
    )
    assert response["X-Request-ID"] == "trace-123"
    from portal.audit.models import AuditLog

    assert AuditLog.objects.get(action="org_create").request_id == "trace-123"


@pytest.mark.django_db
def test_hostile_request_id_is_replaced(root):
    response = api_as(root).get("/api/v1/users/me", headers={"X-Request-ID": "<script>\n"})
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])

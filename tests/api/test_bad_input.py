"""SPEC section 6: every kind of bad input gets a 4xx with a message and changes nothing."""

import json

import pytest

from tests.conftest import api_as
from tests.helpers import snapshot

BIG = 2**63
BODY_CASES = [
    pytest.param("{bad json", "application/json", 422, id="malformed-json"),
    pytest.param('{"name": "x"', "application/json", 422, id="truncated-json"),
    pytest.param("[]", "application/json", 422, id="array"),
    pytest.param('"Engineering"', "application/json", 422, id="string"),
    pytest.param("42", "application/json", 422, id="number"),
    pytest.param("null", "application/json", 422, id="null"),
    pytest.param("", "application/json", 422, id="empty-body"),
    pytest.param("name=Engineering", "application/x-www-form-urlencoded", 422, id="form-encoded"),
    pytest.param('{"name": "Engineering"}', "text/plain", None, id="text-plain-json"),  # JSON is JSON
    pytest.param(b'{"name": "\xff\xfe"}', "application/json", 422, id="non-utf8"),
    pytest.param(json.dumps({"name": 123}), "application/json", 422, id="name-int"),
    pytest.param(json.dumps({"name": ["a"]}), "application/json", 422, id="name-list"),
    pytest.param(json.dumps({"name": None}), "application/json", 422, id="name-null"),
    pytest.param(json.dumps({"name": True}), "application/json", 422, id="name-bool"),
    pytest.param(json.dumps({}), "application/json", 422, id="name-missing"),
    pytest.param(json.dumps({"name": ""}), "application/json", 422, id="name-empty"),
    pytest.param(json.dumps({"name": "   \t "}), "application/json", 422, id="name-whitespace"),
    pytest.param(json.dumps({"name": "x" * 101}), "application/json", 422, id="name-101"),
    pytest.param(json.dumps({"name": "a\u0000b"}), "application/json", 422, id="name-nul"),
    pytest.param(json.dumps({"name": "a\u001bb"}), "application/json", 422, id="name-escape"),
    pytest.param(json.dumps({"name": "a\nb"}), "application/json", 422, id="name-newline"),
    pytest.param(
        json.dumps({"name": "ok", "description": "d" * 2001}), "application/json", 422, id="description-2001"
    ),
    pytest.param(
        json.dumps({"name": "ok", "description": "a\u0000"}), "application/json", 422, id="description-nul"
    ),
    pytest.param(json.dumps({"name": "ok", "description": 5}), "application/json", 422, id="description-int"),
    pytest.param(json.dumps({"name": "ok", "extra": 1}), "application/json", 422, id="extra-field"),
    pytest.param(json.dumps({"name": "ok", "id": 5}), "application/json", 422, id="id-field"),
    pytest.param(json.dumps({"name": "x" * 300_000}), "application/json", 413, id="huge-body"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("raw", "content_type", "expected"), BODY_CASES)
def test_bad_create_organization_bodies(world, raw, content_type, expected):
    before = snapshot()
    response = api_as(world["root"]).post("/api/v1/organizations/", raw=raw, content_type=content_type)
    if expected is None:
        assert response.status_code == 201
        return
    assert response.status_code == expected, response.content
    detail = response.json()["detail"]
    if expected == 422:
        assert isinstance(detail, list) and detail
        assert all({"loc", "msg", "type"} <= set(item) and item["msg"] for item in detail)
    else:
        assert isinstance(detail, str) and detail
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("raw", "content_type", "expected"),
    [c for c in BODY_CASES if c.id not in {"name-missing", "empty-body", "name-null", "text-plain-json"}],
)
def test_bad_update_organization_bodies(world, raw, content_type, expected):
    before = snapshot()
    response = api_as(world["root"]).put(
        f"/api/v1/organizations/{world['org_a'].pk}", raw=raw, content_type=content_type
    )
    assert response.status_code == expected, response.content
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "org_id",
    [
        "abc",
        "1.5",
        "-1",
        "0",
        str(BIG),
        str(2**64),
        "99999999999999999999999999",
        "1e3",
        "%00",
        "\uff11",
    ],  # the last: a full-width digit one
)
@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("GET", "/api/v1/organizations/{id}"),
        ("PUT", "/api/v1/organizations/{id}"),
        ("DELETE", "/api/v1/organizations/{id}"),
        ("GET", "/api/v1/organizations/{id}/users"),
        ("POST", "/api/v1/organizations/1/users/{id}"),
        ("POST", "/api/v1/organizations/{id}/users/1"),
        ("DELETE", "/api/v1/organizations/{id}/users/1"),
        ("GET", "/api/v1/users/{id}"),
        ("PATCH", "/api/v1/users/{id}"),
        ("DELETE", "/api/v1/users/{id}"),
    ],
)
def test_bad_ids_are_4xx(world, method, template, org_id):
    before = snapshot()
    response = api_as(world["root"]).request(method, template.format(id=org_id), {"description": "x"})
    assert response.status_code in (404, 422), response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"username": "bad name", "email": "a@example.test", "password": "correct-horse-battery"},
        {"username": "", "email": "a@example.test", "password": "correct-horse-battery"},
        {"username": "u" * 151, "email": "a@example.test", "password": "correct-horse-battery"},
        {"username": "ok", "email": "not-an-address", "password": "correct-horse-battery"},
        {"username": "ok", "email": "a@example.test", "password": "short"},
        {"username": "ok", "email": "a@example.test", "password": "x" * 129},
        {"username": "ok", "email": "a@example.test", "password": "correct-horse\u0000battery"},
        {"username": "ok", "email": "a@example.test", "password": "correct-horse-battery", "role": "emperor"},
        {
            "username": "ok",
            "email": "a@example.test",
            "password": "correct-horse-battery",
            "organization_id": -3,
        },
        {
            "username": "ok",
            "email": "a@example.test",
            "password": "correct-horse-battery",
            "organization_id": BIG,
        },
        {
            "username": "ok",
            "email": "a@example.test",
            "password": "correct-horse-battery",
            "is_superuser": True,
        },
        {
            "username": "ok",
            "email": "a@example.test",
            "password": "correct-horse-battery",
            "can_create_ca": "sometimes",
        },
        {"username": "ok", "email": "a@example.test"},
        {"username": "o\u0000k", "email": "a@example.test", "password": "correct-horse-battery"},
    ],
)
def test_bad_create_user_bodies(world, body):
    before = snapshot()
    response = api_as(world["root"]).post("/api/v1/users/", body)
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["msg"]
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"role": "god"},
        {"is_active": "maybe"},
        {"organization_id": "x"},
        {"email": "nope"},
        {"password": "short"},
        {"unknown": 1},
        {"is_superuser": True},
        {"manages_members": True},
    ],
)
def test_bad_patch_user_bodies(world, body):
    before = snapshot()
    response = api_as(world["root"]).patch(f"/api/v1/users/{world['user_a'].pk}", body)
    assert response.status_code == 422, response.content
    assert snapshot() == before

"""List endpoints write their JSON from database rows: the same JSON value, keys in the same order,
as the response schema would give (SQLite writes it compact)."""

import json
from datetime import UTC, datetime

import pytest
from ninja.responses import NinjaJSONEncoder

from portal.accounts.models import User
from portal.api.schemas import OrganizationOut, UserOut
from portal.organizations.models import Organization
from portal.organizations.selectors import members_of, organizations_visible_to
from tests.conftest import api_as, make_org, make_user

pytestmark = pytest.mark.django_db


def through_schema(schema, rows) -> list:
    """ninja's own path: validate each object through the schema, then its JSON encoder."""
    text = json.dumps([schema.model_validate(row).model_dump() for row in rows], cls=NinjaJSONEncoder)
    return items(text.encode())


def items(content: bytes) -> list:
    """The JSON array's objects as (key, value) lists: equal values, and keys in the same order."""
    return [list(obj.items()) for obj in json.loads(content)]


@pytest.fixture
def varied(world):
    org = world["org_a"]
    Organization.objects.filter(pk=world["org_b"].pk).update(
        description='Zürich — 東京 "quoted" \\ back\nline\ttab',
        created_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    make_org("Ω no description")
    odd = make_user("odd.user+tag", organization=org, can_create_ca=True, can_delete_ca=True)
    User.objects.filter(pk=odd.pk).update(
        is_active=False, updated_at=datetime(2025, 6, 7, 8, 9, 10, 500, tzinfo=UTC)
    )
    return world


def test_member_list_matches_the_schema(varied):
    org = varied["org_a"]
    response = api_as(varied["root"]).get(f"/api/v1/organizations/{org.pk}/users")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert items(response.content) == through_schema(UserOut, members_of(org))
    assert response["X-Total-Count"] == str(org.members.count())


def test_member_page_matches_the_schema(varied):
    org = varied["org_a"]
    response = api_as(varied["admin_a"]).get(f"/api/v1/organizations/{org.pk}/users?skip=1&limit=2")
    assert items(response.content) == through_schema(UserOut, members_of(org)[1:3])
    assert response["X-Total-Count"] == str(org.members.count())


@pytest.mark.parametrize("actor", ["root", "user_b", "user_none"])
def test_organization_list_matches_the_schema(varied, actor):
    viewer = varied[actor]
    response = api_as(viewer).get("/api/v1/organizations/")
    assert response.status_code == 200
    assert items(response.content) == through_schema(OrganizationOut, organizations_visible_to(viewer))
    body = response.json()
    assert [org["member_count"] for org in body] == [
        Organization.objects.get(pk=org["id"]).members.count() for org in body
    ]


@pytest.mark.parametrize("query", ["?skip=1&limit=2", "?limit=1", "?skip=2", "?skip=50&limit=5"])
def test_organization_pages_match_the_selector(varied, query):
    viewer = varied["root"]
    response = api_as(viewer).get(f"/api/v1/organizations/{query}")
    params = dict(part.split("=") for part in query[1:].split("&"))
    skip, limit = int(params.get("skip", 0)), params.get("limit")
    visible = organizations_visible_to(viewer)
    expected = visible[skip : skip + int(limit)] if limit else visible[skip:]
    assert items(response.content) == through_schema(OrganizationOut, expected)
    assert response["X-Total-Count"] == str(visible.count())

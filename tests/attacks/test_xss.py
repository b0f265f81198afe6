"""Stored XSS: names and descriptions holding markup or javascript: URLs render as text everywhere."""

import csv
import io

import pytest
from django.test import Client

from portal.organizations.services import organization_update
from tests.conftest import make_user

PAYLOAD_NAME = '<script>alert("n")</script><img src=x onerror=alert(1)>'
PAYLOAD_DESCRIPTION = 'javascript:alert(1) <a href="javascript:alert(2)">click</a> "><svg onload=alert(3)>'


@pytest.fixture
def hostile(world):
    org = world["org_a"]
    organization_update(
        actor=world["root"], organization_id=org.pk, name=PAYLOAD_NAME, description=PAYLOAD_DESCRIPTION
    )
    make_user("victim", organization=org)
    return world


def pages(world):
    org, user = world["org_a"].pk, world["user_a"].pk
    return [
        "/organizations/",
        "/organizations/?q=script",
        f"/organizations/{org}/",
        f"/organizations/{org}/edit/",
        f"/organizations/{org}/delete/",
        f"/organizations/{org}/members/add/",
        f"/organizations/{org}/members/{user}/remove/",
        f"/organizations/{org}/activity/",
        f"/organizations/{org}/header/",
        "/users/",
        f"/users/{user}/",
        "/audit/",
        "/account/",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "partial"])
def test_markup_renders_as_text_on_every_page(hostile, htmx):
    client = Client()
    client.force_login(hostile["root"])
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    for path in pages(hostile):
        if not htmx and path.endswith(("/activity/", "/header/")):
            continue  # htmx-only fragments; without htmx they redirect to the page
        response = client.get(path, **headers)
        assert response.status_code == 200, path
        html = response.content.decode()
        for raw in ("<script>alert", "<img src=x", "<svg onload", 'href="javascript:'):
            assert raw not in html, (path, raw)
        if not htmx and path.startswith(f"/organizations/{hostile['org_a'].pk}/"):
            assert "&lt;script&gt;alert(" in html, path


@pytest.mark.django_db
def test_csv_export_neutralizes_formulas_and_keeps_markup_as_text(hostile):
    root = hostile["root"]
    organization_update(actor=root, organization_id=hostile["org_a"].pk, name='=HYPERLINK("http://evil")')
    organization_update(actor=root, organization_id=hostile["org_a"].pk, name="+1+1")
    organization_update(actor=root, organization_id=hostile["org_a"].pk, name="@SUM(A1)")
    organization_update(actor=root, organization_id=hostile["org_a"].pk, name="-2+3")
    client = Client()
    client.force_login(root)
    response = client.get("/audit/export.csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    details = " ".join(cells)
    assert "'-2+3" in cells  # the organization column, neutralized
    assert PAYLOAD_NAME in details  # markup kept verbatim as text: CSV is not HTML

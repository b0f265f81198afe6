"""The audit log in Chromium: filters that update the table in place, the plain form without JavaScript,
and the CSV export of exactly the filtered rows."""

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from playwright.sync_api import expect

from portal.audit.models import Action, AuditLog
from portal.audit.services import audit_record
from tests.browser.conftest import login
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def backdate(entry: AuditLog, when: datetime) -> None:
    # The model refuses updates; a test may go around it to place entries in time.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditLog._meta.db_table} SET created_at = %s WHERE id = %s", [when, entry.pk]
        )


@pytest.fixture
def log(world):
    root = world["root"]
    for number in range(30):
        audit_record(
            actor=root,
            action=Action.ORG_UPDATE,
            organization_id=world["org_a"].pk,
            detail=f"Renamed step {number}",
        )
    formula = audit_record(
        actor=root,
        action=Action.ORG_UPDATE,
        organization_id=world["org_b"].pk,
        detail='=HYPERLINK("http://x")',
    )
    old = audit_record(
        actor=root, action=Action.ORG_UPDATE, organization_id=world["org_b"].pk, detail="<b>old</b>"
    )
    backdate(old, datetime(2024, 3, 10, 9, 30, tzinfo=UTC))
    return {"formula": formula, "old": old}


def rows(page):
    return page.locator("#audit-results tbody tr")


def read_download(download) -> list[dict[str, str]]:
    with open(download.path(), encoding="utf-8") as handle:
        return list(csv.DictReader(io.StringIO(handle.read())))


def test_filters_update_the_table_in_place_and_export_matches(page, world, log, csp_errors):
    login(page, "root", PASSWORD)
    page.goto("/audit/")
    expect(page.locator("#audit-results .result-count")).to_contain_text(
        f"{AuditLog.objects.count()} entries"
    )
    page.evaluate("window.__marker = 1")

    page.get_by_label("Action").select_option("org_update")
    expect(page.locator("#audit-results .result-count")).to_have_text("32 entries.")
    page.wait_for_url(re.compile(r"action=org_update"))
    page.get_by_label("Organization").select_option(label="Beta")
    expect(page.locator("#audit-results .result-count")).to_have_text("2 entries.")
    expect(rows(page)).to_have_count(2)
    # Markup in the detail is text on the page.
    expect(rows(page).nth(1)).to_contain_text("<b>old</b>")

    page.get_by_label("From").fill("2024-03-10")
    page.get_by_label("To").fill("2024-03-10")
    page.get_by_label("To").dispatch_event("change")
    expect(page.locator("#audit-results .result-count")).to_have_text("1 entry.")
    expect(rows(page)).to_contain_text("2024-03-10 09:30:00")
    assert page.evaluate("window.__marker") == 1, (
        "the filters reloaded the page instead of swapping the table"
    )

    page.get_by_label("From").fill("")
    page.get_by_label("To").fill("")
    page.get_by_label("To").dispatch_event("change")
    expect(page.locator("#audit-results .result-count")).to_have_text("2 entries.")
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("Export these 2 entries as CSV")).click()
    exported = read_download(info.value)
    assert info.value.suggested_filename.startswith("audit-log-")
    assert [row["detail"] for row in exported] == ['\'=HYPERLINK("http://x")', "<b>old</b>"]
    assert {row["organization"] for row in exported} == {"Beta"}
    assert not csp_errors


def test_pagination_swaps_in_place(page, world, log):
    login(page, "root", PASSWORD)
    page.goto("/audit/?action=org_update")
    expect(rows(page)).to_have_count(25)
    page.evaluate("window.__marker = 1")
    page.get_by_role("link", name="Next").click()
    expect(page.locator(".pagination")).to_contain_text("Page 2 of 2")
    expect(rows(page)).to_have_count(7)
    assert page.evaluate("window.__marker") == 1


def test_filters_work_without_javascript(page_nojs, world, log):
    page = page_nojs
    login(page, "root", PASSWORD)
    page.goto("/audit/")
    page.get_by_label("Action").select_option("org_update")
    page.get_by_label("Organization").select_option(label="Beta")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"/audit/\?action=org_update&user=&organization=\d+"))
    expect(page.locator("#audit-results .result-count")).to_have_text("2 entries.")
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("Export these 2 entries as CSV")).click()
    assert len(read_download(info.value)) == 2


def test_admin_sees_only_own_organization_without_an_organization_filter(page, world, log):
    login(page, "admin_b", PASSWORD)
    page.goto("/audit/")
    expect(page.get_by_label("Organization")).to_have_count(0)
    expected = AuditLog.objects.filter(organization_id=world["org_b"].pk).count()
    expect(page.locator("#audit-results .result-count")).to_have_text(f"{expected} entries.")
    expect(page.locator("#audit-results")).not_to_contain_text("Alpha")


def test_user_gets_the_403_page_and_no_nav_link(page, world):
    login(page, "user_a", PASSWORD)
    expect(page.get_by_role("link", name="Audit log")).to_have_count(0)
    response = page.goto("/audit/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="You cannot open this page")).to_be_visible()


@pytest.mark.parametrize("width", [1280, 375])
def test_audit_page_fits_the_screen(page, world, log, width):
    page.set_viewport_size({"width": width, "height": 900})
    login(page, "root", PASSWORD)
    page.goto("/audit/")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_user_filter_by_username(page, world, log):
    login(page, "root", PASSWORD)
    page.goto("/audit/")
    page.evaluate("window.__marker = 1")
    page.get_by_label("User").fill("admin_b")
    page.get_by_label("User").press("Enter")
    expect(page.locator("#audit-results tbody tr td[data-label=User]").first).to_have_text("admin_b")
    expected = AuditLog.objects.filter(user_id=world["admin_b"].pk).count()
    expect(page.locator("#audit-results .result-count")).to_have_text(f"{expected} entries.")
    assert page.evaluate("window.__marker") == 1

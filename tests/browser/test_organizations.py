"""Organization pages in Chromium, through the UI only: create, picker, remove, inline edit, delete, isolation.

``window.__marker`` is set before an htmx action and checked after it: a
full page load would have wiped it, so its survival proves that only a
part of the page was swapped.
"""

import re

import pytest
from playwright.sync_api import expect

from portal.accounts.models import Role, User
from portal.organizations.models import Organization
from portal.organizations.services import HAS_MEMBERS
from tests.browser.conftest import assert_no_full_page_load, login, set_marker
from tests.conftest import PASSWORD, make_org, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def members_table(page):
    return page.locator("#members")


def test_admin_without_organization_creates_one_and_is_told_first_that_they_join(page, world, csp_errors):
    login(page, "admin_none", PASSWORD)
    page.goto("/organizations/")
    expect(page.get_by_role("heading", name="You are not in an organization")).to_be_visible()
    page.get_by_role("link", name="New organization").click()
    expect(page.locator("#join-notice")).to_contain_text("you will join this organization")
    page.get_by_label("Name").fill("Operations")
    page.get_by_label("Description").fill("Runs the <em>issuing</em> CAs.")
    page.get_by_role("button", name="Create organization").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Operations")
    expect(page.locator("#messages")).to_contain_text(
        "Created organization Operations. You are now a member of it."
    )
    # The markup in the description is shown as text, not interpreted.
    expect(page.locator(".org-description")).to_have_text("Runs the <em>issuing</em> CAs.")
    expect(members_table(page)).to_contain_text("admin_none")
    assert User.objects.get(username="admin_none").organization.name == "Operations"
    assert not csp_errors


def test_admin_with_an_organization_is_told_they_will_not_join(page, world):
    login(page, "admin_a", PASSWORD)
    page.goto("/organizations/new/")
    expect(page.locator("#join-notice")).to_contain_text("not join")
    expect(page.locator("#join-notice")).to_contain_text("Alpha")
    page.get_by_label("Name").fill("Side project")
    page.get_by_role("button", name="Create organization").click()
    expect(page.locator("#messages")).to_contain_text("Created organization Side project.")
    assert User.objects.get(username="admin_a").organization.name == "Alpha"


def test_picker_adds_a_member_and_the_table_updates_in_place(page, world, csp_errors):
    login(page, "admin_a", PASSWORD)
    page.goto(f"/organizations/{world['org_a'].pk}/")
    expect(page.locator("#member-count")).to_contain_text("has 2 members")
    set_marker(page)
    picker = page.get_by_label("Find a user to add")
    picker.press_sequentially("user_")
    results = page.locator("#picker-results")
    expect(results.get_by_text("user_none", exact=True)).to_be_visible()
    # Only users this admin may add: not members of another organization, not the members already here.
    expect(results).not_to_contain_text("user_b")
    expect(results).not_to_contain_text("user_a")
    page.get_by_role("button", name="Add user_none to Alpha").click()
    expect(page.locator("#messages")).to_contain_text("Added user_none to Alpha.")
    expect(members_table(page)).to_contain_text("user_none")
    expect(page.locator("#member-count")).to_contain_text("has 3 members")
    # The picker ran the same search again: the new member is no longer offered.
    expect(results).not_to_contain_text("user_none")
    assert_no_full_page_load(page)
    assert User.objects.get(username="user_none").organization_id == world["org_a"].pk
    # The recent activity listened to the same event.
    expect(page.locator("#activity")).to_contain_text("Added user_none")
    assert not csp_errors


def test_remove_asks_for_confirmation_in_a_dialog(page, world, csp_errors):
    login(page, "admin_a", PASSWORD)
    page.goto(f"/organizations/{world['org_a'].pk}/")
    set_marker(page)
    page.get_by_role("link", name="Remove user_a from Alpha").click()
    dialog = page.get_by_role("dialog", name="Remove user_a?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert User.objects.get(username="user_a").organization_id == world["org_a"].pk

    page.get_by_role("link", name="Remove user_a from Alpha").click()
    dialog.get_by_role("button", name="Remove user_a from Alpha").click()
    expect(page.locator("#messages")).to_contain_text("Removed user_a from Alpha.")
    expect(members_table(page)).not_to_contain_text("user_a")
    expect(page.locator("#member-count")).to_contain_text("has 1 member.")
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert_no_full_page_load(page)
    assert User.objects.get(username="user_a").organization_id is None
    assert not csp_errors


def test_refusal_to_remove_the_last_admin_is_shown_in_place(page, world):
    login(page, "admin_a", PASSWORD)
    page.goto(f"/organizations/{world['org_a'].pk}/")
    set_marker(page)
    page.get_by_role("link", name="Remove admin_a from Alpha").click()
    page.get_by_role("button", name="Remove admin_a from Alpha").click()
    expect(page.locator("#messages .message-error")).to_contain_text("last admin")
    assert_no_full_page_load(page)
    assert User.objects.get(username="admin_a").organization_id == world["org_a"].pk


def test_inline_edit_of_name_and_description(page, world, csp_errors):
    login(page, "admin_a", PASSWORD)
    page.goto(f"/organizations/{world['org_a'].pk}/")
    set_marker(page)
    page.get_by_role("link", name="Edit name and description").click()
    name = page.get_by_label("Name")
    expect(name).to_have_value("Alpha")
    expect(name).to_be_focused()

    # A taken name is refused beside the field, the form stays.
    name.fill("beta")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#org-header .error")).to_contain_text("already exists")

    # Cancel swaps the header back unchanged.
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Alpha")
    # Focus moves to the heading once htmx has taken over the swapped header (its links included).
    expect(page.get_by_role("heading", level=1)).to_be_focused()

    page.get_by_role("link", name="Edit name and description").click()
    expect(page.get_by_label("Name")).to_be_focused()
    page.get_by_label("Name").fill("Alpha Labs")
    page.get_by_label("Description").fill("Line one\nLine <two>")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Alpha Labs")
    expect(page.locator(".org-description")).to_contain_text("Line <two>")
    expect(page.locator("#messages")).to_contain_text("Saved the changes to Alpha Labs.")
    expect(page.locator("#activity")).to_contain_text("Updated organization Alpha Labs")
    assert_no_full_page_load(page)
    assert Organization.objects.get(pk=world["org_a"].pk).name == "Alpha Labs"
    assert not csp_errors


def test_delete_is_refused_while_members_remain_then_works(page, world, csp_errors):
    login(page, "root", PASSWORD)
    page.goto(f"/organizations/{world['org_a'].pk}/")
    page.get_by_role("link", name="Delete organization").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete Alpha").click()
    expect(page.locator("#messages .message-error")).to_have_text(HAS_MEMBERS)
    assert Organization.objects.filter(pk=world["org_a"].pk).exists()

    empty = make_org("Empty one")
    page.goto(f"/organizations/{empty.pk}/")
    page.get_by_role("link", name="Delete organization").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete Empty one").click()
    expect(page).to_have_url(re.compile(r"/organizations/$"))
    expect(page.locator("#messages")).to_contain_text("Deleted organization Empty one.")
    assert not Organization.objects.filter(pk=empty.pk).exists()
    assert not csp_errors


def test_org_admin_cannot_see_or_reach_another_organization(page, world):
    login(page, "admin_a", PASSWORD)
    page.goto("/organizations/")
    results = page.locator("#org-results")
    expect(results.get_by_role("link", name="Alpha")).to_be_visible()
    expect(results).not_to_contain_text("Beta")
    response = page.goto(f"/organizations/{world['org_b'].pk}/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="You cannot open this page")).to_be_visible()
    response = page.goto(f"/organizations/{world['org_b'].pk}/members/add/")
    assert response is not None and response.status == 403


def test_superuser_searches_organizations_as_they_type(page, world, csp_errors):
    for number in range(1, 31):
        make_org(f"Team {number:02d}")
    login(page, "root", PASSWORD)
    page.goto("/organizations/")
    expect(page.locator("#org-results")).to_contain_text("32 organizations")
    expect(page.get_by_role("navigation", name="Pagination")).to_contain_text("Page 1 of 2")
    set_marker(page)
    page.get_by_label("Search by name").press_sequentially("team 1")
    expect(page.locator("#org-results")).to_contain_text("10 organizations matching")
    expect(page.locator("#org-results")).not_to_contain_text("Alpha")
    assert_no_full_page_load(page)
    assert not csp_errors


def test_members_filter_narrows_the_table_in_place(page, world):
    for number in range(30):
        make_user(f"crew{number:02d}", organization=world["org_a"])
    login(page, "user_a", PASSWORD)
    page.goto(f"/organizations/{world['org_a'].pk}/")
    expect(page.get_by_role("navigation", name="Pagination")).to_contain_text("Page 1 of 2")
    # A plain member sees the table but no buttons to change anything.
    expect(page.get_by_role("link", name="Edit name and description")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("^Remove"))).to_have_count(0)
    expect(page.locator("#add-member")).to_have_count(0)
    set_marker(page)
    page.get_by_label("Filter members").press_sequentially("crew2")
    expect(page.locator("#member-count")).to_contain_text("10 matches")
    expect(members_table(page).locator("tbody tr")).to_have_count(10)
    assert_no_full_page_load(page)


def test_delegation_is_granted_and_revoked_from_the_members_table(page, world):
    login(page, "admin_a", PASSWORD)
    page.goto(f"/organizations/{world['org_a'].pk}/")
    set_marker(page)
    page.get_by_role("button", name="Grant member management to user_a").click()
    expect(page.locator("#messages")).to_contain_text("user_a can now add and remove members of Alpha.")
    expect(page.locator("#delegates")).to_contain_text("user_a")
    page.get_by_role("button", name="Revoke member management from user_a").first.click()
    expect(page.locator("#messages")).to_contain_text("user_a no longer manages the members of Alpha.")
    expect(page.locator("#delegates")).to_contain_text("Nobody is a member manager")
    assert_no_full_page_load(page)


def test_without_javascript_remove_uses_a_confirm_page(page_nojs, world):
    login(page_nojs, "admin_a", PASSWORD)
    page_nojs.goto(f"/organizations/{world['org_a'].pk}/")
    page_nojs.get_by_role("link", name="Remove user_a from Alpha").click()
    expect(page_nojs).to_have_url(re.compile(r"/members/\d+/remove/$"))
    page_nojs.get_by_role("button", name="Remove user_a from Alpha").click()
    expect(page_nojs).to_have_url(re.compile(rf"/organizations/{world['org_a'].pk}/$"))
    expect(page_nojs.locator("#messages")).to_contain_text("Removed user_a from Alpha.")
    expect(page_nojs.locator("#members")).not_to_contain_text("user_a")


def test_without_javascript_the_picker_is_a_search_page(page_nojs, world):
    login(page_nojs, "admin_a", PASSWORD)
    page_nojs.goto(f"/organizations/{world['org_a'].pk}/")
    page_nojs.get_by_label("Find a user to add").fill("none")
    page_nojs.get_by_role("button", name="Find users").click()
    expect(page_nojs).to_have_url(re.compile(r"/members/add/\?q=none$"))
    page_nojs.get_by_role("button", name="Add user_none to Alpha").click()
    expect(page_nojs.locator("#messages")).to_contain_text("Added user_none to Alpha.")
    expect(page_nojs.locator("#members")).to_contain_text("user_none")


def test_user_without_organization_sees_whom_to_ask(page, world):
    login(page, "user_none", PASSWORD)
    page.goto("/organizations/")
    expect(page.get_by_role("heading", name="You are not in an organization")).to_be_visible()
    expect(page.locator("#org-results")).to_contain_text("Ask a superuser")
    expect(page.get_by_role("link", name="New organization")).to_have_count(0)


def test_superuser_role_badge_and_other_organization_hint_in_picker(page, world):
    make_user("root2", role=Role.SUPERUSER)
    login(page, "root", PASSWORD)
    page.goto(f"/organizations/{world['org_a'].pk}/")
    page.get_by_label("Find a user to add").press_sequentially("b")
    results = page.locator("#picker-results")
    # A superuser may move a member of another organization here, and is told so.
    expect(results.locator("li", has_text="user_b")).to_contain_text("moves from another organization")


def test_an_htmx_action_refused_as_a_whole_is_reported_not_silently_dropped(page, world):
    from portal.accounts.services import user_update

    login(page, "admin_a", PASSWORD)
    page.goto(f"/organizations/{world['org_a'].pk}/")
    make_user("admin_a2", role=Role.ADMIN, organization=world["org_a"])
    # Demoted in another tab: the buttons on this page are stale, the server refuses.
    user_update(actor=world["root"], user_id=world["admin_a"].pk, role=Role.USER)
    page.get_by_role("button", name="Grant member management to user_a").click()
    expect(page.locator("#messages .message-error")).to_contain_text("no longer allowed")
    assert not User.objects.get(username="user_a").manages_members


def test_inline_edit_works_from_the_keyboard(page, world):
    login(page, "admin_a", PASSWORD)
    page.goto(f"/organizations/{world['org_a'].pk}/")
    edit = page.get_by_role("link", name="Edit name and description")
    edit.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Name")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("heading", level=1)).to_have_text("Alpha")
    expect(page.locator("form#org-header")).to_have_count(0)
    page.get_by_role("link", name="Edit name and description").focus()
    page.keyboard.press("Enter")
    # htmx focuses the field in the same step as it takes over the form: before that, Enter
    # would submit it without htmx (a whole new page, focus at its top).
    expect(page.get_by_label("Name")).to_be_focused()
    page.get_by_label("Name").fill("Alpha Keys")
    page.keyboard.press("Enter")  # submits the form
    expect(page.get_by_role("heading", level=1)).to_have_text("Alpha Keys")
    expect(page.get_by_role("heading", level=1)).to_be_focused()

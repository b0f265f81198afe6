"""Sign-in, first run, personal tokens and the users pages in Chromium, through the UI only.

``window.__marker`` is set before an htmx action and checked after it: a
full page load would have wiped it, so its survival proves that only a
part of the page was swapped.
"""

import json
import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from portal.accounts.models import Token, User
from tests.browser.conftest import assert_no_full_page_load, login, set_marker
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def field(page, label: str):
    """The input with exactly this label (a required field's label ends with an asterisk)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}(\s*\*)?$"))


def assert_fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"


def api_me(base_url: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{base_url}/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_first_run_setup_creates_the_superuser_then_is_gone(page, live_server, csp_errors):
    page.goto("/")
    page.wait_for_url("**/setup/")
    expect(page.get_by_role("heading", name="Welcome to orgportal")).to_be_visible()
    field(page, "Username").fill("founder")
    page.get_by_label("E-mail address").fill("founder@example.test")
    field(page, "Password").fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create the superuser and sign in").click()
    expect(page.locator("#messages")).to_contain_text(
        "Welcome, founder. You are the first superuser of orgportal."
    )
    expect(page.get_by_role("link", name="founder")).to_be_visible()
    assert User.objects.get().is_superuser
    response = page.goto("/setup/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="This page does not exist")).to_be_visible()
    assert not csp_errors


def test_setup_shows_field_errors_beside_fields(page, live_server):
    page.goto("/setup/")
    field(page, "Username").fill("founder")
    page.get_by_label("E-mail address").fill("founder@example.test")
    field(page, "Password").fill("12345678")
    page.get_by_label("Password again").fill("12345678")
    page.get_by_role("button", name="Create the superuser and sign in").click()
    expect(page.locator("#id_password_error")).to_contain_text("too common")
    expect(field(page, "Password")).to_have_attribute("aria-invalid", "true")
    assert not User.objects.exists()


def test_login_wrong_then_right_then_sign_out(page, world, csp_errors):
    page.goto("/users/")
    page.wait_for_url("**/login/?next=/users/")
    field(page, "Username").fill("admin_a")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Incorrect username or password")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/users/")
    expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login/")
    expect(page.locator("#messages")).to_contain_text("You have signed out.")
    assert not csp_errors


def test_login_throttle_message(page, world):
    for _ in range(5):
        page.goto("/login/")
        field(page, "Username").fill("user_a")
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text(
        re.compile(r"Too many failed sign-in attempts\. Try again in 1[45] minutes\.")
    )


def test_personal_token_created_shown_once_used_and_revoked_in_place(page, world, live_server, csp_errors):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    login(page, "user_a", PASSWORD)
    page.goto("/account/")
    expect(page.get_by_text("You have no personal API tokens.")).to_be_visible()
    set_marker(page)
    page.get_by_label("Token name").fill("deploy <script>")
    page.get_by_label("Expires after (days)").fill("30")
    page.get_by_role("button", name="Create token").click()
    shown = page.locator("#new-token-value")
    expect(shown).to_have_text(re.compile(r"^op_pat_\S{20,}$"))
    raw = shown.inner_text().strip()
    expect(page.locator("#messages")).to_contain_text("Token “deploy <script>” created.")
    row = page.locator("#tokens tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("deploy <script>")
    expect(row).to_contain_text("Never")
    assert_no_full_page_load(page)

    page.get_by_role("button", name="Copy token").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == raw

    status, body = api_me(live_server.url, raw)
    assert (status, body["username"]) == (200, "user_a")

    # Shown once: a fresh load of the page lists the token but not its value.
    page.reload()
    expect(page.locator("#new-token-value")).to_have_count(0)
    expect(page.locator("#tokens tbody tr")).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"))
    assert raw not in page.content()

    set_marker(page)
    page.get_by_role("link", name="Revoke token “deploy <script>”").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Revoke “deploy <script>”").click()
    expect(page.locator("#messages")).to_contain_text("Token “deploy <script>” was revoked.")
    expect(page.get_by_text("You have no personal API tokens.")).to_be_visible()
    assert_no_full_page_load(page)
    assert not Token.objects.filter(user__username="user_a").exists()
    assert api_me(live_server.url, raw)[0] == 401
    assert not csp_errors


def test_revoke_dialog_can_be_cancelled_with_the_keyboard(page, world):
    login(page, "user_a", PASSWORD)
    page.goto("/account/")
    page.get_by_label("Token name").fill("keep")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#new-token-value")).to_be_visible()
    page.get_by_role("link", name="Revoke token “keep”").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert Token.objects.filter(name="keep").exists()


def test_personal_token_without_javascript(page_nojs, world, live_server):
    page = page_nojs
    login(page, "user_a", PASSWORD)
    page.goto("/account/")
    page.get_by_label("Token name").fill("cron")
    page.get_by_label("Expires after (days)").fill("7")
    page.get_by_role("button", name="Create token").click()
    page.wait_for_url("**/account/")
    raw = page.locator("#new-token-value").inner_text().strip()
    assert api_me(live_server.url, raw)[0] == 200
    # The revoke link leads to a confirmation page without JavaScript.
    page.get_by_role("link", name="Revoke token “cron”").click()
    page.wait_for_url(re.compile(r"/account/tokens/\d+/revoke/$"))
    page.get_by_role("button", name="Revoke “cron”").click()
    page.wait_for_url("**/account/")
    expect(page.locator("#messages")).to_contain_text("Token “cron” was revoked.")
    assert api_me(live_server.url, raw)[0] == 401


def test_password_change_keeps_me_signed_in(page, world):
    login(page, "user_b", PASSWORD)
    page.goto("/account/")
    page.get_by_label("Current password").fill(PASSWORD)
    field(page, "New password").fill("a-brand-new-passphrase")
    page.get_by_label("New password again").fill("a-brand-new-passphrase")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#messages")).to_contain_text("Your password was changed.")
    expect(page.get_by_role("heading", name="My account")).to_be_visible()
    assert User.objects.get(username="user_b").check_password("a-brand-new-passphrase")


def test_users_search_as_you_type_swaps_only_the_results(page, world, csp_errors):
    login(page, "root", PASSWORD)
    page.goto("/users/")
    rows = page.locator("#user-results tbody tr")
    expect(rows).to_have_count(7)
    set_marker(page)
    page.get_by_label("Search").press_sequentially("admin_")
    expect(rows).to_have_count(3)
    expect(page.locator("#user-results")).not_to_contain_text("user_a")
    page.wait_for_url(re.compile(r"/users/\?.*q=admin_"))
    field(page, "Role").select_option("admin")
    field(page, "Organization").select_option(label="Beta")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("admin_b")
    assert_no_full_page_load(page)
    assert not csp_errors


def test_superuser_creates_user_and_edits_in_place(page, world, csp_errors):
    login(page, "root", PASSWORD)
    page.goto("/users/")
    page.get_by_role("link", name="Create user").click()
    field(page, "Username").fill("carol")
    page.get_by_label("E-mail address").fill("carol@example.test")
    field(page, "Password").fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    field(page, "Organization").select_option(label="Alpha")
    page.get_by_label("Can create certificates").check()
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("heading", name="User carol")).to_be_visible()
    expect(page.locator("#messages")).to_contain_text("User carol was created.")

    set_marker(page)
    field(page, "Role").select_option("admin")
    page.get_by_label("Can create certificates").uncheck()
    page.get_by_role("button", name="Save changes to carol").click()
    expect(page.locator("#messages")).to_contain_text("Saved the changes to carol.")
    assert_no_full_page_load(page)
    carol = User.objects.get(username="carol")
    assert (carol.role, carol.organization.name, carol.can_create_cert) == ("admin", "Alpha", False)
    assert not csp_errors


def test_admin_editor_disables_what_they_may_not_change(page, world):
    login(page, "admin_a", PASSWORD)
    page.goto("/users/")
    page.get_by_role("link", name="user_a").click()
    expect(field(page, "Role")).to_be_disabled()
    expect(field(page, "Organization")).to_be_disabled()
    expect(field(page, "Username")).to_be_disabled()
    set_marker(page)
    page.get_by_label("Can revoke certificates").check()
    page.get_by_role("button", name="Save changes to user_a").click()
    expect(page.locator("#messages")).to_contain_text("Saved the changes to user_a.")
    assert_no_full_page_load(page)
    assert User.objects.get(username="user_a").can_revoke_cert
    # A forbidden value posted anyway (the browser will not send a disabled field) is refused by the service.
    page.evaluate("document.getElementById('id_role').disabled = false")
    field(page, "Role").select_option("admin")
    page.get_by_role("button", name="Save changes to user_a").click()
    expect(page.locator("#id_role_error")).to_have_text("You are not allowed to change role.")
    assert User.objects.get(username="user_a").role == "user"


@pytest.mark.parametrize("width", [1280, 375])
def test_users_pages_fit_the_screen(page, world, width):
    page.set_viewport_size({"width": width, "height": 900})
    login(page, "root", PASSWORD)
    for path in ("/users/", f"/users/{world['user_a'].pk}/", "/users/new/", "/account/"):
        page.goto(path)
        assert_fits(page, width)


def test_revoking_a_token_already_revoked_elsewhere_says_so(page, world):
    login(page, "user_a", PASSWORD)
    page.goto("/account/")
    page.get_by_label("Token name").fill("stale")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#new-token-value")).to_be_visible()
    Token.objects.filter(name="stale").delete()  # revoked in another tab, say
    page.get_by_role("link", name="Revoke token “stale”").click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke “stale”").click()
    expect(page.get_by_role("alert")).to_have_text(
        "This no longer exists. Reload the page to see the current state."
    )
    expect(page.get_by_role("dialog")).to_be_hidden()

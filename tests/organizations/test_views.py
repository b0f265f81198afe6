"""Organization pages with JavaScript off (plain forms: POST, redirect, message) and their htmx answers."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from portal.accounts.models import Role, User
from portal.audit.models import Action, AuditLog
from portal.organizations.models import Organization
from portal.organizations.rules import NAME_CONTROL
from portal.organizations.services import (
    DELEGATE_USERS_ONLY,
    HAS_MEMBERS,
    LAST_ADMIN,
    MEMBER_OF_OTHER_ORG,
    NAME_TAKEN,
    USER_NOT_FOUND,
    delegate_grant,
)
from tests.conftest import make_org, make_user
from tests.organizations.test_views_matrix import snapshot

HTMX = {"HX-Request": "true"}


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


def detail_url(org: Organization) -> str:
    return reverse("organizations:detail", args=[org.pk])


def triggers(response) -> dict:
    return json.loads(response.headers.get("HX-Trigger", "{}"))


# --- List ---------------------------------------------------------------------


def test_superuser_list_shows_all_with_member_counts(world):
    response = client_for(world["root"]).get(reverse("organizations:list"))
    html = response.content.decode()
    assert "Alpha" in html and "Beta" in html
    assert 'id="org-search"' in html
    assert 'hx-trigger="input changed delay:300ms, search"' in html
    rows = {org.name: org.member_count for org in response.context["page"].object_list}
    assert rows == {"Alpha": 2, "Beta": 2}


def test_superuser_search_and_htmx_partial(world):
    client = client_for(world["root"])
    response = client.get(reverse("organizations:list"), {"q": "alp"})
    assert [org.name for org in response.context["page"].object_list] == ["Alpha"]
    partial = client.get(reverse("organizations:list"), {"q": "bet"}, headers=HTMX)
    html = partial.content.decode()
    assert html.lstrip().startswith('<div id="org-results">')
    assert "<html" not in html and "Beta" in html and "Alpha" not in html
    assert "HX-Request" in partial.headers["Vary"]


def test_list_is_paginated(world):
    for number in range(30):
        make_org(f"Team {number:02d}")
    client = client_for(world["root"])
    first = client.get(reverse("organizations:list"))
    assert len(first.context["page"].object_list) == 25
    second = client.get(reverse("organizations:list"), {"page": 2})
    assert len(second.context["page"].object_list) == 7
    assert "Page 2 of 2" in second.content.decode()


@pytest.mark.parametrize(("actor", "shown"), [("admin_a", "Alpha"), ("user_b", "Beta")])
def test_members_see_only_their_organization(world, actor, shown):
    response = client_for(world[actor]).get(reverse("organizations:list"), {"q": ""})
    assert [org.name for org in response.context["page"].object_list] == [shown]
    assert 'id="org-search"' not in response.content.decode()


def test_user_without_organization_gets_a_friendly_empty_state(world):
    html = client_for(world["user_none"]).get(reverse("organizations:list")).content.decode()
    assert "You are not in an organization" in html
    assert "Ask a superuser, or an admin of the organization you work for" in html
    assert "New organization" not in html


def test_admin_without_organization_is_offered_to_create_one(world):
    html = client_for(world["admin_none"]).get(reverse("organizations:list")).content.decode()
    assert "You are not in an organization" in html
    assert "Create a new organization and you will join it" in html
    assert reverse("organizations:create") in html


# --- Create -------------------------------------------------------------------


def test_admin_without_organization_is_told_they_join_then_joins(world):
    client = client_for(world["admin_none"])
    page = client.get(reverse("organizations:create")).content.decode()
    assert "you will <strong>join this organization</strong>" in page
    response = client.post(reverse("organizations:create"), {"name": "  Gamma ", "description": "Third"})
    gamma = Organization.objects.get(name="Gamma")
    assert response.status_code == 302 and response.url == detail_url(gamma)
    followed = client.get(response.url)
    assert "Created organization Gamma. You are now a member of it." in messages_of(followed)
    assert User.objects.get(pk=world["admin_none"].pk).organization_id == gamma.pk
    actions = set(AuditLog.objects.filter(organization_id=gamma.pk).values_list("action", flat=True))
    assert actions == {Action.ORG_CREATE, Action.ORG_ADD_USER}


def test_admin_with_organization_is_told_they_will_not_join(world):
    client = client_for(world["admin_a"])
    page = client.get(reverse("organizations:create")).content.decode()
    assert "You will <strong>not join</strong> this organization: you stay a member of Alpha." in page
    response = client.post(reverse("organizations:create"), {"name": "Gamma"})
    assert response.status_code == 302
    followed = client.get(response.url)
    assert messages_of(followed) == ["Created organization Gamma."]
    assert User.objects.get(pk=world["admin_a"].pk).organization_id == world["org_a"].pk


def test_empty_description_is_stored_as_none(world):
    client_for(world["root"]).post(reverse("organizations:create"), {"name": "Gamma", "description": ""})
    assert Organization.objects.get(name="Gamma").description is None


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("ALPHA", NAME_TAKEN),
        ("bad\x07name", NAME_CONTROL),
        ("", "This field is required."),
        ("x" * 101, "at most 100"),
    ],
)
def test_create_errors_are_shown_beside_the_field_and_nothing_changes(world, name, error):
    before = snapshot()
    response = client_for(world["root"]).post(reverse("organizations:create"), {"name": name})
    assert response.status_code == 422
    assert any(error in message for message in response.context["form"].errors["name"])
    assert 'class="field has-error"' in response.content.decode()
    assert snapshot() == before


# --- Detail ---------------------------------------------------------------------


def test_detail_shows_members_with_role_badges_and_paginates(world):
    for number in range(30):
        make_user(f"crew{number:02d}", organization=world["org_a"])
    client = client_for(world["admin_a"])
    response = client.get(detail_url(world["org_a"]))
    html = response.content.decode()
    assert "Alpha has <strong>32</strong> members." in html
    assert '<span class="badge badge-admin">Admin</span>' in html
    assert response.context["page"].paginator.num_pages == 2
    page2 = client.get(detail_url(world["org_a"]), {"page": 2}, headers=HTMX)
    assert page2.content.decode().lstrip().startswith('<div id="members"')
    assert len(page2.context["page"].object_list) == 7


def test_members_filter(world):
    response = client_for(world["user_a"]).get(detail_url(world["org_a"]), {"q": "admin"})
    assert [member.username for member in response.context["page"].object_list] == ["admin_a"]
    assert "1 match “admin”" in response.content.decode()


def test_buttons_follow_what_the_viewer_may_do(world):
    org = world["org_a"]
    as_user = client_for(world["user_a"]).get(detail_url(org)).content.decode()
    for absent in (
        "Edit name and description",
        "Delete organization",
        "Add a member",
        "Remove",
        "Recent activity",
    ):
        assert absent not in as_user
    as_admin = client_for(world["admin_a"]).get(detail_url(org)).content.decode()
    for present in (
        "Edit name and description",
        "Add a member",
        "Remove user_a from Alpha",
        "Recent activity",
    ):
        assert present in as_admin
    assert "Delete organization" not in as_admin
    as_root = client_for(world["root"]).get(detail_url(org)).content.decode()
    assert "Delete organization" in as_root


def test_delegate_sees_the_picker_but_cannot_remove_admins(world):
    delegate_grant(actor=world["root"], organization_id=world["org_a"].pk, user_id=world["user_a"].pk)
    html = client_for(world["user_a"]).get(detail_url(world["org_a"])).content.decode()
    assert "Add a member" in html
    assert "Remove admin_a from Alpha" not in html
    assert "Grant member management" not in html
    assert "Recent activity" not in html


def test_markup_in_names_and_descriptions_is_text(world):
    org = make_org("<script>alert(1)</script>", description='<img src=x onerror="alert(2)">')
    html = client_for(world["root"]).get(detail_url(org)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    listing = client_for(world["root"]).get(reverse("organizations:list")).content.decode()
    assert "<script>alert(1)" not in listing


def test_pages_carry_no_inline_script_or_style(world):
    client = client_for(world["root"])
    org = world["org_a"]
    urls = [
        reverse("organizations:list"),
        reverse("organizations:create"),
        detail_url(org),
        reverse("organizations:edit", args=[org.pk]),
        reverse("organizations:delete", args=[org.pk]),
        reverse("organizations:member_add", args=[org.pk]),
        reverse("organizations:member_remove", args=[org.pk, world["user_a"].pk]),
    ]
    for url in urls:
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200
        assert 'style="' not in html, url
        assert "<style" not in html, url
        for tag in html.split("<script")[1:]:
            assert tag.lstrip().startswith("src="), f"inline script on {url}"
        assert " on" + "click=" not in html
        assert "Content-Security-Policy" in response.headers


def test_recent_activity_lists_the_organizations_entries_only(world):
    html = client_for(world["admin_a"]).get(detail_url(world["org_a"])).content.decode()
    assert "Added admin_a" in html
    assert "Added admin_b" not in html


# --- Edit ---------------------------------------------------------------------


def test_edit_without_js(world):
    org = world["org_a"]
    client = client_for(world["admin_a"])
    page = client.get(reverse("organizations:edit", args=[org.pk]))
    assert page.context["form"]["name"].value() == "Alpha"
    response = client.post(
        reverse("organizations:edit", args=[org.pk]), {"name": "Alpha Labs", "description": "Lab"}
    )
    assert response.status_code == 302 and response.url == detail_url(org)
    assert messages_of(client.get(response.url)) == ["Saved the changes to Alpha Labs."]
    org.refresh_from_db()
    assert (org.name, org.description) == ("Alpha Labs", "Lab")
    entry = AuditLog.objects.filter(action=Action.ORG_UPDATE).get()
    assert entry.changes["name"] == {"old": "Alpha", "new": "Alpha Labs"}


def test_edit_without_changes_says_so_and_writes_no_audit_entry(world):
    org = world["org_a"]
    client = client_for(world["admin_a"])
    before = AuditLog.objects.count()
    response = client.post(reverse("organizations:edit", args=[org.pk]), {"name": "Alpha", "description": ""})
    assert messages_of(client.get(response.url)) == ["Nothing to save: Alpha is unchanged."]
    assert AuditLog.objects.count() == before


def test_edit_with_htmx_swaps_the_header_and_back(world):
    org = world["org_a"]
    client = client_for(world["admin_a"])
    form = client.get(reverse("organizations:edit", args=[org.pk]), headers=HTMX).content.decode()
    assert form.lstrip().startswith('<form id="org-header"')
    assert "<html" not in form and "autofocus" in form
    cancel = client.get(reverse("organizations:header", args=[org.pk]), headers=HTMX).content.decode()
    assert cancel.lstrip().startswith('<div id="org-header"')
    response = client.post(
        reverse("organizations:edit", args=[org.pk]), {"name": "Alpha Labs", "description": ""}, headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="org-header"') and "<h1" in html and "Alpha Labs" in html
    assert 'hx-swap-oob="true"' in html and "Saved the changes to Alpha Labs." in html
    assert "orgChanged" in triggers(response)


def test_edit_error_with_htmx_keeps_the_form_with_the_error(world):
    org = world["org_a"]
    before = snapshot()
    response = client_for(world["admin_a"]).post(
        reverse("organizations:edit", args=[org.pk]), {"name": "Beta", "description": ""}, headers=HTMX
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="org-header"')
    assert NAME_TAKEN in html
    assert snapshot() == before


# --- Delete -------------------------------------------------------------------


def test_delete_refused_with_members_says_why(world):
    org = world["org_a"]
    client = client_for(world["root"])
    confirm = client.get(reverse("organizations:delete", args=[org.pk])).content.decode()
    assert "still has 2 members" in confirm
    before = snapshot()
    response = client.post(reverse("organizations:delete", args=[org.pk]))
    assert response.status_code == 302 and response.url == detail_url(org)
    assert messages_of(client.get(response.url)) == [HAS_MEMBERS]
    assert snapshot() == before


def test_delete_refused_with_htmx_answers_the_message_in_place(world):
    before = snapshot()
    response = client_for(world["root"]).post(
        reverse("organizations:delete", args=[world["org_a"].pk]), headers=HTMX
    )
    assert response.status_code == 200
    assert HAS_MEMBERS in response.content.decode()
    assert 'hx-swap-oob="true"' in response.content.decode()
    assert snapshot() == before


def test_delete_an_empty_organization(world):
    org = make_org("Gamma")
    client = client_for(world["root"])
    response = client.post(reverse("organizations:delete", args=[org.pk]))
    assert response.status_code == 302 and response.url == reverse("organizations:list")
    assert messages_of(client.get(response.url)) == ["Deleted organization Gamma."]
    assert not Organization.objects.filter(pk=org.pk).exists()
    assert AuditLog.objects.filter(action=Action.ORG_DELETE, organization_id=org.pk).exists()


def test_delete_with_htmx_redirects_the_whole_page(world):
    org = make_org("Gamma")
    response = client_for(world["root"]).post(reverse("organizations:delete", args=[org.pk]), headers=HTMX)
    assert response["HX-Redirect"] == reverse("organizations:list")


# --- Members --------------------------------------------------------------------


def test_picker_searches_only_users_the_admin_may_add(world):
    make_user("lonely_admin_2", role=Role.ADMIN)
    make_user("lonely_root", role=Role.SUPERUSER)
    response = client_for(world["admin_a"]).get(
        reverse("organizations:member_add", args=[world["org_a"].pk]), headers=HTMX
    )
    offered = {user.username for user in response.context["page"].object_list}
    assert offered == {"admin_none", "user_none", "lonely_admin_2"}


def test_picker_for_a_delegate_offers_only_users(world):
    delegate_grant(actor=world["root"], organization_id=world["org_a"].pk, user_id=world["user_a"].pk)
    response = client_for(world["user_a"]).get(reverse("organizations:member_add", args=[world["org_a"].pk]))
    assert {user.username for user in response.context["page"].object_list} == {"user_none"}


def test_picker_for_a_superuser_offers_members_of_other_organizations(world):
    response = client_for(world["root"]).get(
        reverse("organizations:member_add", args=[world["org_a"].pk]), {"q": "_b"}
    )
    assert {user.username for user in response.context["page"].object_list} == {"admin_b", "user_b"}
    assert "moves from another organization" in response.content.decode()


def test_picker_search_tolerates_nul_and_overlong_input(world):
    client = client_for(world["root"])
    url = reverse("organizations:member_add", args=[world["org_a"].pk])
    assert client.get(url, {"q": "user\x00_none"}).status_code == 200
    assert client.get(url, {"q": "x" * 5000}).status_code == 200
    assert client.get(detail_url(world["org_a"]), {"q": "\x00"}).status_code == 200
    assert client.get(reverse("organizations:list"), {"q": "\x00", "page": "abc"}).status_code == 200


def test_add_member_without_js(world):
    org = world["org_a"]
    client = client_for(world["admin_a"])
    picker = client.get(reverse("organizations:member_add", args=[org.pk]), {"q": "user_n"})
    assert [user.username for user in picker.context["page"].object_list] == ["user_none"]
    assert "Add user_none to Alpha" in picker.content.decode()
    response = client.post(
        reverse("organizations:member_add", args=[org.pk]), {"user_id": world["user_none"].pk}
    )
    assert response.status_code == 302 and response.url == detail_url(org)
    followed = client.get(response.url)
    assert messages_of(followed) == ["Added user_none to Alpha."]
    assert "user_none" in [member.username for member in followed.context["page"].object_list]
    assert "Alpha has <strong>3</strong> members." in followed.content.decode()
    assert AuditLog.objects.filter(action=Action.ORG_ADD_USER, detail__contains="user_none").count() == 1


def test_add_member_with_htmx_refreshes_picker_and_triggers_table(world):
    org = world["org_a"]
    response = client_for(world["admin_a"]).post(
        reverse("organizations:member_add", args=[org.pk]),
        {"user_id": world["user_none"].pk, "q": "none"},
        headers=HTMX,
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="picker-results"')
    assert "Add user_none" not in html  # no longer offered
    assert "Added user_none to Alpha." in html and 'hx-swap-oob="true"' in html
    assert "membersChanged" in triggers(response)
    # The table listens to that event and reloads itself from the detail view.
    table = client_for(world["admin_a"]).get(detail_url(org), headers=HTMX).content.decode()
    assert 'hx-trigger="membersChanged from:body"' in table and "user_none" in table


@pytest.mark.parametrize(
    ("target", "message"),
    [("user_b", MEMBER_OF_OTHER_ORG), ("root", "Only a superuser can add a superuser")],
)
def test_admin_cannot_add_users_of_other_organizations_or_superusers(world, target, message):
    before = snapshot()
    client = client_for(world["admin_a"])
    response = client.post(
        reverse("organizations:member_add", args=[world["org_a"].pk]), {"user_id": world[target].pk}
    )
    assert response.status_code == 302
    assert any(message in text for text in messages_of(client.get(response.url)))
    assert snapshot() == before


def test_delegate_cannot_add_an_admin(world):
    delegate_grant(actor=world["root"], organization_id=world["org_a"].pk, user_id=world["user_a"].pk)
    before = snapshot()
    client = client_for(world["user_a"])
    response = client.post(
        reverse("organizations:member_add", args=[world["org_a"].pk]), {"user_id": world["admin_none"].pk}
    )
    assert messages_of(client.get(response.url)) == [DELEGATE_USERS_ONLY]
    assert snapshot() == before


@pytest.mark.parametrize("user_id", ["", "abc", "-1", str(2**64), "987654"])
def test_add_with_a_bad_or_missing_user_id_changes_nothing(world, user_id):
    before = snapshot()
    client = client_for(world["root"])
    response = client.post(
        reverse("organizations:member_add", args=[world["org_a"].pk]), {"user_id": user_id}
    )
    assert response.status_code == 302
    assert messages_of(client.get(response.url))[0] in ("Choose a user first.", USER_NOT_FOUND)
    assert snapshot() == before


def test_remove_member_without_js_confirms_first(world):
    org = world["org_a"]
    client = client_for(world["admin_a"])
    url = reverse("organizations:member_remove", args=[org.pk, world["user_a"].pk])
    confirm = client.get(url).content.decode()
    assert "Remove user_a from Alpha?" in confirm
    assert '<button type="submit" class="danger">Remove user_a from Alpha</button>' in confirm
    assert User.objects.get(pk=world["user_a"].pk).organization_id == org.pk  # a GET removes nobody
    response = client.post(url)
    assert response.status_code == 302 and response.url == detail_url(org)
    followed = client.get(response.url)
    assert messages_of(followed) == ["Removed user_a from Alpha."]
    assert "user_a" not in [member.username for member in followed.context["page"].object_list]
    assert User.objects.get(pk=world["user_a"].pk).organization_id is None
    assert AuditLog.objects.filter(action=Action.ORG_REMOVE_USER, detail__contains="user_a").count() == 1


def test_remove_with_htmx_answers_messages_and_an_event(world):
    org = world["org_a"]
    response = client_for(world["admin_a"]).post(
        reverse("organizations:member_remove", args=[org.pk, world["user_a"].pk]), headers=HTMX
    )
    assert response.status_code == 200
    assert "Removed user_a from Alpha." in response.content.decode()
    assert "membersChanged" in triggers(response)


def test_detail_page_links_each_row_to_its_actions_and_shares_one_dialog(world):
    org = world["org_a"]
    delegate_grant(actor=world["root"], organization_id=org.pk, user_id=world["user_a"].pk)
    make_user("plain", organization=org)
    html = client_for(world["admin_a"]).get(detail_url(org)).content.decode()
    # One confirmation dialog, filled from the Remove link that opens it (portal.js).
    assert html.count("<dialog ") == 1
    assert '<dialog id="remove-dialog"' in html
    assert "data-opener-action" in html
    for username in ("user_a", "plain", "admin_a"):
        member = User.objects.get(username=username)
        remove = reverse("organizations:member_remove", args=[org.pk, member.pk])
        assert (
            f'<a class="button secondary small" href="{remove}" data-dialog="#remove-dialog" data-username="{username}"'
            in html
        )
    # Member management: revoke for the delegate, grant for the other user, nothing for the admin.
    revoke = reverse("organizations:delegate_revoke", args=[org.pk, world["user_a"].pk])
    grant = reverse("organizations:delegate_grant", args=[org.pk, User.objects.get(username="plain").pk])
    assert html.count(f'form="member-actions" formaction="{revoke}"') == 2  # the row and the delegates list
    assert html.count(f'form="member-actions" formaction="{grant}"') == 1
    admin_id = world["admin_a"].pk
    assert f"/members/{admin_id}/manager/" not in html
    assert '<form id="member-actions" method="post"' in html


@pytest.mark.parametrize(
    ("viewer", "offered"),
    [
        ("root", {"admin_a", "user_a", "delegate", "chief"}),
        ("admin_a", {"admin_a", "user_a", "delegate"}),
        ("delegate", {"user_a", "delegate"}),  # members with the user role only, themselves included
    ],
)
def test_remove_is_offered_where_the_service_would_allow_it(world, viewer, offered):
    org = world["org_a"]
    make_user("chief", role=Role.SUPERUSER, organization=org)
    delegate = make_user("delegate", organization=org)
    delegate_grant(actor=world["root"], organization_id=org.pk, user_id=delegate.pk)
    viewers = {**world, "delegate": delegate}
    html = client_for(viewers[viewer]).get(detail_url(org)).content.decode()
    for member in User.objects.filter(organization=org):
        remove = reverse("organizations:member_remove", args=[org.pk, member.pk])
        assert (f'href="{remove}"' in html) == (member.username in offered), (viewer, member.username)


def test_row_action_buttons_work_without_javascript(world):
    org = world["org_a"]
    client = client_for(world["admin_a"])
    grant = reverse("organizations:delegate_grant", args=[org.pk, world["user_a"].pk])
    assert f'formaction="{grant}"' in client.get(detail_url(org)).content.decode()
    response = client.post(grant)  # what the browser sends: the shared form to the button's formaction
    assert response.status_code == 302
    assert User.objects.get(pk=world["user_a"].pk).manages_members


def test_last_admin_cannot_remove_themselves(world):
    org = world["org_a"]
    before = snapshot()
    client = client_for(world["admin_a"])
    response = client.post(reverse("organizations:member_remove", args=[org.pk, world["admin_a"].pk]))
    assert messages_of(client.get(response.url)) == [LAST_ADMIN]
    assert snapshot() == before


@pytest.mark.parametrize("htmx", [False, True])
def test_admin_who_removes_themselves_lands_on_the_list(world, htmx):
    org = world["org_a"]
    make_user("admin_a2", role=Role.ADMIN, organization=org)
    client = client_for(world["admin_a"])
    response = client.post(
        reverse("organizations:member_remove", args=[org.pk, world["admin_a"].pk]),
        headers=HTMX if htmx else {},
    )
    if htmx:
        assert response["HX-Redirect"] == reverse("organizations:list")
    else:
        assert response.url == reverse("organizations:list")
    assert User.objects.get(pk=world["admin_a"].pk).organization_id is None


def test_removing_someone_not_a_member_changes_nothing(world):
    before = snapshot()
    client = client_for(world["root"])
    response = client.post(
        reverse("organizations:member_remove", args=[world["org_a"].pk, world["user_b"].pk])
    )
    assert messages_of(client.get(response.url)) == ["User is not a member of this organization"]
    assert snapshot() == before


def test_grant_and_revoke_delegation_without_js(world):
    org = world["org_a"]
    client = client_for(world["admin_a"])
    user_a = world["user_a"]
    response = client.post(reverse("organizations:delegate_grant", args=[org.pk, user_a.pk]))
    followed = client.get(response.url)
    assert messages_of(followed) == ["user_a can now add and remove members of Alpha."]
    assert [d.username for d in followed.context["delegates"]] == ["user_a"]
    assert client_for(user_a).get(reverse("organizations:member_add", args=[org.pk])).status_code == 200
    response = client.post(reverse("organizations:delegate_revoke", args=[org.pk, user_a.pk]))
    followed = client.get(response.url)
    assert messages_of(followed) == ["user_a no longer manages the members of Alpha."]
    assert followed.context["delegates"] == []
    assert client_for(user_a).get(reverse("organizations:member_add", args=[org.pk])).status_code == 403
    actions = list(
        AuditLog.objects.filter(action__in=[Action.ORG_GRANT, Action.ORG_REVOKE]).values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == [Action.ORG_GRANT, Action.ORG_REVOKE]


def test_grant_to_an_admin_is_refused_with_the_reason(world):
    org = world["org_a"]
    make_user("admin_a2", role=Role.ADMIN, organization=org)
    before = snapshot()
    client = client_for(world["root"])
    response = client.post(
        reverse("organizations:delegate_grant", args=[org.pk, User.objects.get(username="admin_a2").pk])
    )
    assert (
        "Only members with the user role can be made member managers"
        in messages_of(client.get(response.url))[0]
    )
    assert snapshot() == before


def test_grant_with_htmx_triggers_the_table(world):
    response = client_for(world["admin_a"]).post(
        reverse("organizations:delegate_grant", args=[world["org_a"].pk, world["user_a"].pk]), headers=HTMX
    )
    assert "membersChanged" in triggers(response)
    assert "user_a can now add and remove members of Alpha." in response.content.decode()


def test_csrf_is_enforced(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["admin_a"])
    before = snapshot()
    response = client.post(
        reverse("organizations:member_add", args=[world["org_a"].pk]), {"user_id": world["user_none"].pk}
    )
    assert response.status_code == 403
    assert snapshot() == before


def test_anonymous_htmx_request_is_sent_to_the_login_page_whole(world):
    response = Client().get(detail_url(world["org_a"]), headers=HTMX)
    assert response["HX-Redirect"].startswith(reverse("accounts:login"))

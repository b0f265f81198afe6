"""Organization pages and actions against every kind of actor (SPEC sections 3 and 7).

One table per kind of request: (page or action, actor) -> expected status.
A refused POST must leave organizations, memberships, grants and the
audit log exactly as they were.
"""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from portal.accounts.models import Role, User
from portal.audit.models import AuditLog
from portal.organizations.models import Organization, OrganizationUserObjectPermission
from portal.organizations.services import delegate_grant
from tests.conftest import make_user

ACTORS = ["anonymous", "root", "admin_a", "user_a", "admin_b", "user_b", "admin_none", "user_none"]
MISSING = 987654321


def client_for(world: dict, actor: str) -> Client:
    client = Client()
    if actor != "anonymous":
        client.force_login(world[actor])
    return client


def snapshot() -> tuple:
    """Everything an organization action could change."""
    return (
        list(Organization.objects.order_by("pk").values_list("pk", "name", "description")),
        list(User.objects.order_by("pk").values_list("pk", "organization_id", "manages_members", "role")),
        sorted(
            OrganizationUserObjectPermission.objects.values_list(
                "user_id", "content_object_id", "permission__codename"
            )
        ),
        AuditLog.objects.count(),
    )


def expect(allowed: dict[str, int], *, default: int = 403) -> dict[str, int]:
    table = dict.fromkeys(ACTORS, default)
    table["anonymous"] = 302
    table.update(allowed)
    return table


# --- Pages (GET) --------------------------------------------------------------

Url = Callable[[dict], str]


def _org(name: str, *args: Any) -> Url:
    return lambda w: reverse(f"organizations:{name}", args=[w["org_a"].pk, *[w[a].pk for a in args]])


PAGES: dict[str, tuple[Url, dict[str, int], bool]] = {
    # name: (url, expected status per actor, sent as an htmx request)
    "list": (lambda w: reverse("organizations:list"), expect({}, default=200), False),
    "create": (
        lambda w: reverse("organizations:create"),
        expect({"root": 200, "admin_a": 200, "admin_b": 200, "admin_none": 200}),
        False,
    ),
    "detail": (_org("detail"), expect({"root": 200, "admin_a": 200, "user_a": 200}), False),
    "members partial": (_org("detail"), expect({"root": 200, "admin_a": 200, "user_a": 200}), True),
    "header partial": (_org("header"), expect({"root": 200, "admin_a": 200, "user_a": 200}), True),
    "activity partial": (_org("activity"), expect({"root": 200, "admin_a": 200}), True),
    "edit": (_org("edit"), expect({"root": 200, "admin_a": 200}), False),
    "edit form partial": (_org("edit"), expect({"root": 200, "admin_a": 200}), True),
    "delete": (_org("delete"), expect({"root": 200}), False),
    "member picker": (_org("member_add"), expect({"root": 200, "admin_a": 200}), False),
    "member picker partial": (_org("member_add"), expect({"root": 200, "admin_a": 200}), True),
    "remove confirm": (_org("member_remove", "user_a"), expect({"root": 200, "admin_a": 200}), False),
}

PAGE_CASES = [(page, actor) for page in PAGES for actor in ACTORS]


@pytest.mark.parametrize(("page", "actor"), PAGE_CASES, ids=[f"{p}-{a}" for p, a in PAGE_CASES])
def test_page_access_matrix(world, page, actor):
    url_for, expected, htmx = PAGES[page]
    url = url_for(world)
    headers = {"HX-Request": "true"} if htmx else {}
    response = client_for(world, actor).get(url, headers=headers)
    status = expected[actor]
    if actor == "anonymous" and htmx:
        # An htmx request whose session is gone loads the login page as a whole.
        assert response.status_code == 200
        assert response["HX-Redirect"].startswith(reverse("accounts:login") + "?next=")
        return
    assert response.status_code == status, response.content[:500]
    if status == 302:
        assert response.url.startswith(reverse("accounts:login") + "?next=")
    if status == 403:
        # The portal's own 403 page, not a bare Django one.
        assert b"You cannot open this page" in response.content
        assert b"orgportal" in response.content


ORG_PAGES = ["detail", "header", "activity", "edit", "delete", "member_add"]


@pytest.mark.parametrize("name", ORG_PAGES)
@pytest.mark.parametrize("actor", ACTORS)
def test_missing_organization_is_403_for_non_superusers_and_404_for_superusers(world, name, actor):
    url = reverse(f"organizations:{name}", args=[MISSING])
    response = client_for(world, actor).get(url)
    if actor == "anonymous":
        assert response.status_code == 302
    elif actor == "root":
        assert response.status_code == 404
        assert b"This page does not exist" in response.content
    else:
        # Same answer as for an organization that exists but is not theirs: ids reveal nothing.
        assert response.status_code == 403
        assert b"You cannot open this page" in response.content


def test_ids_beyond_64_bit_are_answered_like_missing_ones(world):
    huge = 2**70
    assert client_for(world, "root").get(f"/organizations/{huge}/").status_code == 404
    assert client_for(world, "admin_a").get(f"/organizations/{huge}/").status_code == 403
    response = client_for(world, "root").get(f"/organizations/{world['org_a'].pk}/members/{huge}/remove/")
    assert response.status_code == 404
    before = snapshot()
    for path in ("remove", "manager/grant", "manager/revoke"):
        response = client_for(world, "root").post(
            f"/organizations/{world['org_a'].pk}/members/{huge}/{path}/"
        )
        assert response.status_code == 302
    assert (
        client_for(world, "admin_a").post(f"/organizations/{huge}/members/add/", {"user_id": 1}).status_code
        == 403
    )
    assert snapshot() == before


def test_remove_confirm_page_for_a_non_member_is_404(world):
    url = reverse("organizations:member_remove", args=[world["org_a"].pk, world["user_b"].pk])
    assert client_for(world, "admin_a").get(url).status_code == 404


# --- Actions (POST) -----------------------------------------------------------


def _post(name: str, *args: str, data: Callable[[dict], dict] | None = None) -> tuple[Url, Callable]:
    return _org(name, *args), data or (lambda w: {})


ACTIONS: dict[str, tuple[Url, Callable[[dict], dict], set[str]]] = {
    # name: (url, form data, actors whose request is carried out)
    "create": (
        lambda w: reverse("organizations:create"),
        lambda w: {"name": "Gamma", "description": ""},
        {"root", "admin_a", "admin_b", "admin_none"},
    ),
    "edit": (
        _org("edit"),
        lambda w: {"name": "Alpha renamed", "description": "New words"},
        {"root", "admin_a"},
    ),
    "add member": (*_post("member_add", data=lambda w: {"user_id": w["user_none"].pk}), {"root", "admin_a"}),
    "remove member": (*_post("member_remove", "user_a"), {"root", "admin_a"}),
    "grant delegation": (*_post("delegate_grant", "user_a"), {"root", "admin_a"}),
    "revoke delegation": (*_post("delegate_revoke", "user_a"), {"root", "admin_a"}),
}

ACTION_CASES = [(action, actor) for action in ACTIONS for actor in ACTORS]


@pytest.mark.parametrize(("action", "actor"), ACTION_CASES, ids=[f"{a}-{b}" for a, b in ACTION_CASES])
def test_action_matrix(world, action, actor):
    url_for, data_for, allowed = ACTIONS[action]
    if action == "revoke delegation":
        delegate_grant(actor=world["root"], organization_id=world["org_a"].pk, user_id=world["user_a"].pk)
        world["user_a"].refresh_from_db()
    before = snapshot()
    response = client_for(world, actor).post(url_for(world), data_for(world))
    after = snapshot()
    if actor in allowed:
        assert response.status_code == 302, response.content[:500]
        assert after != before
        assert after[3] > before[3], "a carried-out action is audited"
    else:
        if actor == "anonymous":
            assert response.status_code == 302
            assert response.url.startswith(reverse("accounts:login"))
        else:
            assert response.status_code == 403
            assert b"You cannot open this page" in response.content
        assert after == before, "a refused request changes nothing and writes no audit entry"


@pytest.mark.parametrize("actor", ACTORS)
def test_delete_matrix_refuses_everyone_while_members_remain(world, actor):
    before = snapshot()
    response = client_for(world, actor).post(reverse("organizations:delete", args=[world["org_a"].pk]))
    assert snapshot() == before
    if actor == "anonymous":
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))
    elif actor == "root":
        # Allowed to try; the service refuses and says why on the organization's page.
        assert response.status_code == 302
        assert response.url == reverse("organizations:detail", args=[world["org_a"].pk])
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("actor", ACTORS)
def test_delete_of_an_empty_organization_only_by_superuser(world, actor):
    empty = Organization.objects.create(name="Empty")
    before = snapshot()
    response = client_for(world, actor).post(reverse("organizations:delete", args=[empty.pk]))
    if actor == "root":
        assert response.status_code == 302
        assert not Organization.objects.filter(pk=empty.pk).exists()
    else:
        assert response.status_code in (302, 403)
        assert snapshot() == before


@pytest.mark.parametrize(
    "name", ["edit", "delete", "member_add", "member_remove", "delegate_grant", "delegate_revoke"]
)
@pytest.mark.parametrize("actor", ["root", "admin_a", "user_none"])
def test_actions_on_a_missing_organization(world, name, actor):
    args = [MISSING] if name in ("edit", "delete", "member_add") else [MISSING, world["user_a"].pk]
    before = snapshot()
    response = client_for(world, actor).post(
        reverse(f"organizations:{name}", args=args), {"user_id": world["user_none"].pk, "name": "X"}
    )
    assert response.status_code == (404 if actor == "root" else 403)
    assert snapshot() == before


def test_user_role_cannot_create_even_without_the_page(world):
    for actor in ("user_a", "user_none"):
        before = snapshot()
        response = client_for(world, actor).post(reverse("organizations:create"), {"name": "Sneaky"})
        assert response.status_code == 403
        assert snapshot() == before


def test_delegate_reaches_the_picker_but_not_edit_or_delegation(world):
    delegate_grant(actor=world["root"], organization_id=world["org_a"].pk, user_id=world["user_a"].pk)
    client = client_for(world, "user_a")
    org = world["org_a"].pk
    assert client.get(reverse("organizations:member_add", args=[org])).status_code == 200
    assert client.get(reverse("organizations:edit", args=[org])).status_code == 403
    assert (
        client.get(reverse("organizations:activity", args=[org]), headers={"HX-Request": "true"}).status_code
        == 403
    )
    other = make_user("other_user", organization=world["org_a"])
    before = snapshot()
    response = client.post(reverse("organizations:delegate_grant", args=[org, other.pk]))
    assert response.status_code == 403
    assert snapshot() == before


def test_methods_other_than_the_allowed_are_refused(world):
    client = client_for(world, "root")
    org = world["org_a"].pk
    assert client.post(reverse("organizations:detail", args=[org])).status_code == 405
    assert client.post(reverse("organizations:list")).status_code == 405
    url = reverse("organizations:delegate_grant", args=[org, world["user_a"].pk])
    assert client.get(url).status_code == 405


def test_admin_role_check_uses_current_role(world):
    """A demoted admin loses the pages with the role (grants follow the role)."""
    from portal.accounts.services import user_update

    user_update(actor=world["root"], user_id=world["admin_a"].pk, role=Role.USER)
    client = client_for(world, "admin_a")
    assert client.get(reverse("organizations:edit", args=[world["org_a"].pk])).status_code == 403
    assert client.get(reverse("organizations:create")).status_code == 403

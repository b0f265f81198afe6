"""CSRF: every portal POST, plain or htmx, is refused without the token and changes nothing."""

import pytest
from django.test import Client

from tests.conftest import PASSWORD
from tests.helpers import snapshot


def portal_posts(world):
    org, user = world["org_a"].pk, world["user_a"].pk
    return [
        ("/login/", {"username": "root", "password": PASSWORD}),
        ("/logout/", {}),
        ("/account/email/", {"email": "evil@example.test"}),
        (
            "/account/password/",
            {
                "old_password": PASSWORD,
                "new_password1": "x-new-pass-1234",
                "new_password2": "x-new-pass-1234",
            },
        ),
        ("/account/tokens/", {"name": "stolen", "expires_in_days": 30}),
        ("/account/tokens/1/revoke/", {}),
        ("/users/new/", {"username": "evil", "email": "evil@example.test", "password1": "x-new-pass-1234"}),
        (f"/users/{user}/", {"role": "admin"}),
        (
            f"/users/{user}/password/",
            {"new_password1": "x-new-pass-1234", "new_password2": "x-new-pass-1234"},
        ),
        (f"/users/{user}/delete/", {}),
        ("/organizations/new/", {"name": "Evil"}),
        (f"/organizations/{org}/edit/", {"name": "Hijacked"}),
        (f"/organizations/{org}/delete/", {}),
        (f"/organizations/{org}/members/add/", {"user_id": world["user_none"].pk}),
        (f"/organizations/{org}/members/{user}/remove/", {}),
        (f"/organizations/{org}/members/{user}/manager/grant/", {}),
        (f"/organizations/{org}/members/{user}/manager/revoke/", {}),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_portal_posts_without_csrf_token_are_refused(world, htmx):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["root"])
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    for path, data in portal_posts(world):
        before = snapshot()
        response = client.post(path, data, **headers)
        assert response.status_code == 403, path
        assert b"form has expired" in response.content, path
        assert snapshot() == before, path


@pytest.mark.django_db
def test_setup_without_csrf_token_is_refused(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/setup/",
        {"username": "first", "email": "f@example.test", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 403
    from portal.accounts.models import User

    assert not User.objects.exists()


@pytest.mark.django_db
def test_api_bearer_requests_need_no_csrf_token(world):
    # Bearer tokens are not ambient credentials, so the API is exempt, and a
    # browser session alone does not authenticate the API.
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["root"])
    response = client.post("/api/v1/organizations/", {"name": "Via session"}, content_type="application/json")
    assert response.status_code == 401

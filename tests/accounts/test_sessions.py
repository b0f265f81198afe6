"""Signed-in sessions: read by a prepared statement (portal.core.sessions, accounts.backends), as Django would."""

from datetime import timedelta

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends import db as django_db
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.accounts.backends import UserBackend
from portal.core.sessions import SessionStore
from tests.conftest import make_user

ACCOUNT = "/account/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def session_key(client: Client) -> str:
    return client.cookies["sessionid"].value


def test_session_reads_what_django_reads(world):
    client = signed_in(world["admin_a"])
    key = session_key(client)
    ours = SessionStore(key).load()
    assert ours == django_db.SessionStore(key).load()
    assert ours[SESSION_KEY] == str(world["admin_a"].pk)
    assert ours[BACKEND_SESSION_KEY] == "portal.accounts.backends.UserBackend"


def test_signed_in_page_opens(world):
    response = signed_in(world["admin_a"]).get(reverse("organizations:list"))
    assert response.status_code == 200
    assert response.context["user"] == world["admin_a"]


def test_expired_session_signs_out(world):
    client = signed_in(world["admin_a"])
    Session.objects.filter(session_key=session_key(client)).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(reverse("organizations:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_unknown_session_key_is_anonymous_and_gets_no_session(world):
    store = SessionStore("x" * 32)
    assert store.load() == {}
    assert store.session_key is None


def test_deactivated_user_is_signed_out(world):
    user = make_user("leaving")
    client = signed_in(user)
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    response = client.get(reverse("organizations:list"))
    assert response.status_code == 302


def test_deleted_user_is_signed_out(world):
    user = make_user("gone")
    client = signed_in(user)
    type(user).objects.filter(pk=user.pk).delete()
    assert client.get(reverse("organizations:list")).status_code == 302


def test_changed_password_ends_other_sessions(world):
    user = make_user("rotating")
    client = signed_in(user)
    user.set_password("another long passphrase 42")
    user.save(update_fields=["password"])
    assert client.get(reverse("organizations:list")).status_code == 302


@pytest.mark.parametrize("user_id", ["not-a-number", "", "1.5", None, str(2**63), 2**63, -1, 0])
def test_backend_finds_nobody_for_an_odd_id(world, user_id):
    assert UserBackend().get_user(user_id) is None


@pytest.mark.parametrize("stored_id", [str(2**63), "-1", "987654321"])
def test_session_of_a_user_id_that_cannot_exist_is_anonymous(world, stored_id):
    client = signed_in(world["admin_a"])
    store = SessionStore(session_key(client))
    store[SESSION_KEY] = stored_id
    store.save()
    assert client.get(reverse("organizations:list")).status_code == 302


def test_backend_finds_the_user_django_finds(world):
    for name in ("root", "admin_a", "user_a"):
        user = world[name]
        found = UserBackend().get_user(user.pk)
        assert found == user
        assert found.get_session_auth_hash() == user.get_session_auth_hash()
        assert found.organization_id == user.organization_id
        assert found.role == user.role

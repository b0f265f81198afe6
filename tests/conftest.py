"""Shared fixtures: actors built through the service layer, and an HTTP client with real bearer tokens."""

import itertools
import json
from typing import Any

import pytest
from django.test import Client

from portal.accounts.models import Role, User
from portal.accounts.services import _issue_pair, user_create
from portal.organizations.models import Organization
from portal.organizations.services import membership_set, organization_create

PASSWORD = "correct-horse-battery-staple"
_seq = itertools.count(1)


def make_user(
    username: str | None = None,
    *,
    role: str = Role.USER,
    organization: Organization | None = None,
    password: str = PASSWORD,
    **extra: Any,
) -> User:
    username = username or f"user{next(_seq)}"
    user = user_create(
        actor=None,
        username=username,
        email=f"{username}@example.test",
        password=password,
        role=role,
        bootstrap_any=True,
        **extra,
    )
    if organization is not None:
        membership_set(actor=user, user=user, organization=organization)
    return user


def make_org(name: str | None = None, *, description: str | None = None) -> Organization:
    root = User.objects.filter(is_superuser=True).first() or make_user("root-maker", role=Role.SUPERUSER)
    return organization_create(actor=root, name=name or f"Org {next(_seq)}", description=description)


class ApiClient:
    """django.test.Client speaking JSON with a bearer token."""

    def __init__(self, token: str | None = None) -> None:
        self.client = Client()
        self.token = token

    def _headers(self, headers: dict | None) -> dict:
        out = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}
        for key, value in (headers or {}).items():
            out["HTTP_" + key.upper().replace("-", "_")] = value
        return out

    def request(
        self,
        method: str,
        path: str,
        data: Any = None,
        *,
        raw: bytes | str | None = None,
        content_type: str = "application/json",
        headers: dict | None = None,
    ):
        body: Any = raw if raw is not None else (json.dumps(data) if data is not None else "")
        call = getattr(self.client, method.lower())
        if method.upper() == "GET":
            return call(path, data or {}, **self._headers(headers))
        return call(path, body, content_type=content_type, **self._headers(headers))

    def get(self, path: str, params: dict | None = None, **kw):
        return self.request("GET", path, params, **kw)

    def post(self, path: str, data: Any = None, **kw):
        return self.request("POST", path, data, **kw)

    def put(self, path: str, data: Any = None, **kw):
        return self.request("PUT", path, data, **kw)

    def patch(self, path: str, data: Any = None, **kw):
        return self.request("PATCH", path, data, **kw)

    def delete(self, path: str, **kw):
        return self.request("DELETE", path, **kw)


def api_as(user: User | None) -> ApiClient:
    return ApiClient(_issue_pair(user)["access_token"] if user is not None else None)


@pytest.fixture
def root(db) -> User:
    return make_user("root", role=Role.SUPERUSER)


@pytest.fixture
def world(root):
    """Two organizations with an admin and a user each, plus users in none."""
    org_a = make_org("Alpha")
    org_b = make_org("Beta")
    return {
        "root": root,
        "org_a": org_a,
        "org_b": org_b,
        "admin_a": make_user("admin_a", role=Role.ADMIN, organization=org_a),
        "user_a": make_user("user_a", organization=org_a),
        "admin_b": make_user("admin_b", role=Role.ADMIN, organization=org_b),
        "user_b": make_user("user_b", organization=org_b),
        "admin_none": make_user("admin_none", role=Role.ADMIN),
        "user_none": make_user("user_none"),
    }

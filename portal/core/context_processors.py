"""Navigation shows only what the viewer may use."""

from functools import lru_cache
from typing import Any

from django.http import HttpRequest
from django.urls import get_script_prefix, reverse

from portal.accounts.models import Role
from portal.accounts.selectors import may_manage_users

NAV_URLS = {
    "home": "home",
    "organizations": "organizations:list",
    "users": "accounts:users",
    "audit": "audit:list",
    "admin_site": "admin:index",
    "account": "accounts:account",
    "logout": "accounts:logout",
}


@lru_cache(maxsize=8)
def _nav_urls(script_prefix: str) -> dict[str, str]:
    # The same on every page: resolved once per process (and per prefix the site is served under).
    return {key: reverse(name) for key, name in NAV_URLS.items()}


def nav(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    urls = _nav_urls(get_script_prefix())
    if user is None or not user.is_authenticated:
        return {"nav": {}, "nav_urls": urls}
    return {
        "nav_urls": urls,
        "nav": {
            "users": may_manage_users(user),
            "audit": user.is_superuser or (user.role == Role.ADMIN and user.organization_id is not None),
            "admin_site": user.is_superuser,
        },
    }

"""Navigation shows only what the viewer may use."""

from typing import Any

from django.http import HttpRequest

from portal.accounts.models import Role
from portal.accounts.selectors import may_manage_users


def nav(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}}
    return {
        "nav": {
            "users": may_manage_users(user),
            "audit": user.is_superuser or (user.role == Role.ADMIN and user.organization_id is not None),
            "admin_site": user.is_superuser,
        }
    }

"""User reads, scoped to the viewer."""

from typing import Any

from django.db.models import Q, QuerySet

from portal.accounts.models import Role, Token, TokenKind, User
from portal.core.exceptions import NotFound, PermissionDenied

USER_NOT_FOUND = "User not found"
USERS_LIST_FORBIDDEN = "Only superusers and admins can list users."


def may_manage_users(viewer: Any) -> bool:
    """Superusers and admins have the users pages and the users list; everyone else does not."""
    return bool(viewer.is_superuser or getattr(viewer, "role", None) == Role.ADMIN)


def users_visible_filter(viewer: Any) -> Q:
    """Who a viewer may see: superuser all; admin own organization and the unassigned; others themselves."""
    if viewer.is_superuser:
        return Q()
    if viewer.role == Role.ADMIN:
        own = Q(organization__isnull=True)
        if viewer.organization_id is not None:
            own |= Q(organization_id=viewer.organization_id)
        return own | Q(pk=viewer.pk)
    return Q(pk=viewer.pk)


def users_visible_to(
    viewer: Any, *, search: str = "", organization_id: int | None = None, unassigned: bool = False
) -> QuerySet[User]:
    """Superuser: everyone; admin: their organization's members and the unassigned; others may not list."""
    if not may_manage_users(viewer):
        raise PermissionDenied(USERS_LIST_FORBIDDEN)
    users = User.objects.filter(users_visible_filter(viewer))
    if search:
        users = users.filter(Q(username__icontains=search) | Q(email__icontains=search))
    if organization_id is not None:
        users = users.filter(organization_id=organization_id)
    if unassigned:
        users = users.filter(organization__isnull=True)
    return users.order_by("username", "pk")


def user_for(viewer: Any, user_id: int) -> User:
    """One user the viewer may see; 404 for anyone else, as for a missing id."""
    user = User.objects.filter(users_visible_filter(viewer), pk=user_id).first()
    if user is None:
        raise NotFound(USER_NOT_FOUND)
    return user


def personal_tokens_of(user: Any) -> QuerySet[Token]:
    return Token.objects.filter(user=user, kind=TokenKind.PERSONAL).order_by("-created_at", "-pk")

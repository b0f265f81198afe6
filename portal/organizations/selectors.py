"""Organization reads, always starting from the viewer."""

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from portal.accounts.models import Role, User
from portal.core.exceptions import NotFound, PermissionDenied
from portal.organizations.models import Organization
from portal.organizations.permissions import ORG_PERM_VIEW, organizations_with_perm

NOT_ENOUGH_PERMISSIONS = "Not enough permissions"
ORGANIZATION_NOT_FOUND = "Organization not found"


def with_member_count(organizations: QuerySet[Organization]) -> QuerySet[Organization]:
    # A correlated count per returned row: cheap with the (organization,
    # username) index, and it does not aggregate every membership when only
    # one page of organizations is read.
    counts = (
        User.objects.filter(organization=OuterRef("pk"))
        .order_by()
        .values("organization")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return organizations.annotate(
        member_count=Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))
    )


def organizations_visible_to(viewer: Any, *, search: str = "") -> QuerySet[Organization]:
    """All organizations for a superuser; the viewer's own (or none) for everyone else."""
    organizations = organizations_with_perm(viewer, ORG_PERM_VIEW)
    if search:
        organizations = organizations.filter(name__icontains=search)
    return with_member_count(organizations).order_by("name", "pk")


def organization_for(
    viewer: Any,
    organization_id: int,
    perm: str = ORG_PERM_VIEW,
    *,
    lock: bool = False,
    with_count: bool = False,
) -> Organization:
    """The organization if the viewer holds ``perm`` on it.

    For anyone but a superuser the permission comes before existence: an id
    they may not use answers 403 whether or not it exists.
    """
    if viewer.is_superuser and viewer.is_active:
        organizations = Organization.objects.all()
    else:
        organizations = organizations_with_perm(viewer, perm)
    if lock:
        organizations = organizations.select_for_update(of=("self",))
    if with_count:
        organizations = with_member_count(organizations)
    organization = organizations.filter(pk=organization_id).first()
    if organization is None:
        if viewer.is_superuser and viewer.is_active:
            raise NotFound(ORGANIZATION_NOT_FOUND)
        raise PermissionDenied(NOT_ENOUGH_PERMISSIONS)
    return organization


def members_of(organization: Organization, *, search: str = "") -> QuerySet[User]:
    """The organization's members by username; call after organization_for() checked the viewer."""
    members = User.objects.filter(organization=organization)
    if search:
        members = members.filter(Q(username__icontains=search) | Q(email__icontains=search))
    return members.order_by("username", "pk")


def users_addable_by(actor: Any, organization: Organization, *, search: str = "") -> QuerySet[User]:
    """Users the actor may add to the organization (SPEC section 3), not already in it."""
    if actor.is_superuser:
        users = User.objects.exclude(organization=organization)
    else:
        users = User.objects.filter(organization__isnull=True).exclude(role=Role.SUPERUSER)
        if actor.role != Role.ADMIN:
            users = users.filter(role=Role.USER)
    if search:
        users = users.filter(Q(username__icontains=search) | Q(email__icontains=search))
    return users.order_by("username", "pk")

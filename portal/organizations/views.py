"""Organization pages: thin views over the organization services and selectors.

Every action works as a plain form (POST, redirect, message). For an htmx
request the same view answers with the part that changed plus the
messages (swapped out of band), and raises ``HX-Trigger`` events that the
members table (``membersChanged``) and the recent-activity list
(``orgChanged``) listen to, so counts and rows refresh in place.
"""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from portal.accounts.models import Role, User
from portal.audit.selectors import organization_recent_audit
from portal.core import sql
from portal.core.exceptions import ServiceError
from portal.core.portal import (
    PAGE_SIZE,
    PortalRequest,
    StatementRows,
    id_url,
    paginate,
    render,
    service_error,
)
from portal.organizations import tables
from portal.organizations.decorators import org_permission_required, portal_login_required
from portal.organizations.forms import MemberForm, OrganizationForm
from portal.organizations.models import Organization
from portal.organizations.permissions import (
    ORG_PERM_CHANGE,
    ORG_PERM_MANAGE_MEMBERS,
    ORG_PERM_VIEW,
    ORG_PERM_VIEW_AUDIT,
    perms_on,
)
from portal.organizations.selectors import (
    managers_of,
    members_of,
    members_page,
    organizations_visible_to,
    users_addable_by,
)
from portal.organizations.services import (
    NOT_A_MEMBER,
    ONLY_ADMINS_CREATE,
    admin_joins_on_create,
    delegate_grant,
    delegate_revoke,
    member_add,
    member_manage_refusal,
    member_remove,
    organization_create,
    organization_create_allowed,
    organization_delete,
    organization_update,
)

# Django's model permission: guardian grants it to active superusers only,
# so organization_for() answers 403 to everyone else before existence.
ORG_PERM_DELETE = "delete_organization"
MEMBERS_CHANGED = "membersChanged"
ORG_CHANGED = "orgChanged"
PICKER_PAGE_SIZE = 10
RECENT_ACTIVITY = 10
SEARCH_MAX_LENGTH = 100
CHOOSE_USER = "Choose a user first."
SECTION = "organizations"
# The organization page's own links (organizations:<name>, each taking the organization's id).
PAGE_URLS = ("detail", "edit", "delete", "member_add", "activity")
# What a row of the members table shows (the rest of a user, password hash included, stays in the database).
MEMBER_ROW_FIELDS = ("id", "username", "email", "role", "is_active", "manages_members")


def _search(data: QueryDict) -> str:
    # NUL cannot go into a PostgreSQL query; a search longer than any name or address finds nothing new.
    return data.get("q", "").replace("\x00", "").strip()[:SEARCH_MAX_LENGTH]


def _detail_url(organization: Organization) -> str:
    return id_url("organizations:detail", organization.pk)


def _flags(request: PortalRequest, organization: Organization) -> dict[str, Any]:
    """What the viewer may use on this organization's page: only to hide buttons; the services still decide.

    With the page's links (``urls``), which every part of the page uses.
    """
    perms = perms_on(request.user, organization)
    return {
        "urls": {name: id_url(f"organizations:{name}", organization.pk) for name in PAGE_URLS},
        "can_change": ORG_PERM_CHANGE in perms,
        "can_manage": ORG_PERM_MANAGE_MEMBERS in perms,
        "can_audit": ORG_PERM_VIEW_AUDIT in perms,
        "can_delete": request.user.is_superuser,
        "viewer_is_superuser": request.user.is_superuser,
    }


def _action_response(request: PortalRequest, organization: Organization, *, event: str) -> HttpResponse:
    """After an action: the messages and an event for htmx, else back to the organization's page."""
    if not request.htmx:
        return redirect(_detail_url(organization))
    response = TemplateResponse(request, "organizations/_action_done.html", {})
    trigger_client_event(response, event)
    return response


def _leave_for(request: PortalRequest, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


# --- List and create ---------------------------------------------------------


@require_GET
@portal_login_required
def organization_list(request: PortalRequest) -> HttpResponse:
    """Superusers: every organization, searchable; everyone else: their own, or a clear empty state."""
    q = _search(request.GET)
    page, page_query = paginate(request, organizations_visible_to(request.user, search=q))
    context = {
        "page": page,
        "page_query": page_query,
        "q": q,
        "show_search": request.user.is_superuser,
        "can_create": organization_create_allowed(request.user),
        "viewer_is_admin": request.user.role == Role.ADMIN,
        "nav_section": SECTION,
    }
    return render(request, "organizations/list.html", context, partial="results")


@require_http_methods(["GET", "POST"])
@portal_login_required
def organization_create_view(request: PortalRequest) -> HttpResponse:
    """Create an organization; an admin without one is told before confirming that they will join it."""
    if not organization_create_allowed(request.user):
        raise DjangoPermissionDenied(ONLY_ADMINS_CREATE)
    joins = admin_joins_on_create(request.user)
    form = OrganizationForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            organization = organization_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
        except ServiceError as exc:
            service_error(request, exc, form)
        else:
            message = f"Created organization {organization.name}."
            if joins:
                message += " You are now a member of it."
            messages.success(request, message)
            return redirect(_detail_url(organization))
    context = {
        "form": form,
        "joins": joins,
        "current_organization": None if joins else getattr(request.user, "organization", None),
        "nav_section": SECTION,
    }
    return render(request, "organizations/create.html", context)


# --- The organization's page ------------------------------------------------


def _members_context(
    request: PortalRequest, organization: Organization, flags: dict[str, Any]
) -> dict[str, Any]:
    q = _search(request.GET)
    members: Any
    if q:
        members = members_of(organization, search=q).only(*MEMBER_ROW_FIELDS)
    else:
        # Unfiltered (every page view), the same rows by a statement built once, not a queryset per request.
        members = StatementRows(
            User,
            MEMBER_ROW_FIELDS,
            lambda offset, limit: members_page(organization, MEMBER_ROW_FIELDS, offset=offset, limit=limit),
            total=organization.member_count,
        )
    page, page_query = paginate(request, members)
    # Delegates are listed apart from the paginated table so that all of them show.
    delegates = (
        sql.fetch_rows(User, MEMBER_ROW_FIELDS, managers_of(organization, MEMBER_ROW_FIELDS))
        if flags["can_change"]
        else []
    )
    _add_action_urls(request, organization, [*page.object_list, *delegates], flags)
    member_rows = tables.member_rows(
        page.object_list,
        viewer_id=request.user.pk,
        organization_name=organization.name,
        actions=flags["can_manage"],
    )
    members_url = _detail_url(organization)
    if request.GET:
        members_url += "?" + request.GET.urlencode()
    return {
        "organization": organization,
        "page": page,
        "page_query": page_query,
        "member_rows": member_rows,
        "q": q,
        "delegates": delegates,
        "members_url": members_url,
        **flags,
    }


def _add_action_urls(
    request: PortalRequest, organization: Organization, members: list[Any], flags: dict[str, Any]
) -> None:
    """Each row's action links, for the buttons the viewer may use (the services still decide)."""
    org = organization.pk
    perms = perms_on(request.user, organization)
    for member in members:
        manager_url = remove_url = ""
        if flags["can_change"] and member.role == Role.USER:
            action = (
                "organizations:delegate_revoke" if member.manages_members else "organizations:delegate_grant"
            )
            manager_url = id_url(action, org, member.pk)
        if flags["can_manage"] and member_manage_refusal(request.user, member.role, perms) is None:
            remove_url = id_url("organizations:member_remove", org, member.pk)
        member.manager_url = manager_url
        member.remove_url = remove_url


def _activity_context(request: PortalRequest, organization: Organization) -> dict[str, Any]:
    try:
        entries = organization_recent_audit(request.user, organization, limit=RECENT_ACTIVITY)
    except ServiceError:
        entries = []
    return {"activity": entries, "activity_rows": tables.activity_rows(entries)}


@require_GET
@org_permission_required(ORG_PERM_VIEW)
def organization_detail(request: PortalRequest, organization: Organization) -> HttpResponse:
    """The organization's page; for htmx (filter, pagination, refresh after an action) just the members table."""
    flags = _flags(request, organization)
    context = _members_context(request, organization, flags)
    if not request.htmx or request.htmx.history_restore_request:
        context["nav_section"] = SECTION
        if flags["can_audit"]:
            context.update(_activity_context(request, organization))
    return render(request, "organizations/detail.html", context, partial="members")


@require_GET
@org_permission_required(ORG_PERM_VIEW)
def organization_header(request: PortalRequest, organization: Organization) -> HttpResponse:
    """The page header (name, description, edit button): what "Cancel" swaps back in place of the edit form."""
    if not request.htmx:
        return redirect(_detail_url(organization))
    context = {"organization": organization, **_flags(request, organization)}
    return TemplateResponse(request, "organizations/detail.html#header", context)


@require_GET
@org_permission_required(ORG_PERM_VIEW_AUDIT)
def organization_activity(request: PortalRequest, organization: Organization) -> HttpResponse:
    """The recent audit entries, refreshed after each action on the page."""
    if not request.htmx:
        return redirect(_detail_url(organization) + "#activity")
    context = {
        "organization": organization,
        **_flags(request, organization),
        **_activity_context(request, organization),
    }
    return TemplateResponse(request, "organizations/detail.html#activity", context)


@require_http_methods(["GET", "POST"])
@org_permission_required(ORG_PERM_CHANGE)
def organization_edit(request: PortalRequest, organization: Organization) -> HttpResponse:
    """Edit name and description: a page of its own without JS, the header swapped into a form with it."""
    initial = {"name": organization.name, "description": organization.description}
    form = OrganizationForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_bound and form.is_valid():
        description = form.cleaned_data["description"]
        if not description and not organization.description:
            description = organization.description  # an empty field is no change from "" or None
        try:
            updated = organization_update(
                actor=request.user,
                organization_id=organization.pk,
                name=form.cleaned_data["name"],
                description=description,
            )
        except ServiceError as exc:
            service_error(request, exc, form)
        else:
            if (updated.name, updated.description) == (organization.name, organization.description):
                messages.info(request, f"Nothing to save: {updated.name} is unchanged.")
            else:
                messages.success(request, f"Saved the changes to {updated.name}.")
            if not request.htmx:
                return redirect(_detail_url(updated))
            context = {"organization": updated, **_flags(request, updated)}
            response = TemplateResponse(request, "organizations/detail.html#header_updated", context)
            trigger_client_event(response, ORG_CHANGED)
            return response
    context = {"organization": organization, "form": form, "nav_section": SECTION}
    return render(request, "organizations/edit.html", context, partial="form")


@require_http_methods(["GET", "POST"])
@org_permission_required(ORG_PERM_DELETE)
def organization_delete_view(request: PortalRequest, organization: Organization) -> HttpResponse:
    """Superusers delete an organization once it has no members; the confirm page warns while it has."""
    if request.method == "POST":
        try:
            organization_delete(actor=request.user, organization_id=organization.pk)
        except ServiceError as exc:
            messages.error(request, exc.message)
            return _action_response(request, organization, event=ORG_CHANGED)
        messages.success(request, f"Deleted organization {organization.name}.")
        return _leave_for(request, reverse("organizations:list"))
    context = {"organization": organization, "nav_section": SECTION}
    return render(request, "organizations/delete.html", context)


# --- Members -----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@org_permission_required(ORG_PERM_MANAGE_MEMBERS)
def member_add_view(request: PortalRequest, organization: Organization) -> HttpResponse:
    """The picker: searches only the users this viewer may add; each result has an Add button."""
    data = request.POST if request.method == "POST" else request.GET
    q = _search(data)
    if request.method == "POST":
        form = MemberForm(request.POST)
        if not form.is_valid():
            messages.error(request, CHOOSE_USER)
        else:
            try:
                user = member_add(
                    actor=request.user, organization_id=organization.pk, user_id=form.cleaned_data["user_id"]
                )
            except ServiceError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"Added {user.username} to {organization.name}.")
        if not request.htmx:
            return redirect(_detail_url(organization))
    per_page = PICKER_PAGE_SIZE if request.htmx else PAGE_SIZE
    page, _ = paginate(request, users_addable_by(request.user, organization, search=q), per_page=per_page)
    context = {
        "organization": organization,
        "page": page,
        # The picker's own links carry only the search (a POST has no query string to keep).
        "page_query": urlencode({"q": q}) if q else "",
        "q": q,
        "nav_section": SECTION,
    }
    if request.method == "POST":
        # The picker shows the same search again (without whoever was just added) and the message.
        response = TemplateResponse(request, "organizations/member_add.html#results_updated", context)
        trigger_client_event(response, MEMBERS_CHANGED)
        return response
    return render(request, "organizations/member_add.html", context, partial="results")


@require_http_methods(["GET", "POST"])
@org_permission_required(ORG_PERM_MANAGE_MEMBERS)
def member_remove_view(request: PortalRequest, organization: Organization, user_id: int) -> HttpResponse:
    """Remove a member: a confirm page without JS (a dialog with it), then the service decides."""
    if request.method == "POST":
        try:
            user = member_remove(actor=request.user, organization_id=organization.pk, user_id=user_id)
        except ServiceError as exc:
            messages.error(request, exc.message)
            return _action_response(request, organization, event=MEMBERS_CHANGED)
        messages.success(request, f"Removed {user.username} from {organization.name}.")
        if user.pk == request.user.pk and not request.user.is_superuser:
            # They left: this organization's page is no longer theirs to see.
            return _leave_for(request, reverse("organizations:list"))
        return _action_response(request, organization, event=MEMBERS_CHANGED)
    member = members_of(organization).filter(pk=user_id).first()
    if member is None:
        raise Http404(NOT_A_MEMBER)
    context = {"organization": organization, "member": member, "nav_section": SECTION}
    return render(request, "organizations/member_remove.html", context)


def _delegation(
    request: PortalRequest, organization: Organization, user_id: int, *, grant: bool
) -> HttpResponse:
    service = delegate_grant if grant else delegate_revoke
    try:
        user = service(actor=request.user, organization_id=organization.pk, user_id=user_id)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        if grant:
            messages.success(
                request, f"{user.username} can now add and remove members of {organization.name}."
            )
        else:
            messages.success(
                request, f"{user.username} no longer manages the members of {organization.name}."
            )
    return _action_response(request, organization, event=MEMBERS_CHANGED)


@require_POST
@org_permission_required(ORG_PERM_CHANGE)
def delegate_grant_view(request: PortalRequest, organization: Organization, user_id: int) -> HttpResponse:
    """Let a member with role user add and remove members (superusers and the organization's admins)."""
    return _delegation(request, organization, user_id, grant=True)


@require_POST
@org_permission_required(ORG_PERM_CHANGE)
def delegate_revoke_view(request: PortalRequest, organization: Organization, user_id: int) -> HttpResponse:
    """End a member's delegated member management."""
    return _delegation(request, organization, user_id, grant=False)

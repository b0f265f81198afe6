"""Sign-in, first run, my account and the users pages.

Each view parses a form, calls one service or selector and turns the
result or the refusal into a response: a redirect with a message for a
plain request, the changed partial (plus the messages) for htmx.
"""

import math
from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from portal.accounts import selectors, services
from portal.accounts.forms import (
    USER_FIELDS,
    EmailForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetupForm,
    TokenCreateForm,
    UserCreateForm,
    UserEditForm,
    UserFilterForm,
)
from portal.accounts.models import Role, User
from portal.core.exceptions import NotFound, ServiceError, Throttled, Unauthenticated
from portal.core.portal import (
    PortalRequest,
    paginate,
    portal_login_required,
    render,
    run_service,
    service_error,
)
from portal.organizations.selectors import organizations_visible_to

MAX_ID = 2**63 - 1  # beyond this an id cannot exist (and would overflow the database's integer)
MODEL_BACKEND = "portal.accounts.backends.UserBackend"
NOT_STAFF = "Only superusers and admins can manage users."
THROTTLED = "Too many failed sign-in attempts. Try again in {wait}."
SIGNED_OUT = "You have signed out."
SETUP_DONE = "orgportal is already set up."
SETUP_WELCOME = "Welcome, {username}. You are the first superuser of orgportal."
EMAIL_CHANGED = "Your e-mail address is now {email}."
PASSWORD_CHANGED = "Your password was changed. Your API tokens were revoked and your other sessions ended."
TOKEN_CREATED = "Token “{name}” created. Copy it now: it will not be shown again."
TOKEN_REVOKED = "Token “{name}” was revoked."
USER_CREATED = "User {username} was created."
USER_SAVED = "Saved the changes to {username}."
PASSWORD_RESET = (
    "The password of {username} was reset. Their API tokens were revoked and their sessions ended."
)
USER_DELETED = "User {username} was deleted."
# The raw value of a token created without JavaScript, kept in the session
# only until the page after the redirect shows it once.
NEW_TOKEN_SESSION_KEY = "accounts.new_token"


def wait_text(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def staff_required[V: Callable[..., HttpResponseBase]](view: V) -> V:
    """Signed in as a superuser or an admin; the users pages are theirs (SPEC section 7)."""

    @portal_login_required
    @wraps(view)
    def wrapper(request: PortalRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not selectors.may_manage_users(request.user):
            raise DjangoPermissionDenied(NOT_STAFF)
        return view(request, *args, **kwargs)

    return cast(V, wrapper)


def _safe_next(request: PortalRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


# --- sign-in, sign-out, first run -------------------------------------------------


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: PortalRequest) -> HttpResponse:
    next_url = _safe_next(request)
    if request.method == "GET":
        if request.user.is_authenticated:
            return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
        if services.bootstrap_open():
            return redirect("accounts:setup")
    form = LoginForm(request.POST if request.method == "POST" else None)
    retry_after: int | None = None
    if form.is_bound and form.is_valid():
        try:
            user = services.login_check(
                username=form.cleaned_data["username"], password=form.cleaned_data["password"]
            )
        except Throttled as exc:
            retry_after = exc.retry_after
            form.add_error(None, THROTTLED.format(wait=wait_text(exc.retry_after)))
        except Unauthenticated as exc:
            form.add_error(None, exc.message)
        else:
            # login() rotates the session key: no fixation.
            login(request, user, backend=MODEL_BACKEND)
            return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
    response = render(
        request,
        "accounts/login.html",
        {"form": form, "next": next_url},
        status=429 if retry_after is not None else 200,
    )
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@require_POST
def logout_view(request: PortalRequest) -> HttpResponse:
    logout(request)
    messages.success(request, SIGNED_OUT)
    return redirect("accounts:login")


@sensitive_post_parameters("password", "password_confirm")
@never_cache
@require_http_methods(["GET", "POST"])
def setup_view(request: PortalRequest) -> HttpResponse:
    """The first superuser, while no user exists; afterwards this page does not exist."""
    if not services.bootstrap_open():
        raise Http404(SETUP_DONE)
    form = SetupForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            user = services.user_create(
                actor=None,
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                role=Role.SUPERUSER,
            )
        except Unauthenticated as exc:
            # Someone else finished the set-up a moment earlier.
            raise Http404(SETUP_DONE) from exc
        except ServiceError as exc:
            service_error(request, exc, form)
        else:
            login(request, user, backend=MODEL_BACKEND)
            messages.success(request, SETUP_WELCOME.format(username=user.username))
            return redirect("home")
    return render(request, "accounts/setup.html", {"form": form})


# --- my account ---------------------------------------------------------------------


def _account_context(request: PortalRequest, **overrides: Any) -> dict[str, Any]:
    user = request.user
    context: dict[str, Any] = {
        "nav_section": "account",
        "profile": user,
        "email_form": EmailForm(initial={"email": user.email}),
        "password_form": PasswordChangeForm(user=user),  # type: ignore[arg-type]
        "token_form": TokenCreateForm(),
        "tokens": selectors.personal_tokens_of(user),
        "new_token": None,
        "now": timezone.now(),
    }
    context.update(overrides)
    return context


@portal_login_required
@never_cache
@require_GET
def account(request: PortalRequest) -> HttpResponse:
    new_token = None
    shown = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
    if shown:
        new_token = {"raw": shown["raw"], "name": shown["name"]}
    return render(request, "accounts/account.html", _account_context(request, new_token=new_token))


@portal_login_required
@never_cache
@require_POST
def account_email(request: PortalRequest) -> HttpResponse:
    form = EmailForm(request.POST)
    user = request.user
    if form.is_valid():
        ok, user = run_service(
            request,
            lambda: services.user_update(
                actor=request.user, user_id=request.user.pk, email=form.cleaned_data["email"]
            ),
            success=lambda updated: EMAIL_CHANGED.format(email=updated.email),
            form=form,
        )
        if ok:
            if not request.htmx:
                return redirect("accounts:account")
            request.user = user
            form = EmailForm(initial={"email": user.email})
    return render(
        request, "accounts/account.html", _account_context(request, email_form=form), partial="email"
    )


@sensitive_post_parameters("current_password", "password", "password_confirm")
@portal_login_required
@never_cache
@require_POST
def account_password(request: PortalRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST, user=request.user)  # type: ignore[arg-type]
    if form.is_valid():
        ok, user = run_service(
            request,
            lambda: services.user_update(
                actor=request.user, user_id=request.user.pk, password=form.cleaned_data["password"]
            ),
            success=PASSWORD_CHANGED,
            form=form,
        )
        if ok:
            # Keep this session; the password change ended every other one.
            update_session_auth_hash(request, user)
            # The token list changed too: show the whole page again.
            if request.htmx:
                return HttpResponseClientRedirect(reverse("accounts:account"))
            return redirect("accounts:account")
    return render(
        request, "accounts/account.html", _account_context(request, password_form=form), partial="password"
    )


@portal_login_required
@never_cache
@require_POST
def token_create(request: PortalRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST)
    new_token = None
    if form.is_valid():
        ok, result = run_service(
            request,
            lambda: services.personal_token_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                expires_in_days=form.cleaned_data["expires_in_days"],
            ),
            success=lambda created: TOKEN_CREATED.format(name=created[1].name),
            form=form,
        )
        if ok:
            raw, token = result
            if not request.htmx:
                request.session[NEW_TOKEN_SESSION_KEY] = {"raw": raw, "name": token.name}
                return redirect("accounts:account")
            new_token = {"raw": raw, "name": token.name}
            form = TokenCreateForm()
    return render(
        request,
        "accounts/account.html",
        _account_context(request, token_form=form, new_token=new_token),
        partial="tokens",
    )


@portal_login_required
@never_cache
@require_http_methods(["GET", "POST"])
def token_revoke(request: PortalRequest, token_id: int) -> HttpResponse:
    """GET: the confirmation page used without JavaScript; POST: revoke."""
    token = (
        selectors.personal_tokens_of(request.user).filter(pk=token_id).first() if token_id <= MAX_ID else None
    )
    if token is None:
        raise Http404(services.TOKEN_NOT_FOUND)
    if request.method == "GET":
        return render(request, "accounts/token_revoke.html", {"token": token, "nav_section": "account"})
    run_service(
        request,
        lambda: services.personal_token_revoke(actor=request.user, token_id=token.pk),
        success=TOKEN_REVOKED.format(name=token.name),
    )
    if not request.htmx:
        return redirect("accounts:account")
    return render(request, "accounts/account.html", _account_context(request), partial="tokens")


# --- users ------------------------------------------------------------------------------


def _organization_names(viewer: Any) -> list[tuple[int, str]]:
    """(id, name) of the organizations the viewer may see, for the selects (no member counts)."""
    return list(organizations_visible_to(viewer).values_list("pk", "name"))


def _user_or_404(viewer: Any, user_id: int) -> User:
    if user_id > MAX_ID:
        raise Http404(selectors.USER_NOT_FOUND)
    try:
        return selectors.user_for(viewer, user_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@staff_required
@require_GET
def users(request: PortalRequest) -> HttpResponse:
    viewer = request.user
    organizations = _organization_names(viewer)
    form = UserFilterForm(request.GET or None, organizations=organizations)
    filters: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()
        filters = form.cleaned_data
    people = selectors.users_visible_to(
        viewer,
        search=(filters.get("q") or "").strip(),
        organization_id=filters.get("organization"),
        unassigned=bool(filters.get("unassigned")),
    ).select_related("organization")
    if filters.get("role"):
        people = people.filter(role=filters["role"])
    page, page_query = paginate(request, people)
    context = {
        "nav_section": "users",
        "form": form,
        "page": page,
        "page_query": page_query,
        "filtered": bool(
            request.GET.get("q")
            or filters.get("organization")
            or filters.get("role")
            or filters.get("unassigned")
        ),
    }
    return render(request, "accounts/users.html", context, partial="results")


@sensitive_post_parameters("password", "password_confirm")
@staff_required
@require_http_methods(["GET", "POST"])
def user_create(request: PortalRequest) -> HttpResponse:
    viewer = request.user
    organizations = _organization_names(viewer)
    # Shown enabled: everything for a superuser; an admin creates users with
    # the user role (the service refuses anything else, whatever is posted).
    editable = set(USER_FIELDS) if viewer.is_superuser else set(USER_FIELDS) - {"role"}
    form = UserCreateForm(
        request.POST if request.method == "POST" else None,
        organizations=organizations,
        editable=editable,
        initial={"role": Role.USER, "is_active": True, "organization_id": viewer.organization_id},
    )
    if form.is_bound and form.is_valid():
        ok, user = run_service(
            request,
            lambda: services.user_create(actor=viewer, **form.service_kwargs()),
            success=lambda created: USER_CREATED.format(username=created.username),
            form=form,
        )
        if ok:
            target = reverse("accounts:user_edit", args=[user.pk])
            return HttpResponseClientRedirect(target) if request.htmx else redirect(target)
    context = {"nav_section": "users", "form": form}
    return render(request, "accounts/user_create.html", context, partial="form")


def _editor_context(
    viewer: Any, target: User, organizations: list[tuple[int, str]], **overrides: Any
) -> dict[str, Any]:
    editable = services.user_editable_fields(actor=viewer, target=target)
    context: dict[str, Any] = {
        "nav_section": "users",
        "target": target,
        "editable": editable,
        "form": UserEditForm(
            initial={name: getattr(target, name) for name in USER_FIELDS},
            organizations=organizations,
            editable=editable,
        ),
        "password_form": PasswordResetForm(),
        "can_reset_password": "password" in editable,
        "can_delete": viewer.is_superuser and viewer.pk != target.pk,
    }
    context.update(overrides)
    return context


@staff_required
@require_http_methods(["GET", "POST"])
def user_edit(request: PortalRequest, user_id: int) -> HttpResponse:
    viewer = request.user
    target = _user_or_404(viewer, user_id)
    organizations = _organization_names(viewer)
    context = _editor_context(viewer, target, organizations)
    if request.method == "POST":
        form = UserEditForm(
            request.POST,
            initial=context["form"].initial,
            organizations=organizations,
            editable=context["editable"],
        )
        context["form"] = form
        if form.is_valid():
            ok, updated = run_service(
                request,
                lambda: services.user_update(actor=viewer, user_id=target.pk, **form.submitted_fields()),
                success=lambda user: USER_SAVED.format(username=user.username),
                form=form,
            )
            if ok:
                if not request.htmx:
                    return redirect("accounts:user_edit", target.pk)
                context = _editor_context(viewer, updated, organizations)
    return render(request, "accounts/user_edit.html", context, partial="editor")


@sensitive_post_parameters("password", "password_confirm")
@staff_required
@require_POST
def user_password(request: PortalRequest, user_id: int) -> HttpResponse:
    viewer = request.user
    target = _user_or_404(viewer, user_id)
    form = PasswordResetForm(request.POST)
    if form.is_valid():
        ok, updated = run_service(
            request,
            lambda: services.user_update(
                actor=viewer, user_id=target.pk, password=form.cleaned_data["password"]
            ),
            success=PASSWORD_RESET.format(username=target.username),
            form=form,
        )
        if ok:
            if updated.pk == viewer.pk:
                update_session_auth_hash(request, updated)
            if not request.htmx:
                return redirect("accounts:user_edit", target.pk)
            form = PasswordResetForm()
    organizations = _organization_names(viewer)
    context = _editor_context(viewer, target, organizations, password_form=form)
    return render(request, "accounts/user_edit.html", context, partial="password")


@staff_required
@require_http_methods(["GET", "POST"])
def user_delete(request: PortalRequest, user_id: int) -> HttpResponse:
    """GET: the confirmation page used without JavaScript; POST: delete (the service says who may)."""
    viewer = request.user
    target = _user_or_404(viewer, user_id)
    if request.method == "GET":
        return render(request, "accounts/user_delete.html", {"target": target, "nav_section": "users"})
    ok, _ = run_service(
        request,
        lambda: services.user_delete(actor=viewer, user_id=target.pk),
        success=USER_DELETED.format(username=target.username),
    )
    return redirect("accounts:users") if ok else redirect("accounts:user_edit", target.pk)

"""The Django admin site, for superusers, on the same rules as the portal and the API.

Writes from the admin go through the services (permission, grants and audit
in one transaction); a refusal is shown as an admin error message. The admin
has no sign-in or password form of its own: those are the portal's, which
throttle and audit them.
"""

from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from portal.core.exceptions import ServiceError

if TYPE_CHECKING:
    from portal.accounts.models import User

ADMIN_FOR_SUPERUSERS = "The admin site is for superusers only."
BULK_DELETE_OFF = "Delete one at a time, so that each deletion is checked and audited."


def _admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """Sign in through the portal's login (throttled and audited), then come back."""
    next_url = request.GET.get("next") or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = reverse("admin:index")
    if request.user.is_authenticated:
        if request.user.is_staff:
            return HttpResponseRedirect(next_url)
        # Signed in, but not a superuser: say so instead of looping through the login page.
        raise DjangoPermissionDenied(ADMIN_FOR_SUPERUSERS)
    return redirect_to_login(next_url, resolve_url(settings.LOGIN_URL))


def _admin_password_change(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    # The portal's form goes through user_update: validators, audit, tokens revoked.
    return redirect("accounts:account")


admin.site.login = _admin_login  # type: ignore[method-assign,assignment]
admin.site.password_change = _admin_password_change  # type: ignore[method-assign,assignment]
admin.site.site_header = "orgportal administration"
admin.site.site_title = "orgportal admin"
admin.site.index_title = "Superuser administration"


def acting_user(request: HttpRequest) -> "User":
    """The signed-in superuser behind an admin request (admin_view let only them in)."""
    return cast("User", request.user)


class ServiceModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose saves and deletes call services; their refusals become error messages.

    Subclasses implement save_model and delete_model with a service call. The
    admin runs both inside its own transaction, so a refusal leaves nothing
    half-written.
    """

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            opts = self.model._meta
            return redirect(f"admin:{opts.app_label}_{opts.model_name}_change", object_id)

    def get_actions(
        self, request: HttpRequest, action_location: ActionLocation = ActionLocation.CHANGE_LIST
    ) -> dict[str, Any]:
        # The bulk delete action deletes a queryset in one statement, past the services.
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)
        return actions

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        raise DjangoPermissionDenied(BULK_DELETE_OFF)

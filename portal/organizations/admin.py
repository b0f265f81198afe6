"""Organizations in the Django admin: guardian's object-permission pages, writes through the services."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from guardian.admin import GuardedModelAdmin

from portal.core.admin import ServiceModelAdmin, acting_user
from portal.organizations import services
from portal.organizations.models import Organization

GRANTS_ARE_DERIVED = (
    "Object permissions follow from role and membership and cannot be edited here: change the "
    "user's role or organization, or delegate member management on the organization's page."
)


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ("name", "description")

    # The database's unique and check constraints are the services' to enforce:
    # organization_create/update check the name (ignoring case) and say why in words.
    def validate_unique(self) -> None:
        pass

    def validate_constraints(self) -> None:
        pass


@admin.register(Organization)
class OrganizationAdmin(ServiceModelAdmin, GuardedModelAdmin):  # type: ignore[misc]
    form = OrganizationForm
    list_display = ("name", "member_count", "created_at", "updated_at")
    search_fields = ("name",)
    ordering = ("name",)
    readonly_fields = ("member_count", "created_at", "updated_at")

    def save_model(
        self, request: HttpRequest, obj: Organization, form: forms.ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        if change:
            services.organization_update(
                actor=acting_user(request),
                organization_id=obj.pk,
                name=data["name"],
                description=data.get("description") or None,
            )
        else:
            created = services.organization_create(
                actor=acting_user(request), name=data["name"], description=data.get("description") or None
            )
            obj.pk = created.pk
            obj._state.adding = False
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: Organization) -> None:
        services.organization_delete(actor=acting_user(request), organization_id=obj.pk)

    # guardian's pages show who holds which grant; the grants themselves are derived (SPEC section 3).
    def obj_perms_manage_user_view(self, request: HttpRequest, object_pk: Any, user_id: Any) -> HttpResponse:
        if request.method == "POST":
            return self._grants_are_derived(request, object_pk)
        return super().obj_perms_manage_user_view(request, object_pk, user_id)

    def obj_perms_manage_group_view(
        self, request: HttpRequest, object_pk: Any, group_id: Any
    ) -> HttpResponse:
        if request.method == "POST":
            return self._grants_are_derived(request, object_pk)
        return super().obj_perms_manage_group_view(request, object_pk, group_id)

    def _grants_are_derived(self, request: HttpRequest, object_pk: Any) -> HttpResponse:
        self.message_user(request, GRANTS_ARE_DERIVED, messages.ERROR)
        return redirect("admin:organizations_organization_permissions", object_pk)

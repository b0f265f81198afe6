"""Users in the Django admin: role, organization, active state and flags change only through the services.

The admin's form parses input; ``user_create``, ``user_update`` and
``user_delete`` decide, keep the guardian grants in step and audit, as for
the portal and the API. Passwords are set in the portal (validators, token
revocation), never here.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from portal.accounts import services
from portal.accounts.models import CAPABILITY_FLAGS, User
from portal.core.admin import ServiceModelAdmin, acting_user

EDITABLE_FIELDS = ("username", "email", "role", "organization", "is_active", *CAPABILITY_FLAGS)
PASSWORDS_DIFFER = "The two passwords do not match."


class UserChangeForm(forms.ModelForm):
    class Meta:
        model = User
        fields = EDITABLE_FIELDS

    # The database's unique and check constraints are the services' to enforce:
    # The services check username and e-mail (ignoring case) and say which is taken.
    def validate_unique(self) -> None:
        pass

    def validate_constraints(self) -> None:
        pass


class UserAddForm(UserChangeForm):
    password = forms.CharField(label="Password", strip=False, widget=forms.PasswordInput)
    password_confirm = forms.CharField(label="Password again", strip=False, widget=forms.PasswordInput)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("password") and cleaned.get("password") != cleaned.get("password_confirm"):
            self.add_error("password_confirm", PASSWORDS_DIFFER)
        return cleaned


def _organization_id(organization: Any) -> int | None:
    return organization.pk if organization is not None else None


@admin.register(User)
class UserAdmin(ServiceModelAdmin):
    form = UserChangeForm
    add_form = UserAddForm
    list_display = ("username", "email", "role", "organization", "is_active", "created_at")
    list_filter = ("role", "is_active", "organization")
    list_select_related = ("organization",)
    search_fields = ("username", "email")
    ordering = ("username",)
    readonly_fields = ("password_link", "manages_members", "last_login", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("username", "email", "password_link")}),
        ("Role and organization", {"fields": ("role", "organization", "is_active", "manages_members")}),
        ("Capabilities (role user)", {"fields": CAPABILITY_FLAGS}),
        ("Dates", {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (None, {"fields": ("username", "email", "password", "password_confirm")}),
        ("Role and organization", {"fields": ("role", "organization", "is_active")}),
        ("Capabilities (role user)", {"fields": CAPABILITY_FLAGS}),
    )

    @admin.display(description="Password")
    def password_link(self, obj: User) -> str:
        url = reverse("accounts:user_password", args=[obj.pk])
        return format_html('Set in the portal: <a href="{}">reset {}\'s password</a>', url, obj.username)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else self.readonly_fields

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request: HttpRequest, obj: User, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if change:
            fields = {name: data[name] for name in form.changed_data if name in EDITABLE_FIELDS}
            if "organization" in fields:
                fields["organization_id"] = _organization_id(fields.pop("organization"))
            services.user_update(actor=acting_user(request), user_id=obj.pk, **fields)
        else:
            created = services.user_create(
                actor=acting_user(request),
                username=data["username"],
                email=data["email"],
                password=data["password"],
                role=data["role"],
                organization_id=_organization_id(data.get("organization")),
                is_active=data["is_active"],
                **{flag: data[flag] for flag in CAPABILITY_FLAGS},
            )
            obj.pk = created.pk
            obj._state.adding = False
        # The form's in-memory changes were never saved; show what the service wrote.
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        services.user_delete(actor=acting_user(request), user_id=obj.pk)

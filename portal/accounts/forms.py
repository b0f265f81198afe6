"""Portal forms for sign-in, first run, my account and the users pages.

Forms parse and describe input; they decide nothing about who may change
what. The user editor shows enabled only the fields the viewer may change
(``services.user_editable_fields``), but whatever is posted goes to
``user_update``, which refuses a forbidden change with its own message.
"""

from typing import Any

from django import forms

from portal.accounts.models import CAPABILITY_FLAGS, Role, User
from portal.accounts.rules import EMAIL_MAX_LENGTH, USERNAME_MAX_LENGTH
from portal.accounts.services import TOKEN_MAX_DAYS

PASSWORD_HELP = "At least 8 characters; not a common password, not all digits, not like your username."
PASSWORDS_DIFFER = "The two passwords do not match."
WRONG_CURRENT_PASSWORD = "Your current password is not correct."
NO_ORGANIZATION = "No organization"
FLAG_LABELS = {
    "can_create_ca": "Can create certificate authorities",
    "can_create_cert": "Can create certificates",
    "can_revoke_cert": "Can revoke certificates",
    "can_export_private_key": "Can export private keys",
    "can_delete_ca": "Can delete certificate authorities",
}
USER_FIELDS = ("username", "email", "role", "organization_id", "is_active", *CAPABILITY_FLAGS)


def _password_field(label: str, *, new: bool = True, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        max_length=4096,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password" if new else "current-password"}),
    )


class PasswordPairMixin(forms.Form):
    """A new password typed twice."""

    password_fields = ("password", "password_confirm")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = (cleaned.get(name) for name in self.password_fields)
        if first and second and first != second:
            self.add_error(self.password_fields[1], PASSWORDS_DIFFER)
        return cleaned


# --- sign-in and first run -----------------------------------------------------


class LoginForm(forms.Form):
    username = forms.CharField(
        label="Username",
        max_length=USERNAME_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autofocus": True, "autocapitalize": "none"}
        ),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class SetupForm(PasswordPairMixin):
    username = forms.CharField(
        label="Username",
        max_length=USERNAME_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autofocus": True, "autocapitalize": "none"}
        ),
    )
    email = forms.EmailField(
        label="E-mail address",
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = _password_field("Password", help_text=PASSWORD_HELP)
    password_confirm = _password_field("Password again")


# --- my account ------------------------------------------------------------------


class EmailForm(forms.Form):
    email = forms.EmailField(
        label="E-mail address",
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class PasswordChangeForm(PasswordPairMixin):
    current_password = _password_field("Current password", new=False)
    password = _password_field("New password", help_text=PASSWORD_HELP)
    password_confirm = _password_field("New password again")

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_current_password(self) -> str:
        # Re-authentication before a credential change, as Django's own form does.
        value = self.cleaned_data["current_password"]
        if not self.user.check_password(value):
            raise forms.ValidationError(WRONG_CURRENT_PASSWORD)
        return value


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label="Token name",
        max_length=100,
        help_text="Say what uses it, for example “nightly backup script”.",
    )
    expires_in_days = forms.IntegerField(
        label="Expires after (days)",
        min_value=1,
        max_value=TOKEN_MAX_DAYS,
        initial=90,
        help_text=f"1 to {TOKEN_MAX_DAYS} days.",
    )


# --- users -----------------------------------------------------------------------


def organization_choices(organizations: list[tuple[int, str]]) -> list[tuple[str, str]]:
    """Choices for an organization select from (id, name) pairs."""
    return [("", NO_ORGANIZATION), *((str(pk), name) for pk, name in organizations)]


class UserFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=150,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Username or e-mail", "autocomplete": "off"}
        ),
    )
    organization = forms.TypedChoiceField(label="Organization", required=False, coerce=int, empty_value=None)
    role = forms.ChoiceField(label="Role", required=False, choices=[("", "Any role"), *Role.choices])
    unassigned = forms.BooleanField(label="Only users without an organization", required=False)

    def __init__(self, *args: Any, organizations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [  # type: ignore[attr-defined]
            ("", "Any organization"),
            *((str(pk), name) for pk, name in organizations),
        ]


class OrganizationIdField(forms.IntegerField):
    """An organization id from a select of the organizations the viewer may pick.

    Any id is accepted here: the service says whether it exists and whether
    the viewer may use it.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(label="Organization", required=False, min_value=1, widget=forms.Select, **kwargs)


class UserFormBase(forms.Form):
    """Fields a user editor may carry; which are enabled is decided per viewer and target."""

    username = forms.CharField(
        label="Username",
        max_length=USERNAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    email = forms.EmailField(label="E-mail address", max_length=EMAIL_MAX_LENGTH)
    role = forms.ChoiceField(label="Role", choices=Role.choices)
    organization_id = OrganizationIdField()
    is_active = forms.BooleanField(
        label="Active (may sign in and use API tokens)", required=False, initial=True
    )
    can_create_ca = forms.BooleanField(label=FLAG_LABELS["can_create_ca"], required=False)
    can_create_cert = forms.BooleanField(label=FLAG_LABELS["can_create_cert"], required=False)
    can_revoke_cert = forms.BooleanField(label=FLAG_LABELS["can_revoke_cert"], required=False)
    can_export_private_key = forms.BooleanField(label=FLAG_LABELS["can_export_private_key"], required=False)
    can_delete_ca = forms.BooleanField(label=FLAG_LABELS["can_delete_ca"], required=False)

    def __init__(
        self,
        *args: Any,
        organizations: list[tuple[int, str]],
        editable: frozenset[str] | set[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.editable = frozenset(editable)
        self.fields["organization_id"].widget.choices = organization_choices(organizations)  # type: ignore[attr-defined]
        for name in USER_FIELDS:
            field = self.fields[name]
            if name not in self.editable:
                # Shown, but not sent by a browser; a value posted anyway still
                # reaches the service, which refuses it with its message.
                field.required = False
                field.widget.attrs["disabled"] = True

    @property
    def flag_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in CAPABILITY_FLAGS]

    def submitted_fields(self) -> dict[str, Any]:
        """The values to hand to the service: every enabled field, and any disabled one that was posted."""
        out: dict[str, Any] = {}
        for name in USER_FIELDS:
            if name in self.editable or name in self.data:
                value = self.cleaned_data.get(name)
                if name in ("username", "email", "role") and value in (None, ""):
                    continue
                out[name] = value
        return out


class UserCreateForm(PasswordPairMixin, UserFormBase):
    password = _password_field("Password", help_text=PASSWORD_HELP)
    password_confirm = _password_field("Password again")

    field_order = [
        "username",
        "email",
        "password",
        "password_confirm",
        "role",
        "organization_id",
        "is_active",
    ]

    def service_kwargs(self) -> dict[str, Any]:
        fields = self.submitted_fields()
        fields["password"] = self.cleaned_data["password"]
        fields.setdefault("role", Role.USER)
        fields.setdefault("is_active", True)
        return fields


class UserEditForm(UserFormBase):
    pass


class PasswordResetForm(PasswordPairMixin):
    password = _password_field("New password", help_text=PASSWORD_HELP)
    password_confirm = _password_field("New password again")

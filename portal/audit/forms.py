"""The audit log's filter form: the same fields for the page, its htmx updates and the CSV export."""

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from portal.audit.models import Action

DATES_REVERSED = "The start date must not be after the end date."
NO_SUCH_USER = "No user you can see has this username."


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label="Action", required=False, choices=[("", "Any action"), *Action.choices])
    # A username, not a select: there may be tens of thousands of users.
    user = forms.CharField(
        label="User",
        required=False,
        max_length=150,
        widget=forms.TextInput(
            attrs={"placeholder": "Username", "autocomplete": "off", "autocapitalize": "none"}
        ),
    )
    organization = forms.TypedChoiceField(label="Organization", required=False, coerce=int, empty_value=None)
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(
        self,
        *args: Any,
        find_user: Callable[[str], int | None],
        organizations: list[tuple[int, str]] | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.find_user = find_user
        if organizations is None:
            # Only a superuser chooses the organization; an admin reads their own.
            del self.fields["organization"]
        else:
            self.fields["organization"].choices = [  # type: ignore[attr-defined]
                ("", "Any organization"),
                *((str(pk), name) for pk, name in organizations),
            ]

    def clean_user(self) -> int | None:
        """The id of the user with this username, among those the viewer may see."""
        username = self.cleaned_data["user"].strip()
        if not username:
            return None
        user_id = self.find_user(username)
        if user_id is None:
            raise forms.ValidationError(NO_SUCH_USER)
        return user_id

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", DATES_REVERSED)
        return cleaned

    def selector_filters(self) -> dict[str, Any]:
        """Keyword arguments for ``audit_visible_to`` from the fields that are valid.

        Dates are whole days in the portal's time zone: "to" includes the
        whole of its day.
        """
        if not self.is_bound:
            return {}
        self.is_valid()
        data = self.cleaned_data
        zone = timezone.get_current_timezone()
        filters: dict[str, Any] = {}
        if data.get("action"):
            filters["action"] = data["action"]
        if data.get("user") is not None:
            filters["user_id"] = data["user"]
        if data.get("organization") is not None:
            filters["organization_id"] = data["organization"]
        if data.get("since"):
            filters["since"] = datetime.combine(data["since"], time.min, tzinfo=zone)
        if data.get("until") and data["until"] < date.max:
            end_of_day = datetime.combine(data["until"] + timedelta(days=1), time.min, tzinfo=zone)
            filters["until"] = end_of_day - timedelta(microseconds=1)
        return filters

"""The audit log's filter form: the same fields for the page, its htmx updates and the CSV export."""

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from portal.audit.models import Action

DATES_REVERSED = "The start date must not be after the end date."


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label="Action", required=False, choices=[("", "Any action"), *Action.choices])
    user = forms.TypedChoiceField(label="User", required=False, coerce=int, empty_value=None)
    organization = forms.TypedChoiceField(label="Organization", required=False, coerce=int, empty_value=None)
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, users: Any, organizations: Any | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [  # type: ignore[attr-defined]
            ("", "Anyone"),
            *((str(user.pk), user.username) for user in users),
        ]
        if organizations is None:
            # Only a superuser chooses the organization; an admin reads their own.
            del self.fields["organization"]
        else:
            self.fields["organization"].choices = [  # type: ignore[attr-defined]
                ("", "Any organization"),
                *((str(org.pk), org.name) for org in organizations),
            ]

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

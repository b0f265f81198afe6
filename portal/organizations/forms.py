"""Portal forms: they parse input; the services hold the rules (length, control characters, uniqueness)."""

from django import forms

from portal.organizations.models import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH

MAX_ID = 2**63 - 1


class OrganizationForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=NAME_MAX_LENGTH,
        # Also focuses the field when htmx swaps the inline edit form in.
        widget=forms.TextInput(attrs={"autofocus": True}),
        help_text=f"Up to {NAME_MAX_LENGTH} characters; no two organizations share a name.",
    )
    description = forms.CharField(
        label="Description",
        required=False,
        empty_value=None,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional. What this organization is for.",
    )


class MemberForm(forms.Form):
    """The user an add, remove or delegation acts on."""

    user_id = forms.IntegerField(min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)

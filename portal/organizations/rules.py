"""What an organization's name and description may be: the one definition, used by services and schemas."""

from portal.core.exceptions import Invalid
from portal.core.text import has_control_characters
from portal.organizations.models import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH

NAME_LENGTH = f"The name must be 1 to {NAME_MAX_LENGTH} characters long (spaces at either end are removed)."
NAME_CONTROL = "The name must not contain control characters."
DESCRIPTION_LENGTH = f"The description must be at most {DESCRIPTION_MAX_LENGTH} characters long."
DESCRIPTION_CONTROL = "The description must not contain control characters other than line breaks and tabs."


def clean_name(value: str) -> str:
    name = value.strip()
    if not 1 <= len(name) <= NAME_MAX_LENGTH:
        raise Invalid(NAME_LENGTH, field="name")
    if has_control_characters(name):
        raise Invalid(NAME_CONTROL, field="name")
    return name


def clean_description(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) > DESCRIPTION_MAX_LENGTH:
        raise Invalid(DESCRIPTION_LENGTH, field="description")
    if has_control_characters(value, allow_newlines=True):
        raise Invalid(DESCRIPTION_CONTROL, field="description")
    return value

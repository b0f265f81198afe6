"""What a username and e-mail address may be: the one definition, used by services and schemas."""

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from portal.core.exceptions import Invalid

USERNAME_MAX_LENGTH = 150
EMAIL_MAX_LENGTH = 254
USERNAME_INVALID = (
    f"The username must be 1 to {USERNAME_MAX_LENGTH} characters: letters, digits and @ . + - _ only."
)
EMAIL_INVALID = "Enter a valid e-mail address."


def clean_username(value: str) -> str:
    username = value.strip()
    if not 1 <= len(username) <= USERNAME_MAX_LENGTH:
        raise Invalid(USERNAME_INVALID, field="username")
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError as exc:
        raise Invalid(USERNAME_INVALID, field="username") from exc
    return username


def clean_email(value: str) -> str:
    email = value.strip()
    if len(email) > EMAIL_MAX_LENGTH:
        raise Invalid(EMAIL_INVALID, field="email")
    try:
        validate_email(email)
    except ValidationError as exc:
        raise Invalid(EMAIL_INVALID, field="email") from exc
    return email

"""Text rules shared by every front end (API schemas, portal forms, commands) through the services."""

import unicodedata

CONTROL_CHARACTERS = "must not contain control characters"


def has_control_characters(value: str, *, allow_newlines: bool = False) -> bool:
    allowed = "\n\r\t" if allow_newlines else ""
    return any(unicodedata.category(char) == "Cc" and char not in allowed for char in value)

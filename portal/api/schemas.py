"""Request and response shapes of the JSON API (FastPKI's wire format).

Validation of form lives here (lengths, control characters, trimming);
permission and business rules live in the services.
"""

import unicodedata
from datetime import datetime
from typing import Annotated, Literal

from ninja import Schema
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

from portal.accounts.models import Role
from portal.organizations.models import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH

MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _no_control_characters(value: str) -> str:
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise ValueError("must not contain control characters")
    return value


def _no_control_except_newlines(value: str) -> str:
    if any(unicodedata.category(char) == "Cc" and char not in "\n\r\t" for char in value):
        raise ValueError("must not contain control characters")
    return value


OrganizationName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX_LENGTH),
    AfterValidator(_no_control_characters),
]
Description = Annotated[
    str, Field(max_length=DESCRIPTION_MAX_LENGTH), AfterValidator(_no_control_except_newlines)
]
Username = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=150, pattern=r"^[\w.@+-]+$"),
]
Password = Annotated[str, Field(min_length=8, max_length=128), AfterValidator(_no_control_characters)]
def _email(value: str) -> str:
    try:
        validate_email(value)
    except DjangoValidationError as exc:
        raise ValueError("value is not a valid email address") from exc
    return value


Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_email)]
RoleName = Literal["superuser", "admin", "user"]


class InSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class OrganizationIn(InSchema):
    name: OrganizationName
    description: Description | None = None


class OrganizationUpdateIn(InSchema):
    name: OrganizationName | None = None
    description: Description | None = None


class OrganizationOut(Schema):
    id: int
    name: str
    description: str | None
    member_count: int
    created_at: datetime
    updated_at: datetime


class UserOut(Schema):
    id: int
    username: str
    email: str
    role: RoleName
    is_active: bool
    organization_id: int | None
    can_create_ca: bool
    can_create_cert: bool
    can_revoke_cert: bool
    can_export_private_key: bool
    can_delete_ca: bool
    created_at: datetime
    updated_at: datetime


class UserCreateIn(InSchema):
    username: Username
    email: Email
    password: Password
    role: RoleName = Role.USER
    organization_id: Id | None = None
    is_active: bool = True
    can_create_ca: bool = False
    can_create_cert: bool = False
    can_revoke_cert: bool = False
    can_export_private_key: bool = False
    can_delete_ca: bool = False


class UserUpdateIn(InSchema):
    username: Username | None = None
    email: Email | None = None
    password: Password | None = None
    role: RoleName | None = None
    is_active: bool | None = None
    organization_id: Id | None = None
    can_create_ca: bool | None = None
    can_create_cert: bool | None = None
    can_revoke_cert: bool | None = None
    can_export_private_key: bool | None = None
    can_delete_ca: bool | None = None


class TokenOut(Schema):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int


class RefreshIn(InSchema):
    refresh_token: Annotated[str, Field(min_length=1, max_length=200)]


class AuditLogOut(Schema):
    id: int
    created_at: datetime
    action: str
    user_id: int | None
    username: str
    organization_id: int | None
    resource_type: str
    resource_id: str
    detail: str
    changes: dict | None
    ip_address: str | None
    request_id: str


class Message(Schema):
    detail: str


class ValidationItem(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ValidationMessage(Schema):
    detail: list[ValidationItem]


class Health(Schema):
    status: str

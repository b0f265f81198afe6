"""Request and response shapes of the JSON API (FastPKI's wire format).

Types and shapes live here; what a name or address may be is the domain's
rule (portal.*.rules), applied here through the same functions the
services call.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field

from portal.accounts.rules import EMAIL_MAX_LENGTH, USERNAME_MAX_LENGTH, clean_email, clean_username
from portal.core.exceptions import Invalid
from portal.core.text import CONTROL_CHARACTERS, has_control_characters
from portal.organizations.models import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH
from portal.organizations.rules import clean_description, clean_name

MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _rule(clean: Callable[[Any], Any]) -> AfterValidator:
    """A domain rule (portal.*.rules) as a pydantic validator: the rule lives once, in the domain."""

    def validate(value: Any) -> Any:
        try:
            return clean(value)
        except Invalid as exc:
            raise ValueError(exc.message) from exc

    return AfterValidator(validate)


def _password(value: str) -> str:
    if has_control_characters(value):
        raise ValueError(CONTROL_CHARACTERS)
    return value


def _plain_text(value: str) -> str:
    # Filters reach the database as query parameters; PostgreSQL refuses NUL.
    if has_control_characters(value):
        raise ValueError(CONTROL_CHARACTERS)
    return value


def _utc(value: datetime) -> datetime:
    # Stored times are UTC. PostgreSQL refuses offsets beyond 15:59 and a
    # time near year 1 or 9999 may not exist in UTC: convert here, refuse here.
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("Date is out of range.") from None


# For free-text query filters: Annotated[str, Field(max_length=...), PlainText]
PlainText = AfterValidator(_plain_text)
UtcDateTime = Annotated[datetime, AfterValidator(_utc)]

# maxLength appears in the OpenAPI document; the rule itself is the domain's.
OrganizationName = Annotated[str, Field(max_length=NAME_MAX_LENGTH * 2), _rule(clean_name)]
Description = Annotated[str, Field(max_length=DESCRIPTION_MAX_LENGTH), _rule(clean_description)]
Username = Annotated[str, Field(max_length=USERNAME_MAX_LENGTH * 2), _rule(clean_username)]
Email = Annotated[str, Field(max_length=EMAIL_MAX_LENGTH * 2), _rule(clean_email)]
Password = Annotated[str, Field(min_length=8, max_length=128), AfterValidator(_password)]
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
    role: RoleName = "user"
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

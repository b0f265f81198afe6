"""OAuth2 password flow, refresh rotation and logout."""

import json
from typing import Any

from ninja import Router, Status

from portal.accounts import services
from portal.api.auth import AuthedRequest, bearer
from portal.api.schemas import Message, RefreshIn, TokenOut, ValidationMessage
from portal.core.exceptions import Invalid

router = Router(tags=["auth"])

_TOKEN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["username", "password"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["password"]},
                        "username": {"type": "string", "maxLength": 150},
                        "password": {"type": "string", "maxLength": 128},
                    },
                }
            },
        },
    }
}


def _is_utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _credentials(request: AuthedRequest) -> tuple[str, str]:
    """username and password from a form body (OAuth2) or, for convenience, a JSON object."""
    if request.content_type == "application/json":
        try:
            data: Any = json.loads(request.body or b"{}")
        except ValueError as exc:
            raise Invalid("The request body is not valid JSON.") from exc
        if not isinstance(data, dict):
            raise Invalid("The request body must be a JSON object.")
    else:
        data = request.POST
    username, password = data.get("username"), data.get("password")
    if not isinstance(username, str) or not username:
        raise Invalid("Field required", field="username")
    if not isinstance(password, str) or not password:
        raise Invalid("Field required", field="password")
    for field, value in (("username", username), ("password", password)):
        if "\x00" in value:
            raise Invalid("must not contain control characters", field=field)
        if not _is_utf8(value):
            # A JSON body may escape a lone surrogate ("\ud800"): not text the database or a hasher takes.
            raise Invalid("must be valid Unicode text", field=field)
    return username, password[:1024]


@router.post(
    "/token",
    response={200: TokenOut, 401: Message, 422: ValidationMessage, 429: Message},
    openapi_extra=_TOKEN_BODY,
)
def token(request: AuthedRequest):
    username, password = _credentials(request)
    return services.token_pair_issue(username=username, password=password)


@router.post("/refresh", response={200: TokenOut, 401: Message})
def refresh(request: AuthedRequest, payload: RefreshIn):
    return services.token_refresh(refresh_token=payload.refresh_token)


@router.post("/logout", auth=bearer, response={204: None, 401: Message})
def logout(request: AuthedRequest):
    services.token_logout(actor=request.auth)
    return Status(204, None)

"""Users: bootstrap, create, list, read, change, delete."""

from typing import Annotated

from django.http import HttpResponse
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from portal.accounts import selectors, services
from portal.api.auth import AuthedRequest, bearer, bearer_or_bootstrap
from portal.api.pagination import PageQuery, paginate
from portal.api.schemas import MAX_ID, Message, PlainText, UserCreateIn, UserOut, UserUpdateIn

router = Router(tags=["users"], auth=bearer)
UserId = Path(..., ge=1, le=MAX_ID, description="User id")
ERRORS = {401: Message, 403: Message}


class UserFilters(Schema):
    q: Annotated[str, Field(max_length=150), PlainText] | None = None
    organization_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    unassigned: bool = False


@router.post(
    "/",
    auth=None,
    response={201: UserOut, 400: Message, 404: Message, **ERRORS},
    openapi_extra={"security": [{"BearerAuth": []}, {}]},
    summary="Create a user (without a token only while no user exists)",
)
def create_user(request: AuthedRequest, payload: UserCreateIn):
    actor = bearer_or_bootstrap(request)
    user = services.user_create(actor=actor, **payload.model_dump())
    return Status(201, user)


@router.get("/", response={200: list[UserOut], **ERRORS})
def list_users(request: AuthedRequest, response: HttpResponse, page: PageQuery, filters: Query[UserFilters]):
    users = selectors.users_visible_to(
        request.auth,
        search=filters.q or "",
        organization_id=filters.organization_id,
        unassigned=filters.unassigned,
    )
    return paginate(users, page, response)


@router.get("/me", response={200: UserOut, 401: Message})
def me(request: AuthedRequest):
    return request.auth


@router.get("/{user_id}", response={200: UserOut, 404: Message, **ERRORS})
def get_user(request: AuthedRequest, user_id: int = UserId):
    return selectors.user_for(request.auth, user_id)


@router.patch("/{user_id}", response={200: UserOut, 400: Message, 404: Message, **ERRORS})
def update_user(request: AuthedRequest, payload: UserUpdateIn, user_id: int = UserId):
    # Only the fields sent change; null means "leave it" except for
    # organization_id, where null takes the user out of their organization.
    given = payload.model_dump(exclude_unset=True)
    fields = {name: value for name, value in given.items() if value is not None or name == "organization_id"}
    return services.user_update(actor=request.auth, user_id=user_id, **fields)


@router.delete("/{user_id}", response={204: None, 400: Message, 404: Message, **ERRORS})
def delete_user(request: AuthedRequest, user_id: int = UserId):
    services.user_delete(actor=request.auth, user_id=user_id)
    return Status(204, None)

"""The eight documented organization endpoints of FastPKI."""

from django.http import HttpResponse
from ninja import Path, Router, Status

from portal.accounts.models import User
from portal.api.auth import AuthedRequest, bearer
from portal.api.pagination import PageQuery, paginate_statement
from portal.api.schemas import MAX_ID, Message, OrganizationIn, OrganizationOut, OrganizationUpdateIn, UserOut
from portal.organizations import selectors, services
from portal.organizations.models import Organization

router = Router(tags=["organizations"], auth=bearer)
OrgId = Path(..., ge=1, le=MAX_ID, description="Organization id")
UserId = Path(..., ge=1, le=MAX_ID, description="User id")
ERRORS = {401: Message, 403: Message}
WITH_404 = {**ERRORS, 404: Message}


@router.post("/", response={201: OrganizationOut, 400: Message, **ERRORS})
def create_organization(request: AuthedRequest, payload: OrganizationIn):
    organization = services.organization_create(
        actor=request.auth, name=payload.name, description=payload.description
    )
    return Status(201, organization)


@router.get("/", response={200: list[OrganizationOut], 401: Message})
def list_organizations(request: AuthedRequest, response: HttpResponse, page: PageQuery):
    viewer = request.auth
    return paginate_statement(
        page,
        response,
        OrganizationOut,
        Organization,
        rows=lambda fields, offset, limit: selectors.organizations_page(
            viewer, fields, offset=offset, limit=limit
        ),
        total=lambda: selectors.organizations_total(viewer),
    )


@router.get("/{organization_id}", response={200: OrganizationOut, **WITH_404})
def get_organization(request: AuthedRequest, organization_id: int = OrgId):
    return selectors.organization_for(request.auth, organization_id)


@router.put("/{organization_id}", response={200: OrganizationOut, 400: Message, **WITH_404})
def update_organization(request: AuthedRequest, payload: OrganizationUpdateIn, organization_id: int = OrgId):
    given = payload.model_dump(exclude_unset=True)
    if given.get("name", "") is None:
        # null is not a name; leaving the field out keeps the current one.
        given.pop("name")
    return services.organization_update(actor=request.auth, organization_id=organization_id, **given)


@router.delete("/{organization_id}", response={204: None, 400: Message, **WITH_404})
def delete_organization(request: AuthedRequest, organization_id: int = OrgId):
    services.organization_delete(actor=request.auth, organization_id=organization_id)
    return Status(204, None)


@router.post("/{organization_id}/users/{user_id}", response={200: UserOut, **WITH_404})
def add_member(request: AuthedRequest, organization_id: int = OrgId, user_id: int = UserId):
    return services.member_add(actor=request.auth, organization_id=organization_id, user_id=user_id)


@router.delete("/{organization_id}/users/{user_id}", response={200: UserOut, 400: Message, **WITH_404})
def remove_member(request: AuthedRequest, organization_id: int = OrgId, user_id: int = UserId):
    return services.member_remove(actor=request.auth, organization_id=organization_id, user_id=user_id)


@router.get("/{organization_id}/users", response={200: list[UserOut], **WITH_404})
def list_members(
    request: AuthedRequest, response: HttpResponse, page: PageQuery, organization_id: int = OrgId
):
    organization = selectors.organization_for(request.auth, organization_id)
    return paginate_statement(
        page,
        response,
        UserOut,
        User,
        rows=lambda fields, offset, limit: selectors.members_page(
            organization, fields, offset=offset, limit=limit
        ),
        # The stored count, read with the organization: no COUNT over its members.
        total=organization.member_count,
    )

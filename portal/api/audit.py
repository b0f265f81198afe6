"""The audit log, read-only."""

from typing import Annotated

from django.http import HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from portal.api.auth import AuthedRequest, bearer
from portal.api.pagination import Page, paginate
from portal.api.schemas import MAX_ID, AuditLogOut, Message, PlainText, UtcDateTime
from portal.audit.models import Action
from portal.audit.selectors import audit_visible_to

router = Router(tags=["audit"], auth=bearer)


class AuditFilters(Schema):
    action: Action | None = None
    user_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    organization_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    resource_type: Annotated[str, Field(max_length=32), PlainText] | None = None
    resource_id: Annotated[str, Field(max_length=64), PlainText] | None = None
    since: UtcDateTime | None = None
    until: UtcDateTime | None = None


class AuditPage(Page):
    limit: Annotated[int, Field(ge=1, le=1000)] | None = 100


@router.get("/", response={200: list[AuditLogOut], 401: Message, 403: Message})
def list_audit_logs(
    request: AuthedRequest, response: HttpResponse, filters: Query[AuditFilters], page: Query[AuditPage]
):
    entries = audit_visible_to(request.auth, **filters.model_dump())
    return paginate(entries, page, response)

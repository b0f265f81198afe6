"""skip/limit on lists, with X-Total-Count always sent."""

from typing import Annotated

from django.db.models import QuerySet
from django.http import HttpResponse
from ninja import Query, Schema
from pydantic import Field

from portal.api import rendering

MAX_LIMIT = 1000


class Page(Schema):
    skip: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] | None = None


PageQuery = Query[Page]


def _slice(queryset: QuerySet, page: Page, limit: int | None) -> QuerySet:
    if page.skip == 0 and limit is None:
        return queryset
    return queryset[page.skip : page.skip + limit if limit is not None else None]


def _total(queryset: QuerySet, page: Page, limit: int | None, fetched: int) -> int:
    # The count is only a second query when the page may not hold every row.
    if page.skip == 0 and (limit is None or fetched < limit):
        return fetched
    return queryset.order_by().count()


def paginate(
    queryset: QuerySet, page: Page, response: HttpResponse, *, default_limit: int | None = None
) -> list:
    """One page of rows in the database, and the total in X-Total-Count."""
    limit = page.limit if page.limit is not None else default_limit
    rows = list(_slice(queryset, page, limit))
    response["X-Total-Count"] = str(_total(queryset, page, limit, len(rows)))
    return rows


def paginate_json(
    queryset: QuerySet,
    page: Page,
    response: HttpResponse,
    schema: type[Schema],
    *,
    default_limit: int | None = None,
) -> HttpResponse:
    """paginate(), with the page written into the response as JSON of ``schema``'s fields.

    For long lists: no model instance and no pydantic validation per row
    (see portal.api.rendering). Declare ``list[schema]`` as the operation's
    response so that the OpenAPI document describes what this writes.
    """
    limit = page.limit if page.limit is not None else default_limit
    body, fetched = rendering.json_array(_slice(queryset, page, limit), schema)
    response["X-Total-Count"] = str(_total(queryset, page, limit, fetched))
    response.content = body
    return response

"""skip/limit on lists, with X-Total-Count always sent."""

from collections.abc import Callable
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


def paginate(
    queryset: QuerySet,
    page: Page,
    response: HttpResponse,
    *,
    default_limit: int | None = None,
    fetch: Callable[[QuerySet], list] = list,
) -> list:
    """One page of rows in the database, and the total in X-Total-Count."""
    limit = page.limit if page.limit is not None else default_limit
    if page.skip == 0 and limit is None:
        rows = fetch(queryset)
        total = len(rows)
    else:
        end = page.skip + limit if limit is not None else None
        rows = fetch(queryset[page.skip : end])
        # The count is only a second query when the page may not hold every row.
        if page.skip == 0 and limit is not None and len(rows) < limit:
            total = len(rows)
        else:
            total = queryset.order_by().count()
    response["X-Total-Count"] = str(total)
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
    rows = paginate(
        queryset, page, response, default_limit=default_limit, fetch=lambda qs: rendering.rows(qs, schema)
    )
    response.content = rendering.dumps(rows)
    return response

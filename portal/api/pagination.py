"""skip/limit on lists, with X-Total-Count always sent."""

from collections.abc import Callable, Sequence
from typing import Annotated

from django.db.models import Model, QuerySet
from django.http import HttpResponse
from ninja import Query, Schema
from pydantic import Field

from portal.api import rendering
from portal.core.sql import Statement

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


def paginate_statement(
    page: Page,
    response: HttpResponse,
    schema: type[Schema],
    model: type[Model],
    *,
    rows: Callable[[Sequence[str], int, int | None], Statement],
    total: Callable[[], Statement] | int,
) -> HttpResponse:
    """paginate(), for a selector that writes its page as one statement: ``rows(fields, offset, limit)``.

    The page goes into the response as JSON of ``schema``'s fields, without
    a model instance or a pydantic validation per row (portal.api.rendering);
    declare ``list[schema]`` as the operation's response so that the OpenAPI
    document describes it. ``total`` is the number of rows when the caller
    knows it (a stored count), else the statement that counts them: it runs
    only when the page may not hold every row (on SQLite in the same statement).
    """
    fields = list(schema.model_fields)
    may_be_partial = page.skip != 0 or page.limit is not None
    body, fetched, counted = rendering.json_page(
        rows(fields, page.skip, page.limit),
        fields,
        rendering.field_kinds(model, fields),
        total() if may_be_partial and not isinstance(total, int) else None,
    )
    if isinstance(total, int) and may_be_partial:
        counted = total
    response["X-Total-Count"] = str(fetched if counted is None else counted)
    response.content = body
    return response

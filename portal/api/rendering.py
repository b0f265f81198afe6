"""JSON for list endpoints, straight from database rows.

ninja validates a returned list row by row through the response schema
(pydantic reading attributes of model instances) and then encodes it;
for a page of 200 members that costs several times the query itself.
List endpoints instead run a selector's statement for exactly the
schema's fields and:

- on SQLite, have the database write the JSON array (its JSON functions,
  in C): one text value comes back instead of 2,600 Python objects;
- elsewhere, format the timestamps the way ninja's encoder does and hand
  the rows to the C JSON encoder.

Both give the same JSON value as the schema path, timestamps included
(milliseconds, "Z"); SQLite's text is compact and leaves non-ASCII
characters unescaped. The schema stays declared on the operation, so the
OpenAPI document is unchanged; tests compare the paths field for field.
"""

import json
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import connections
from django.db.models import BooleanField, DateTimeField, Model

from portal.core.sql import Statement


def iso_timestamp(value: datetime) -> str:
    """A timestamp as ninja's encoder (Django's DjangoJSONEncoder) writes it: milliseconds, "Z" for UTC."""
    if value.tzinfo is None:
        # Stored in UTC (USE_TZ); SQLite hands the column back naive.
        value = value.replace(tzinfo=UTC)
    text = value.isoformat()
    if value.microsecond:
        text = text[:23] + text[26:]
    if text.endswith("+00:00"):
        text = text[:-6] + "Z"
    return text


def field_kinds(model: type[Model], fields: list[str]) -> list[str]:
    """How each field is written to JSON: "bool", "timestamp" or "plain" (also for what is not a model field)."""
    kinds = []
    for name in fields:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        kinds.append(
            "bool"
            if isinstance(field, BooleanField)
            else "timestamp"
            if isinstance(field, DateTimeField)
            else "plain"
        )
    return kinds


def _sqlite_json_value(kind: str, column: str) -> str:
    if kind == "bool":
        return f"CASE WHEN {column} THEN json('true') ELSE json('false') END"
    if kind == "timestamp":
        # Stored as "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC; milliseconds as ninja writes them.
        return f"substr({column}, 1, 10) || 'T' || substr({column}, 12, 12) || 'Z'"
    return column


def json_page(
    rows: Statement,
    fields: list[str],
    kinds: list[str],
    total: Statement | None = None,
    *,
    using: str = "default",
) -> tuple[str, int, int | None]:
    """A statement's rows (columns c0, c1, ... in ``fields`` order) as a JSON array of those fields.

    Returns the JSON text, the number of rows, and the ``total`` statement's
    count when one is given. On SQLite all of it is one statement.
    """
    db = connections[using]
    if db.vendor == "sqlite":
        pairs = ", ".join(
            f"'{name}', {_sqlite_json_value(kind, f'r.c{index}')}"
            for index, (name, kind) in enumerate(zip(fields, kinds, strict=True))
        )
        count = f", ({total.sql})" if total is not None else ""
        # The subquery's ORDER BY sets the order: SQLite aggregates its rows as they come.
        statement = f"SELECT json_group_array(json_object({pairs})), COUNT(*){count} FROM ({rows.sql}) r"  # noqa: S608 (schema field names)
        params = [*(total.params if total is not None else []), *rows.params]
        with db.cursor() as cursor:
            cursor.execute(statement, params)
            text, fetched, *counted = cursor.fetchone()
        return text, fetched, counted[0] if counted else None
    with db.cursor() as cursor:
        cursor.execute(rows.sql, rows.params)
        fetched_rows = cursor.fetchall()
        counted_total = None
        if total is not None:
            cursor.execute(total.sql, total.params)
            counted_total = cursor.fetchone()[0]
    timestamps = [index for index, kind in enumerate(kinds) if kind == "timestamp"]
    data = []
    for row in fetched_rows:
        values = list(row)
        for index in timestamps:
            if values[index] is not None:
                values[index] = iso_timestamp(values[index])
        data.append(dict(zip(fields, values, strict=True)))
    return dumps(data), len(data), counted_total


def dumps(data: Any) -> str:
    # The same separators and escaping as ninja's JSON renderer.
    return json.dumps(data)

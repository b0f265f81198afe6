"""JSON for list endpoints, straight from database rows.

ninja validates a returned list row by row through the response schema
(pydantic reading attributes of model instances) and then encodes it;
for a page of 200 members that costs several times the query itself.
List endpoints instead select exactly the schema's fields and:

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

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import BooleanField, DateTimeField, F, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils.dateparse import parse_datetime
from ninja import Schema


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


def _iso_from_sqlite(text: str) -> str:
    """iso_timestamp() of a timestamp as Django stores it in SQLite: "YYYY-MM-DD HH:MM:SS[.ffffff]", UTC.

    Cutting the text is a tenth of the cost of parsing it into a datetime
    and formatting that, and it is 400 timestamps for a page of members.
    """
    if len(text) in (19, 26) and text[10] == " ":
        return f"{text[:10]}T{text[11:23]}Z"
    parsed = parse_datetime(text)
    return iso_timestamp(parsed) if parsed is not None else text


def rows(queryset: QuerySet, schema: type[Schema]) -> list[dict[str, Any]]:
    """The queryset's rows as dicts holding exactly the schema's fields, ready for json.dumps.

    Every field must be a column or an annotation of the queryset. The
    query is the ORM's own SQL, run without building model instances.
    """
    fields = list(schema.model_fields)
    opts = queryset.model._meta
    annotations = queryset.query.annotations
    timestamps = [
        index
        for index, name in enumerate(fields)
        if name not in annotations and isinstance(opts.get_field(name), DateTimeField)
    ]
    sqlite = connections[queryset.db].vendor == "sqlite"
    # SQLite has no timestamp type: read the stored text rather than have it parsed.
    select = [
        Cast(name, TextField()) if sqlite and i in timestamps else name for i, name in enumerate(fields)
    ]
    values = queryset.values_list(*select)
    try:
        sql, params = values.query.get_compiler(using=values.db).as_sql()
    except EmptyResultSet:
        return []  # e.g. an empty __in filter: the ORM answers without a query, and so do we
    with connections[values.db].cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    to_text = _iso_from_sqlite if sqlite else iso_timestamp
    out = []
    for row in fetched:
        if timestamps:
            row = list(row)
            for index in timestamps:
                if row[index] is not None:
                    row[index] = to_text(row[index])
        out.append(dict(zip(fields, row, strict=True)))
    return out


def _sqlite_json_value(kind: str, column: str) -> str:
    if kind == "bool":
        return f"CASE WHEN {column} THEN json('true') ELSE json('false') END"
    if kind == "timestamp":
        # Stored as "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC; milliseconds as ninja writes them.
        return f"substr({column}, 1, 10) || 'T' || substr({column}, 12, 12) || 'Z'"
    return column


def json_array(queryset: QuerySet, schema: type[Schema]) -> tuple[str, int]:
    """The queryset's rows as a JSON array of the schema's fields, and how many rows that is."""
    if connections[queryset.db].vendor != "sqlite":
        data = rows(queryset, schema)
        return dumps(data), len(data)
    fields = list(schema.model_fields)
    opts = queryset.model._meta
    annotations = queryset.query.annotations
    kinds = []
    for name in fields:
        field = None if name in annotations else opts.get_field(name)
        kinds.append(
            "bool"
            if isinstance(field, BooleanField)
            else "timestamp"
            if isinstance(field, DateTimeField)
            else "plain"
        )
    inner = queryset.values(**{f"c{index}": F(name) for index, name in enumerate(fields)})
    try:
        sql, params = inner.query.get_compiler(using=inner.db).as_sql()
    except EmptyResultSet:
        return "[]", 0
    pairs = ", ".join(
        f"'{name}', {_sqlite_json_value(kind, f'r.c{index}')}"
        for index, (name, kind) in enumerate(zip(fields, kinds, strict=True))
    )
    # The subquery's ORDER BY sets the order: SQLite aggregates its rows as they come.
    statement = f"SELECT json_group_array(json_object({pairs})), COUNT(*) FROM ({sql}) r"  # noqa: S608 (schema field names)
    with connections[inner.db].cursor() as cursor:
        cursor.execute(statement, params)
        text, count = cursor.fetchone()
    return text, count


def dumps(data: Any) -> str:
    # The same separators and escaping as ninja's JSON renderer.
    return json.dumps(data)

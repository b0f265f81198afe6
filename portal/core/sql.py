"""Names for the few queries written out by hand on hot paths (token lookup, organization check).

Those statements are built once per process from the models' own table
and column names, quoted for the connection, and take every value as a
query parameter; nothing from a request is ever formatted into them.
"""

from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Field, Model


class Statement(NamedTuple):
    sql: str
    params: list[Any]


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column_name(model: type[Model], name: str) -> str:
    """The quoted column of the field called ``name`` (a foreign key by its field name: its id column)."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or not field.column:
        raise ValueError(f"{model.__name__}.{name} is not a column")
    return connection.ops.quote_name(field.column)


def column(model: type[Model], alias: str, name: str) -> str:
    """``alias."column"`` of the field called ``name``."""
    return f"{alias}.{column_name(model, name)}"


def columns(model: type[Model], alias: str) -> str:
    """Every concrete column of the model, in field order, for SELECT (what Model.objects.raw() maps back)."""
    return ", ".join(column(model, alias, field.name) for field in model._meta.concrete_fields)


def is_bigint(value: int) -> bool:
    """Whether an id fits a 64-bit integer column; one that does not matches no row.

    The ORM answers such a lookup as empty without asking the database
    (which would refuse the value); these statements must do the same.
    """
    return -(2**63) <= value < 2**63


def no_limit() -> Any:
    """The LIMIT parameter that means "all rows" on this database (-1 on SQLite, NULL elsewhere)."""
    return connection.ops.no_limit_value()

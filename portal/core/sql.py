"""Names for the few queries written out by hand on hot paths (token lookup, organization check).

Those statements are built once per process from the models' own table
and column names, quoted for the connection, and take every value as a
query parameter; nothing from a request is ever formatted into them.
"""

from collections.abc import Sequence
from types import SimpleNamespace
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


# Per database alias, model and field names: (index, converters, column) of each converted field.
_FIELD_CONVERTERS: dict[tuple[str, type[Model], tuple[str, ...]], list[tuple[int, list, Any]]] = {}


def _field_converters(model: type[Model], names: tuple[str, ...]) -> list[tuple[int, list, Any]]:
    key = (connection.alias, model, names)
    if key not in _FIELD_CONVERTERS:
        found = []
        for index, name in enumerate(names):
            field = model._meta.get_field(name)
            assert isinstance(field, Field)
            column = field.get_col(model._meta.db_table)
            converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
            if converters:
                found.append((index, converters, column))
        _FIELD_CONVERTERS[key] = found
    return _FIELD_CONVERTERS[key]


def _converters(model: type[Model]) -> list[tuple[int, list, Any]]:
    """(index, converters, column) of each concrete field whose raw value the backend or the field converts."""
    return _field_converters(model, tuple(field.name for field in model._meta.concrete_fields))


def instance[M: Model](model: type[M], row: Sequence[Any]) -> tuple[M, tuple[Any, ...]]:
    """The model instance from the first ``columns(model, ...)`` values of a row, and the values after them.

    What Model.objects.raw() would build (the same converters, the same
    from_db()), without resolving the columns by name on every call.
    """
    attnames = [field.attname for field in model._meta.concrete_fields]
    width = len(attnames)
    values = list(row[:width])
    for index, converters, column in _converters(model):
        value = values[index]
        for converter in converters:
            value = converter(value, column, connection)
        values[index] = value
    return model.from_db(connection.alias, attnames, values), tuple(row[width:])


def fetch_one[M: Model](
    model: type[M], statement: str, params: Sequence[Any]
) -> tuple[M, tuple[Any, ...]] | None:
    """Run a statement that selects ``columns(model, ...)`` first, then extra columns; one row or None."""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
    return None if row is None else instance(model, row)


# Per database vendor, model and field names: the INSERT or UPDATE statement, and the fields.
_WRITES: dict[tuple[str, str, type[Model], tuple[str, ...]], tuple[str, list[Field]]] = {}


def _write_statement(kind: str, model: type[Model], names: tuple[str, ...]) -> tuple[str, list[Field]]:
    key = (connection.vendor, kind, model, names)
    if key not in _WRITES:
        fields = [model._meta.get_field(name) for name in names]
        pk = column_name(model, model._meta.pk.name)  # type: ignore[union-attr]
        if kind == "insert":
            statement = (
                f"INSERT INTO {table(model)} ({', '.join(column_name(model, name) for name in names)})"  # noqa: S608 (names from the models)
                f" VALUES ({', '.join(['%s'] * len(names))}) RETURNING {pk}"
            )
        else:
            assignments = ", ".join(f"{column_name(model, name)} = %s" for name in names)
            statement = f"UPDATE {table(model)} SET {assignments} WHERE {pk} = %s"  # noqa: S608 (names from the models)
        _WRITES[key] = (statement, [field for field in fields if isinstance(field, Field)])
    return _WRITES[key]


def _execute_write(kind: str, instance: Model, names: Sequence[str]) -> Any:
    # What Model.save() sends: pre_save() (auto_now and auto_now_add set the
    # time on the instance), then the field's conversion for this database.
    statement, fields = _write_statement(kind, type(instance), tuple(names))
    add = kind == "insert"
    params = [field.get_db_prep_save(field.pre_save(instance, add), connection) for field in fields]
    if not add:
        params.append(instance.pk)
    cursor = connection.cursor()
    try:
        cursor.execute(statement, params)
    except BaseException:
        cursor.close()
        raise
    return cursor


def insert(instance: Model, names: Sequence[str]) -> None:
    """INSERT the instance's ``names`` fields, as save() would for a new row, and set its primary key.

    For rows written on every request (audit entries): save() builds and
    compiles the statement each time, which costs several times running it.
    No signals are sent (the project has none).
    """
    with _execute_write("insert", instance, names) as cursor:
        instance.pk = cursor.fetchone()[0]
    instance._state.adding = False
    instance._state.db = connection.alias


def update(instance: Model, names: Sequence[str]) -> int:
    """UPDATE only the instance's ``names`` fields, as save(update_fields=names) would; the rows changed."""
    with _execute_write("update", instance, names) as cursor:
        return cursor.rowcount


class Row(SimpleNamespace):
    """One row of fetch_rows(): its fields as attributes, ``pk`` for ``id``."""

    @property
    def pk(self) -> Any:
        return self.id


def fetch_rows(model: type[Model], names: Sequence[str], statement: Statement) -> list[Row]:
    """Run a statement selecting the fields ``names`` of ``model`` in that order: what
    ``values(*names)`` would give (the same conversions), each row as a :class:`Row`."""
    key = tuple(names)
    converters = _field_converters(model, key)
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params)
        fetched = cursor.fetchall()
    rows = []
    for raw in fetched:
        values = list(raw)
        for index, field_converters, column in converters:
            value = values[index]
            for converter in field_converters:
                value = converter(value, column, connection)
            values[index] = value
        rows.append(Row(**dict(zip(key, values, strict=True))))
    return rows

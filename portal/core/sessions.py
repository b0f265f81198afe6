"""Database sessions, read with one prepared statement.

Django's database backend, except that loading a session (on every
signed-in page) runs a statement built once per process instead of a
queryset compiled on each request. Writing, expiry and clearing are
Django's own.
"""

from typing import Any

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from portal.core import sql

_LOAD: dict[str, str] = {}


def _load_statement() -> str:
    if connection.vendor not in _LOAD:
        _LOAD[connection.vendor] = (
            f"SELECT {sql.column(Session, 's', 'session_data')} FROM {sql.table(Session)} s"  # noqa: S608 (names from the model)
            f" WHERE {sql.column(Session, 's', 'session_key')} = %s AND {sql.column(Session, 's', 'expire_date')} > %s"
        )
    return _LOAD[connection.vendor]


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        # What the parent's objects.get(session_key=..., expire_date__gt=now) finds, without the ORM.
        if self.session_key is None:
            return None
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(_load_statement(), [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return Session(session_key=self.session_key, session_data=row[0])

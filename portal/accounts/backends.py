"""Signing in with a username and password, and finding the signed-in user on each request."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db import connection

from portal.accounts.models import User
from portal.core import sql

_BY_ID: dict[str, str] = {}


def _by_id_statement() -> str:
    if connection.vendor not in _BY_ID:
        _BY_ID[connection.vendor] = (
            f"SELECT {sql.columns(User, 'u')} FROM {sql.table(User)} u WHERE {sql.column(User, 'u', 'id')} = %s"  # noqa: S608 (names from the model)
        )
    return _BY_ID[connection.vendor]


class UserBackend(ModelBackend):
    """Django's ModelBackend; the session's user (every signed-in page) comes from one prepared statement."""

    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        if not sql.is_bigint(pk):
            return None
        found = sql.fetch_one(User, _by_id_statement(), [pk])
        if found is None:
            return None
        user = found[0]
        return user if self.user_can_authenticate(user) else None

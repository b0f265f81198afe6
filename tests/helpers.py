"""Test helpers shared across test modules: database snapshots and the permission-matrix check."""

from contextlib import contextmanager

from portal.accounts.models import Token, User
from portal.audit.models import AuditLog
from portal.organizations.models import Organization, OrganizationUserObjectPermission


def snapshot() -> tuple:
    """Everything a refused request must leave as it was."""
    return (
        tuple(Organization.objects.order_by("pk").values_list("pk", "name", "description", "updated_at")),
        tuple(
            User.objects.order_by("pk").values_list(
                "pk",
                "username",
                "email",
                "role",
                "is_superuser",
                "is_active",
                "organization_id",
                "manages_members",
                "can_create_ca",
                "can_delete_ca",
                "password",
            )
        ),
        tuple(
            OrganizationUserObjectPermission.objects.order_by("pk").values_list(
                "user_id", "content_object_id", "permission__codename"
            )
        ),
        AuditLog.objects.count(),
    )


def audit_count() -> int:
    return AuditLog.objects.count()


def token_count(user: User) -> int:
    return Token.objects.filter(user=user).count()


@contextmanager
def failing_queries(table: str, error: Exception):
    """Every SQL statement that reads ``table`` raises ``error``: a fault below any code path."""
    from django.db import connection

    def wrapper(execute, sql, params, many, context):
        if table in sql:
            raise error
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield

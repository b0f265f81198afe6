"""The service layer's exceptions.

Services raise these with the sentence a person will read; the API turns
them into ``{"detail": ...}`` with the status code of SPEC section 5 and
the portal into messages, field errors and its 403/404 pages.
"""


class ServiceError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDenied(ServiceError):
    status_code = 403


class NotFound(ServiceError):
    status_code = 404


class Conflict(ServiceError):
    """The request is well-formed but clashes with the current state (name taken, members left)."""

    status_code = 400


class Invalid(ServiceError):
    """A value breaks a rule that only the service can check (password strength)."""

    status_code = 422


class Throttled(ServiceError):
    status_code = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unauthenticated(ServiceError):
    status_code = 401

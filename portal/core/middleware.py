import logging
import re
import uuid

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

from portal.core import context

logger = logging.getLogger("portal.request")
DATABASE_UNAVAILABLE = "The service is temporarily unavailable. Try again shortly."
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")


def client_ip(request: HttpRequest) -> str | None:
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:45] or None
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Gives every request an id (kept from X-Request-ID when sane) for logs and audit entries."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = context.activate(context.RequestContext(request_id=request_id, ip_address=client_ip(request)))
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response


def is_api_path(path: str) -> bool:
    return path.startswith("/api/")


class ApiMethodNotAllowedMiddleware:
    """An API path that exists but not for this method answers FastPKI's JSON 405, not Django's empty one.

    (Paths with or without a trailing slash: portal.api.api_not_found.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 405
            and is_api_path(request.path_info)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            allow = response.get("Allow", "")
            response = JsonResponse({"detail": "Method Not Allowed"}, status=405)
            if allow:
                response["Allow"] = allow
        return response


class DatabaseUnavailableMiddleware:
    """A database that is briefly gone gives 503 (JSON for the API), not a traceback."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_unavailable(exception):
            return None
        logger.error("database unavailable: %s", exception)
        return database_unavailable_response(request)


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: JSON for the API and the health check, the portal's page otherwise."""
    if is_api_path(request.path_info) or request.path_info == "/healthz":
        response: HttpResponse = JsonResponse({"detail": DATABASE_UNAVAILABLE}, status=503)
    else:
        # Rendered here and without the request's context processors: they may need the
        # database too (the signed-in user), and Django does not render a response that
        # process_exception returns for an error raised while rendering.
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = "5"
    return response


def is_database_unavailable(exception: BaseException | None) -> bool:
    """Whether the error says the database cannot be reached (rather than refused a query)."""
    if not isinstance(exception, (OperationalError, InterfaceError)):
        return False
    text = str(exception).lower()
    markers = (
        "could not connect",
        "connection",
        "server closed",
        "terminating",
        "database is locked",
        "timeout",
    )
    return any(marker in text for marker in markers)

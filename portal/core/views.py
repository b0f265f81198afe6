"""Project-wide views: health check, CSRF failure and error pages."""

import sys

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from portal.core.middleware import database_unavailable_response, is_api_path, is_database_unavailable


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    return redirect("organizations:list")


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers: 200 after one trivial query, no session, no authentication."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"status": "ok"})


def _error(request: HttpRequest, status: int, template: str, message: str) -> HttpResponse:
    if is_api_path(request.path_info):
        return JsonResponse({"detail": message}, status=status)
    response = TemplateResponse(request, template, {"message": message}, status=status)
    return response.render()


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(
        request,
        403,
        "403.html",
        "This form has expired or did not come from this site. Reload the page and try again.",
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, "400.html", "The request could not be understood.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = (
        str(exception) if exception and str(exception) else "You do not have permission to open this page."
    )
    return _error(request, 403, "403.html", message)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, "404.html", "Not Found")


def server_error(request: HttpRequest) -> HttpResponse:
    # A database that went away outside a view (a middleware, a template) is still a 503.
    if is_database_unavailable(sys.exc_info()[1]):
        return database_unavailable_response(request)
    if is_api_path(request.path_info):
        return JsonResponse({"detail": "Internal Server Error"}, status=500)
    # No context processors: whatever failed must not fail again here.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render(), status=500)

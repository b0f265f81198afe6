"""One place that turns exceptions into FastPKI's error shape: {"detail": ...}."""

import json

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from portal.core.exceptions import Invalid, ServiceError, Throttled, Unauthenticated

NOT_AUTHENTICATED = "Not authenticated"
BODY_TOO_LARGE = "Request body is too large."


def _loc(loc: tuple | list) -> list:
    # ninja names the body parameter in the location ("body", "payload",
    # "name"); FastAPI clients expect ("body", "name").
    parts = list(loc)
    if len(parts) >= 2 and parts[0] == "body" and parts[1] == "payload":
        del parts[1]
    return parts


def validation_items(errors: list[dict]) -> list[dict]:
    items = []
    for error in errors:
        msg = error.get("msg", "Invalid value")
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        items.append(
            {"loc": _loc(error.get("loc", ())), "msg": msg, "type": error.get("type", "value_error")}
        )
    return items


def install(api: NinjaAPI) -> None:
    def detail(request: HttpRequest, message, status: int) -> HttpResponse:
        return api.create_response(request, {"detail": message}, status=status)

    @api.exception_handler(ServiceError)
    def service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
        if isinstance(exc, Invalid):
            items = [
                {
                    "loc": ["body", exc.field] if exc.field else ["body"],
                    "msg": exc.message,
                    "type": "value_error",
                }
            ]
            return detail(request, items, 422)
        response = detail(request, exc.message, exc.status_code)
        if isinstance(exc, Unauthenticated):
            response["WWW-Authenticate"] = "Bearer"
        if isinstance(exc, Throttled):
            response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(AuthenticationError)
    def not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = detail(request, NOT_AUTHENTICATED, 401)
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return detail(request, validation_items(exc.errors), 422)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        cause = exc.__cause__
        if isinstance(cause, RequestDataTooBig):
            return detail(request, BODY_TOO_LARGE, 413)
        if isinstance(cause, json.JSONDecodeError):
            item = {
                "loc": ["body", cause.pos],
                "msg": f"JSON decode error: {cause.msg}",
                "type": "json_invalid",
            }
            return detail(request, [item], 422)
        if isinstance(cause, UnicodeDecodeError):
            item = {"loc": ["body"], "msg": "The request body is not valid UTF-8.", "type": "json_invalid"}
            return detail(request, [item], 422)
        if cause is not None:
            item = {"loc": ["body"], "msg": "The request body could not be parsed.", "type": "json_invalid"}
            return detail(request, [item], 422)
        return detail(request, str(exc), exc.status_code)

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return detail(request, BODY_TOO_LARGE, 413)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return detail(request, "Not Found", 404)

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Django's own handling: logged, 503 for a missing database, never a traceback.
        raise exc

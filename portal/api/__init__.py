"""orgportal's JSON API, wire-compatible with FastPKI's organization API."""

from typing import Any

from django.http import HttpRequest
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger
from ninja.openapi.schema import OpenAPISchema

from portal.api import audit, errors, organizations, tokens, users

_VALIDATION_ERROR = {
    "description": "Validation Error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ValidationMessage"}}},
}


class OrgportalAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        # Every operation that takes input may answer 422 (errors.py): document it, as FastAPI does,
        # so that clients and schema-driven tests know its shape.
        if "ValidationMessage" in schema["components"].get("schemas", {}):
            for operations in schema["paths"].values():
                for operation in operations.values():
                    if operation.get("parameters") or operation.get("requestBody"):
                        operation["responses"].setdefault(422, _VALIDATION_ERROR)
        return schema


api = OrgportalAPI(
    title="orgportal API",
    version="1",
    description="Organizations, members, users, tokens and the audit log. Compatible with FastPKI's organization API.",
    urls_namespace="api",
    docs=Swagger(settings={"persistAuthorization": True}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)
api.add_router("/auth", tokens.router)
api.add_router("/organizations", organizations.router)
api.add_router("/users", users.router)
api.add_router("/audit-logs", audit.router)


@csrf_exempt  # as every API operation (bearer tokens, no cookies); it only hands over to one of them
def api_not_found(request: HttpRequest, *args, **kwargs):
    """No operation has this path: the one it names with the other ending, else FastPKI's JSON 404.

    FastPKI documents collections with a slash (``/organizations/``) and
    items without (``/organizations/1``); clients use either form, and both
    work without a redirect. Only a path no operation matches comes here,
    so the common case costs nothing.
    """
    path = request.path_info
    other = path[:-1] if path.endswith("/") else f"{path}/"
    try:
        match = resolve(other)
    except Resolver404:
        match = None
    if match is not None and match.url_name != "api-not-found":
        request.path_info = other
        request.resolver_match = match
        return match.func(request, *match.args, **match.kwargs)
    return api.create_response(request, {"detail": "Not Found"}, status=404)

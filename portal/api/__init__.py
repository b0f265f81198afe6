"""orgportal's JSON API, wire-compatible with FastPKI's organization API."""

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from portal.api import audit, errors, organizations, tokens, users

api = NinjaAPI(
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


def api_not_found(request: HttpRequest, *args, **kwargs):
    return api.create_response(request, {"detail": "Not Found"}, status=404)

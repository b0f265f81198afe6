"""Bearer authentication: one indexed lookup of the token's hash."""

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from portal.accounts.services import INVALID_TOKEN, NOT_AUTHENTICATED, bootstrap_open, token_authenticate
from portal.core.exceptions import Unauthenticated


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_authenticate(token)
        if user is None:
            raise Unauthenticated(INVALID_TOKEN)
        return user


def bearer_or_bootstrap(request: HttpRequest) -> Any:
    """The bearer's user; None (the bootstrap actor) only while no user exists and no token is sent."""
    if "HTTP_AUTHORIZATION" in request.META:
        user = bearer(request)
        if user is None:
            raise Unauthenticated(NOT_AUTHENTICATED)
        return user
    if bootstrap_open():
        return None
    raise Unauthenticated(NOT_AUTHENTICATED)


bearer = BearerAuth()


class AuthedRequest(HttpRequest):
    """What an endpoint behind bearer authentication receives: ``request.auth`` is the user."""

    auth: Any

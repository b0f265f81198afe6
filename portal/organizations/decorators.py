"""Preconditions of the organization pages: signed in, and holding a permission on the organization in the URL."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse

from portal.core.exceptions import ServiceError
from portal.core.portal import portal_login_required, service_error
from portal.organizations.forms import MAX_ID
from portal.organizations.permissions import ORG_PERM_VIEW
from portal.organizations.selectors import organization_for

View = Callable[..., HttpResponse]


def org_permission_required(perm: str = ORG_PERM_VIEW) -> Callable[[View], View]:
    """Resolve ``organization_id`` from the URL once and pass the organization to the view.

    The selector decides: a viewer without ``perm`` gets the portal's 403
    page whether or not the id exists; a superuser gets 404 for a missing id.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, organization_id: int, *args: Any, **kwargs: Any) -> HttpResponse:
            if organization_id > MAX_ID:
                # No row can have this id, and the database cannot take it as a parameter:
                # ask for one that cannot exist, so the selector answers 403 or 404 as for any missing id.
                organization_id = 0
            try:
                organization = organization_for(request.user, organization_id, perm)
            except ServiceError as exc:
                service_error(request, exc)
                raise  # service_error raises 403/404 for these; anything else is a bug
            return view(request, organization, *args, **kwargs)

        return portal_login_required(wrapper)

    return decorator

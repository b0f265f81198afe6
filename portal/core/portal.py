"""What the portal's views share: partial rendering, and turning service errors into feedback.

Views stay thin: they parse a form, call one service, and hand its
exception to :func:`service_error`, which decides nothing about
permissions (the service already did) but only how to say it.
"""

from collections.abc import Callable, Sequence
from functools import lru_cache, wraps
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Model
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import get_script_prefix, reverse
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from portal.core import sql
from portal.core.exceptions import NotFound, PermissionDenied, ServiceError

if TYPE_CHECKING:
    from portal.accounts.models import User

PAGE_SIZE = 25


class PortalRequest(HttpRequest):
    """A request as portal views see it (for type checking): signed in, with django-htmx's details."""

    user: "User"
    htmx: HtmxDetails


def render(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    partial: str | None = None,
    status: int = 200,
) -> TemplateResponse:
    """The full page, or for an htmx request the named partial of the same template.

    The server picks the partial; the request never names a template.
    """
    htmx = getattr(request, "htmx", None)
    # A history restore (Back after hx-push-url) needs the whole page.
    wants_partial = bool(partial and htmx and not htmx.history_restore_request)
    name = f"{template}#{partial}" if wants_partial else template
    if status == 200 and request.method == "POST" and _has_errors(context):
        # A refused submission is a client error (SPEC section 6), not a success;
        # htmx is configured (base.html) to swap 422 like 200.
        status = 422
    response = TemplateResponse(request, name, context, status=status)
    # The same URL answers a page or a partial: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


def _has_errors(context: dict[str, Any]) -> bool:
    return any(
        isinstance(value, Form) and value.is_bound and bool(value.errors) for value in context.values()
    )


class StatementRows:
    """A selector's page statement as a sequence for paginate(): slicing it runs the statement for those rows.

    ``statement(offset, limit)`` writes the page (e.g. organizations.selectors.members_page);
    the rows are sql.fetch_rows() of ``fields``. ``total`` is the number of rows, known to the caller.
    """

    def __init__(
        self,
        model: type[Model],
        fields: Sequence[str],
        statement: Callable[[int, int], sql.Statement],
        *,
        total: int,
    ) -> None:
        self.model, self.fields, self.statement, self.total = model, fields, statement, total

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index: slice) -> list[sql.Row]:
        start = index.start or 0
        stop = self.total if index.stop is None else index.stop
        return sql.fetch_rows(self.model, self.fields, self.statement(start, max(stop - start, 0)))


def paginate(request: HttpRequest, queryset: Any, *, per_page: int = PAGE_SIZE) -> tuple[Page, str]:
    """A page of rows from ?page=, and the query string to keep in pagination links."""
    page = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    # The rows are read here, once, so that views can decorate them before rendering.
    page.object_list = list(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


# Numbers no URL of this site contains by chance: id_url() finds where each id goes by them.
_ID_MARKER = 8_624_590_713_538_402_180


@lru_cache(maxsize=256)
def _id_url_parts(name: str, arity: int, script_prefix: str) -> tuple[str, ...]:
    markers = [str(_ID_MARKER + index) for index in range(arity)]
    rest = reverse(name, args=[int(marker) for marker in markers])
    parts = []
    for marker in markers:
        head, found, rest = rest.partition(marker)
        if not found:
            raise ValueError(f"The arguments of URL {name} do not appear in its path in order.")
        parts.append(head)
    return (*parts, rest)


def id_url(name: str, *ids: int) -> str:
    """``reverse(name, args=ids)`` for a URL whose arguments are all integer ids, resolved once per process.

    A page of rows links each row to its actions; reverse() per link would
    cost more than the rest of the page. An ``<int:...>`` converter writes
    an id as its decimal digits, which is what this puts in its place.
    """
    parts = _id_url_parts(name, len(ids), get_script_prefix())
    url = parts[0]
    for value, part in zip(ids, parts[1:], strict=True):
        url += f"{int(value)}{part}"
    return url


def service_error(request: HttpRequest, exc: ServiceError, form: Form | None = None) -> None:
    """Say what the service refused: beside the field when there is one, else as a message.

    A refusal to reach something at all (no permission, missing object)
    becomes the portal's 403 or 404 page.
    """
    if isinstance(exc, PermissionDenied) and exc.field is None and form is None:
        raise DjangoPermissionDenied(exc.message)
    if isinstance(exc, NotFound) and exc.field is None and form is None:
        raise Http404(exc.message)
    if form is not None and exc.field is not None and exc.field in form.fields:
        form.add_error(exc.field, exc.message)
    elif form is not None:
        form.add_error(None, exc.message)
    else:
        messages.error(request, exc.message)


def run_service(
    request: HttpRequest,
    call: Callable[[], Any],
    *,
    success: str | Callable[[Any], str],
    form: Form | None = None,
) -> tuple[bool, Any]:
    """Call a service; on success add the message, on refusal the error. Returns (ok, result)."""
    try:
        result = call()
    except ServiceError as exc:
        service_error(request, exc, form)
        return False, None
    messages.success(request, success(result) if callable(success) else success)
    return True, result


def redirect_back(request: HttpRequest, fallback: str, *args: Any) -> HttpResponse:
    return redirect(fallback, *args)


def portal_login_required[V: Callable[..., HttpResponseBase]](view: V) -> V:
    """Like ``login_required``; an htmx request whose session ended loads the login page whole."""

    @wraps(view)
    def wrapper(request: PortalRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            response = redirect_to_login(request.get_full_path())
            if request.htmx:
                return HttpResponseClientRedirect(response["Location"])
            return response
        return view(request, *args, **kwargs)

    return cast(V, wrapper)

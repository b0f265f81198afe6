from django.contrib import admin
from django.urls import include, path, re_path

from portal.api import api, api_not_found
from portal.core.views import healthz, home

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    re_path(r"^api/", api_not_found, name="api-not-found"),
    path("admin/", admin.site.urls),
    path("", include("portal.accounts.urls")),
    path("", include("portal.organizations.urls")),
    path("", include("portal.audit.urls")),
]

handler400 = "portal.core.views.bad_request"
handler403 = "portal.core.views.permission_denied"
handler404 = "portal.core.views.page_not_found"
handler500 = "portal.core.views.server_error"

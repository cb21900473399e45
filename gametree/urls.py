"""Project URLs: the REST API, its schema and docs, admin, health, and the web client."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from trees import views

# A URL under /api/ that matches no route (a tree id that is not a number) answers the API's
# JSON error like every other API error, not Django's HTML page.
handler404 = "trees.views.not_found"
# Likewise an exception that escapes a view under /api/ answers `{code: "internal"}`.
handler500 = "trees.views.internal_error"

urlpatterns = [
    # The admin's own login page, behind the sign-in limits (trees/loginguard.py).
    path("admin/login/", views.admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/", include("trees.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("healthz", views.health, name="health"),
    path("", views.client, name="client"),
    re_path(r"^app(?:/.*)?$", views.client, name="client-app"),
    # The ways in that the client handles: a workshop's join link (or /join to type its code),
    # a one-time sign-in link, a tree's share link.
    re_path(r"^(?:join|access|share)(?:/[^/]*)?/?$", views.client, name="client-join"),
]

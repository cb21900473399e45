"""Project URLs: the REST API, its schema and docs, admin, health, and the web client."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from trees import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("trees.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("healthz", views.health, name="health"),
    path("", views.client, name="client"),
    re_path(r"^app(?:/.*)?$", views.client, name="client-app"),
]

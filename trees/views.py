"""Plain Django views: the web client's page and the health check."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib import admin
from django.db import connection
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.defaults import page_not_found, server_error

from trees.domain.errors import INTERNAL_MESSAGE


@ensure_csrf_cookie
def client(request: HttpRequest) -> HttpResponseBase:
    """The single-page client; it routes /app/... itself."""
    index = settings.FRONTEND_DIST / "index.html"
    if not index.exists():
        return HttpResponse(
            "The web client is not built yet: run `make frontend` (or `make run`).",
            status=503,
            content_type="text/plain",
        )
    return FileResponse(index.open("rb"), content_type="text/html; charset=utf-8")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 for unmatched URLs: JSON `{code, message}` under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "message": "Not found."}, status=404)
    return page_not_found(request, exception)


def internal_error(request: HttpRequest) -> HttpResponse:
    """500 for an exception outside the REST views' own handler (a plain view, a middleware):
    JSON `{code: "internal", message}` under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "internal", "message": INTERNAL_MESSAGE},
            status=500,
        )
    return server_error(request)


def health(request: HttpRequest) -> JsonResponse:
    """Checks the database and a round trip through the channel layer."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # a health check reports, it does not raise
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        layer = get_channel_layer()
        if layer is None:
            raise LookupError("no channel layer configured")
        channel = async_to_sync(layer.new_channel)()
        async_to_sync(layer.send)(channel, {"type": "health.ping"})
        async_to_sync(layer.receive)(channel)
        checks["channel_layer"] = "ok"
    except Exception as exc:
        checks["channel_layer"] = f"error: {type(exc).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin login page, refusing with a plain 429 page while the account or address is
    locked (trees/loginguard.py): the admin form would only say "wrong password"."""
    from trees import loginguard

    if request.method == "POST":
        found = loginguard.refusal(request.POST.get("username"), loginguard.address_of(request))
        if found is not None:
            return _locked_page(found)
    response = admin.site.login(request)
    found = loginguard.refusal_of(request)
    return _locked_page(found) if found is not None else response


def _locked_page(found: Any) -> HttpResponse:
    text = f"Sign-in refused: {found.message}\n"
    response = HttpResponse(text, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(found.retry_after)
    return response

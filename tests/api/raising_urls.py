"""The project's URLs plus two views under /api/ that fail the way a bug does: a REST view (DRF
answers through trees.api.errors) and a plain Django view (Django answers through handler500)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gametree.urls import handler404, handler500
from gametree.urls import urlpatterns as project_urls

__all__ = ["handler404", "handler500", "urlpatterns"]


class Failing(Exception):
    """What a bug raises."""


class RaisingApiView(APIView):
    permission_classes: list[Any] = []

    def get(self, request: Request) -> Response:
        raise Failing("a bug in a REST view")


def raising_plain_view(request: HttpRequest) -> HttpResponse:
    raise Failing("a bug in a plain view")


urlpatterns = [
    path("api/test-raises/rest/", RaisingApiView.as_view()),
    path("api/test-raises/plain/", raising_plain_view),
    path("test-raises/page/", raising_plain_view),
    *project_urls,
]

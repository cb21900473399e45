"""An error of the server's own under /api/ answers JSON `{code: "internal", message}` with 500
(README: every error is JSON), from a REST view and from a plain Django view alike; the
traceback goes to the log, not to the client. Pages outside /api/ keep Django's 500 page."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from tests.api.api_helpers import assert_error

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.raising_urls")]


@pytest.fixture
def client() -> APIClient:
    # Django's test client re-raises a view's exception by default; a real client gets a 500.
    return APIClient(raise_request_exception=False)


def test_a_rest_view_that_raises_answers_json_internal_and_logs_the_traceback(
    client: APIClient, caplog: Any
) -> None:
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/test-raises/rest/")
    body = assert_error(response, 500, "internal")
    assert response["Content-Type"].startswith("application/json")
    assert "bug" not in body["message"]  # the cause stays on the server
    assert any("a bug in a REST view" in (r.exc_text or "") for r in caplog.records)


def test_a_plain_view_under_api_that_raises_answers_json_internal(client: APIClient) -> None:
    response = client.get("/api/test-raises/plain/")
    assert_error(response, 500, "internal")
    assert response["Content-Type"].startswith("application/json")


@override_settings(DEBUG=False)
def test_a_page_outside_api_that_raises_keeps_the_html_500_page(client: APIClient) -> None:
    response = client.get("/test-raises/page/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")

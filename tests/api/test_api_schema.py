"""REST API: the OpenAPI schema, the offline API docs page and the health check."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client
from django.urls import URLPattern, URLResolver
from drf_spectacular.validation import validate_schema

from trees.api import urls as api_urls


def _route(pattern: URLPattern | URLResolver) -> str:
    # "trees/<int:tree_id>/" -> "/api/trees/{tree_id}/", the OpenAPI path template.
    return "/api/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern))


def _schema(client: Client) -> dict[str, Any]:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return response.json()


def test_schema_is_served_as_valid_openapi_3(db: Any) -> None:
    client = Client()
    yaml = client.get("/api/schema/")
    assert yaml.status_code == 200
    assert yaml.content.startswith(b"openapi: 3.")

    schema = _schema(client)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "gametree API"
    validate_schema(schema)  # raises on anything that is not OpenAPI 3.0


def test_schema_documents_every_api_endpoint(db: Any) -> None:
    paths = _schema(Client())["paths"]
    routes = {_route(pattern) for pattern in api_urls.urlpatterns}
    assert routes - set(paths) == set()
    ops = paths["/api/trees/{tree_id}/ops/"]
    assert {"get", "post"} <= set(ops)
    assert any(p["name"] == "since" for p in ops["get"]["parameters"])
    assert {"get", "patch", "delete"} <= set(paths["/api/trees/{tree_id}/"])


def test_schema_lists_session_and_token_authentication(db: Any) -> None:
    schemes = _schema(Client())["components"]["securitySchemes"]
    assert {"cookieAuth", "tokenAuth"} <= set(schemes)


def test_api_docs_page_loads_with_offline_assets_only(db: Any) -> None:
    client = Client()
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "swagger-ui" in page
    assert re.findall(r"""https?://[^\s"'<>)]+""", page) == []
    assert "/api/schema/" in page

    assets = re.findall(r"""(?:src|href)=["'](/static/[^"']+)["']""", page)
    assert any(asset.endswith(".js") for asset in assets)
    assert any(asset.endswith(".css") for asset in assets)
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        body = b"".join(served.streaming_content) if served.streaming else served.content
        assert body, asset


def test_healthz_reports_database_and_channel_layer_ok(db: Any) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "channel_layer": "ok"}


def test_schema_generates_without_warnings(db: Any, tmp_path: Any) -> None:
    from django.core.management import call_command

    # --fail-on-warn raises on any drf-spectacular warning (unnamed enums, guessed types, ...).
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert out.read_text().startswith("openapi: 3.")

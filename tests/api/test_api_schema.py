"""REST API: the OpenAPI schema, the offline API docs page and the health check."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import connections
from django.db.utils import load_backend
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


def _closed_port() -> int:
    """A local port nothing listens on: bound once to get a free number, then closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_healthz_answers_503_when_the_channel_layer_cannot_be_reached(
    db: Any, settings: Any
) -> None:
    # A real Redis channel layer pointed at a closed local port: the round trip fails for real.
    address = f"redis://127.0.0.1:{_closed_port()}/0"
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": address}]},
        }
    }
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "error",
        "database": "ok",
        "channel_layer": "error: ConnectionError",
    }


@contextmanager
def _unreachable_default_database(tmp_path: Path) -> Iterator[None]:
    """The default alias swapped for a real connection to a database that cannot be opened:
    PostgreSQL on a closed local port, or SQLite in a directory that does not exist."""
    real = connections["default"]
    broken = dict(real.settings_dict)
    if real.vendor == "sqlite":
        broken["NAME"] = str(tmp_path / "no-such-directory" / "db.sqlite3")
    else:
        broken.update(HOST="127.0.0.1", PORT=str(_closed_port()))
    wrapper = load_backend(broken["ENGINE"]).DatabaseWrapper(broken, "default")
    connections["default"] = wrapper
    try:
        yield
    finally:
        wrapper.close()
        connections["default"] = real


def test_healthz_answers_503_when_the_database_query_fails(db: Any, tmp_path: Path) -> None:
    with _unreachable_default_database(tmp_path):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "error: OperationalError",
        "channel_layer": "ok",
    }


def test_schema_generates_without_warnings(db: Any, tmp_path: Any) -> None:
    from django.core.management import call_command

    # --fail-on-warn raises on any drf-spectacular warning (unnamed enums, guessed types, ...).
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert out.read_text().startswith("openapi: 3.")

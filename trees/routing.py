"""Websocket routes."""

from typing import Any

from django.urls import path

from trees.realtime.board_consumer import BoardConsumer
from trees.realtime.consumer import TreeConsumer
from trees.realtime.workshop_consumer import WorkshopConsumer

# Channels routes ASGI applications through Django's path(), whose stubs expect a view and
# whose result types-channels' URLRouter does not accept: hence the ignore and the Any.
websocket_urlpatterns: list[Any] = [
    path("ws/trees/<int:tree_id>/", TreeConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/workshops/<int:workshop_id>/", WorkshopConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/workshops/<int:workshop_id>/board/", BoardConsumer.as_asgi()),  # type: ignore[arg-type]
]

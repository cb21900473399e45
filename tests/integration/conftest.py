"""The integration tests reuse the websocket fixtures (a team, sockets that always close)."""

from tests.ws.conftest import _own_channel_layer, connect, team  # noqa: F401

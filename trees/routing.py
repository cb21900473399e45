"""Websocket routes."""

from django.urls import path

from trees.realtime.consumer import TreeConsumer

websocket_urlpatterns = [path("ws/trees/<int:tree_id>/", TreeConsumer.as_asgi())]

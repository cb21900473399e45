"""The live path: everything between a websocket and the action layer, in one package.

Importing this package imports nothing else, so its pure modules stay usable without Django.
"""

"""REST API test fixtures: a fresh throttle cache (the users and signed-in API clients are
tests/conftest.py's)."""

from tests.fixtures import _fresh_cache  # noqa: F401  (autouse fixture)

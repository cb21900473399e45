"""Settings for the test suite: the production settings with test-safe environment defaults."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DJANGO_HSTS_SECONDS", "0")

from gametree.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Throttling is tested explicitly; the shared test client must not trip it by accident.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"login": "1000/min", "write": "100000/min", "join": "1000/min"},
}
# The test process imports gametree.asgi without serving: keep Python's own GC policy.
GAMETREE_GC_FULL_SECONDS = 0

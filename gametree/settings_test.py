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
# The test process imports gametree.asgi without serving: keep Python's own GC policy, and
# start no merge or Analysis worker before a test asks for one (tests that want it call
# keep_warm).
GAMETREE_GC_FULL_SECONDS = 0
GAMETREE_MERGE_WARM = False
GAMETREE_ANALYSIS_WARM = False

# Django's default SQLite test database is in memory with a shared cache, where two
# connections in one process (a test and the thread that runs round merges, say) get
# "database table is locked" at once instead of waiting on busy_timeout. A file in WAL mode
# behaves like the embedded production database: readers beside one writer, writers queue.
# One file per test process, so two runs in one checkout never share it.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"gametree-test-{os.getpid()}.sqlite3")
    }

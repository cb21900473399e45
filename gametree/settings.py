"""Project settings, all read from the environment.

Defaults give the embedded setup that `make run` uses (SQLite + in-memory channel layer);
`DATABASE_URL` and `REDIS_URL` switch to PostgreSQL and Redis for production and scale-out.
Without `DJANGO_DEBUG=1`, the defaults are the safe production ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from gametree.env import env_bool, env_int, env_list, env_str

# Lets the admin classes name their model (ModelAdmin[Tree]) at run time, as mypy sees them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)


def _secret_key() -> str:
    """The key from DJANGO_SECRET_KEY, else from a file: never a guessable one without DEBUG.

    Order: DJANGO_SECRET_KEY; the file named by DJANGO_SECRET_KEY_FILE (a mounted secret; it
    must exist and hold a key); `.secret_key` in the checkout, which `make setup` / `make run`
    generate once (random, mode 600), so that `manage.py` commands typed in a plain shell use
    the same key as `make run`. With none of them, DEBUG gets a fixed development key and
    production refuses to start (docs/deploy.md).
    """
    key = env_str("DJANGO_SECRET_KEY").strip()
    if key:
        return key
    named = env_str("DJANGO_SECRET_KEY_FILE")
    if named:
        try:
            key = Path(named).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"DJANGO_SECRET_KEY_FILE={named!r} cannot be read: {exc.strerror}"
            ) from exc
        if not key:
            raise ImproperlyConfigured(f"DJANGO_SECRET_KEY_FILE={named!r} is empty")
        return key
    local = BASE_DIR / ".secret_key"
    try:
        key = local.read_text(encoding="utf-8").strip()
    except OSError:
        key = ""
    if key:
        return key
    if DEBUG:
        return "dev-only-insecure-key-do-not-use-in-production"
    raise ImproperlyConfigured(
        "No secret key: set DJANGO_SECRET_KEY or DJANGO_SECRET_KEY_FILE, or run `make setup` "
        "(it writes .secret_key for this checkout); DJANGO_DEBUG=1 uses a development key "
        "(see docs/deploy.md)"
    )


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "trees",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "gametree.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "gametree.urls"
WSGI_APPLICATION = "gametree.wsgi.application"
ASGI_APPLICATION = "gametree.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


# SQLite's sync level for the embedded default. NORMAL (WAL mode): a commit survives a killed
# server process but NOT a power loss or kernel crash, which may roll back the last commits
# (acknowledged ones included). FULL fsyncs the WAL on every commit: acks survive power loss
# too, at a cost measured in bench/RESULTS.md (bench/throughput.py, phase embedded-full).
# PostgreSQL always syncs each commit (fsync=on, synchronous_commit=on).
SQLITE_SYNCHRONOUS = env_str("GAMETREE_SQLITE_SYNCHRONOUS", "NORMAL").upper()
if SQLITE_SYNCHRONOUS not in ("NORMAL", "FULL", "EXTRA"):
    raise ImproperlyConfigured("GAMETREE_SQLITE_SYNCHRONOUS must be NORMAL, FULL or EXTRA")


def _database(url: str) -> dict[str, Any]:
    config: dict[str, Any] = dict(
        dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN so
        # two writers queue on busy_timeout instead of failing with "database is locked".
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                f"PRAGMA journal_mode=WAL; PRAGMA synchronous={SQLITE_SYNCHRONOUS}; "
                "PRAGMA foreign_keys=ON;"
            ),
        }
    return config


DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {"default": _database(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 sets a 5 s socket timeout that kills channels-redis' blocking
                # pop; None keeps the consumers alive (see shared design notes).
                # Its asyncio pool also stops at 100 connections and then RAISES (no waiting):
                # every socket's layer calls share that pool, and a worker with hundreds of
                # sockets had consumers die with "Too many connections" (bench/connections.py).
                # The pool only grows to the peak of concurrent calls.
                "hosts": [{"address": REDIS_URL, "socket_timeout": None, "max_connections": 1000}],
                "capacity": 2000,
                "expiry": 60,
                "group_expiry": 7 * 86400,
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            # Channels' in-memory layer, sweeping for expired messages once a second instead
            # of on every message (gametree/serving.py, "layer_sweep").
            "BACKEND": (
                "channels.layers.InMemoryChannelLayer"
                if "layer_sweep" in env_list("GAMETREE_SKIP_PATCHES", [])
                else "gametree.serving.SweepingInMemoryChannelLayer"
            ),
            "CONFIG": {"capacity": 2000, "expiry": 60},
        }
    }

# Every username/password check goes through the sign-in limits first (trees/loginguard.py);
# ModelBackend checks the password and is the backend sessions name.
AUTHENTICATION_BACKENDS = [
    "trees.loginguard.LoginGuardBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed sign-ins within GAMETREE_LOGIN_LOCK_SECONDS that lock an account (whoever guesses)
# and that stop an address (whichever accounts it guesses); counted in the database.
GAMETREE_LOGIN_FAILURES_PER_ACCOUNT = env_int("GAMETREE_LOGIN_FAILURES_PER_ACCOUNT", 10)
GAMETREE_LOGIN_FAILURES_PER_ADDRESS = env_int("GAMETREE_LOGIN_FAILURES_PER_ADDRESS", 50)
GAMETREE_LOGIN_LOCK_SECONDS = env_int("GAMETREE_LOGIN_LOCK_SECONDS", 900)
# API tokens expire this many days after they are made (fixed, not extended by use).
GAMETREE_TOKEN_DAYS = env_int("GAMETREE_TOKEN_DAYS", 30)
# Live tokens a user keeps; making one more revokes the oldest.
GAMETREE_MAX_TOKENS_PER_USER = env_int("GAMETREE_MAX_TOKENS_PER_USER", 20)
# Anyone may make an account with POST /api/auth/signup/ (off: accounts come from joining a
# workshop's link or code, or from the operator's createsuperuser / createuser).
GAMETREE_SELF_SIGNUP = env_bool("GAMETREE_SELF_SIGNUP", False)
# Someone signed out who opens a tree's share link may enter it as a guest under a display
# name (an account without a password, like a workshop seat's); off: they sign in first.
GAMETREE_SHARE_GUESTS = env_bool("GAMETREE_SHARE_GUESTS", True)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# WhiteNoise warns on every request path setup when the directory is missing.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
FRONTEND_DIST = BASE_DIR / "frontend" / "dist"
STATICFILES_DIRS = [FRONTEND_DIST] if FRONTEND_DIST.exists() else []
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "trees.api.auth.ApiTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "trees.api.errors.exception_handler",
    # DRF's parsers, with JSON nesting bounded (trees/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "trees.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["trees.api.throttles.WriteThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "login": env_str("LOGIN_THROTTLE_RATE", "20/min"),
        # REST writes per user: scripts and the client's tree management; live edits go
        # over the websocket, which has its own per-connection and per-user limits.
        "write": env_str("API_WRITE_THROTTLE_RATE", "1200/min"),
        # Joining a workshop, a one-time sign-in link and sign-up, per client address: a room
        # of 40 behind one NAT joins within a minute; a code guesser gets 60 tries a minute.
        "join": env_str("JOIN_THROTTLE_RATE", "60/min"),
    },
    # Throttles key on REMOTE_ADDR only: daphne's --proxy-headers already puts nginx's client
    # address there, and DRF's default (None) would trust a client-sent X-Forwarded-For.
    "NUM_PROXIES": 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "gametree API",
    "DESCRIPTION": "Trees, members, operations and the operation log of gametree.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from our own static files: the client and the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Tree kinds appear with two label sets (models and the import form): name the model's
    # one, or `check --deploy --fail-level WARNING` fails on drf_spectacular.W001.
    "ENUM_NAME_OVERRIDES": {
        "TreeKindEnum": "trees.models.TreeKind",
        "ShareRoleEnum": "trees.models.ShareRole",
        "RoleEnum": "trees.models.Role",
    },
    # Every operation's error answers ({code, message}), added in one place.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "trees.api.schema.add_error_responses",
    ],
}

# Imports are at most 5 MB (trees/formats); leave room for the multipart envelope.
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
# Request bodies past this many bytes are refused with 413 `too_large` before Django reads
# them: by Content-Length, and while streaming (gametree/bodylimit.py). Above the 6 MB of an
# import file plus its multipart framing.
GAMETREE_MAX_REQUEST_BYTES = env_int("GAMETREE_MAX_REQUEST_BYTES", 8 * 1024 * 1024)

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Production hardening; all on unless DEBUG. TLS is terminated by the proxy (deploy/).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

# Limits (see docs/protocol.md). The domain layer holds the per-node limits.
GAMETREE_WS_MAX_MESSAGE_BYTES = 64 * 1024
GAMETREE_WS_RATE_PER_SECOND = env_int("GAMETREE_WS_RATE_PER_SECOND", 100)
GAMETREE_WS_RATE_BURST = env_int("GAMETREE_WS_RATE_BURST", 200)
GAMETREE_WS_FLOOD_CLOSE_AFTER = 1000
# All sockets of one user in one process share this budget (trees/realtime/ratelimit.py).
GAMETREE_WS_USER_RATE_PER_SECOND = env_int("GAMETREE_WS_USER_RATE_PER_SECOND", 200)
GAMETREE_WS_USER_RATE_BURST = env_int("GAMETREE_WS_USER_RATE_BURST", 400)
# Open websockets per user in one process; more are closed with 4409 (docs/protocol.md).
GAMETREE_WS_MAX_SOCKETS_PER_USER = env_int("GAMETREE_WS_MAX_SOCKETS_PER_USER", 50)
GAMETREE_MAX_TREES_PER_USER = env_int("GAMETREE_MAX_TREES_PER_USER", 500)
# Merges one person may have queued or running at once, over all processes
# (trees/actions/merge_jobs.py): one user cannot hold the merge queue.
GAMETREE_MERGES_PER_USER = env_int("GAMETREE_MERGES_PER_USER", 2)
# Compute merges in a spawned worker process (trees/analysis/merge/in_process.py), so that the
# live path keeps the serving process's GIL; 0 computes them in the merge's thread instead
# (the old way, which bench/merge_live_latency.py compares against).
GAMETREE_MERGE_IN_PROCESS = env_bool("GAMETREE_MERGE_IN_PROCESS", True)
# A serving process (gametree/asgi.py) starts that worker as it starts and has it load what a
# merge needs (imports, models, their caches: ~7 s of one core at low priority, ~180 MB kept),
# so that the first merge does not pay for it; kept however long it idles. 0: spawned by the
# first merge, retired after 10 idle minutes (bench/merge_first.py compares the two).
GAMETREE_MERGE_WARM = env_bool("GAMETREE_MERGE_WARM", True)
# Seconds a merge's computation in the worker process may take: past it the worker (hung,
# stopped, starved) is killed and the job fails with `merge_timeout`, nothing written; the
# next merge spawns a new worker. 0: no limit. Not enforced with GAMETREE_MERGE_IN_PROCESS=0
# (a thread cannot be stopped).
GAMETREE_MERGE_TIMEOUT_SECONDS = env_int("GAMETREE_MERGE_TIMEOUT_SECONDS", 600)
# Compute an Analysis (`GET /api/analysis/recurring/`: the Analysis tab, the comparison of
# several trees; tag suggestions; the REST workshop board's and the export's rankings,
# trees/board_service.py `ranked`) in warm worker processes of their own
# (trees/analysis/merge/in_process.py, `ANALYSIS`), as merges are: reading a workshop's
# critiques by example for the first time takes seconds of CPU, which in the serving process
# made live edits 2-3x slower meanwhile (bench/analysis_live_latency.py). 0 computes it in
# the request's thread (the old way).
GAMETREE_ANALYSIS_IN_PROCESS = env_bool("GAMETREE_ANALYSIS_IN_PROCESS", True)
# A serving process (gametree/asgi.py) starts one of those workers as it starts and has it load
# what an Analysis needs (imports, the static model and the critique reader over the
# transformer, the vocabulary's vectors: about a second of one core on an idle machine, more
# under load, at low priority; ~280 MB kept), so that the first Analysis after a restart does
# not pay for it; kept however long it idles. 0: spawned by the first Analysis, retired after
# 10 idle minutes (bench/analysis_first.py compares the two).
GAMETREE_ANALYSIS_WARM = env_bool("GAMETREE_ANALYSIS_WARM", True)
# Rows one transaction of a merge's write carries (trees/actions/merges.py): short
# transactions with pauses between them, so that a live edit never waits long behind the
# write (on SQLite every writer shares one lock). 0 writes the merged tree in one
# transaction (the old way, which bench/merge_live_latency.py compares against).
GAMETREE_MERGE_WRITE_ROWS = env_int("GAMETREE_MERGE_WRITE_ROWS", 200)
# Most ops one group-commit transaction carries (trees/realtime/batcher.py); 1 turns group
# commit off (one transaction per op: the baseline bench/throughput.py compares against).
GAMETREE_MAX_BATCH = env_int("GAMETREE_MAX_BATCH", 500)
# Nodes of tree states a worker keeps in memory for writing (trees/actions/state_cache.py).
GAMETREE_STATE_CACHE_NODES = env_int("GAMETREE_STATE_CACHE_NODES", 500_000)
# A serving worker runs Python's full garbage collection on this timer instead of whenever
# objects pile up (gametree/serving.py); 0 keeps Python's defaults.
GAMETREE_GC_FULL_SECONDS = env_int("GAMETREE_GC_FULL_SECONDS", 300)
# Patches of private internals (gametree/serving.py) a serving worker leaves out, by name:
# for bench/patches.py, which measures what each one saves. Empty (all applied) otherwise.
GAMETREE_SKIP_PATCHES = env_list("GAMETREE_SKIP_PATCHES", [])
# Redis pub/sub channels the workers' live ops are spread over by tree id
# (trees/realtime/fanout.py): 1 sends every worker every batch; more spare a worker the
# trees it does not serve.
GAMETREE_FANOUT_GROUPS = env_int("GAMETREE_FANOUT_GROUPS", 1)
# Prefix of those Redis pub/sub channels. Pub/sub ignores the database number in REDIS_URL:
# give each deployment sharing one Redis server its own.
GAMETREE_FANOUT_PREFIX = env_str("GAMETREE_FANOUT_PREFIX", "gametree:fanout:")

"""Project: ASGI entry point served by daphne: HTTP through Django, websockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gametree.settings")
# Django must be set up before the consumers (and their models) are imported.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from gametree.bodylimit import BodyLimitMiddleware  # noqa: E402
from trees.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Bodies past GAMETREE_MAX_REQUEST_BYTES are refused before Django reads them.
        "http": BodyLimitMiddleware(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

# The merge worker and one Analysis worker start now and warm up in the background
# (trees/actions/merges.py, trees/analysis_service.py).
from trees import analysis_service  # noqa: E402
from trees.actions.merges import keep_worker_warm  # noqa: E402

keep_worker_warm()
analysis_service.keep_worker_warm()

# Last, so that everything imported at startup is frozen (gametree/serving.py).
from django.conf import settings  # noqa: E402

from gametree import serving  # noqa: E402

serving.apply(settings.GAMETREE_SKIP_PATCHES, settings.GAMETREE_GC_FULL_SECONDS)

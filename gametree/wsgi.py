"""Project: WSGI entry point (management and admin only; the app is served over ASGI)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gametree.settings")
application = get_wsgi_application()

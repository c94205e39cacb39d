"""WSGI entry point: `gunicorn streamsite.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "streamsite.settings")

application = get_wsgi_application()

"""What bench/floor.py serves besides the site: a bare WSGI callable, and the site without
some middleware.

`gunicorn bench.floor_app:bare` answers every request with /robots.txt's body and nothing
else: what gunicorn and a new connection cost without Django. `gunicorn bench.floor_app:site`
with `FLOOR_WITHOUT` (dotted middleware paths, comma separated) is streamsite.wsgi with those
middleware left out of MIDDLEWARE, for this bench only. They are left out once Django is set
up, as the handler is built: allauth refuses to start without its middleware in the list.
"""

from __future__ import annotations

import os

ROBOTS = b"User-agent: *\nDisallow: /u/\nDisallow: /api/\n"  # streams.views.robots_txt's body


def bare(environ: dict, start_response) -> list[bytes]:
    headers = [("Content-Type", "text/plain"), ("Content-Length", str(len(ROBOTS)))]
    start_response("200 OK", headers)
    return [ROBOTS]


def site_without(names: list[str]):
    """Django's WSGI handler for the site, its middleware chain built without `names`."""
    import django
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.handlers.wsgi import WSGIHandler

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "streamsite.settings")
    django.setup(set_prefix=False)
    if unknown := sorted(set(names) - set(settings.MIDDLEWARE)):
        raise ImproperlyConfigured(f"FLOOR_WITHOUT names what MIDDLEWARE does not hold: {unknown}")
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name not in names]
    return WSGIHandler()


if "FLOOR_WITHOUT" in os.environ:  # served by gunicorn as bench.floor_app:site
    site = site_without([name for name in os.environ["FLOOR_WITHOUT"].split(",") if name])

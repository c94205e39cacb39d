"""The site's URLs with Django serving media itself, from settings.MEDIA_ROOT as it is at
each request (every test has its own): what DJANGO_SERVE_MEDIA does for a small site, for
browser tests that play recordings (`@pytest.mark.urls("tests.e2e.media_urls")`). The test
settings run with DEBUG off, where the site leaves media to the web server."""

from __future__ import annotations

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from streamsite.urls import handler404  # noqa: F401
from streamsite.urls import urlpatterns as site_urlpatterns


def media(request, path: str):
    return serve(request, path, document_root=settings.MEDIA_ROOT)


urlpatterns = [re_path(r"^media/(?P<path>.*)$", media), *site_urlpatterns]

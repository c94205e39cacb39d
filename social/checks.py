from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def site_url_is_set(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Go-live emails link to the site; the worker sending them has no request to ask."""
    if settings.SITE_URL:
        return []
    return [
        checks.Warning(
            "DJANGO_SITE_URL is not set, so go-live emails are not sent.",
            hint="Set it to the site's public address, e.g. https://stream.example.com.",
            id="social.W001",
        )
    ]

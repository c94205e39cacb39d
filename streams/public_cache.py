"""What a shared cache in front of the site (nginx with deploy/nginx.conf, a CDN) may keep.

The pages and APIs every guest gets alike (home, a channel page, stream info, a channel's
chat history, the live markers) are marked
`Cache-Control: public, max-age=0, s-maxage=<PUBLIC_CACHE_SECONDS>` with `Vary: Cookie`, so
that a raid of guests is answered by the proxy, and Django renders each page about once per
PUBLIC_CACHE_SECONDS. Browsers keep nothing (max-age=0): after
signing in, the next page is asked for again.

Marked public only when the request carries no session cookie and no flash message cookie
(the proxy is told to skip the cache for the same cookies), and only if the answer is a 200
that sets no cookie: a page that used a CSRF token or wrote to the session is left alone,
so nothing meant for one viewer can be shared. The guest pages hold no CSRF token for this
reason: a guest's POSTs (chat, a raid's arrival) send the csrftoken cookie, which the
viewer-token API sets along with the guest cookie they also need.

A request with a session gets `Cache-Control: private`: signed-in pages are never shared.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers


def public_for_guests(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Marks the view's answer public for a short time when it is the same for every guest."""

    @wraps(view)
    def marked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        personal = _personal(request)
        response = view(request, *args, **kwargs)
        if personal:
            patch_cache_control(response, private=True)
        elif _shareable(request, response):
            patch_cache_control(
                response, public=True, max_age=0, s_maxage=settings.PUBLIC_CACHE_SECONDS
            )
        patch_vary_headers(response, ["Cookie"])
        return response

    return marked


def _personal(request: HttpRequest) -> bool:
    """Whether the request carries something of one viewer's: a session (signed in, or a
    guest who was) or a flash message waiting."""
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME in cookies or CookieStorage.cookie_name in cookies


def _shareable(request: HttpRequest, response: HttpResponse) -> bool:
    session = getattr(request, "session", None)
    return (
        settings.PUBLIC_CACHE_SECONDS > 0
        and request.method in {"GET", "HEAD"}
        and response.status_code == 200
        and not response.cookies
        # get_token() was called (a {% csrf_token %} rendered): the answer sets the cookie.
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not (session is not None and session.modified)
    )

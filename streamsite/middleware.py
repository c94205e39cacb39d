"""Middleware of the site's own, in MIDDLEWARE (settings) beside Django's."""

from __future__ import annotations

from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty


class LazyMessageMiddleware(MessageMiddleware):
    """Django's MessageMiddleware, with the flash-message storage built only when a request
    adds or reads a message. Most requests never do (the APIs, the webhook, robots.txt), and
    building it (a cookie signer and a session store each time) was a tenth of what
    /robots.txt costs in Django (bench/floor.py). A request that touches it works as before,
    and its response stores what is left to show."""

    def process_request(self, request: HttpRequest) -> None:
        request._messages = SimpleLazyObject(lambda: default_storage(request))

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        storage = getattr(request, "_messages", None)
        if isinstance(storage, SimpleLazyObject) and storage._wrapped is empty:
            return response  # never built: nothing was read or added
        return super().process_response(request, response)

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from social.selectors import unread_count_label


def notifications(request: HttpRequest) -> dict:
    """The bell's unread count, counted only if the page shows the bell (signed-in users)."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count_label(user))}

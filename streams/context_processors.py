from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from streams.selectors import following_for, recommended_for


def sidebar(request: HttpRequest) -> dict:
    """Following and Recommended for the left sidebar, queried only if a page renders it."""
    user = getattr(request, "user", None)
    return {
        "sidebar_following": SimpleLazyObject(lambda: following_for(user)),
        "sidebar_recommended": SimpleLazyObject(lambda: list(recommended_for(user))),
    }

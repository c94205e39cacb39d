from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from streams.page_cache import FragmentKeys
from streams.selectors import following_for, viewer_sidebar, viewer_ties


def sidebar(request: HttpRequest) -> dict:
    """Following and Recommended for the left sidebar, and the keys of the cached fragments
    (`page_cache`); each is queried only if a page renders it and the cache lacks it."""
    user = getattr(request, "user", None)
    return {
        "sidebar_following": SimpleLazyObject(lambda: following_for(user)),
        "sidebar_recommended": SimpleLazyObject(lambda: viewer_sidebar(request).recommended(user)),
        "page_cache": FragmentKeys(
            SimpleLazyObject(lambda: viewer_ties(request)),
            lambda: viewer_sidebar(request).digest,
            lambda: viewer_sidebar(request).feed_digest,
        ),
    }

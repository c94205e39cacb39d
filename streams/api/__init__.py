"""The JSON API: viewer endpoints (viewer.py), the host's moderation (moderation.py) and the
LiveKit webhook (webhook.py).

Every refusal is `{"code", "detail"}` with the matching status, made in one place:
`json_api` turns an ApiError (ChatRefused is one) into its response, a host who blocked the
viewer into 403 `blocked`, and an unknown stream into 404 `not_found`. Host ids in URLs are
`<uuid:host_id>`: a malformed one matches no URL, and streamsite's 404 handler answers it
with the same JSON 404.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse

from streams import metrics
from streams.errors import ApiError
from streams.selectors import HiddenHost

NOT_FOUND = ApiError(404, "not_found", "No such stream.")


def json_api(view: Callable[..., JsonResponse]) -> Callable[..., JsonResponse]:
    @wraps(view)
    def answer(request: HttpRequest, *args, **kwargs) -> JsonResponse:
        try:
            return view(request, *args, **kwargs)
        except ApiError as error:
            refusal = error
        except HiddenHost:
            refusal = ApiError(403, "blocked", "You cannot watch this stream.")
        except Http404:
            refusal = NOT_FOUND
        metrics.api_refused(request, refusal.code)
        return refusal.response()

    return answer


def posted(request: HttpRequest) -> dict:
    """Form fields or a JSON object, whichever the client sent."""
    if request.content_type != "application/json":
        return request.POST
    try:
        data = json.loads(request.body or b"{}")
    except RequestDataTooBig:
        raise ApiError(413, "too_large", "The request body is too large.") from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        # RecursionError: arrays nested thousands deep.
        raise ApiError(400, "bad_json", "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", "Send a JSON object.")
    return data

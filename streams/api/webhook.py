"""POST /api/webhook/livekit: LiveKit's signed events, applied to live status."""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from streams import live_status, livekit, metrics
from streams.api import json_api
from streams.errors import ApiError

logger = logging.getLogger(__name__)


@csrf_exempt  # LiveKit signs its webhooks; a CSRF 403 would silently drop events.
@require_POST
@json_api
def livekit_webhook(request: HttpRequest) -> JsonResponse:
    try:
        event = livekit.verify_webhook(request.body, request.headers.get("Authorization"))
    except livekit.InvalidWebhook as error:
        metrics.webhook_rejected("invalid_signature")
        logger.warning("Rejected a LiveKit webhook: %s", error)
        raise ApiError(401, "invalid_signature", "The webhook signature is not valid.") from None
    except livekit.MalformedWebhook as error:
        metrics.webhook_rejected("malformed")
        logger.warning("Malformed LiveKit webhook: %s", error)
        raise ApiError(400, "malformed", "The webhook body is not a LiveKit event.") from None
    outcome = live_status.apply_webhook_event(event)
    metrics.webhook_received(event.event, outcome)
    # Most events (a participant joining, a track published) change nothing here.
    level = logging.DEBUG if outcome in {"ignored", "duplicate"} else logging.INFO
    logger.log(level, "Webhook %s %s: %s", event.event, event.id, outcome)
    return JsonResponse({"event": event.event, "outcome": outcome})

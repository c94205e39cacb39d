"""GET /healthz for load balancers and uptime checks: the database and LiveKit, 200 or 503."""

from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from streams import livekit

logger = logging.getLogger(__name__)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": "ok", "livekit": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        logger.exception("Health check: database unavailable")
        checks["database"] = "unavailable"
    try:
        livekit.ping()
    except livekit.LiveKitError:
        checks["livekit"] = "unreachable"
    healthy = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if healthy else "degraded", **checks}
    return JsonResponse(body, status=200 if healthy else 503)

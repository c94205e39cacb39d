"""One broadcast's page on the dashboard (its charts live here once drawn); until then it
sends the owner to the broadcast's row on the Analytics page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from streams.dashboard import own_stream_or_404
from videos.models import Broadcast


@login_required
@require_GET
def analytics_broadcast(request: HttpRequest, username: str, broadcast_id: int) -> HttpResponse:
    stream = own_stream_or_404(request, username)
    if not Broadcast.objects.filter(stream=stream, pk=broadcast_id).exists():
        raise Http404("No such broadcast.")
    url = reverse("dashboard_analytics", args=[stream.user.username])
    return redirect(f"{url}#broadcast-{broadcast_id}")

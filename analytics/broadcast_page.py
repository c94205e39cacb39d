"""Dashboard → Analytics → one broadcast: its figures, and its viewers and chat per minute
drawn on one time axis with the moments that explain them (static/js/analytics.js), above the
same figures as a table."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from analytics import stats
from analytics.timeline import broadcast_timeline
from streams.dashboard import own_stream_or_404
from videos.models import Broadcast


@login_required
@require_GET
def analytics_broadcast(request: HttpRequest, username: str, broadcast_id: int) -> HttpResponse:
    stream = own_stream_or_404(request, username)
    broadcast = get_object_or_404(
        Broadcast.objects.select_related("stream", "stats"), pk=broadcast_id, stream=stream
    )
    timeline = broadcast_timeline(broadcast)
    # Every figure once stored (or, live, so far); until an ended broadcast's are stored
    # (`manage.py broadcast_stats`), those the timeline tells.
    figures = stats.figures_of(broadcast) or timeline.figures
    context = {
        "stream": stream,
        "section": "analytics",
        "broadcast": broadcast,
        "timeline": timeline,
        "figures": figures,
        "chart_data": timeline.chart_data(),
    }
    return render(request, "dashboard/analytics_broadcast.html", context)

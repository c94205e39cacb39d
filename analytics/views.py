"""The creator dashboard's Analytics page: each broadcast's figures, the channel's totals
for the last 7 and 30 days, and every broadcast's figures as CSV. Owner only, as the rest
of the dashboard (streams.dashboard.own_stream_or_404: anyone else gets a 404)."""

from __future__ import annotations

import csv
from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from analytics import selectors, stats
from analytics.stats import Figures
from streams.dashboard import own_stream_or_404
from streams.models import Stream
from videos.models import Broadcast

BROADCASTS_PAGE_SIZE = 20


@login_required
@require_GET
def dashboard_analytics(request: HttpRequest, username: str) -> HttpResponse:
    stream = own_stream_or_404(request, username)
    now = timezone.now()
    live = _live_figures(stream, now)
    page = Paginator(selectors.channel_broadcasts(stream), BROADCASTS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(broadcast, _figures(broadcast, live)) for broadcast in page.object_list]
    context = {
        "stream": stream,
        "section": "analytics",
        "page": page,
        "rows": rows,
        "totals": selectors.channel_totals(stream, now=now, live=live),
    }
    return render(request, "dashboard/analytics.html", context)


CSV_HEADER = [
    "broadcast",
    "title",
    "started_at",
    "ended_at",
    "duration_seconds",
    "peak_viewers",
    "average_viewers",
    "unique_viewers",
    "chat_messages",
    "chatters",
    "new_followers",
    "raids_in",
    "raids_out",
]
# A spreadsheet runs a cell beginning with one of these as a formula (CSV injection): such
# a cell is written with a leading apostrophe, which spreadsheets show as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@login_required
@require_GET
def dashboard_analytics_csv(request: HttpRequest, username: str) -> HttpResponse:
    """Every broadcast of the channel with its figures, newest first, one row each; the
    figures of an ended broadcast not computed yet are left empty."""
    stream = own_stream_or_404(request, username)
    live = _live_figures(stream, timezone.now())
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"{stream.user.username}-analytics.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for broadcast in selectors.channel_broadcasts(stream).iterator(chunk_size=500):
        writer.writerow(safe_cells(csv_row(broadcast, _figures(broadcast, live))))
    return response


def csv_row(broadcast: Broadcast, figures: Figures | None) -> list:
    numbers = [getattr(figures, name) for name in stats.FIELDS] if figures else [""] * 9
    return [
        broadcast.pk,
        broadcast.title,
        _iso(broadcast.started_at),
        _iso(broadcast.ended_at),
        *numbers,
    ]


def safe_cells(cells: list) -> list:
    return [
        f"'{cell}" if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) else cell
        for cell in cells
    ]


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def _live_figures(stream: Stream, now: datetime) -> tuple[Broadcast, Figures] | None:
    """The open broadcast and its figures so far, if the channel is broadcasting."""
    broadcast = Broadcast.objects.open().filter(stream=stream).first()
    return (broadcast, stats.broadcast_figures(broadcast, now=now)) if broadcast else None


def _figures(broadcast: Broadcast, live: tuple[Broadcast, Figures] | None) -> Figures | None:
    if live is not None and broadcast.pk == live[0].pk:
        return live[1]
    return stats.figures_of(broadcast)

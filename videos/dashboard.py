"""The creator dashboard's Videos page: the channel's broadcasts, each deletable at once, and
what the channel keeps of them. Part of the dashboard (streams.dashboard: the same owner
check, and each form posting to its own URL), kept here since streams knows nothing of
broadcasts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from streams.dashboard import own_stream_or_404, posted_to, row_id
from streams.models import Stream
from videos import selectors, services
from videos.forms import RecordingSettingsForm
from videos.models import Broadcast, RecordingSettings

BROADCASTS_PAGE_SIZE = 20


@login_required
@require_GET
def dashboard_videos(request: HttpRequest, username: str) -> HttpResponse:
    stream = own_stream_or_404(request, username)
    form = RecordingSettingsForm(instance=RecordingSettings.of(stream))
    return _videos_page(request, stream, form)


@login_required
@posted_to("dashboard_videos")
def dashboard_videos_settings(request: HttpRequest, username: str) -> HttpResponse:
    stream = own_stream_or_404(request, username)
    form = RecordingSettingsForm(request.POST, instance=RecordingSettings.of(stream))
    if not form.is_valid():
        return _videos_page(request, stream, form, status=400)
    services.recording_settings_update(stream=stream, **form.cleaned_data)
    messages.success(request, "Past broadcast settings saved.")
    return redirect("dashboard_videos", username=stream.user.username)


@login_required
@posted_to("dashboard_videos")
def dashboard_videos_delete(request: HttpRequest, username: str) -> HttpResponse:
    """The host deletes one of their broadcasts and its recording, at once."""
    stream = own_stream_or_404(request, username)
    broadcast = Broadcast.objects.filter(stream=stream, pk=row_id(request)).first()
    if broadcast is None:
        raise Http404("No such broadcast.")
    try:
        services.broadcast_delete(broadcast=broadcast)
    except services.BroadcastStillOpen:
        messages.error(request, "This broadcast is still live: delete it once it has ended.")
    else:
        messages.success(request, f"Deleted “{broadcast.title}” and its recording.")
    return redirect("dashboard_videos", username=stream.user.username)


def _videos_page(
    request: HttpRequest, stream: Stream, form: RecordingSettingsForm, status: int = 200
) -> HttpResponse:
    page = Paginator(selectors.dashboard_broadcasts(stream), BROADCASTS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"stream": stream, "form": form, "page": page, "section": "videos"}
    return render(request, "dashboard/videos.html", context, status=status)

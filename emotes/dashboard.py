"""The creator dashboard's Emotes page: the channel's emotes, a form to add one, and a button
to remove each. Part of the dashboard (streams.dashboard: the same owner check, and each form
posting to its own URL), kept here since streams knows nothing of emotes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from emotes import selectors, services
from emotes.forms import EmoteForm
from emotes.models import MAX_PER_CHANNEL, Emote
from streams.dashboard import own_stream_or_404, posted_to, row_id
from streams.models import Stream


@login_required
@require_GET
def dashboard_emotes(request: HttpRequest, username: str) -> HttpResponse:
    stream = own_stream_or_404(request, username)
    return _emotes_page(request, stream, EmoteForm(channel=stream.user))


@login_required
@posted_to("dashboard_emotes")
def dashboard_emotes_add(request: HttpRequest, username: str) -> HttpResponse:
    stream = own_stream_or_404(request, username)
    form = EmoteForm(request.POST, request.FILES, channel=stream.user)
    if not form.is_valid() or (emote := form.save()) is None:
        return _emotes_page(request, stream, form, status=400)
    messages.success(request, f"Added the emote {emote.code}.")
    return redirect("dashboard_emotes", username=stream.user.username)


@login_required
@posted_to("dashboard_emotes")
def dashboard_emotes_remove(request: HttpRequest, username: str) -> HttpResponse:
    stream = own_stream_or_404(request, username)
    emote = Emote.objects.filter(channel=stream.user, pk=row_id(request)).first()
    if emote is None:
        raise Http404("No such emote.")
    services.emote_delete(emote=emote)
    messages.success(request, f"Removed the emote {emote.code}.")
    return redirect("dashboard_emotes", username=stream.user.username)


def _emotes_page(
    request: HttpRequest, stream: Stream, form: EmoteForm, status: int = 200
) -> HttpResponse:
    context = {
        "stream": stream,
        "form": form,
        "emotes": selectors.channel_emotes(stream.user),
        "max_emotes": MAX_PER_CHANNEL,
        "section": "emotes",
    }
    return render(request, "dashboard/emotes.html", context, status=status)

"""The raid API (JSON, `{code, detail}` refusals as streams.api answers them) and the
dashboard's Raids page.

The host and their moderators (streams.moderation.authorize) search targets, start and
cancel; the page a raid brings a viewer to reports their arrival."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from raids import selectors, services
from raids.forms import RaidSettingsForm
from raids.models import Raid, RaidSettings
from streams import moderation, rooms
from streams.api import json_api, posted
from streams.dashboard import own_stream_or_404
from streams.errors import ApiError
from streams.selectors import find_host


def raiding_channel(request: HttpRequest, host_id: uuid.UUID):
    """The channel whose raids the request's user may start and cancel (its host or one of
    its moderators), or ApiError 403."""
    if not request.user.is_authenticated:
        raise ApiError(403, "not_moderator", "Only the host and moderators can raid.")
    host = find_host(request.user, pk=host_id)
    moderation.authorize(request.user, host)
    return host


def raid_json(raid: Raid) -> dict:
    return {
        "id": raid.pk,
        "state": raid.state,
        "target": {"username": raid.target.username, "url": services.target_url(raid)},
        "ends_at": raid.ends_at.isoformat(),
    }


@require_GET
@json_api
def targets(request: HttpRequest, host_id: uuid.UUID) -> JsonResponse:
    """Live channels this channel may raid (`?q=` searches them)."""
    host = raiding_channel(request, host_id)
    found = selectors.raid_targets(host, request.GET.get("q", ""))[: selectors.SEARCH_LIMIT]
    return JsonResponse(
        {
            "channels": [
                {
                    "id": str(stream.user_id),
                    "username": stream.user.username,
                    "title": stream.title,
                    "viewers": stream.viewer_count,
                }
                for stream in found
            ]
        }
    )


@require_POST
@json_api
def start(request: HttpRequest, host_id: uuid.UUID) -> JsonResponse:
    """Start a raid to `target` (a username): 201 with the raid, counting down."""
    host = raiding_channel(request, host_id)
    username = posted(request).get("target")
    target = find_host(request.user, username=username) if isinstance(username, str) else None
    if target is None:
        raise ApiError(400, "no_target", "Choose a live channel to raid.")
    raid = services.raid_start(source=host, target=target, actor=request.user)
    return JsonResponse(raid_json(raid), status=201)


@require_POST
@json_api
def cancel(request: HttpRequest, host_id: uuid.UUID, raid_id: int) -> JsonResponse:
    host = raiding_channel(request, host_id)
    raid = Raid.objects.select_related("source", "target").filter(pk=raid_id).first()
    if raid is None or raid.source_id != host.pk:
        raise ApiError(404, "not_found", "No such raid.")
    if not services.raid_cancel(raid=raid):
        raise ApiError(409, "not_counting", "This raid is no longer counting down.")
    raid.state = Raid.State.CANCELLED
    return JsonResponse(raid_json(raid))


@require_POST
@json_api
def arrive(request: HttpRequest, raid_id: int) -> JsonResponse:
    """The target's channel page opened with `?raid=<id>`: count this person's arrival."""
    raid = Raid.objects.filter(pk=raid_id, state=Raid.State.SENT).first()
    if raid is None:
        raise ApiError(404, "not_found", "No such raid, or it has not gone yet.")
    find_host(request.user, pk=raid.target_id)  # a viewer the target blocked is refused
    if request.user.is_authenticated:
        person = rooms.signed_in_person(request.user)
    else:
        guest = rooms.request_guest(request, create=False)
        if guest is None:
            raise ApiError(403, "no_guest", "Open the channel page first.")
        person = guest.person
    counted = services.arrival_record(raid=raid, person=person)
    return JsonResponse({"counted": counted})


@login_required
@require_http_methods(["GET", "POST"])
def dashboard_raids(request: HttpRequest, username: str) -> HttpResponse:
    """Whom the channel accepts raids from, and the raids it sent and received."""
    stream = own_stream_or_404(request, username)
    current = RaidSettings.objects.filter(user=stream.user).first() or RaidSettings(
        user=stream.user
    )
    form = RaidSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        services.settings_update(user=stream.user, accept_from=form.cleaned_data["accept_from"])
        messages.success(request, "Raid settings saved.")
        return redirect("dashboard_raids", username=stream.user.username)
    context = {"stream": stream, "form": form, "section": "raids"}
    context.update(selectors.recent_raids(stream.user))
    return render(request, "dashboard/raids.html", context, status=400 if form.errors else 200)

"""Which emotes a channel's chat shows."""

from __future__ import annotations

from emotes.models import Emote
from streams import page_cache


def emotes_for(channel_id) -> dict[str, dict]:
    """{code: {url, url2x}} of the emotes usable in the channel's chat: its own and the global
    ones, its own winning when both have a code. Kept under the streams version
    (streams.page_cache), which adding or removing an emote replaces (emotes.services), so the
    history and the page data a channel page builds read them once."""
    return page_cache.cached(f"emotes:{channel_id}", lambda: _read_emotes(channel_id))


def _read_emotes(channel_id) -> dict[str, dict]:
    emotes = sorted(
        Emote.objects.usable_in(channel_id).only("channel_id", "code", "image_28", "image_56"),
        key=lambda emote: emote.channel_id is not None,
    )
    return {emote.code: emote.as_json() for emote in emotes}


def channel_emotes(channel) -> list[Emote]:
    return list(Emote.objects.filter(channel=channel).order_by("code"))

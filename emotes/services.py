"""Adding and removing a channel's emotes. Either changes what the channel's chat history and
page show, so both tell the page cache (streams.page_cache) beside the write."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from emotes.models import MAX_PER_CHANNEL, Emote
from streams import page_cache
from streams.models import Stream


def emote_create(*, channel, code: str, image) -> Emote:
    """A new emote of `channel` (a user); ValidationError when the channel has
    MAX_PER_CHANNEL already or one with this code."""
    with transaction.atomic():
        # One at a time per channel, so two uploads cannot both take the 50th place.
        stream = Stream.objects.select_for_update().get(user=channel)
        if Emote.objects.filter(channel=channel).count() >= MAX_PER_CHANNEL:
            raise ValidationError(
                "A channel has at most %(limit)s emotes: remove one to add another.",
                code="too_many_emotes",
                params={"limit": MAX_PER_CHANNEL},
            )
        if Emote.objects.filter(channel=channel, code=code).exists():
            raise ValidationError(
                "You already have an emote with the code %(code)s.",
                code="duplicate_code",
                params={"code": code},
            )
        emote = Emote(channel=channel, code=code, image=image, image_56=image, image_28=image)
        emote.save()
        _shown_differently(stream)
    return emote


def emote_delete(*, emote: Emote) -> None:
    """Remove the emote and its images: messages that used it show its code as text."""
    stream = Stream.objects.filter(user_id=emote.channel_id).first()  # None: a global emote
    files = [emote.image, emote.image_56, emote.image_28]
    with transaction.atomic():
        emote.delete()
        for file in files:
            storage, name = file.storage, file.name
            transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))
        _shown_differently(stream)


def _shown_differently(stream: Stream | None) -> None:
    # A global emote shows in every channel's history, each kept for page_cache.FRAGMENT_TTL.
    if stream is not None:
        page_cache.chat_changed(stream.pk)  # the history's images
    page_cache.streams_changed()  # the guest channel page's emotes (its page data)

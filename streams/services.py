"""Writes for streams: creation for new users, title, thumbnail and chat settings."""

from __future__ import annotations

from streams.models import Stream


def default_title(user) -> str:
    return f"{user.username}'s stream"


def stream_create_for_user(*, user) -> Stream:
    stream, _ = Stream.objects.get_or_create(user=user, defaults={"title": default_title(user)})
    return stream


def stream_remove_thumbnail(*, stream: Stream) -> None:
    if stream.thumbnail:
        stream.thumbnail.delete(save=False)
    stream.thumbnail = ""
    stream.save(update_fields=["thumbnail", "updated_at"])

"""Rows of a broadcast's window for the analytics tests: viewer samples, visits, chat,
follows and raids at chosen moments."""

from __future__ import annotations

from datetime import datetime, timedelta

from analytics.models import ViewerVisit
from raids.models import Raid
from social.models import Follow
from streams.models import ChatMessage, ViewerSample
from videos.models import Broadcast


def broadcast_of(stream, start: datetime, end: datetime | None, title: str = "Any% practice"):
    return Broadcast.objects.create(
        stream=stream,
        title=title,
        started_at=start,
        ended_at=end,
        state=Broadcast.State.NOT_RECORDED,
    )


def sample(stream, at: datetime, viewers: int) -> None:
    ViewerSample.objects.create(stream=stream, at=at, viewers=viewers)


def visit(stream, identity: str, joined: datetime, left: datetime | None) -> None:
    person = identity.split("#")[0]
    ViewerVisit.objects.create(
        stream=stream, identity=identity, person=person, joined_at=joined, left_at=left
    )


def said(stream, at: datetime, *, user=None, guest: str = "", hidden: bool = False) -> None:
    name = user.username if user else "guest-00001"
    message = ChatMessage.objects.create(
        stream=stream, user=user, guest_identity=guest, author_name=name, text="hi"
    )
    ChatMessage.objects.filter(pk=message.pk).update(created_at=at, is_deleted=hidden)


def followed(follower, following, at: datetime) -> None:
    follow, _ = Follow.objects.get_or_create(follower=follower, following=following)
    Follow.objects.filter(pk=follow.pk).update(created_at=at)


def raid(source, target, went: datetime, state: str = Raid.State.SENT, **fields) -> Raid:
    return Raid.objects.create(
        source=source,
        target=target,
        started_at=went - timedelta(seconds=10),
        ends_at=went,
        state=state,
        **fields,
    )

"""What saves and deletions set off, wherever they come from (a form, the admin, a service, a
cascade, a shell): every new user gets a stream, and the pages' cache hears of every change
to what it shows. The one module with signal receivers."""

from __future__ import annotations

from django.conf import settings
from django.core import signals as request_signals
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from social.models import Block, Follow
from streams import page_cache
from streams.models import ChatBan, ChatMessage, Moderator, Stream
from streams.services import stream_create_for_user


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="streams_create_for_user")
def create_stream_for_new_user(sender, instance, created: bool, raw: bool = False, **kwargs):
    if created and not raw:
        stream_create_for_user(user=instance)


# The pages' cache (streams.page_cache) shows streams and their people. Any save of a Stream
# (title, thumbnail, keys, chat settings: from a form, the admin or a service) or of what a
# User shows, and any deletion, makes it stale. Writes that bypass save() are QuerySet
# methods that tell the cache themselves (Stream.objects.set_live, ChatMessage.objects.hide).
# A follow or unfollow, from a service, the admin or a cascade, changes the host's follower
# count and the follower's ties; a block or unblock changes the ties of both people.
USER_FIELDS_SHOWN = {"username", "avatar", "is_active"}


def _stream_changed(sender, **kwargs) -> None:
    page_cache.streams_changed()


def _user_changed(sender, update_fields=None, **kwargs) -> None:
    # A log-in saves last_login alone: nothing a page shows.
    if update_fields is None or USER_FIELDS_SHOWN.intersection(update_fields):
        page_cache.streams_changed()


def _follow_changed(sender, instance: Follow, **kwargs) -> None:
    page_cache.followers_changed(instance.following_id)
    page_cache.ties_changed(instance.follower_id)


def _block_changed(sender, instance: Block, **kwargs) -> None:
    page_cache.ties_changed(instance.blocker_id, instance.blocked_id)


def _moderator_changed(sender, instance: Moderator, **kwargs) -> None:
    page_cache.moderators_changed(instance.host_id)


def _chat_ban_changed(sender, instance: ChatBan, **kwargs) -> None:
    page_cache.chat_bans_changed(instance.host_id)


def _chat_changed(sender, instance: ChatMessage, **kwargs) -> None:
    page_cache.chat_changed(instance.stream_id)


post_save.connect(_stream_changed, sender=Stream, dispatch_uid="pages_stream_saved")
post_delete.connect(_stream_changed, sender=Stream, dispatch_uid="pages_stream_deleted")
post_save.connect(_user_changed, sender=settings.AUTH_USER_MODEL, dispatch_uid="pages_user_saved")
post_delete.connect(
    _user_changed, sender=settings.AUTH_USER_MODEL, dispatch_uid="pages_user_deleted"
)
post_save.connect(_follow_changed, sender=Follow, dispatch_uid="pages_follow_saved")
post_delete.connect(_follow_changed, sender=Follow, dispatch_uid="pages_follow_deleted")
post_save.connect(_block_changed, sender=Block, dispatch_uid="pages_block_saved")
post_delete.connect(_block_changed, sender=Block, dispatch_uid="pages_block_deleted")
post_save.connect(_moderator_changed, sender=Moderator, dispatch_uid="pages_moderator_saved")
post_delete.connect(_moderator_changed, sender=Moderator, dispatch_uid="pages_moderator_deleted")
post_save.connect(_chat_ban_changed, sender=ChatBan, dispatch_uid="pages_chat_ban_saved")
post_delete.connect(_chat_ban_changed, sender=ChatBan, dispatch_uid="pages_chat_ban_deleted")
post_save.connect(_chat_changed, sender=ChatMessage, dispatch_uid="pages_chat_saved")
post_delete.connect(_chat_changed, sender=ChatMessage, dispatch_uid="pages_chat_deleted")


# A request reads the streams version once (streams.page_cache.streams_version).
request_signals.request_started.connect(
    lambda **kwargs: page_cache.request_started(), weak=False, dispatch_uid="pages_request_started"
)
request_signals.request_finished.connect(
    lambda **kwargs: page_cache.request_finished(), weak=False, dispatch_uid="pages_request_ended"
)

from __future__ import annotations

import io

import factory
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image

from social.models import Block, Follow
from streams.models import ChatMessage, Moderator, Stream

PASSWORD = "a-test-password-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def streamed(user, create, extracted, **kwargs):
        """`streamed=True`: the user's stream has been live before, so it is recommended."""
        if extracted:
            user.stream.last_live_at = timezone.now()
            user.stream.save(update_fields=["last_live_at"])


class FollowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Follow

    follower = factory.SubFactory(UserFactory)
    following = factory.SubFactory(UserFactory)


class BlockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Block

    blocker = factory.SubFactory(UserFactory)
    blocked = factory.SubFactory(UserFactory)


class ModeratorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Moderator

    host = factory.SubFactory(UserFactory)
    user = factory.SubFactory(UserFactory)


class ChatMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChatMessage

    stream = factory.LazyFunction(lambda: UserFactory().stream)
    user = factory.SubFactory(UserFactory)
    author_name = factory.LazyAttribute(lambda message: message.user.username)
    text = factory.Sequence(lambda n: f"message {n}")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "directory.Category"
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.LazyAttribute(lambda category: slugify(category.name))


def list_stream(user, category=None, tags=(), *, live: bool = False, viewers: int = 0):
    """Put `user`'s stream in `category` with `tags` (as the dashboard form does) and, with
    `live`, mark it live with `viewers` watching (as the viewer-count pass would)."""
    from directory import services

    services.listing_update(stream=user.stream, category=category, tag_names=list(tags))
    if live:
        Stream.objects.filter(user=user).update(
            is_live=True, viewer_count=viewers, last_live_at=timezone.now()
        )
    return user.stream


def _emote_image() -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGBA", (64, 64), (145, 71, 255, 255)).save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name="emote.png")


class EmoteFactory(factory.django.DjangoModelFactory):
    """A channel's emote (channel=None: a global one), its image at every size."""

    class Meta:
        model = "emotes.Emote"

    channel = None
    code = factory.Sequence(lambda n: f"Emote{n}")
    image = factory.LazyFunction(_emote_image)
    image_56 = factory.LazyFunction(_emote_image)
    image_28 = factory.LazyFunction(_emote_image)

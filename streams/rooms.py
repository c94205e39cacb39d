"""Rooms and who is in them, named and read in one place.

- A host's LiveKit room is named after the host's user id.
- The host's stream (LiveKit Ingress, or anything publishing for the host) joins that room
  as the host's user id: the publisher.
- Everyone watching joins as a *person* plus a per-token suffix, `<person>#<suffix>`: LiveKit
  drops the older participant of a repeated identity, and the suffix lets two tabs of one
  person stay. The person is the user id of a signed-in viewer, `Host-<user id>` for the host
  watching their own channel, and `guest-<id>` for a guest, whose id and display name
  (`guest-NNNNN`) live in a signed cookie so a reload keeps them (no session row: a raid of
  new guests writes nothing to the database).
- The token's metadata says who the participant is ({person, user_id, username, role}), so
  the browser reads it from there rather than parsing identities.
"""

from __future__ import annotations

import random
import re
import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings

HOST_PREFIX = "Host-"
GUEST_PREFIX = "guest-"
# The recorder of past broadcasts joins hidden (nobody in the room sees it), but LiveKit
# still lists it and sends its webhooks: it is never a viewer.
RECORDER_PREFIX = "recorder-"
SUFFIX_SEPARATOR = "#"


def room_name(host_id) -> str:
    return str(host_id)


def host_id_of(room: str) -> uuid.UUID | None:
    """The host whose room this is, or None for a room that is not a host's."""
    try:
        return uuid.UUID(room)
    except ValueError:
        return None


def publisher_identity(host_id) -> str:
    return str(host_id)


def signed_in_person(user) -> str:
    return str(user.pk)


def person_named(user_id, guest_identity: str) -> str:
    """The person of a row or a sender that has either a user (by id) or a guest identity."""
    return str(user_id) if user_id else guest_identity


GUEST_PERSON = re.compile(rf"{GUEST_PREFIX}[0-9a-f]{{32}}")


def is_guest_person(person: str) -> bool:
    """Whether `person` is a guest as request_guest names them."""
    return GUEST_PERSON.fullmatch(person) is not None


def recorder_identity(recording: str) -> str:
    return f"{RECORDER_PREFIX}{recording}"


def is_viewer(identity: str, host_id) -> bool:
    """Whether a participant of `host_id`'s room is someone watching: not the stream itself,
    not the recorder."""
    return identity != publisher_identity(host_id) and not identity.startswith(RECORDER_PREFIX)


def person_of(identity: str) -> str:
    """The person behind one participant identity (one of their tabs)."""
    return identity.split(SUFFIX_SEPARATOR, 1)[0]


def people_watching(host_id, identities) -> int:
    """How many people watch among the participant `identities` of `host_id`'s room: each
    person once however many tabs they have open; not the stream, not the recorder."""
    return len({person_of(identity) for identity in identities if is_viewer(identity, host_id)})


@dataclass(frozen=True)
class Person:
    """Someone in a host's room."""

    person: str
    name: str
    role: str  # "host", "viewer" or "guest"
    user_id: str | None = None

    def new_identity(self) -> str:
        return f"{self.person}{SUFFIX_SEPARATOR}{secrets.token_hex(3)}"

    def metadata(self) -> dict:
        return {
            "person": self.person,
            "user_id": self.user_id,
            "username": self.name,
            "role": self.role,
        }


GUEST_COOKIE = "guest"
_GUEST_SALT = "streams.rooms.guest"
_NEW_GUEST = "_streams_new_guest"  # on the request: the cookie value remember_guest sets


def request_guest(request, *, create: bool) -> Person | None:
    """The guest of this browser (its signed cookie); with `create`, a new guest if it has
    none, whom `remember_guest` then gives the cookie."""
    value = getattr(request, _NEW_GUEST, None) or request.get_signed_cookie(
        GUEST_COOKIE, default=None, salt=_GUEST_SALT, max_age=settings.SESSION_COOKIE_AGE
    )
    guest_id, _, name = (value or "").partition(":")
    if not (re.fullmatch("[0-9a-f]{32}", guest_id) and name):
        if not create:
            return None
        guest_id, name = uuid.uuid4().hex, f"guest-{random.randint(0, 99999):05d}"
        setattr(request, _NEW_GUEST, f"{guest_id}:{name}")
    return Person(f"{GUEST_PREFIX}{guest_id}", name, "guest")


def is_new_guest(request) -> bool:
    """Whether this request made its guest (who then cannot have been banned yet)."""
    return hasattr(request, _NEW_GUEST)


def remember_guest(request, response) -> None:
    """Give a guest made during this request their cookie."""
    if value := getattr(request, _NEW_GUEST, None):
        response.set_signed_cookie(
            GUEST_COOKIE,
            value,
            salt=_GUEST_SALT,
            max_age=settings.SESSION_COOKIE_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )


def person_watching(request, host) -> Person:
    """Who is asking to watch `host`'s room (a guest gets an identity now if they had none:
    the view calls remember_guest on its response)."""
    user = request.user
    if not user.is_authenticated:
        return request_guest(request, create=True)
    if user.pk == host.pk:
        return Person(f"{HOST_PREFIX}{user.pk}", user.username, "host", str(user.pk))
    return Person(signed_in_person(user), user.username, "viewer", str(user.pk))

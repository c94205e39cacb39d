"""Rooms and who is in them, named and read in one place.

- A host's LiveKit room is named after the host's user id.
- The host's stream (LiveKit Ingress, or anything publishing for the host) joins that room
  as the host's user id: the publisher.
- Everyone watching joins as a *person* plus a per-token suffix, `<person>#<suffix>`: LiveKit
  drops the older participant of a repeated identity, and the suffix lets two tabs of one
  person stay. The person is the user id of a signed-in viewer, `Host-<user id>` for the host
  watching their own channel, and `guest-<id>` for a guest, whose id and display name
  (`guest-NNNNN`) live in the session so a reload keeps them.
- The token's metadata says who the participant is ({person, user_id, username, role}), so
  the browser reads it from there rather than parsing identities.
"""

from __future__ import annotations

import random
import re
import secrets
import uuid
from dataclasses import dataclass

HOST_PREFIX = "Host-"
GUEST_PREFIX = "guest-"
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


GUEST_PERSON = re.compile(rf"{GUEST_PREFIX}[0-9a-f]{{32}}")


def is_guest_person(person: str) -> bool:
    """Whether `person` is a guest as session_guest names them."""
    return GUEST_PERSON.fullmatch(person) is not None


def person_of(identity: str) -> str:
    """The person behind one participant identity (one of their tabs)."""
    return identity.split(SUFFIX_SEPARATOR, 1)[0]


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


def session_guest(session, *, create: bool) -> Person | None:
    """The guest of this browser session; with `create`, a new guest if it has none."""
    if "guest_id" not in session:
        if not create:
            return None
        session["guest_id"] = uuid.uuid4().hex
        session["guest_name"] = f"guest-{random.randint(0, 99999):05d}"
    return Person(f"{GUEST_PREFIX}{session['guest_id']}", session["guest_name"], "guest")


def person_watching(request, host) -> Person:
    """Who is asking to watch `host`'s room (a guest gets an identity now if they had none)."""
    user = request.user
    if not user.is_authenticated:
        return session_guest(request.session, create=True)
    if user.pk == host.pk:
        return Person(f"{HOST_PREFIX}{user.pk}", user.username, "host", str(user.pk))
    return Person(signed_in_person(user), user.username, "viewer", str(user.pk))

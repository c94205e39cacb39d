"""streams/rooms.py: room names, the publisher, and who a participant is."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.test import RequestFactory

from streams import rooms

pytestmark = pytest.mark.django_db


def request_by(user):
    request = RequestFactory().get("/")
    request.user, request.session = user, SessionStore()
    return request


def test_a_hosts_room_and_publisher_are_named_after_the_host(alice):
    assert rooms.room_name(alice.pk) == rooms.publisher_identity(alice.pk) == str(alice.pk)
    assert rooms.host_id_of(rooms.room_name(alice.pk)) == alice.pk
    assert rooms.host_id_of("someone-elses-room") is None


def test_each_token_of_one_person_gets_its_own_identity(alice, bob):
    person = rooms.person_watching(request_by(bob), alice)
    first, second = person.new_identity(), person.new_identity()
    assert first != second
    assert rooms.person_of(first) == rooms.person_of(second) == str(bob.pk)
    assert person.metadata() == {
        "person": str(bob.pk),
        "user_id": str(bob.pk),
        "username": "bob",
        "role": "viewer",
    }


def test_the_host_watching_their_own_channel_is_not_the_publisher(alice):
    person = rooms.person_watching(request_by(alice), alice)
    assert person.role == "host"
    assert rooms.person_of(person.new_identity()) != rooms.publisher_identity(alice.pk)


def test_a_guest_keeps_their_identity_and_name_in_their_cookie(alice):
    request = request_by(AnonymousUser())
    assert rooms.request_guest(request, create=False) is None
    first = rooms.person_watching(request, alice)
    assert rooms.person_watching(request, alice) == first  # the same request
    assert first.person.startswith("guest-") and first.name.startswith("guest-")
    assert first.metadata()["user_id"] is None
    response = HttpResponse()
    rooms.remember_guest(request, response)
    later = request_by(AnonymousUser())  # the next request carries the cookie
    later.COOKIES[rooms.GUEST_COOKIE] = response.cookies[rooms.GUEST_COOKIE].value
    assert rooms.request_guest(later, create=False) == first
    assert not rooms.is_new_guest(later)

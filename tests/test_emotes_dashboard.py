"""The dashboard's Emotes page: the host adds, lists and removes their emotes; nobody else
may see it or post to it."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from emotes.models import Emote
from tests.conftest import image_bytes
from tests.factories import EmoteFactory

pytestmark = pytest.mark.django_db

PAGE = "/u/alice/emotes/"


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def add(client, code: str = "aliceHype", data: bytes | None = None, username: str = "alice"):
    image = SimpleUploadedFile("e.png", data or image_bytes("PNG", (80, 80)))
    return client.post(f"/u/{username}/emotes/add/", {"code": code, "image": image})


def test_the_host_adds_an_emote_and_sees_it_listed(alice_client, alice):
    response = add(alice_client)
    assert response.status_code == 302 and response.url == PAGE
    page = soup(alice_client.get(PAGE))
    row = page.select_one('tr[data-emote="aliceHype"]')
    assert row is not None and row.select_one("img.emote")["src"].endswith(".webp")
    assert "(1 of 50)" in page.select_one("#emotes-heading").text
    assert page.select_one('.dashboard-nav a[aria-current="page"]').text == "Emotes"


def test_a_refused_upload_shows_the_error_next_to_the_field(alice_client):
    response = add(alice_client, code="x")
    assert response.status_code == 400
    error = soup(response).select_one("#id_code_error")
    assert "3 to 25 letters and digits" in error.text
    response = add(alice_client, data=b"GIF89a but not really")
    assert response.status_code == 400
    assert soup(response).select_one("#id_image_error") is not None
    assert not Emote.objects.exists()


def test_the_host_removes_an_emote(alice_client, alice):
    emote = EmoteFactory(channel=alice, code="Gone")
    response = alice_client.post("/u/alice/emotes/remove/", {"id": emote.pk})
    assert response.status_code == 302
    assert not Emote.objects.filter(pk=emote.pk).exists()


def test_the_host_cannot_remove_another_channels_or_a_global_emote(alice_client, bob):
    theirs = EmoteFactory(channel=bob, code="bobHi")
    global_ = EmoteFactory(channel=None, code="SiteHi")
    for emote in (theirs, global_):
        assert alice_client.post("/u/alice/emotes/remove/", {"id": emote.pk}).status_code == 404
    assert Emote.objects.count() == 2


def test_nobody_else_sees_or_posts_to_the_page(bob_client, guest_client, alice):
    emote = EmoteFactory(channel=alice, code="Kept")
    assert bob_client.get(PAGE).status_code == 404
    assert add(bob_client).status_code == 404
    assert bob_client.post("/u/alice/emotes/remove/", {"id": emote.pk}).status_code == 404
    assert guest_client.get(PAGE).status_code == 302  # to the login page
    assert add(guest_client).status_code == 302
    assert list(Emote.objects.values_list("code", flat=True)) == ["Kept"]


def test_the_forms_need_a_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert add(client).status_code == 403
    assert not Emote.objects.exists()


def test_a_get_to_a_forms_url_goes_back_to_the_page(alice_client):
    response = alice_client.get("/u/alice/emotes/add/")
    assert response.status_code == 302 and response.url == PAGE

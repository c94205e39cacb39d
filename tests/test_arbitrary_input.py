"""Property-based: every JSON API and every form that takes text, given arbitrary Unicode
(unpaired surrogates, NUL, right-to-left marks, 10 kB strings), arbitrary JSON values and
malformed bodies. The answer is never a 5xx, a refusal is a clear error, and a refused
request saves nothing.

The test client re-raises a view's exception, so a would-be 500 fails the example with its
traceback. Each example runs in a transaction that is rolled back, so examples do not see
each other's rows.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import urllib.parse

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from livekit import api

from accounts.models import User
from social.models import Block, Follow
from streams.models import ChatBan, ChatMessage, Stream, WebhookEvent

pytestmark = pytest.mark.django_db

examples = hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Characters that have broken sites: NUL, lone surrogates, bidi overrides, a BOM, emoji
# (astral and joined), line breaks and markup.
TRICKY = ["\x00", "\ud800", "\udfff", "\u202e", "\u200f", "\ufeff", "😀", "👩‍👩‍👧", "\r\n", "<b>"]
piece = st.characters(exclude_categories=()) | st.sampled_from(TRICKY)
texts = st.one_of(
    st.lists(piece, max_size=30).map("".join),
    # Long strings: one piece repeated to 10 kB or more, cheap to generate.
    st.builds(lambda p, n: p * n, piece, st.integers(500, 10_000)),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | texts,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=8,
)
raw_bodies = st.binary(max_size=200) | texts.map(lambda t: t.encode("utf-8", "surrogatepass"))


class _Rollback(Exception):
    pass


@contextlib.contextmanager
def rolled_back():
    with contextlib.suppress(_Rollback), transaction.atomic():
        yield
        raise _Rollback


def quoted(text: str) -> str:
    """Percent-encode as a client could, lone surrogates included (as invalid UTF-8)."""
    return urllib.parse.quote(text, safe="", errors="surrogatepass")


def form_body(fields: dict[str, str]) -> str:
    return "&".join(f"{quoted(key)}={quoted(value)}" for key, value in fields.items())


def post_form(client: Client, url: str, fields: dict[str, str]):
    return client.post(url, form_body(fields), "application/x-www-form-urlencoded")


def assert_clear_refusal(response) -> None:
    """A JSON API's refusal: a 4xx with {code, detail}."""
    assert 400 <= response.status_code < 500, response.status_code
    body = response.json()
    assert isinstance(body["code"], str) and isinstance(body["detail"], str)


# ------------------------------------------------------------------------- JSON APIs


@examples
@given(value=json_values)
def test_chat_messages_of_any_json_value(live, bob_client, alice, value):
    with rolled_back():
        body = json.dumps({"message": value})
        response = bob_client.post(f"/api/stream/{alice.pk}/chat", body, "application/json")
        if response.status_code == 201:
            saved = ChatMessage.objects.get()
            assert isinstance(value, str) and saved.text == value.strip()
            assert response.json()["text"] == saved.text
        else:
            assert_clear_refusal(response)
            assert not ChatMessage.objects.exists()


@examples
@given(text=texts, as_json=st.booleans())
def test_chat_messages_of_any_text(live, bob_client, alice, text, as_json):
    with rolled_back():
        url = f"/api/stream/{alice.pk}/chat"
        if as_json:
            response = bob_client.post(url, json.dumps({"message": text}), "application/json")
        else:
            response = post_form(bob_client, url, {"message": text})
        if response.status_code != 201:
            assert_clear_refusal(response)
            assert not ChatMessage.objects.exists()


@examples
@given(body=raw_bodies, content_type=st.sampled_from(["application/json", "text/plain"]))
def test_malformed_chat_bodies(live, bob_client, alice, body, content_type):
    with rolled_back():
        response = bob_client.post(f"/api/stream/{alice.pk}/chat", body, content_type)
        if response.status_code != 201:
            assert_clear_refusal(response)
            assert not ChatMessage.objects.exists()


@examples
@given(value=json_values)
def test_banning_from_the_chat_with_any_person(live, alice_client, alice, value):
    with rolled_back():
        blocks, bans = Block.objects.count(), ChatBan.objects.count()
        body = json.dumps({"person": value})
        response = alice_client.post(f"/api/stream/{alice.pk}/ban", body, "application/json")
        assert_clear_refusal(response)
        assert (Block.objects.count(), ChatBan.objects.count()) == (blocks, bans)


@examples
@given(person=json_values, seconds=json_values)
def test_timing_out_with_any_person_and_duration(live, alice_client, alice, person, seconds):
    with rolled_back():
        body = json.dumps({"person": person, "seconds": seconds})
        response = alice_client.post(f"/api/stream/{alice.pk}/timeout", body, "application/json")
        assert_clear_refusal(response)
        assert not ChatBan.objects.exists()


@examples
@given(host_id=texts, message_id=st.integers(min_value=0, max_value=10**30))
def test_any_host_id_and_message_id_in_api_paths(alice_client, alice, host_id, message_id):
    with rolled_back():
        host = quoted(host_id) or "x"
        for response in [
            alice_client.get(f"/api/stream/{host}"),
            alice_client.get(f"/api/stream/token/{host}"),
            alice_client.get(f"/api/stream/{host}/chat"),
            alice_client.post(f"/api/stream/{alice.pk}/chat/{message_id}/delete"),
        ]:
            assert response.status_code in {200, 404}, response.status_code


def sign(body: bytes) -> str:
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    token = api.AccessToken(settings.LIVEKIT_API_KEY, settings.LIVEKIT_API_SECRET)
    return token.with_sha256(digest).to_jwt()


webhook_fields = st.fixed_dictionaries(
    {},
    optional={
        "event": texts | st.sampled_from(["ingress_started", "ingress_ended", "room_finished"]),
        "id": texts,
        "createdAt": st.integers(min_value=-(2**63), max_value=2**63 - 1).map(str) | texts,
        "room": st.fixed_dictionaries({"name": texts}),
        "ingressInfo": st.fixed_dictionaries({"ingressId": texts}),
    },
)


@examples
@given(body=raw_bodies, authorization=texts)
def test_webhooks_with_a_bad_signature_are_401(alice, body, authorization):
    with rolled_back():
        headers = {"HTTP_AUTHORIZATION": authorization.encode("utf-8", "replace").decode()}
        response = Client().post(
            "/api/webhook/livekit", body, "application/webhook+json", **headers
        )
        assert response.status_code == 401
        assert not WebhookEvent.objects.exists()


@examples
@given(fields=webhook_fields | json_values)
def test_signed_webhooks_with_any_content(alice, fields):
    """Only LiveKit can sign, but a signed body is still input: odd fields never crash it."""
    with rolled_back():
        Stream.objects.filter(user=alice).update(ingress_id="IN_alice")
        body = json.dumps(fields).encode()
        response = Client().post(
            "/api/webhook/livekit", body, "application/webhook+json", HTTP_AUTHORIZATION=sign(body)
        )
        assert response.status_code in {200, 400}, response.status_code
        if response.status_code == 400:
            assert_clear_refusal(response)
            assert not WebhookEvent.objects.exists()


# ------------------------------------------------------------------------- forms and pages


@examples
@given(title=texts, bio=texts)
def test_dashboard_title_and_bio(alice_client, alice, title, bio):
    with rolled_back():
        before = (Stream.objects.get(user=alice).title, User.objects.get(pk=alice.pk).bio)
        title_response = post_form(
            alice_client, "/u/alice/title/", {"action": "title", "title-title": title}
        )
        bio_response = post_form(
            alice_client, "/u/alice/profile/", {"action": "profile", "profile-bio": bio}
        )
        assert title_response.status_code in {302, 400}
        assert bio_response.status_code in {302, 400}
        after = (Stream.objects.get(user=alice).title, User.objects.get(pk=alice.pk).bio)
        if title_response.status_code == 400:
            assert title_response.context["title_form"].errors
            assert after[0] == before[0]
        if bio_response.status_code == 400:
            assert bio_response.context["profile_form"].errors
            assert after[1] == before[1]


@examples
@given(fields=st.dictionaries(st.sampled_from(["is_chat_enabled", "kind", "action"]), texts))
def test_dashboard_chat_settings_and_keys(alice_client, fields):
    with rolled_back():
        for url in ["/u/alice/chat/", "/u/alice/keys/generate/"]:
            response = post_form(alice_client, url, fields)
            assert response.status_code in {200, 302, 400}, response.status_code


@pytest.fixture
def no_rate_limits(settings):
    settings.ACCOUNT_RATE_LIMITS = False


@examples
@given(username=texts, email=texts, password=texts)
def test_sign_up_and_log_in(no_rate_limits, db, username, email, password):
    with rolled_back():
        users = User.objects.count()
        fields = {
            "username": username,
            "email": email,
            "password1": password,
            "password2": password,
        }
        response = post_form(Client(), "/accounts/signup/", fields)
        assert response.status_code in {200, 302}, response.status_code
        if response.status_code == 200:  # the form again, with its errors
            assert response.context["form"].errors
            assert User.objects.count() == users
        login = post_form(Client(), "/accounts/login/", {"login": username, "password": password})
        assert login.status_code in {200, 302}, login.status_code


@examples
@given(term=texts, page=texts)
def test_search(guest_client, alice, term, page):
    with rolled_back():
        response = guest_client.get(f"/search/?term={quoted(term)}&page={quoted(page)}")
        assert response.status_code in {200, 302, 400}, response.status_code


@examples
@given(username=texts, next_url=texts)
def test_channel_follow_and_block_with_any_username(bob_client, alice, username, next_url):
    with rolled_back():
        follows, blocks = Follow.objects.count(), Block.objects.count()
        name = quoted(username) or "x"
        assert bob_client.get(f"/{name}/").status_code in {200, 404}
        assert bob_client.get(f"/u/{name}/").status_code in {200, 404}
        for action in ["follow", "unfollow", "block", "unblock"]:
            response = post_form(bob_client, f"/{name}/{action}/", {"next": next_url})
            assert response.status_code in {302, 404}, response.status_code
            if response.status_code == 302:
                assert "\x00" not in response["Location"]
        if username.lower() != "alice":
            assert (Follow.objects.count(), Block.objects.count()) == (follows, blocks)

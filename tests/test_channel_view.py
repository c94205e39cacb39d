from __future__ import annotations

import json
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone
from django.views.defaults import server_error

from streams.models import Stream
from tests.factories import FollowFactory, UserFactory

pytestmark = pytest.mark.django_db


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def test_a_guest_sees_the_offline_channel(guest_client, alice):
    response = guest_client.get("/alice/")
    assert response.status_code == 200
    soup = _soup(response)
    offline = soup.select_one("[data-player-offline]")
    assert offline.get_text(" ", strip=True) == "AL alice is offline"
    assert "hidden" not in offline.attrs
    assert soup.select_one(".channel-title").get_text() == "alice's stream"
    assert soup.select_one(".badge-offline").get_text() == "Offline"
    assert "About alice" in soup.select_one(".about").get_text()
    assert "Speedruns and retro games." in soup.select_one(".about-bio").get_text()


def test_the_channel_url_ignores_username_case(guest_client, alice):
    assert guest_client.get("/ALICE/").status_code == 200


def test_a_live_channel_shows_the_live_badge(guest_client, alice):
    Stream.objects.filter(user=alice).update(is_live=True)
    assert _soup(guest_client.get("/alice/")).select_one(
        ".channel-actions .badge-live:not([hidden])"
    )


def test_an_unknown_user_gets_the_friendly_404(guest_client, db):
    response = guest_client.get("/nobody/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_a_viewer_blocked_by_the_host_gets_the_same_404_as_an_unknown_user(
    carol_client, guest_client
):
    blocked = carol_client.get("/alice/")
    unknown = carol_client.get("/nobody/")
    assert blocked.status_code == unknown.status_code == 404
    assert (
        _soup(blocked).select_one("main").get_text() == _soup(unknown).select_one("main").get_text()
    )


def test_the_follower_count_is_pluralised(guest_client, alice):
    assert "0 followers" in _soup(guest_client.get("/alice/")).select_one(".about").get_text(
        " ", strip=True
    )
    FollowFactory(follower=UserFactory(username="bob"), following=alice)
    assert "1 follower" in _soup(guest_client.get("/alice/")).select_one(".about").get_text(
        " ", strip=True
    )
    FollowFactory(follower=UserFactory(username="dave"), following=alice)
    assert "2 followers" in _soup(guest_client.get("/alice/")).select_one(".about").get_text(
        " ", strip=True
    )


def test_an_empty_bio_shows_the_air_of_mystery(guest_client, db):
    UserFactory(username="dave")
    content = guest_client.get("/dave/").content.decode()
    assert "This user prefers to keep an air of mystery about them." in content


def test_a_guest_gets_a_follow_link_that_logs_in_then_comes_back(guest_client, alice):
    link = _soup(guest_client.get("/alice/")).select_one(".channel-actions a")
    assert link.get_text() == "Follow"
    assert link["href"] == "/accounts/login/?next=/alice/"


def test_a_follower_sees_unfollow_and_others_see_follow(bob_client, client_for, alice):
    assert _soup(bob_client.get("/alice/")).select_one(".channel-actions button").get_text() == (
        "Unfollow"
    )
    dave_page = client_for(UserFactory(username="dave")).get("/alice/")
    assert _soup(dave_page).select_one(".channel-actions button").get_text() == "Follow"


def test_the_host_sees_no_follow_button(alice_client):
    assert _soup(alice_client.get("/alice/")).select_one(".channel-actions button") is None


def test_a_signed_in_viewer_is_offered_block_behind_a_confirmation(bob_client, alice):
    soup = _soup(bob_client.get("/alice/"))
    block = soup.select_one(".channel-actions [data-block-open]")
    assert block.get_text() == "Block"
    assert (block["data-block-name"], block["data-block-url"]) == ("alice", "/alice/block/")
    # The button asks first; the dialog's form is the POST, with its CSRF token.
    form = soup.select_one("dialog[data-block-dialog] form[method=post]")
    assert form.select_one("[name=csrfmiddlewaretoken]")["value"]
    assert form.select_one("[name=next]")["value"] == "/alice/"
    assert "Block" in form.select_one("h2").get_text()
    urls = json.loads(soup.select_one("#channel-data").string)["urls"]
    assert (urls["block"], urls["unblock"]) == ("/{username}/block/", "/{username}/unblock/")


def test_block_is_offered_neither_to_guests_nor_on_your_own_channel(guest_client, alice_client):
    for client in [guest_client, alice_client]:
        soup = _soup(client.get("/alice/"))
        assert soup.select_one("[data-block-open]") is None
        assert soup.select_one("[data-block-dialog]") is None


def test_a_viewer_who_blocked_the_host_is_offered_unblock_instead_of_follow(
    client_for, bob_client, bob, alice
):
    assert bob_client.post("/alice/block/", {"next": "/alice/"}).url == "/alice/"
    soup = _soup(bob_client.get("/alice/"))
    assert [b.get_text() for b in soup.select(".channel-actions button")] == ["Unblock"]
    assert soup.select_one(".channel-actions form")["action"] == "/alice/unblock/"
    assert "Blocked alice." in soup.select_one(".messages").get_text()
    page_data = json.loads(soup.select_one("#channel-data").string)
    assert page_data["viewer"]["blocking"] == [str(alice.pk)]


def test_html_in_bio_and_title_is_escaped(guest_client, alice):
    alice.bio = '<img src=x onerror="alert(1)">'
    alice.save()
    Stream.objects.filter(user=alice).update(title="<b>bold</b>")
    content = guest_client.get("/alice/").content.decode()
    assert "<img src=x" not in content
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in content
    assert "<b>bold</b>" not in content


def test_the_stream_key_never_appears_on_the_channel_page(guest_client, alice_client, alice):
    Stream.objects.filter(user=alice).update(stream_key="sk_secret_key_123")
    assert "sk_secret_key_123" not in guest_client.get("/alice/").content.decode()
    assert "sk_secret_key_123" not in alice_client.get("/alice/").content.decode()


def test_the_initials_avatar_is_shown_when_none_was_uploaded(guest_client, alice):
    avatar = _soup(guest_client.get("/alice/")).select_one(".channel-identity .avatar-initials")
    assert avatar.get_text() == "AL"
    assert avatar["aria-label"] == "alice's avatar"
    assert "background-color: hsl(" in avatar["style"]


def test_the_channel_page_runs_a_constant_number_of_queries(
    bob_client, alice, django_assert_max_num_queries
):
    # Session, user, bob's follows and blocks, alice, her follower count, whether bob
    # moderates her chat, the chat history, her last past broadcast, her category and tags
    # (two, with tags), the sidebar (following and recommended), the bell's unread count:
    # with nothing cached yet.
    with django_assert_max_num_queries(13) as small:
        assert bob_client.get("/alice/").status_code == 200
    for n in range(30):
        follower = UserFactory(username=f"fan{n}")
        FollowFactory(follower=follower, following=alice)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert bob_client.get("/alice/").status_code == 200


def test_a_warm_channel_page_runs_no_query_for_a_guest_and_five_for_a_user(
    guest_client, bob_client, alice, django_assert_num_queries
):
    guest_client.get("/alice/")
    bob_client.get("/alice/")
    with django_assert_num_queries(0):  # the chat history is kept too
        assert guest_client.get("/alice/").status_code == 200
    # Session, user, bob's follows and blocks, whether he moderates alice's chat, the bell's
    # unread count.
    with django_assert_num_queries(5):
        assert bob_client.get("/alice/").status_code == 200


def test_the_500_page_is_friendly_and_standalone(rf):
    response = server_error(rf.get("/alice/"))
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_a_guest_sees_how_long_a_live_channel_has_been_live(guest_client, alice):
    went_live = timezone.now() - timedelta(minutes=7, seconds=5)
    Stream.objects.filter(user=alice).update(
        is_live=True, live_changed_at=went_live, last_live_at=went_live
    )
    soup = _soup(guest_client.get("/alice/"))
    uptime = soup.select_one("[data-uptime]")
    assert "hidden" not in uptime.attrs
    # The page's script keeps the clock ticking from its datetime.
    assert uptime.get_text(" ", strip=True) in {"Live for 0:07:05", "Live for 0:07:06"}
    assert uptime.select_one("time")["datetime"] == went_live.isoformat()
    assert "hidden" in soup.select_one("[data-last-live]").attrs


def test_a_guest_sees_when_an_offline_channel_was_last_live(guest_client, alice):
    ended = timezone.now() - timedelta(days=3, minutes=1)
    Stream.objects.filter(user=alice).update(
        is_live=False, live_changed_at=ended, last_live_at=ended - timedelta(hours=1)
    )
    soup = _soup(guest_client.get("/alice/"))
    assert "hidden" in soup.select_one("[data-uptime]").attrs
    assert soup.select_one("[data-last-live]").get_text(strip=True) == "Last live 3\xa0days ago"


def test_the_dashboards_preview_and_the_chat_embed_leave_the_channel_pages_token_alone(
    guest_client, alice_client, alice
):
    """The channel page's URLs are worked out once per channel: the host's preview and the
    chat embed ask for their own kind of token without changing everybody's."""

    def token_url(client, path: str) -> str:
        soup = BeautifulSoup(client.get(path).content, "html.parser")
        return json.loads(soup.select_one("#channel-data").string)["urls"]["token"]

    plain = f"/api/stream/token/{alice.pk}"
    assert token_url(guest_client, "/alice/") == plain
    assert token_url(alice_client, "/u/alice/") == f"{plain}?for=preview"
    assert token_url(guest_client, "/embed/alice/chat/") == f"{plain}?for=chat"
    assert token_url(guest_client, "/alice/?fresh") == plain
    assert token_url(alice_client, "/u/alice/") == f"{plain}?for=preview"

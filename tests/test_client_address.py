"""streams.client_address: whose address a request is, with and without a proxy."""

from __future__ import annotations

import pytest
from django.test import Client

from streams.client_address import client_address, client_network, network_of
from streams.models import Stream


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = rf.get("/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert client_address(request) == "198.51.100.7"


def test_behind_one_proxy_the_address_it_saw_is_the_clients(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client wrote a first entry itself; the proxy appended what it saw.
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.66, 203.0.113.1")
    assert client_address(request) == "203.0.113.1"


def test_behind_two_proxies_the_outer_ones_entry_counts(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 2
    request = rf.get(
        "/", REMOTE_ADDR="10.0.0.3", HTTP_X_FORWARDED_FOR="192.0.2.66, 203.0.113.1, 10.0.0.2"
    )
    assert client_address(request) == "203.0.113.1"


@pytest.mark.parametrize("header", ["", "not an address", "203.0.113.1, nonsense"])
def test_a_missing_or_malformed_header_never_yields_a_made_up_address(rf, settings, header):
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=header)
    assert client_address(request) in {"10.0.0.2", ""}


def test_ipv6_clients_are_held_by_their_64_network(rf):
    request = rf.get("/", REMOTE_ADDR="2001:db8:1:2:aaaa::1")
    assert client_network(request) == "2001:db8:1:2::/64"
    assert network_of("::ffff:192.0.2.1") == "192.0.2.1"
    assert network_of("192.0.2.1") == "192.0.2.1"
    assert network_of("") == ""


@pytest.mark.django_db
@pytest.mark.parametrize(("proxies", "other_network_status"), [(1, 201), (0, 429)])
def test_behind_a_proxy_guests_are_told_apart_only_when_the_setting_says_so(
    settings, alice, proxies, other_network_status
):
    """Guests all reach the site through the proxy at 10.0.0.2: with the setting, the flood
    limit counts the networks they come from; without it, it counts the proxy."""
    settings.TRUSTED_PROXY_COUNT = proxies
    Stream.objects.filter(user=alice).update(is_live=True)
    url = f"/api/stream/{alice.pk}/chat"

    def new_guest(network: str):
        guest = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=network)
        guest.get(f"/api/stream/token/{alice.pk}")
        return guest

    first = new_guest("203.0.113.1")
    for n in range(20):
        assert first.post(url, {"message": f"m{n}"}).status_code == 201
    assert new_guest("203.0.113.1").post(url, {"message": "x"}).status_code == 429
    assert new_guest("198.51.100.4").post(url, {"message": "x"}).status_code == (
        other_network_status
    )

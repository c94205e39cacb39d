"""The client's network address as the site sees it, in one place.

Behind a reverse proxy every request comes from the proxy, and the client's address is in
`X-Forwarded-For`, which each proxy extends with the address it received the request from.
Anyone can send that header, so it is read only when DJANGO_TRUSTED_PROXY_COUNT says how
many proxies of ours stand in front: the address the outermost of them saw is then the
client's, and whatever a client wrote further left is ignored. With no proxy configured
(the default) the header is ignored and the connection's address is used.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

# An IPv6 subscriber is usually given a whole /64 and can pick any address in it, so a
# limit or ban on one IPv6 address alone would be trivial to step around.
IPV6_PREFIX = 64


def client_address(request: HttpRequest) -> str:
    """The client's IP address ("" if none can be told)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    address = request.META.get("REMOTE_ADDR", "")
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    return _valid(address)


def client_network(request: HttpRequest) -> str:
    """What limits and bans hold on to: an IPv4 address, or an IPv6 /64 network."""
    return network_of(client_address(request))


def network_of(address: str) -> str:
    if not address:
        return ""
    ip = ipaddress.ip_address(address)
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is 192.0.2.1 on a dual-stack socket
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/{IPV6_PREFIX}", strict=False))


def _valid(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return ""

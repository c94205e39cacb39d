"""What the site counts as it happens, for Prometheus: chat messages, LiveKit webhooks and
LiveKit API calls. streamsite/metrics.py serves them at /metrics, with request figures and,
read at scrape time, the live streams and their viewers.

The metric objects only: this module imports nothing of the project, so any module may
count here (streams.livekit included)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

CHAT_MESSAGES = Counter(
    "streamsite_chat_messages",
    "Chat messages sent: result is accepted, or refused with the refusal's code.",
    ["result", "code"],
)
API_REFUSALS = Counter(
    "streamsite_api_refusals",
    "JSON API requests refused, by endpoint (URL name), method and code.",
    ["endpoint", "method", "code"],
)
WEBHOOKS = Counter(
    "streamsite_livekit_webhooks",
    "LiveKit webhooks received, by event and what was done with them.",
    ["event", "outcome"],
)
LIVEKIT_CALL_SECONDS = Histogram(
    "streamsite_livekit_call_duration_seconds",
    "LiveKit API calls (failed ones too), by what was asked.",
    ["call"],
)
LIVEKIT_CALL_ERRORS = Counter(
    "streamsite_livekit_call_errors",
    "LiveKit API calls that failed, by what was asked and why: a Twirp code, or unreachable.",
    ["call", "reason"],
)

# Event names LiveKit sends; any other name a signed event carries counts as "other", so a
# label never takes more values than these.
WEBHOOK_EVENTS = frozenset(
    {
        "room_started",
        "room_finished",
        "participant_joined",
        "participant_left",
        "participant_connection_aborted",
        "track_published",
        "track_unpublished",
        "ingress_started",
        "ingress_ended",
        "egress_started",
        "egress_updated",
        "egress_ended",
    }
)


def chat_accepted() -> None:
    CHAT_MESSAGES.labels("accepted", "").inc()


def api_refused(request, code: str) -> None:
    """A JSON API request refused with `code`; a chat message refused, when it was one."""
    match = request.resolver_match
    endpoint = match.url_name if match is not None and match.url_name else "unresolved"
    API_REFUSALS.labels(endpoint, request.method, code).inc()
    if endpoint == "api_chat" and request.method == "POST":
        CHAT_MESSAGES.labels("refused", code).inc()


def webhook_received(event: str, outcome: str) -> None:
    WEBHOOKS.labels(event if event in WEBHOOK_EVENTS else "other", outcome).inc()


def webhook_rejected(outcome: str) -> None:
    """A webhook refused before its event could be trusted (a bad signature, a bad body)."""
    WEBHOOKS.labels("unverified", outcome).inc()

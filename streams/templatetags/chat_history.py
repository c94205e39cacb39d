"""The chat history as the channel page first shows it: the same markup frontend/channel/chat.js
builds for a message that arrives live.

Built in Python rather than by a template loop: a page shows up to 50 messages, and the loop
was most of a guest channel page's time. format_html escapes every value it is given.
"""

from __future__ import annotations

from collections.abc import Callable

from django import template
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from streams.chat_markup import render, split_mentions

register = template.Library()

_BADGES = {
    "host": mark_safe('<span class="chat-badge chat-badge-host" title="Host">Host</span> '),
    "moderator": mark_safe(
        '<span class="chat-badge chat-badge-moderator" title="Moderator">Mod</span> '
    ),
}
_MESSAGE = (
    '<li class="chat-message" data-message-id="{}" data-user-id="{}" data-user-name="{}" '
    'data-badge="{}">{}<time class="chat-time" datetime="{}">{}</time> {}'
    '<span class="chat-name" style="color: {}">{}</span><span class="chat-colon">:</span> '
    '<span class="chat-text">{}</span></li>'
)


@register.simple_tag
def chat_messages(
    messages: list[dict], to_html: Callable[[str], SafeString] | None = None
) -> SafeString:
    """`<li>`s for chat.message_json dicts, oldest first; each text made HTML by `to_html`
    (streams.chat_markup.text_to_html: escaped, mentions marked, with what apps find in it,
    such as emotes), by default with its mentions marked only."""
    to_html = to_html or text_html
    return format_html_join(
        "\n",
        _MESSAGE,
        (
            (
                m["id"],
                m["user"]["id"],
                m["user"]["name"],
                m["user"]["badge"],
                reply_html(m.get("reply")),
                m["ts"],
                m["ts"][11:16],
                _BADGES.get(m["user"]["badge"], ""),
                m["user"]["color"],
                m["user"]["name"],
                to_html(m["text"]),
            )
            for m in messages
        ),
    )


_DELETED_PARENT = mark_safe(
    '<span class="chat-reply chat-reply-deleted">Replying to a deleted message</span>'
)


def reply_html(reply: dict | None) -> SafeString:
    """What a reply answers, above it (chat.reply_json); a button that scrolls to it."""
    if not reply:
        return mark_safe("")
    if reply["deleted"]:
        return _DELETED_PARENT
    return format_html(
        '<button type="button" class="chat-reply" data-reply-id="{}">'
        'Replying to <span class="chat-reply-name">@{}</span>: {}</button>',
        reply["id"],
        reply["name"],
        reply["text"],
    )


def text_html(text: str) -> SafeString:
    """A message's text with its @mentions marked; everything else escaped."""
    return render(text, [split_mentions])


def with_own_mentions(history: str, username: str | None) -> SafeString:
    """The (shared, cached) history HTML with the mentions of `username`, the viewer, made to
    stand out for them. `history` is HTML rendered by _chat_history.html, whose message text
    is escaped: only mention_html writes this markup."""
    if not username:
        return mark_safe(history)
    plain = f'class="chat-mention" data-mention="{escape(username.lower())}"'
    marked = plain.replace("chat-mention", "chat-mention chat-mention-me", 1)
    return mark_safe(history.replace(plain, marked))

"""The chat history as the channel page first shows it: the same markup frontend/channel/chat.js
builds for a message that arrives live.

Built in Python rather than by a template loop: a page shows up to 50 messages, and the loop
was most of a guest channel page's time. format_html escapes every value it is given.
"""

from __future__ import annotations

from collections.abc import Callable

from django import template
from django.utils.html import conditional_escape, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_BADGES = {
    "host": mark_safe('<span class="chat-badge chat-badge-host" title="Host">Host</span> '),
    "moderator": mark_safe(
        '<span class="chat-badge chat-badge-moderator" title="Moderator">Mod</span> '
    ),
}
_MESSAGE = (
    '<li class="chat-message" data-message-id="{}" data-user-id="{}" data-user-name="{}" '
    'data-badge="{}"><time class="chat-time" datetime="{}">{}</time> {}'
    '<span class="chat-name" style="color: {}">{}</span><span class="chat-colon">:</span> '
    '<span class="chat-text">{}</span></li>'
)


@register.simple_tag
def chat_messages(
    messages: list[dict], text_html: Callable[[str], SafeString] = conditional_escape
) -> SafeString:
    """`<li>`s for chat.message_json dicts, oldest first; each text made HTML by `text_html`
    (streams.chat_markup.text_to_html: escaped, with what apps find in it, such as emotes)."""
    text_html = text_html or conditional_escape
    return format_html_join(
        "\n",
        _MESSAGE,
        (
            (
                m["id"],
                m["user"]["id"],
                m["user"]["name"],
                m["user"]["badge"],
                m["ts"],
                m["ts"][11:16],
                _BADGES.get(m["user"]["badge"], ""),
                m["user"]["color"],
                m["user"]["name"],
                text_html(m["text"]),
            )
            for m in messages
        ),
    )

"""How a chat message's text becomes HTML on the server (the history the channel page first
shows): the text escaped, its @mentions marked, and what the apps built on streams find in it
turned into markup.

Extension point for those apps, which streams never imports: they add to TEXT_SPLITTERS from
their AppConfig.ready() (the emotes app turns emote codes into images).
- TEXT_SPLITTERS: functions of a Stream returning either None (nothing to find in that
  channel's chat) or a function that splits a piece of plain text into a list of pieces:
  `str` pieces are plain text (escaped at the end, and offered to the next splitter),
  `SafeString` pieces are markup the splitter built (with format_html) and kept as they are.
  A splitter must never put the message's own text into markup unescaped.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from streams.chat import MENTION

Splitter = Callable[[str], list[str]]
TEXT_SPLITTERS: list[Callable[[object], Splitter | None]] = []


def mention_html(name: str) -> SafeString:
    """The same markup as frontend/channel/mentions.js builds for a live message."""
    return format_html(
        '<span class="chat-mention" data-mention="{}">@{}</span>', name.lower(), name
    )


def split_mentions(text: str) -> list[str]:
    """The splitter of streams' own: @mentions marked."""
    pieces: list[str] = []
    start = 0
    for match in MENTION.finditer(text):
        pieces += [text[start : match.start()], mention_html(match[1])]
        start = match.end()
    pieces.append(text[start:])
    return pieces


def render(text: str, splitters: list[Splitter]) -> SafeString:
    """`text` made safe HTML by `splitters`, in turn, over what the ones before left plain."""
    pieces: list[str] = [text]
    for split in splitters:
        pieces = [
            out
            for piece in pieces
            for out in ([piece] if isinstance(piece, SafeString) else split(piece))
        ]
    return mark_safe("".join(conditional_escape(piece) for piece in pieces))


def text_to_html(stream) -> Callable[[str], SafeString]:
    """A function turning one of `stream`'s messages into safe HTML: its mentions, then what
    the apps' splitters find; those are asked once per stream, not once per message."""
    splitters = [split_mentions]
    splitters += [split for make in TEXT_SPLITTERS if (split := make(stream)) is not None]

    def to_html(text: str) -> SafeString:
        return render(text, splitters)

    to_html.do_not_call_in_templates = True  # passed to the chat_messages tag as it is
    return to_html

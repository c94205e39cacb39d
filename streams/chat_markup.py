"""How a chat message's text becomes HTML on the server (the history the channel page first
shows): the text escaped, with what the apps built on streams find in it turned into markup.

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

from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

Splitter = Callable[[str], list[str]]
TEXT_SPLITTERS: list[Callable[[object], Splitter | None]] = []


def text_to_html(stream) -> Callable[[str], SafeString]:
    """A function turning one of `stream`'s messages into safe HTML; splitters are asked
    once per stream, not once per message."""
    splitters = [split for make in TEXT_SPLITTERS if (split := make(stream)) is not None]

    def render(text: str) -> SafeString:
        pieces: list[str] = [text]
        for split in splitters:
            pieces = [
                out
                for piece in pieces
                for out in ([piece] if isinstance(piece, SafeString) else split(piece))
            ]
        return mark_safe("".join(conditional_escape(piece) for piece in pieces))

    render.do_not_call_in_templates = True  # passed to the chat_messages tag as it is
    return render

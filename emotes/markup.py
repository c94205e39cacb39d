"""Emote codes in a message turned into images, on the server (the chat history) as
frontend/channel/emotes.js does in the browser: a code counts only as a whole word (between
spaces), and the image's text alternative is the code. The message's text is never markup:
what is not an emote stays a plain string, escaped by streams.chat_markup."""

from __future__ import annotations

import re

from django.utils.html import format_html
from django.utils.safestring import SafeString

_WORDS = re.compile(r"(\s+)")


def image_html(code: str, emote: dict) -> SafeString:
    return format_html(
        '<img class="emote" src="{}" srcset="{} 2x" alt="{}" title="{}" height="28">',
        emote["url"],
        emote["url2x"],
        code,
        code,
    )


def splitter(emotes: dict[str, dict]):
    """A streams.chat_markup splitter for these emotes (selectors.emotes_for)."""
    images: dict[str, SafeString] = {}

    def split(text: str) -> list[str]:
        pieces: list[str] = []
        for word in _WORDS.split(text):
            emote = emotes.get(word)
            if emote is None:
                if pieces and not isinstance(pieces[-1], SafeString):
                    pieces[-1] += word
                else:
                    pieces.append(word)
            else:
                if word not in images:
                    images[word] = image_html(word, emote)
                pieces.append(images[word])
        return pieces

    return split

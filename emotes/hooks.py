"""How emotes show in streams' pages without streams importing this app: the chat history
(streams.chat_markup.TEXT_SPLITTERS) and the channel page's data for its script
(streams.views.CHANNEL_PAGE_DATA: {"emotes": {code: {url, url2x}}})."""

from __future__ import annotations

from emotes import markup, selectors
from streams import chat_markup, views


def history_splitter(stream):
    emotes = selectors.emotes_for(stream.user_id)
    return markup.splitter(emotes) if emotes else None


def page_data(stream) -> dict:
    return {"emotes": selectors.emotes_for(stream.user_id)}


def install() -> None:
    """Add emotes to streams' hooks, once (AppConfig.ready() may run again)."""
    if history_splitter in chat_markup.TEXT_SPLITTERS:
        return
    chat_markup.TEXT_SPLITTERS.append(history_splitter)
    views.CHANNEL_PAGE_DATA.append(page_data)

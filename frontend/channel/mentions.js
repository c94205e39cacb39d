// @mentions: marked in a live message's text (the same markup the server writes for the
// history, streams/templatetags/chat_history.py). Completing them while typing "@" in the
// chat box is mention-completer.js, loaded when the box is first focused.

import { el } from "./dom.js";

// A site username (3-30 letters, digits, _ and -) after "@", not inside a word or an address.
const MENTION = /(?<![A-Za-z0-9_@-])@([A-Za-z0-9_-]{3,30})(?![A-Za-z0-9_-])/g;

/** Wrap the mentions in `node`'s text nodes in spans; text is never parsed as HTML. A mention
 * of `me` (the viewer's username, lower case) gets chat-mention-me. Returns `node`. */
export function markMentions(node, me) {
  for (const text of [...node.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE)) {
    const value = text.data;
    const parts = [];
    let start = 0;
    for (const match of value.matchAll(MENTION)) {
      const name = match[1].toLowerCase();
      const span = el("span", `chat-mention${name === me ? " chat-mention-me" : ""}`, match[0]);
      span.dataset.mention = name;
      parts.push(value.slice(start, match.index), span);
      start = match.index + match[0].length;
    }
    if (parts.length) text.replaceWith(...parts, value.slice(start));
  }
  return node;
}

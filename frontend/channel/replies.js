// Replies: the line above a reply saying what it answers (the same markup the server writes
// for the history, streams/templatetags/chat_history.py), a Reply button on each message,
// and the message being answered shown above the chat box until sent or cancelled (reply-bar.js,
// loaded on the first Reply).

import { el, loader, qs, qsa } from "./dom.js";

const HIGHLIGHT_MS = 2000;

function deletedLine() {
  return el("span", "chat-reply chat-reply-deleted", "Replying to a deleted message");
}

/** What a reply answers (message_json's `reply`), or null for a message that answers none. */
export function replyLine(reply) {
  if (!reply || typeof reply !== "object") return null;
  if (reply.deleted) return deletedLine();
  const line = el("button", "chat-reply");
  line.type = "button";
  line.dataset.replyId = String(reply.id);
  line.append("Replying to ", el("span", "chat-reply-name", `@${reply.name}`), `: ${reply.text}`);
  return line;
}

export function createReplies(list, form, input) {
  let bar = null; // the message being answered, above the chat box (reply-bar.js)
  const loadBar = loader(() =>
    import("./reply-bar.js").then((m) => (bar = m.createReplyBar(form, input))),
  );

  /** Scroll to the answered message, if the list still has it, and light it up briefly. */
  function jump(id) {
    const item = qs(`[data-message-id="${CSS.escape(String(id))}"]`, list);
    if (!item) return;
    item.scrollIntoView({ block: "center", behavior: "smooth" });
    item.classList.add("chat-highlight");
    setTimeout(() => item.classList.remove("chat-highlight"), HIGHLIGHT_MS);
  }

  list.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (button?.matches(".chat-reply")) jump(button.dataset.replyId);
    else if (button?.dataset.replyTo !== undefined) {
      const item = button.closest(".chat-message");
      loadBar().then((loaded) => loaded.answer(item));
    }
  });

  return {
    /** The Reply button of a message (none in the read-only chat embed). */
    decorate(item) {
      if (!form || qs(".msg-reply", item)) return;
      const button = el("button", "msg-action msg-reply", "Reply");
      button.type = "button";
      button.dataset.replyTo = "";
      button.setAttribute("aria-label", `Reply to ${item.dataset.userName}`);
      item.append(" ", button);
    },
    /** The id to post as `reply_to`, or null. */
    target: () => bar?.target() ?? null,
    clear: () => bar?.clear(),
    /** Message `id` was deleted: replies to it say so, and it can no longer be answered. */
    deleted(id) {
      for (const line of qsa(`.chat-reply[data-reply-id="${CSS.escape(String(id))}"]`, list)) {
        line.replaceWith(deletedLine());
      }
      if (bar?.target() === String(id)) bar.clear();
    },
  };
}

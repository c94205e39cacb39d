// Replies: the line above a reply saying what it answers (the same markup the server writes
// for the history, streams/templatetags/chat_history.py), a Reply button on each message,
// and the message being answered shown above the chat box until sent or cancelled.

import { el, qs, qsa } from "./dom.js";

const PREVIEW = 60; // characters of the answered message shown (streams.chat.shortened)
const HIGHLIGHT_MS = 2000;

const shortened = (text) => (text.length <= PREVIEW ? text : `${text.slice(0, PREVIEW - 1).trimEnd()}…`);

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
  let target = null; // the id of the message being answered
  const bar = el("div", "chat-reply-target");
  const label = el("span", "chat-reply-target-text");
  const cancel = el("button", "chat-reply-cancel", "×");
  cancel.type = "button";
  cancel.setAttribute("aria-label", "Cancel the reply");
  bar.append(label, cancel);
  bar.hidden = true;
  if (form) form.insertBefore(bar, qs(".chat-input-row", form));

  const itemOf = (id) => qs(`[data-message-id="${CSS.escape(String(id))}"]`, list);

  function clear() {
    target = null;
    bar.hidden = true;
  }

  function answer(item) {
    target = item.dataset.messageId;
    const text = qs(".chat-text", item)?.textContent || "";
    label.textContent = `Replying to @${item.dataset.userName}: ${shortened(text)}`;
    bar.hidden = false;
    input.focus();
  }

  /** Scroll to the answered message, if the list still has it, and light it up briefly. */
  function jump(id) {
    const item = itemOf(id);
    if (!item) return;
    item.scrollIntoView({ block: "center", behavior: "smooth" });
    item.classList.add("chat-highlight");
    setTimeout(() => item.classList.remove("chat-highlight"), HIGHLIGHT_MS);
  }

  cancel.addEventListener("click", () => {
    clear();
    input.focus();
  });
  input?.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && target && !event.defaultPrevented) clear();
  });
  list.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (button?.matches(".chat-reply")) jump(button.dataset.replyId);
    else if (button?.dataset.replyTo !== undefined) answer(button.closest(".chat-message"));
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
    target: () => target,
    clear,
    /** Message `id` was deleted: replies to it say so, and it can no longer be answered. */
    deleted(id) {
      for (const line of qsa(`.chat-reply[data-reply-id="${CSS.escape(String(id))}"]`, list)) {
        line.replaceWith(deletedLine());
      }
      if (target === String(id)) clear();
    },
  };
}

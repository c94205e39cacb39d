// The message being answered, shown above the chat box until sent or cancelled; loaded by
// replies.js on the first Reply.

import { el, qs } from "./dom.js";

const PREVIEW = 60; // characters of the answered message shown (streams.chat.shortened)

const shortened = (text) => (text.length <= PREVIEW ? text : `${text.slice(0, PREVIEW - 1).trimEnd()}…`);

export function createReplyBar(form, input) {
  let target = null; // the id of the message being answered
  const bar = el("div", "chat-reply-target");
  const label = el("span", "chat-reply-target-text");
  const cancel = el("button", "chat-reply-cancel", "×");
  cancel.type = "button";
  cancel.setAttribute("aria-label", "Cancel the reply");
  bar.append(label, cancel);
  bar.hidden = true;
  form.insertBefore(bar, qs(".chat-input-row", form));

  function clear() {
    target = null;
    bar.hidden = true;
  }

  cancel.addEventListener("click", () => {
    clear();
    input.focus();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && target && !event.defaultPrevented) clear();
  });

  return {
    /** Answer the message `item`. */
    answer(item) {
      target = item.dataset.messageId;
      const text = qs(".chat-text", item)?.textContent || "";
      label.textContent = `Replying to @${item.dataset.userName}: ${shortened(text)}`;
      bar.hidden = false;
      input.focus();
    },
    target: () => target,
    clear,
  };
}

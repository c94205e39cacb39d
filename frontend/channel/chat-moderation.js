// The host's and moderators' buttons on a chat message (delete, time out for a choice of
// durations, ban) and what pressing them does; chat.js loads this for them only.

import { el, shortDuration } from "./dom.js";

export function createModerationTools(list, page, moderation, { remove, showError }) {
  const timeouts = Object.keys(page.timeouts || {}).map(Number);

  function markBanned(button) {
    button.textContent = "Banned";
    button.disabled = true;
  }

  /** The buttons acting on `person`, the author of the message `item`. */
  function decorate(item, person) {
    const name = item.dataset.userName || "";
    const actions = el("span", "msg-actions");
    const button = (text, label, data) => {
      const node = el("button", "msg-action", text);
      node.type = "button";
      node.setAttribute("aria-label", label);
      Object.assign(node.dataset, data);
      return node;
    };
    actions.append(
      button("Delete", `Delete message from ${name}`, { deleteMessage: item.dataset.messageId }),
      button("Timeout", `Time out ${name}`, { timeoutOpen: person }),
    );
    const choices = el("span", "msg-timeouts");
    choices.hidden = true;
    for (const seconds of timeouts) {
      const label = shortDuration(seconds);
      choices.append(
        button(label, `Time out ${name} for ${page.timeouts[seconds]}`, {
          timeoutPerson: person,
          timeoutSeconds: String(seconds),
        }),
      );
    }
    const ban = button("Ban", `Ban ${name}`, { banPerson: person, banName: name });
    if (moderation.isBanned(person)) markBanned(ban);
    actions.append(choices, ban);
    item.append(" ", actions);
  }

  list.addEventListener("click", async (event) => {
    const button = event.target.closest("button");
    if (!button || button.disabled) return;
    const data = button.dataset;
    if (data.timeoutOpen) {
      const choices = button.parentElement.querySelector(".msg-timeouts");
      choices.hidden = !choices.hidden;
      return;
    }
    let result;
    button.disabled = true;
    if (data.deleteMessage) {
      result = await moderation.deleteMessage(data.deleteMessage);
      if (result.ok) remove(data.deleteMessage);
    } else if (data.timeoutPerson) {
      // Closed at once: the answer must not close them again if they were reopened meanwhile.
      const choices = button.parentElement;
      choices.hidden = true;
      result = await moderation.timeout(data.timeoutPerson, Number(data.timeoutSeconds));
      if (!result.ok) choices.hidden = false;
    } else if (data.banPerson) {
      result = await moderation.ban(data.banPerson, data.banName);
      if (!result) {
        button.disabled = false; // not confirmed
        return;
      }
    } else {
      button.disabled = false;
      return;
    }
    if (!result.ok || data.timeoutPerson) button.disabled = false;
    showError(result.error);
  });

  return { decorate };
}

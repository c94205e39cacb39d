// The chat: messages (server-rendered history, then live over the room's data channel),
// the input with the stream's rules, slow mode, and the host's delete/block buttons.
// The server enforces every rule; the page only explains them and avoids pointless posts.

import { detailOf, el, fullTime, localTime, qs, qsa, request } from "./dom.js";

// A long session would otherwise grow the list without bound.
const MAX_MESSAGES = 300;
// How close to the bottom still counts as "reading the latest" (sub-pixel rounding, padding).
const STICKY_PX = 40;

function isMessage(m) {
  return (
    (typeof m.id === "number" || typeof m.id === "string") &&
    typeof m.text === "string" &&
    typeof m.ts === "string" &&
    m.user !== null &&
    typeof m.user === "object" &&
    typeof m.user.id === "string" &&
    typeof m.user.name === "string"
  );
}

/** The same markup as templates/streams/_chat_column.html renders for the history. */
function messageItem(message) {
  const item = el("li", "chat-message");
  item.dataset.messageId = String(message.id);
  item.dataset.userId = message.user.id;
  item.dataset.userName = message.user.name;
  const time = el("time", "chat-time");
  time.dateTime = message.ts;
  const name = el("span", "chat-name", message.user.name);
  if (typeof message.user.color === "string") name.style.color = message.user.color;
  item.append(time, " ", name, el("span", "chat-colon", ":"), " ");
  item.append(el("span", "chat-text", message.text));
  return item;
}

const idOf = (item) => Number(item.dataset.messageId);

export function createChat(root, page, moderation, hooks) {
  const list = qs("[data-chat-messages]", root);
  const empty = qs("[data-chat-empty]", root);
  const form = qs("[data-chat-form]", root);
  const input = qs("#chat-input", root);
  const send = qs("[data-chat-send]", root);
  const banner = qs("[data-chat-banner]", root);
  const countdown = qs("[data-chat-countdown]", root);
  const error = qs("[data-chat-error]", root);
  const isHost = page.viewer.role === "host";
  const settings = { ...page.chat };
  const deleted = new Set(); // ids deleted already: a late copy must not bring them back
  let excluded = ""; // set when the host removed or blocked this viewer
  let sending = false;
  let cooldownEnd = 0;
  let cooldownTimer = 0;
  let refocus = false;

  input.maxLength = page.max_length;

  const more = el("button", "btn btn-ghost chat-more", "New messages below");
  more.type = "button";
  more.hidden = true;
  list.after(more);
  more.addEventListener("click", () => scrollToEnd());

  // ------------------------------------------------------------------ rendering

  function atBottom() {
    return list.scrollHeight - list.scrollTop - list.clientHeight < STICKY_PX;
  }

  function scrollToEnd() {
    list.scrollTop = list.scrollHeight;
    more.hidden = true;
  }

  function decorate(item) {
    const time = qs(".chat-time", item);
    if (time) {
      const iso = time.getAttribute("datetime");
      time.textContent = localTime(iso) || time.textContent;
      time.title = fullTime(iso);
    }
    if (!isHost) return;
    const userId = item.dataset.userId || "";
    const name = item.dataset.userName || "";
    if (userId === page.viewer.id) return; // the host's own messages
    const remove = el("button", "msg-action", "Delete");
    remove.type = "button";
    remove.dataset.deleteMessage = item.dataset.messageId;
    remove.setAttribute("aria-label", `Delete message from ${name}`);
    item.append(" ", remove);
    if (userId && !userId.startsWith("guest-") && userId !== page.host.id) {
      const block = el("button", "msg-action");
      block.type = "button";
      block.dataset.blockUser = userId;
      block.setAttribute("aria-label", `Block ${name}`);
      markBlocked(block, moderation.isBlocked(userId));
      item.append(block);
    }
  }

  function markBlocked(button, blocked) {
    button.textContent = blocked ? "Blocked" : "Block";
    button.disabled = blocked;
  }

  function updateEmpty() {
    empty.hidden = list.children.length > 0;
  }

  function add(message, { own = false } = {}) {
    if (!isMessage(message)) return;
    const id = Number(message.id);
    if (deleted.has(id) || qs(`[data-message-id="${CSS.escape(String(message.id))}"]`, list)) {
      return;
    }
    const stick = own || atBottom();
    const item = messageItem(message);
    decorate(item);
    // Ids grow with time; the POST answer and the broadcast may arrive in either order.
    let before = null;
    for (let node = list.lastElementChild; node && idOf(node) > id; node = node.previousElementSibling) {
      before = node;
    }
    list.insertBefore(item, before);
    if (stick) {
      while (list.children.length > MAX_MESSAGES) list.firstElementChild.remove();
      scrollToEnd();
    } else {
      more.hidden = false; // the reader scrolled up: do not yank the list away from them
    }
    updateEmpty();
  }

  function remove(id) {
    deleted.add(Number(id));
    const item = qs(`[data-message-id="${CSS.escape(String(id))}"]`, list);
    if (item) item.remove();
    updateEmpty();
  }

  list.addEventListener("scroll", () => {
    if (atBottom()) more.hidden = true;
  });

  // ------------------------------------------------------------------ rules and input

  function showError(text) {
    error.textContent = text;
    error.hidden = !text;
  }

  function renderRules() {
    let notice = "";
    let allowed = true;
    if (excluded) {
      notice = excluded;
      allowed = false;
    } else if (!settings.is_chat_enabled || !settings.is_live) {
      notice = "Chat is disabled";
      allowed = false;
    } else {
      const modes = [];
      if (settings.is_chat_followers_only) {
        modes.push("Followers only");
        if (!isHost && !page.viewer.is_following) allowed = false;
      }
      if (settings.is_chat_delayed) modes.push("Slow mode");
      notice = modes.join(" · ");
    }
    banner.textContent = notice;
    banner.hidden = !notice;
    const usable = allowed && cooldownEnd === 0;
    input.disabled = !usable;
    send.disabled = !usable;
    if (usable && refocus) {
      refocus = false;
      if (!document.activeElement || document.activeElement === document.body) input.focus();
    }
  }

  function tick() {
    clearTimeout(cooldownTimer);
    const left = Math.ceil((cooldownEnd - Date.now()) / 1000);
    if (left <= 0) {
      cooldownEnd = 0;
      countdown.hidden = true;
      renderRules();
      return;
    }
    countdown.textContent = `Slow mode: ${left}s`;
    countdown.hidden = false;
    renderRules();
    // Wake exactly when the shown number should drop.
    cooldownTimer = setTimeout(tick, cooldownEnd - Date.now() - (left - 1) * 1000);
  }

  function startCooldown(seconds) {
    // Disabling the focused input drops focus; give it back when typing is possible again.
    refocus = refocus || document.activeElement === input;
    cooldownEnd = Date.now() + seconds * 1000;
    tick();
  }

  function stopCooldown() {
    clearTimeout(cooldownTimer);
    cooldownEnd = 0;
    countdown.hidden = true;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (sending || input.disabled) return;
    if (!text) {
      showError("Type a message first.");
      return;
    }
    sending = true;
    let result;
    try {
      result = await request(page.urls.chat, { method: "POST", body: { message: text } });
    } catch {
      showError("Could not send the message: check your connection.");
      return;
    } finally {
      sending = false;
    }
    if (result.status === 201) {
      showError("");
      // Keep whatever was typed while the message was on its way.
      if (input.value.trim() === text) input.value = "";
      add(result.data, { own: true });
      if (settings.is_chat_delayed && !isHost) startCooldown(page.slow_mode_seconds);
      return;
    }
    showError(detailOf(result, "Could not send the message."));
    if (result.status === 429) {
      const wait = Number.parseInt(result.headers.get("Retry-After") || "", 10);
      startCooldown(wait > 0 ? wait : page.slow_mode_seconds);
    } else if (result.status === 403) {
      hooks.onStale(); // the rules changed under us (went offline, followers only, ...)
    }
  });

  // ------------------------------------------------------------------ host moderation

  list.addEventListener("click", async (event) => {
    const button = event.target.closest("button");
    if (!button || button.disabled) return;
    if (button.dataset.deleteMessage) {
      button.disabled = true;
      const result = await moderation.deleteMessage(button.dataset.deleteMessage);
      if (result.ok) remove(button.dataset.deleteMessage);
      else {
        button.disabled = false;
        showError(result.error);
      }
    } else if (button.dataset.blockUser) {
      button.disabled = true;
      const result = await moderation.block(button.dataset.blockUser);
      if (!result.ok) {
        button.disabled = false;
        showError(result.error);
      }
    }
  });

  moderation.onBlocked((userId) => {
    for (const button of qsa("button[data-block-user]", list)) {
      if (button.dataset.blockUser === userId) markBlocked(button, true);
    }
  });

  // ------------------------------------------------------------------ start

  for (const item of qsa(".chat-message", list)) decorate(item);
  updateEmpty();
  renderRules();
  scrollToEnd();

  /** New rules: a settings broadcast or a fresh stream info. */
  function applySettings(next) {
    for (const key of Object.keys(settings)) {
      if (typeof next[key] === "boolean") settings[key] = next[key];
    }
    if (!settings.is_chat_delayed && cooldownEnd) stopCooldown();
    renderRules();
  }

  return {
    applySettings,

    /** A message from the server over the room's data channel. */
    receive(message) {
      if (message.type === "message") add(message);
      else if (message.type === "delete" && message.id !== undefined) remove(message.id);
      else if (message.type === "settings") applySettings(message);
    },

    /** Catch up with what was said or deleted while the room connection was down. */
    async sync() {
      let result;
      try {
        result = await request(page.urls.chat);
      } catch {
        return;
      }
      const messages = result.ok && Array.isArray(result.data.messages) ? result.data.messages : null;
      if (!messages) return;
      const ids = new Set(messages.filter(isMessage).map((m) => Number(m.id)));
      if (ids.size > 0) {
        // Deleted while we were away; only within the span the answer covers, as newer
        // messages may already have arrived live.
        const low = Math.min(...ids);
        const high = Math.max(...ids);
        for (const item of qsa(".chat-message", list)) {
          const id = idOf(item);
          if (id >= low && id <= high && !ids.has(id)) item.remove();
        }
      }
      for (const message of messages) add(message);
      updateEmpty();
    },

    /** The host removed or blocked this viewer: say so instead of offering a dead input. */
    exclude(text) {
      excluded = text;
      stopCooldown();
      renderRules();
    },
  };
}

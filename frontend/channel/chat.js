// The chat: messages (server-rendered history, then live over the room's data channel),
// the input with the stream's rules, the time left in slow mode or a timeout, badges, and
// the delete/timeout/ban buttons of the host and moderators (chat-moderation.js, loaded for
// them only).
// The server enforces every rule; the page only explains them and avoids pointless posts.

import { emoteNodes } from "./emotes.js";
import { EVENT } from "./events.js";
import {
  detailOf,
  el,
  fullTime,
  localMoment,
  localTime,
  loader,
  qs,
  qsa,
  request,
  shortDuration,
} from "./dom.js";
import { markMentions } from "./mentions.js";
import { createReplies, replyLine } from "./replies.js";

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

const BADGES = { host: "Host", moderator: "Mod" };

/** "42s", "9:59" or "23:59:59": the time left, as a countdown shows it. */
function clock(seconds) {
  if (seconds < 60) return `${seconds}s`;
  const pad = (n) => String(n).padStart(2, "0");
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

function spelled(minutes) {
  const units = [[43200, "month"], [10080, "week"], [1440, "day"], [60, "hour"], [1, "minute"]];
  for (const [size, unit] of units) {
    if (minutes % size === 0) {
      const n = minutes / size;
      return `${n} ${unit}${n === 1 ? "" : "s"}`;
    }
  }
  return `${minutes} minutes`;
}

/** The same markup as templates/streams/_chat_history.html renders for the history, with
 * the channel's `emotes`; mentions of `me` (the viewer's username, lower case) stand out. */
function messageItem(message, emotes, me) {
  const item = el("li", "chat-message");
  item.dataset.messageId = String(message.id);
  item.dataset.userId = message.user.id;
  item.dataset.userName = message.user.name;
  // "notice": a line the site wrote (a raid arriving), styled apart, as the history's is.
  if (typeof message.user.badge === "string") item.dataset.badge = message.user.badge;
  const reply = replyLine(message.reply);
  if (reply) item.append(reply);
  const time = el("time", "chat-time");
  time.dateTime = message.ts;
  const name = el("span", "chat-name", message.user.name);
  if (typeof message.user.color === "string") name.style.color = message.user.color;
  item.append(time, " ");
  const badge = BADGES[message.user.badge];
  if (badge) item.append(el("span", `chat-badge chat-badge-${message.user.badge}`, badge), " ");
  item.append(name, el("span", "chat-colon", ":"), " ");
  const text = el("span", "chat-text");
  text.append(...emoteNodes(message.text, emotes));
  item.append(markMentions(text, me));
  return item;
}

const idOf = (item) => Number(item.dataset.messageId);

// A shared cache counts whole seconds (nginx keeps a copy up to a second longer than s-maxage).
const SHARED_MARGIN_SECONDS = 1.2;

/** How long a shared cache may have kept this answer: its `public, s-maxage=N`'s N, else 0. */
function sharedFor(headers) {
  const control = (headers && headers.get("Cache-Control")) || "";
  const maxAge = /(?:^|[\s,])s-maxage=(\d+)/i.exec(control);
  return /(?:^|[\s,])public(?:[\s,]|$)/i.test(control) && maxAge ? Number(maxAge[1]) : 0;
}

export function createChat(root, page, moderation, hooks) {
  const list = qs("[data-chat-messages]", root);
  const empty = qs("[data-chat-empty]", root);
  const form = qs("[data-chat-form]", root);
  const input = qs("#chat-input", root);
  const send = qs("[data-chat-send]", root);
  const banner = qs("[data-chat-banner]", root);
  const countdown = qs("[data-chat-countdown]", root);
  const error = qs("[data-chat-error]", root);
  const settings = { ...page.chat };
  const deleted = new Set(); // ids deleted already: a late copy must not bring them back
  let excluded = ""; // set when the host removed or blocked this viewer
  let sending = false;
  let cooldownEnd = 0;
  let cooldownLabel = "";
  let cooldownTimer = 0;
  let refocus = false;
  const me = (page.viewer.username || "").toLowerCase();
  let roomNames = []; // the people in the room (people.js), for "@" completion
  // Completion offers recent chatters first, then the rest of the room.
  const chatters = () => qsa("[data-user-name]", list).reverse().map((item) => item.dataset.userName);
  const mentionNames = () =>
    [...new Set([...chatters(), ...roomNames])].filter((name) => name.toLowerCase() !== me);
  // "@" completion loads when the box is first focused, and then completes what was typed.
  const completer = loader(async () => {
    if (!input) return null;
    const m = await import("./mention-completer.js");
    return m.createMentionCompleter(input, mentionNames);
  });
  input?.addEventListener(
    "focus",
    () =>
      completer().then((mentions) => {
        if (document.activeElement === input) mentions.complete();
      }),
    { once: true },
  );
  const replies = createReplies(list, form, input);

  // The host's and moderators' buttons on each message (chat-moderation.js), loaded for them
  // only, when the first message they may act on is shown.
  let tools = null;
  const loadTools = loader(() =>
    import("./chat-moderation.js").then((m) => {
      tools = m.createModerationTools(list, page, moderation, { remove, showError });
      redecorate();
    }),
  );

  // The chat embed shows a guest no form (they sign in on the site): a read-only chat.
  if (input) input.maxLength = page.max_length;

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
    const nameNode = qs(".chat-name", item);
    if (nameNode) {
      // Opens the chatter's card (card.js).
      nameNode.tabIndex = 0;
      nameNode.setAttribute("role", "button");
      nameNode.setAttribute("aria-haspopup", "dialog");
    }
    replies.decorate(item);
    for (const old of qsa(".msg-actions", item)) old.remove();
    const person = item.dataset.userId || "";
    if (!moderation.canModerate() || !moderation.mayActOn(person)) return;
    if (tools) tools.decorate(item, person);
    else loadTools(); // then every message is decorated again
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
    const item = messageItem(message, page.emotes || {}, me);
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
    replies.deleted(id);
    updateEmpty();
  }

  list.addEventListener("scroll", () => {
    if (atBottom()) more.hidden = true;
  });

  // ------------------------------------------------------------------ rules and input

  function showError(text) {
    if (!error) return;
    error.textContent = text;
    error.hidden = !text;
  }

  // One line says why the box cannot be used, or which rules apply while it can.
  function renderRules() {
    if (!form) return;
    let notice = "";
    let allowed = false;
    const exempt = moderation.isExempt();
    const host = page.host.username;
    const minutes = settings.followers_only_minutes;
    const followersOnly = typeof minutes === "number";
    if (excluded) notice = excluded;
    else if (!settings.is_live) notice = `${host} is offline. Chat opens when the stream starts.`;
    else if (!settings.is_chat_enabled) notice = "The host turned chat off.";
    else if (settings.is_chat_signed_in_only && page.viewer.role === "guest") {
      notice = "Only signed-in viewers can chat here. Log in to chat.";
    } else if (followersOnly && !exempt && !page.viewer.is_following) {
      const since = minutes > 0 ? ` for at least ${spelled(minutes)}` : "";
      notice = `Only followers of ${host}${since} can chat. Follow to chat.`;
    } else {
      allowed = true;
      const modes = [];
      if (settings.is_chat_signed_in_only) modes.push("Signed-in only");
      if (followersOnly) {
        modes.push(minutes > 0 ? `Followers only (${shortDuration(minutes * 60)})` : "Followers only");
      }
      if (settings.slow_mode_seconds > 0) modes.push(`Slow mode (${settings.slow_mode_seconds}s)`);
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
      stopCooldown();
      renderRules();
      return;
    }
    countdown.textContent = `${cooldownLabel}: ${clock(left)}`;
    countdown.hidden = false;
    renderRules();
    // Wake exactly when the shown number should drop.
    cooldownTimer = setTimeout(tick, cooldownEnd - Date.now() - (left - 1) * 1000);
  }

  /** No messages for `seconds` (slow mode, a timeout, the flood limit): say why and count
   * down. A longer wait already running is kept, unless `replace`: a new timeout replaces
   * the last one, shorter or not. */
  function startCooldown(seconds, label, { replace = false } = {}) {
    if (!form) return;
    const end = Date.now() + seconds * 1000;
    if (end <= cooldownEnd && !(replace && cooldownLabel === label)) return;
    // Disabling the focused input drops focus; give it back when typing is possible again.
    refocus = refocus || document.activeElement === input;
    cooldownEnd = end;
    cooldownLabel = label;
    tick();
  }

  function stopCooldown() {
    clearTimeout(cooldownTimer);
    cooldownEnd = 0;
    if (countdown) countdown.hidden = true;
  }

  function retryAfter(result, fallback) {
    const wait = Number.parseInt(result.headers.get("Retry-After") || "", 10);
    return wait > 0 ? wait : fallback;
  }

  form?.addEventListener("submit", async (event) => {
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
      const body = { message: text, reply_to: replies.target() };
      result = await request(page.urls.chat, { method: "POST", body });
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
      replies.clear();
      add(result.data, { own: true });
      const slow = settings.slow_mode_seconds;
      if (slow > 0 && !moderation.isExempt()) startCooldown(slow, "Slow mode");
      return;
    }
    const code = result.data.code;
    // A refusal that says when (a timeout's end, when a new follower may chat) says it in
    // UTC; the reader's own clock reads better.
    const until = localMoment(result.data.until);
    let detail = detailOf(result, "Could not send the message.");
    if (until && code === "timed_out") detail = `You are timed out until ${until}.`;
    else if (until) detail = `${detail.replace(/\.$/, "")} (at ${until}).`;
    showError(detail);
    if (code === "bad_reply") replies.clear(); // its message was deleted meanwhile
    if (result.status === 429) {
      const label = code === "rate_limited" ? "Too many messages" : "Slow mode";
      startCooldown(retryAfter(result, settings.slow_mode_seconds || 1), label);
    } else if (code === "timed_out") {
      startCooldown(retryAfter(result, 60), "Timed out", { replace: true });
    } else if (code === "banned") {
      showError(""); // the banner says it, once
      excluded = detail;
      stopCooldown();
      renderRules();
    } else if (result.status === 403 && code !== "followers_only") {
      hooks.onStale(); // the rules changed under us (went offline, chat disabled, ...)
    }
  });

  // ------------------------------------------------------------------ moderation

  function redecorate() {
    for (const item of qsa(".chat-message", list)) decorate(item);
    renderRules();
  }

  moderation.onChange(redecorate);

  /** A moderation event from the room about `person`. */
  function moderated(message) {
    const mine = message.person === moderation.me;
    if (message.type === EVENT.MODERATOR) {
      moderation.setModerator(message.person, Boolean(message.is_moderator));
    } else if (message.type === EVENT.TIMEOUT && mine) {
      const left = Math.ceil((Date.parse(message.until) - Date.now()) / 1000);
      const seconds = Number.isFinite(left) && left > 0 ? left : Number(message.seconds) || 0;
      if (seconds > 0) {
        showError(`You were timed out until ${localMoment(message.until)}.`);
        startCooldown(seconds, "Timed out", { replace: true });
      }
    } else if (message.type === EVENT.BAN && mine) {
      excluded = "You were banned from this chat.";
      stopCooldown();
      renderRules();
    } else if (message.type === EVENT.LIFT && mine && cooldownLabel === "Timed out") {
      showError("");
      stopCooldown();
      renderRules();
    }
  }

  // ------------------------------------------------------------------ start

  for (const item of qsa(".chat-message", list)) decorate(item);
  updateEmpty();
  renderRules();
  scrollToEnd();

  /** New rules: a settings broadcast or a fresh stream info. */
  function applySettings(next) {
    for (const key of Object.keys(settings)) {
      const value = next[key];
      // Switches are booleans, durations numbers; followers-only is null when off.
      const nullable = key === "followers_only_minutes" && value === null;
      if (typeof value === "boolean" || typeof value === "number" || nullable) settings[key] = value;
    }
    if (!settings.slow_mode_seconds && cooldownLabel === "Slow mode") stopCooldown();
    renderRules();
  }

  return {
    applySettings,

    /** Loads "@" completion, if it is not yet: what else completes in the chat box listens
     * after it, as it expects (the emote picker's ":"). */
    completer,

    /** The people in the room (people.js peopleIn), whom "@" completes. */
    update(people) {
      roomNames = (people || []).map((person) => person.name).filter(Boolean);
    },

    /** A message from the server over the room's data channel. */
    receive(message) {
      if (message.type === EVENT.MESSAGE) add(message);
      else if (message.type === EVENT.DELETE && message.id !== undefined) remove(message.id);
      else if (message.type === EVENT.SETTINGS) applySettings(message);
      else if (typeof message.person === "string") moderated(message);
    },

    /** Catch up with what was said or deleted while the room connection was down. */
    async sync({ again = true } = {}) {
      let result;
      try {
        result = await request(page.urls.chat);
      } catch {
        return;
      }
      // A shared cache in front of the site (streams/public_cache.py) may answer a guest with
      // a copy up to s-maxage seconds old, taken before this connection: what was said in
      // between came neither live nor in it. Once that copy has expired, catch up again.
      const shared = sharedFor(result.headers);
      if (again && shared > 0) {
        setTimeout(() => this.sync({ again: false }), (shared + SHARED_MARGIN_SECONDS) * 1000);
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
          if (id >= low && id <= high && !ids.has(id)) remove(id);
        }
      }
      for (const message of messages) {
        if (message.reply?.deleted) replies.deleted(message.reply.id);
        add(message);
      }
      updateEmpty();
    },

    /** The host or a moderator removed, blocked or banned this viewer: say so instead of
     * offering a dead input. A ban's own words, if they came first, stay. */
    exclude(text) {
      excluded = excluded || text;
      stopCooldown();
      renderRules();
    },
  };
}

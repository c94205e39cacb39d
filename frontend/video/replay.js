// Chat replay: the messages sent during the broadcast appear beside the video when it reaches
// the moment they were sent, and follow seeking (back: the later ones go; forward: the ones
// before appear). The server gives each message `t`, its time on the video, and sends the
// chat a fixed window of video at a time (videos/views.py video_chat): the list shows the
// messages of the current window and the one before it, up to the video's time.

import { el, request } from "../channel/dom.js";

// As many messages as the live chat keeps, at most.
const MAX_SHOWN = 300;
const STICKY_PX = 40;
const BADGES = { host: "Host", moderator: "Mod" };

function isMessage(m) {
  return (
    m !== null &&
    typeof m === "object" &&
    typeof m.t === "number" &&
    typeof m.text === "string" &&
    m.user !== null &&
    typeof m.user === "object" &&
    typeof m.user.name === "string"
  );
}

/** "1:02:05" or "2:05": where on the video. */
function position(seconds) {
  const whole = Math.floor(seconds);
  const pad = (n) => String(n).padStart(2, "0");
  const [h, m, s] = [Math.floor(whole / 3600), Math.floor((whole % 3600) / 60), whole % 60];
  return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** The live chat's markup (frontend/channel/chat.js), the time being the video's. Text goes
 * through textContent only (el): messages and names are user input. */
function messageItem(message) {
  const item = el("li", "chat-message");
  item.dataset.messageId = String(message.id);
  item.dataset.t = String(message.t);
  item.append(el("span", "chat-time", position(message.t)), " ");
  const badge = BADGES[message.user.badge];
  if (badge) item.append(el("span", `chat-badge chat-badge-${message.user.badge}`, badge), " ");
  const name = el("span", "chat-name", message.user.name);
  if (typeof message.user.color === "string") name.style.color = message.user.color;
  item.append(name, el("span", "chat-colon", ":"), " ", el("span", "chat-text", message.text));
  return item;
}

export function createReplay(root, video, { url, window: size }) {
  const list = root.querySelector("[data-replay-messages]");
  const empty = root.querySelector("[data-replay-empty]");
  const windows = new Map(); // window number -> its messages, in order (null while loading)
  const items = new Map(); // message -> its <li>, for the messages shown

  /** Every message of window `n`, page after page. A failed window is asked for again on
   * the next time update. */
  async function load(n) {
    if (n < 0 || windows.has(n)) return;
    windows.set(n, null);
    const messages = [];
    try {
      let after = null;
      for (;;) {
        const query = new URLSearchParams({ from: n * size, to: (n + 1) * size });
        if (after !== null) query.set("after", after);
        const result = await request(`${url}?${query}`);
        if (!result.ok || !Array.isArray(result.data.messages)) throw new Error(result.status);
        const page = result.data.messages.filter(isMessage);
        messages.push(...page);
        if (!result.data.more || !page.length) break;
        after = page.at(-1).id;
      }
    } catch {
      windows.delete(n);
      return;
    }
    windows.set(n, messages);
    render();
  }

  /** The messages to show at the video's time: those of this window and the one before
   * that the video has reached. */
  function due(time) {
    const n = Math.floor(time / size);
    const shown = [n - 1, n].flatMap((k) => (windows.get(k) || []).filter((m) => m.t <= time));
    return shown.slice(-MAX_SHOWN);
  }

  function render() {
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < STICKY_PX;
    const wanted = due(video.currentTime);
    const keep = new Set(wanted);
    for (const [message, item] of items) {
      if (!keep.has(message)) {
        item.remove();
        items.delete(message);
      }
    }
    // What stays is in order already: put each new one where it belongs among them.
    let next = list.firstElementChild;
    for (const message of wanted) {
      const item = items.get(message);
      if (item) {
        next = item.nextElementSibling;
      } else {
        const added = messageItem(message);
        items.set(message, added);
        list.insertBefore(added, next);
      }
    }
    empty.hidden = wanted.length > 0;
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  function update() {
    const n = Math.floor(video.currentTime / size);
    for (const k of [n, n - 1, n + 1]) load(k);
    render();
  }

  for (const event of ["loadedmetadata", "timeupdate", "seeking", "seeked"]) {
    video.addEventListener(event, update);
  }
  update();
}

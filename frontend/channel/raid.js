// Raids (the raids app): the countdown every page in the room shows when the host or a
// moderator raids another channel, with "Stay here" to opt out; the host's and moderators'
// Raid panel (search a live channel, start, cancel); and, on the target's page opened with
// `?raid=<id>`, the report that this person arrived.
// The room hears the events raids/events.py builds, handled here by the same names
// (raid-events.js). main.js loads this module only when a raid concerns the page.

import { detailOf, el, qs, request } from "./dom.js";
import { RAID_EVENT } from "./raid-events.js";

const API = "/api/raids";

/** A path on this site ("/alice?raid=3"), never another origin. */
const isSitePath = (url) => typeof url === "string" && url.startsWith("/") && !url.startsWith("//");

export function createRaid(page) {
  const header = qs(".channel-header");
  const mayRaid = page.viewer.role === "host" || page.viewer.role === "moderator";
  let current = null; // the raid counting down: { id, target, endsAt, staying }
  let timer = 0;

  const banner = el("div", "raid-banner card-panel");
  banner.hidden = true;
  banner.setAttribute("role", "status");
  banner.dataset.raidBanner = "";
  const text = el("p", "raid-text");
  const stay = el("button", "btn btn-ghost", "Stay here");
  stay.type = "button";
  stay.dataset.raidStay = "";
  const cancel = el("button", "btn btn-danger", "Cancel raid");
  cancel.type = "button";
  cancel.hidden = !mayRaid;
  banner.append(text, stay, cancel);
  if (header) header.after(banner);

  function tick() {
    if (!current) return;
    const left = Math.max(0, Math.ceil((current.endsAt - Date.now()) / 1000));
    if (current.staying) {
      text.textContent = `Raiding ${current.target} in ${left}s. You are staying here.`;
    } else {
      text.textContent = `Raiding ${current.target} in ${left}s…`;
    }
  }

  function stop(message) {
    clearInterval(timer);
    current = null;
    if (message) {
      text.textContent = message;
      stay.hidden = true;
      cancel.hidden = true;
      setTimeout(() => {
        if (!current) banner.hidden = true;
      }, 4000);
    } else {
      banner.hidden = true;
    }
  }

  const handlers = {
    [RAID_EVENT.RAID](message) {
      if (typeof message.target?.username !== "string") return;
      clearInterval(timer);
      // The seconds left as the server counts them, from now: the reader's clock may be off.
      const seconds = Number(message.seconds) || 10;
      current = {
        id: message.id,
        target: message.target.username,
        endsAt: Date.now() + seconds * 1000,
        staying: false,
      };
      stay.hidden = false;
      stay.disabled = false;
      cancel.hidden = !mayRaid;
      banner.hidden = false;
      tick();
      timer = setInterval(tick, 250);
    },
    [RAID_EVENT.CANCELLED](message) {
      if (current && current.id === message.id) stop("The raid was cancelled.");
    },
    [RAID_EVENT.GO](message) {
      const staying = current && current.id === message.id && current.staying;
      stop(staying ? "The raid has gone; you stayed here." : "");
      // The host's page stays too: the host goes on managing their channel.
      if (!staying && page.viewer.role !== "host" && isSitePath(message.url)) {
        window.location.assign(message.url);
      }
    },
  };

  stay.addEventListener("click", () => {
    if (!current) return;
    current.staying = true;
    stay.disabled = true;
    tick();
  });

  cancel.addEventListener("click", async () => {
    if (!current) return;
    const result = await request(`${API}/${page.host.id}/${current.id}/cancel`, {
      method: "POST",
    }).catch(() => null);
    if (result && !result.ok) text.textContent = detailOf(result, "The raid could not be cancelled");
  });

  if (mayRaid && header) createRaidPanel(page, header);
  reportArrival();

  return {
    receive(message) {
      const handle = handlers[message.type];
      if (handle) handle(message);
    },
  };
}

/** The host's and moderators' Raid button and panel: live channels to raid, searched. */
function createRaidPanel(page, header) {
  const open = el("button", "btn btn-ghost", "Raid");
  open.type = "button";
  open.dataset.raidOpen = "";
  const actions = qs(".channel-actions", header);
  (actions || header).append(open);

  const panel = el("section", "raid-panel card-panel");
  panel.hidden = true;
  panel.setAttribute("aria-label", "Raid another channel");
  const form = el("form", "raid-search");
  const label = el("label", "", "Raid a live channel");
  const input = el("input");
  input.type = "search";
  input.name = "q";
  input.id = "raid-search";
  label.htmlFor = input.id;
  const search = el("button", "btn btn-ghost", "Search");
  search.type = "submit";
  form.append(label, input, search);
  const results = el("ul", "raid-results");
  const error = el("p", "form-error");
  error.hidden = true;
  panel.append(form, results, error);
  header.after(panel);

  function showError(message) {
    error.textContent = message;
    error.hidden = !message;
  }

  async function find() {
    showError("");
    const url = `${API}/${page.host.id}/targets?q=${encodeURIComponent(input.value)}`;
    const result = await request(url).catch(() => null);
    if (!result || !result.ok) {
      showError(result ? detailOf(result, "No channels") : "The site did not answer.");
      return;
    }
    results.replaceChildren();
    const channels = Array.isArray(result.data.channels) ? result.data.channels : [];
    if (!channels.length) results.append(el("li", "muted", "No live channel to raid."));
    for (const channel of channels) {
      const item = el("li", "raid-result");
      const viewers = Number(channel.viewers) || 0;
      item.append(el("strong", "", channel.username), " ", el("span", "muted", channel.title));
      item.append(" ", el("span", "muted", `${viewers} watching`), " ");
      const go = el("button", "btn btn-primary", "Raid");
      go.type = "button";
      go.setAttribute("aria-label", `Raid ${channel.username}`);
      go.addEventListener("click", () => start(channel.username));
      item.append(go);
      results.append(item);
    }
  }

  async function start(username) {
    showError("");
    const result = await request(`${API}/${page.host.id}/start`, {
      method: "POST",
      body: { target: username },
    }).catch(() => null);
    if (!result) showError("The site did not answer.");
    else if (!result.ok) showError(detailOf(result, "The raid could not start"));
    else panel.hidden = true; // the countdown banner takes over, from the room's event
  }

  open.addEventListener("click", () => {
    panel.hidden = !panel.hidden;
    if (!panel.hidden) {
      input.focus();
      find();
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    find();
  });
}

/** Opened with `?raid=<id>` (a raid brought this page here): count the arrival once, and
 * drop the parameter so a reload or a shared link does not carry it on. */
function reportArrival() {
  const params = new URLSearchParams(window.location.search);
  const id = params.get("raid");
  if (!id || !/^\d{1,12}$/.test(id)) return;
  params.delete("raid");
  const rest = params.toString();
  const clean = `${window.location.pathname}${rest ? `?${rest}` : ""}${window.location.hash}`;
  window.history.replaceState(window.history.state, "", clean);
  request(`${API}/${id}/arrive`, { method: "POST" }).catch(() => null);
}

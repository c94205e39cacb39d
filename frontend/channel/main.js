// The channel page: the player, the chat and the community tab, fed by one LiveKit room.
// Everything the script needs from the server is in the #channel-data JSON.
// What the first frame does not need loads when first used (esbuild splits it into chunks of
// its own): the chatter card and blocking, the community tab, the emote picker, raids, and in
// chat.js, replies.js and moderation.js "@" completion, the reply bar and the moderators'
// buttons and actions.

import { createChat } from "./chat.js";
import { loader, qs, qsa, request } from "./dom.js";
import { createModeration } from "./moderation.js";
import { setupPanel } from "./panel.js";
import { peopleIn } from "./people.js";
import { createPlayer } from "./player.js";
import { RAID_EVENT } from "./raid-events.js";
import { createUptime } from "./uptime.js";

// The dashboard's preview of one's own stream has the player but no chat.
const NO_CHAT = { applySettings() {}, receive() {}, sync() {}, exclude() {}, update() {} };

/** The community tab (community.js), loaded when it is first shown; until then it keeps the
 * latest people to show. */
function lazyCommunity(panel, page, moderation) {
  let people = null;
  let community = null;
  const load = loader(() => import("./community.js"));
  return {
    show() {
      load().then(({ createCommunity }) => {
        if (community) return;
        community = createCommunity(panel, page, moderation);
        community.update(people);
      });
    },
    update(next) {
      people = next;
      community?.update(next);
    },
  };
}

/** The emote button is shown at once; its picker and ":" completion (emote-picker.js) load
 * when the chat box is first focused or the button first pressed. */
function lazyEmotePicker(form, emotes, chat) {
  const input = qs("#chat-input", form);
  const button = qs("[data-emote-button]", form);
  if (!input || !button || !Object.keys(emotes).length) return;
  button.hidden = false;
  let picker = null; // set as the picker's own listeners start
  // After "@" completion, whose input listener must run before the picker's.
  const load = loader(() =>
    Promise.all([import("./emote-picker.js"), chat.completer()]).then(
      ([m]) => (picker = m.setupEmotes(form, emotes)),
    ),
  );
  input.addEventListener(
    "focus",
    () =>
      load().then((loaded) => {
        if (document.activeElement === input) loaded.complete(); // what was typed meanwhile
      }),
    { once: true },
  );
  button.addEventListener("click", () => {
    if (!picker) load().then((loaded) => loaded.toggle());
  });
}

/** A click (or Enter) on a name in the chat opens the chatter's card (card.js, loaded then,
 * with `blocking`'s module for its Block button). */
function lazyChatterCard(list, page, blocking) {
  const card = loader(() =>
    Promise.all([import("./card.js"), blocking()]).then(([m, loaded]) =>
      m.createChatterCard(list, page, loaded),
    ),
  );
  const open = (nameNode) => card().then((openCard) => openCard(nameNode));
  list.addEventListener("click", (event) => {
    const nameNode = event.target.closest(".chat-name");
    if (nameNode) open(nameNode);
  });
  list.addEventListener("keydown", (event) => {
    const nameNode = event.target.closest(".chat-name");
    if (!nameNode || (event.key !== "Enter" && event.key !== " ")) return;
    event.preventDefault();
    open(nameNode);
  });
}

const RAID_EVENTS = new Set(Object.values(RAID_EVENT));

/** Raids (raid.js) load when one concerns the page: the host's and moderators' Raid panel,
 * an arrival to report (`?raid=<id>`), or a raid event from the room, handled in order. */
function lazyRaid(page) {
  const raid = loader(() => import("./raid.js").then((m) => m.createRaid(page)));
  const mayRaid = page.viewer.role === "host" || page.viewer.role === "moderator";
  if (mayRaid || new URLSearchParams(window.location.search).has("raid")) raid();
  return {
    receive(message) {
      if (RAID_EVENTS.has(message.type)) raid().then((loaded) => loaded.receive(message));
    },
  };
}

function start(page) {
  const chatRoot = qs("[data-chat]");
  const moderation = createModeration(page);
  // The channel's Block button and a chatter's card ask before blocking (blocking.js).
  const blocking = loader(() => import("./blocking.js").then((m) => m.createBlocking(page)));
  for (const button of qsa("[data-block-open]")) {
    button.addEventListener("click", () =>
      blocking().then((loaded) => loaded.confirm(button.dataset.blockName, button.dataset.blockUrl)),
    );
  }
  let chat = NO_CHAT;
  let community = NO_CHAT;
  if (chatRoot) {
    // The chat embed (streams/embed.py) has neither the collapse button nor the tabs.
    const communityPanel = qs('[data-tab-panel="community"]', chatRoot);
    if (communityPanel) community = lazyCommunity(communityPanel, page, moderation);
    if (qs("[data-chat-toggle]", chatRoot)) {
      setupPanel(chatRoot, { onShow: (tab) => tab === "community" && community.show?.() });
    }
    chat = createChat(chatRoot, page, moderation, { onStale: () => refreshInfo() });
    const chatForm = qs("[data-chat-form]", chatRoot);
    if (chatForm) lazyEmotePicker(chatForm, page.emotes || {}, chat);
    lazyChatterCard(qs("[data-chat-messages]", chatRoot), page, blocking);
  }
  const raid = lazyRaid(page);
  const uptime = createUptime();
  const liveBadge = qs("[data-live-badge]");
  const offlineBadge = qs("[data-offline-badge]");
  const viewerCount = qs("[data-viewer-count]");
  const title = qs(".channel-title");
  const avatar = qs(".channel-identity .avatar");

  // Answers can cross; only the latest request's may update the page.
  let infoRequest = 0;
  async function refreshInfo() {
    const mine = ++infoRequest;
    let result;
    try {
      result = await request(page.urls.info);
    } catch {
      return;
    }
    if (mine !== infoRequest || !result.ok) return;
    chat.applySettings(result.data);
    if (isLive) uptime.since(result.data.live_since);
    if (title && typeof result.data.title === "string") title.textContent = result.data.title;
  }

  // How many people watch, counted only while the stream is live: an offline page shows none
  // (the person looking at it is not an audience).
  let people = null;
  let isLive = false;
  function showCount() {
    if (!viewerCount) return; // the chat embed shows no count
    viewerCount.hidden = !(people && isLive);
    if (viewerCount.hidden) return;
    const n = people.length;
    // Below 1000 there is nothing to group: Intl's first use costs tens of ms, and this
    // first runs as the player joins, while the video is about to start.
    const count = n < 1000 ? String(n) : n.toLocaleString("en-US");
    viewerCount.textContent = `${count} viewer${n === 1 ? "" : "s"}`;
  }

  createPlayer(qs("[data-player]"), page, {
    onLive(live, changed) {
      isLive = live;
      showCount();
      if (liveBadge) liveBadge.hidden = !live;
      if (offlineBadge) offlineBadge.hidden = live;
      if (avatar) avatar.classList.toggle("avatar-live", live);
      uptime.show(live);
      if (changed) {
        refreshInfo();
        // is_live is set by LiveKit's webhook, which may land after the track does; its
        // settings broadcast covers that too, this is for a broadcast that got lost.
        setTimeout(refreshInfo, 3000);
      }
    },
    onPeople(room) {
      people = room ? peopleIn(room, page.publisher) : null;
      showCount();
      community.update(people);
      chat.update(people);
    },
    onData(message) {
      raid.receive(message);
      chat.receive(message);
    },
    // Broadcasts sent while we were not in the room are lost: catch up on both.
    onConnected: () => {
      chat.sync();
      refreshInfo();
    },
    onLost: () => refreshInfo(),
    onExcluded() {
      // The player says why; the chat only that it is closed to this viewer. Being removed or
      // refused means the host blocked (or banned, which blocks) a signed-in viewer, which
      // ended their follow: no Unfollow, and no Follow the site would refuse.
      chat.exclude("You cannot chat here.");
      for (const form of qsa("[data-follow-form]")) form.remove();
    },
    onGrant: (grant) => moderation.identify(grant.person),
  });
}

const data = document.getElementById("channel-data");
if (data && qs("[data-player]")) {
  start(JSON.parse(data.textContent));
}

// The channel page: the player, the chat and the community tab, fed by one LiveKit room.
// Everything the script needs from the server is in the #channel-data JSON.

import { createBlocking } from "./blocking.js";
import { createChatterCard } from "./card.js";
import { createChat } from "./chat.js";
import { createCommunity } from "./community.js";
import { setupEmotes } from "./emotes.js";
import { qs, qsa, request } from "./dom.js";
import { createModeration } from "./moderation.js";
import { setupPanel } from "./panel.js";
import { peopleIn } from "./people.js";
import { createPlayer } from "./player.js";
import { createRaid } from "./raid.js";
import { createUptime } from "./uptime.js";

// The dashboard's preview of one's own stream has the player but no chat.
const NO_CHAT = { applySettings() {}, receive() {}, sync() {}, exclude() {}, update() {} };

function start(page) {
  const chatRoot = qs("[data-chat]");
  const moderation = createModeration(page);
  const blocking = createBlocking(page);
  let chat = NO_CHAT;
  let community = NO_CHAT;
  if (chatRoot) {
    // The chat embed (streams/embed.py) has neither the collapse button nor the tabs.
    if (qs("[data-chat-toggle]", chatRoot)) setupPanel(chatRoot);
    chat = createChat(chatRoot, page, moderation, { onStale: () => refreshInfo() });
    const chatForm = qs("[data-chat-form]", chatRoot);
    if (chatForm) setupEmotes(chatForm, page.emotes || {});
    const communityPanel = qs('[data-tab-panel="community"]', chatRoot);
    if (communityPanel) community = createCommunity(communityPanel, page, moderation);
    createChatterCard(qs("[data-chat-messages]", chatRoot), page, blocking);
  }
  const raid = createRaid(page);
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

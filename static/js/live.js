// LIVE markers that stay true without a reload: every element with data-live-host="<id>"
// (sidebar entries, stream cards) shows its [data-live-marker] and a red avatar ring only while
// that channel is live, and its [data-offline-marker] ("Last live 3 days ago") only while it is
// not; a card's [data-uptime-since] clock ticks. The page asks /api/live which of its channels
// are live every 10 s while it is visible, backing off to a minute while the server does not
// answer.
(() => {
  "use strict";
  const EVERY = 10_000;
  const AT_MOST = 60_000;
  const script = document.currentScript;
  const url = script && script.dataset.url;
  const shown = () => document.querySelectorAll("[data-live-host]");
  if (!url || shown().length === 0) return;

  let wait = EVERY;
  let timer = 0;

  function apply(live) {
    for (const item of shown()) {
      const isLive = live[item.dataset.liveHost];
      if (typeof isLive !== "boolean") continue; // not answered for: leave it as rendered
      const wasLive = item.dataset.live === "true";
      for (const marker of item.querySelectorAll("[data-live-marker]")) marker.hidden = !isLive;
      for (const marker of item.querySelectorAll("[data-offline-marker]")) {
        if (wasLive && !isLive) marker.textContent = "Last live just now";
        marker.hidden = isLive;
      }
      for (const clock of item.querySelectorAll("[data-uptime-since]")) {
        if (isLive && !wasLive) clock.dataset.uptimeSince = new Date().toISOString();
      }
      item.dataset.live = String(isLive);
      for (const ring of item.querySelectorAll(".card-body .avatar, a > .avatar")) {
        ring.classList.toggle("avatar-live", isLive);
      }
    }
  }

  async function check() {
    clearTimeout(timer);
    const ids = [...new Set([...shown()].map((item) => item.dataset.liveHost))];
    try {
      const response = await fetch(`${url}?ids=${ids.slice(0, 100).join(",")}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      apply((await response.json()).live || {});
      wait = EVERY;
    } catch {
      wait = Math.min(wait * 2, AT_MOST);
    }
    if (!document.hidden) timer = setTimeout(check, wait);
  }

  // Live cards say how long the channel has been live, "1:23:45", ticking.
  const pad = (n) => String(n).padStart(2, "0");
  function tick() {
    for (const clock of document.querySelectorAll("[data-uptime-since]")) {
      const since = Date.parse(clock.dataset.uptimeSince);
      if (!since || clock.closest("[hidden]")) continue;
      const s = Math.max(0, Math.floor((Date.now() - since) / 1000));
      clock.textContent = `${Math.floor(s / 3600)}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
    }
  }
  if (document.querySelector("[data-uptime-since]")) setInterval(tick, 1000);

  document.addEventListener("visibilitychange", () => {
    clearTimeout(timer);
    if (!document.hidden) check(); // back on the tab: true at once
  });
  timer = setTimeout(check, EVERY);
})();

// The dashboard's preview says how long the stream has been live ("1:23:45", ticking), or when
// it was last live; the page renders both and this keeps them true as the stream starts and ends.

import { qs } from "./dom.js";

const pad = (n) => String(n).padStart(2, "0");

/** "1:23:45" for 5025 seconds. */
function clock(seconds) {
  return `${Math.floor(seconds / 3600)}:${pad(Math.floor((seconds % 3600) / 60))}:${pad(seconds % 60)}`;
}

export function createUptime() {
  const uptime = qs("[data-uptime]");
  const lastLive = qs("[data-last-live]");
  if (!uptime || !lastLive) return { show() {}, since() {} };
  const time = qs("[data-uptime-clock]", uptime);
  let start = Date.parse(time.getAttribute("datetime") || "") || 0;
  let wasLive = !uptime.hidden; // as the page was rendered, until the player says
  let timer = 0;

  function tick() {
    clearTimeout(timer);
    if (uptime.hidden || !start) return;
    const elapsed = Math.max(0, Date.now() - start);
    time.textContent = clock(Math.floor(elapsed / 1000));
    timer = setTimeout(tick, 1000 - (elapsed % 1000)); // when the shown second changes
  }

  return {
    /** The stream is (not) live, as the player sees it. */
    show(live) {
      if (live && !start) start = Date.now(); // until the server says when
      if (!live && wasLive) {
        start = 0;
        lastLive.textContent = "Last live just now";
      }
      wasLive = live;
      uptime.hidden = !live;
      lastLive.hidden = live;
      tick();
    },
    /** When the server says the stream went live (ISO 8601), or null while it is offline. */
    since(iso) {
      const at = typeof iso === "string" ? Date.parse(iso) : Number.NaN;
      if (Number.isNaN(at)) return;
      start = at;
      time.setAttribute("datetime", iso);
      tick();
    },
  };
}

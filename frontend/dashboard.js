// Dashboard -> Stream: the live panel. Every POLL_MS it asks the site (streams/health.py) how
// the stream is doing and shows it: viewers, uptime (ticking between answers), chat messages
// per minute, the stream's health as LiveKit Ingress reports it, and warnings. Text only ever
// goes in through textContent. The preview beside it is the channel page's player
// (channel.js in preview mode).
(() => {
  const POLL_MS = 5000;
  const panel = document.querySelector("[data-live-panel]");
  if (!panel) return;
  const part = (name) => panel.querySelector(`[data-${name}]`);
  const figure = (name) => panel.querySelector(`[data-figure="${name}"]`);
  const offline = part("live-offline");
  const figures = part("live-figures");
  const healthFigures = part("health-figures");
  const unavailable = part("health-unavailable");
  const ok = part("live-ok");
  const list = part("live-warning-list");
  let liveSince = 0;
  let shownWarnings = "";
  let timer = 0;

  const pad = (n) => String(n).padStart(2, "0");
  function clock(seconds) {
    const h = Math.floor(seconds / 3600);
    return `${h}:${pad(Math.floor((seconds % 3600) / 60))}:${pad(seconds % 60)}`;
  }

  function set(name, text) {
    const node = figure(name);
    if (node && node.textContent !== text) node.textContent = text;
  }

  function tick() {
    if (liveSince) set("uptime", clock(Math.max(0, Math.floor((Date.now() - liveSince) / 1000))));
  }
  setInterval(tick, 1000);

  function showWarnings(warnings) {
    // Rewritten only when they change, so a screen reader hears each change once.
    const key = JSON.stringify(warnings);
    if (key === shownWarnings) return;
    shownWarnings = key;
    list.replaceChildren(
      ...warnings.map((warning) => {
        const item = document.createElement("li");
        item.className = "live-warning";
        item.dataset.warning = String(warning.code);
        const label = document.createElement("strong");
        label.textContent = "Warning: ";
        item.append(label, String(warning.text));
        return item;
      }),
    );
  }

  function show(status) {
    offline.hidden = status.live;
    figures.hidden = !status.live;
    if (!status.live) {
      liveSince = 0;
      return;
    }
    const viewers = Number(status.viewers) || 0;
    set("viewers", viewers.toLocaleString("en-US"));
    liveSince = Date.parse(status.live_since || "") || 0;
    tick();
    const chat = status.chat || {};
    set("chat", `${chat.last_minute} in the last minute, ${chat.per_minute} on average`);
    const health = status.health;
    unavailable.hidden = Boolean(health);
    healthFigures.hidden = !health;
    if (!health) {
      unavailable.textContent = status.health_unavailable || "Unknown.";
      showWarnings([]);
      ok.hidden = true;
      return;
    }
    for (const [name, text] of Object.entries(health.shown || {})) set(name, String(text));
    const warnings = Array.isArray(status.warnings) ? status.warnings : [];
    showWarnings(warnings);
    ok.hidden = warnings.length > 0;
  }

  async function poll() {
    clearTimeout(timer);
    if (!document.hidden) {
      try {
        const response = await fetch(panel.dataset.url, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
          cache: "no-store",
        });
        if (response.ok) show(await response.json());
      } catch {
        // The next poll tries again; the panel keeps what it last showed.
      }
    }
    timer = setTimeout(poll, POLL_MS);
  }
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) poll();
  });
  poll();
})();

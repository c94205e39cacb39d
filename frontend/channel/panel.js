// The chat column's chrome: collapse/expand and the Chat / Community tabs; onShow(name) is
// told each time a tab's panel is shown.

import { qs, qsa } from "./dom.js";

export function setupPanel(root, { onShow = () => {} } = {}) {
  const toggle = qs("[data-chat-toggle]", root);
  const panel = qs("[data-chat-panel]", root);
  toggle.addEventListener("click", () => {
    const collapse = !panel.hidden;
    panel.hidden = collapse;
    root.classList.toggle("chat-collapsed", collapse);
    toggle.textContent = collapse ? "Expand" : "Collapse";
    toggle.setAttribute("aria-expanded", String(!collapse));
  });

  const tabs = qsa("[data-tab]", root);
  function select(tab, focus) {
    for (const each of tabs) {
      const selected = each === tab;
      each.setAttribute("aria-selected", String(selected));
      const target = qs(`[data-tab-panel="${each.dataset.tab}"]`, root);
      if (target) target.hidden = !selected;
      if (selected) onShow(each.dataset.tab);
    }
    if (focus) tab.focus();
  }
  for (const tab of tabs) {
    tab.addEventListener("click", () => select(tab, false));
    // Arrow keys as in the WAI-ARIA tabs pattern; Tab still reaches both buttons.
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      event.preventDefault();
      select(tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length], true);
    });
  }
}

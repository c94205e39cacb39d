// The community tab: who is watching, with ban buttons for the host and moderators.

import { el, qs } from "./dom.js";

export function createCommunity(root, page, moderation) {
  const list = qs("[data-community-list]", root);
  const filter = qs("[data-community-filter]", root);
  const empty = qs("[data-community-empty]", root);
  const emptyText = empty.textContent;
  const error = el("p", "chat-error");
  error.setAttribute("role", "alert");
  error.hidden = true;
  list.after(error);
  // The host and moderators see and lift the timeouts and bans in force there.
  const bans = el("a", "community-bans", "Timeouts and bans in force");
  bans.href = page.urls.moderation;
  bans.hidden = !moderation.canModerate();
  error.after(bans);
  const rows = new Map(); // person -> li, kept across updates so focus and buttons survive
  let people = [];

  // Whom moderation acts on: a signed-in user by user id (the host watching is "Host-<id>"
  // in the room, but the host all the same), a guest by their guest identity.
  const target = (who) => who.userId || who.person;

  function row(who) {
    let item = rows.get(who.person);
    const canBan = moderation.canModerate() && !who.isSelf && moderation.mayActOn(target(who));
    const key = `${who.name}|${who.isHost}|${who.userId}|${who.isSelf}|${canBan}`;
    if (item && item.dataset.key === key) return item;
    if (!item) {
      item = el("li");
      item.dataset.person = who.person;
      rows.set(who.person, item);
    }
    item.dataset.key = key;
    const label = el("span", "community-name", who.name);
    const name = el("span");
    name.append(label);
    if (who.isHost) name.append(el("span", "host-mark", "Host"));
    item.replaceChildren(name);
    if (canBan) {
      const ban = el("button", "btn btn-ghost", "Ban");
      ban.type = "button";
      ban.dataset.banPerson = target(who);
      ban.dataset.banName = who.name;
      ban.setAttribute("aria-label", `Ban ${who.name}`);
      item.append(ban);
    }
    return item;
  }

  function render() {
    bans.hidden = !moderation.canModerate();
    const term = filter.value.trim().toLowerCase();
    const shown = people.filter((who) => !moderation.isBanned(target(who)));
    const present = new Set(shown.map((who) => who.person));
    for (const person of rows.keys()) if (!present.has(person)) rows.delete(person);
    // Filtered-out rows leave the list (kept in `rows` for when the filter changes).
    const wanted = shown.filter((who) => who.name.toLowerCase().includes(term)).map(row);
    const keep = new Set(wanted);
    for (const item of [...list.children]) if (!keep.has(item)) item.remove();
    // Move only what is out of place: re-appending every row would drop keyboard focus.
    wanted.forEach((item, index) => {
      if (list.children[index] !== item) list.insertBefore(item, list.children[index] || null);
    });
    empty.textContent = shown.length > 0 && term ? "No one matches this filter." : emptyText;
    empty.hidden = wanted.length > 0;
  }

  filter.addEventListener("input", render);

  list.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-ban-person]");
    if (!button || button.disabled) return;
    button.disabled = true;
    const result = await moderation.ban(button.dataset.banPerson, button.dataset.banName);
    button.disabled = false;
    if (!result) return; // not confirmed
    error.textContent = result.error;
    error.hidden = result.ok;
  });

  // The server removes them from the room too; hide them now rather than on that event.
  // A new moderator's buttons come and go with their role.
  moderation.onChange(render);

  return {
    /** people: from people.js, or null while not connected (nobody is known then). */
    update(next) {
      people = next || [];
      render();
    },
  };
}

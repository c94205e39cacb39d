// Moderation by the host and their moderators, shared by the chat and the community tab so
// that banning someone in one place shows in the other. The server decides who may do what
// (streams/moderation.py); this only avoids offering buttons that would be refused.

import { confirmAction, detailOf, request } from "./dom.js";

// A guest's person, as streams/rooms.py names them (anyone else is a user id).
const GUEST = /^guest-[0-9a-f]{32}$/;

export function createModeration(page) {
  const banned = new Set(); // people banned from this page
  const moderators = new Set(page.moderators || []); // user ids; kept live by room events
  const listeners = [];
  let role = page.viewer.role; // "host", "moderator", "viewer" or "guest"
  let me = page.viewer.id || ""; // this viewer's person; a guest's comes with the token

  async function post(url, body, failure) {
    try {
      const result = await request(url, { method: "POST", body });
      return { ok: result.ok, error: result.ok ? "" : detailOf(result, failure) };
    } catch {
      return { ok: false, error: `${failure}: check your connection.` };
    }
  }

  function changed() {
    for (const listener of listeners) listener();
  }

  return {
    get me() {
      return me;
    },
    identify(person) {
      if (typeof person === "string" && person) me = person;
    },
    canModerate: () => role === "host" || role === "moderator",
    isExempt: () => role === "host" || role === "moderator",
    /** Whether this viewer may act on `person` (a user id or a guest identity). */
    mayActOn(person) {
      if (!person || person === me || person === page.host.id) return false;
      if (role === "host") return true;
      return role === "moderator" && !moderators.has(person);
    },
    isBanned: (person) => banned.has(person),
    onChange: (listener) => listeners.push(listener),

    /** A "moderator" event from the room: someone appointed or removed. */
    setModerator(person, isModerator) {
      if (isModerator) moderators.add(person);
      else moderators.delete(person);
      if (person === me && role !== "host") role = isModerator ? "moderator" : "viewer";
      changed();
    },

    deleteMessage(id) {
      const url = page.urls.delete.replace("{id}", encodeURIComponent(id));
      return post(url, undefined, "Could not delete the message");
    },

    timeout(person, seconds) {
      return post(page.urls.timeout, { person, seconds }, "Could not time out");
    },

    /** Ban `person` (named `name`) once the moderator confirms what a ban does; null when
     * they did not. */
    async ban(person, name) {
      const host = page.host.username;
      const what = GUEST.test(person)
        ? "They can no longer chat or watch here, and guests on their network cannot chat " +
          "here for 24 hours."
        : `They can no longer chat or watch here, and follows between ${name} and ${host} ` +
          `are removed (${host} blocks them).`;
      const confirmed = await confirmAction({
        title: `Ban ${name}?`,
        text: `${what} The host and moderators can lift the ban on the Moderation page.`,
        confirm: `Ban ${name}`,
      });
      if (!confirmed) return null;
      const result = await post(page.urls.ban, { person }, "Could not ban");
      if (result.ok) {
        banned.add(person);
        changed();
      }
      return result;
    },
  };
}

// Moderation by the host and their moderators, shared by the chat and the community tab so
// that banning someone in one place shows in the other. The server decides who may do what
// (streams/moderation.py); this only avoids offering buttons that would be refused.

import { loader } from "./dom.js";

const actions = loader(() => import("./moderation-actions.js"));

/** `run(actions)`'s answer, or the `failure` when the actions could not be loaded. */
async function act(run, failure) {
  let loaded;
  try {
    loaded = await actions();
  } catch {
    return { ok: false, error: `${failure}: check your connection.` };
  }
  return run(loaded);
}

export function createModeration(page) {
  const banned = new Set(); // people banned from this page
  const moderators = new Set(page.moderators || []); // user ids; kept live by room events
  const listeners = [];
  let role = page.viewer.role; // "host", "moderator", "viewer" or "guest"
  let me = page.viewer.id || ""; // this viewer's person; a guest's comes with the token

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

    // What the buttons do (moderation-actions.js), loaded when one is first pressed.
    deleteMessage: (id) => act((a) => a.deleteMessage(page, id), "Could not delete the message"),
    timeout: (person, seconds) =>
      act((a) => a.timeout(page, person, seconds), "Could not time out"),

    /** Ban `person` (named `name`) once the moderator confirms what a ban does; null when
     * they did not. */
    async ban(person, name) {
      const result = await act((a) => a.ban(page, person, name), "Could not ban");
      if (result?.ok) {
        banned.add(person);
        changed();
      }
      return result;
    },
  };
}

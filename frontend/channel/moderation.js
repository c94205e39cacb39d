// The host's moderation calls, shared by the chat and the community tab so that blocking
// someone in one place shows in the other.

import { detailOf, request } from "./dom.js";

export function createModeration(page) {
  const blocked = new Set();
  const listeners = [];

  async function post(url, body, failure) {
    try {
      const result = await request(url, { method: "POST", body });
      return { ok: result.ok, error: result.ok ? "" : detailOf(result, failure) };
    } catch {
      return { ok: false, error: `${failure}: check your connection.` };
    }
  }

  return {
    isBlocked: (userId) => blocked.has(userId),
    onBlocked: (listener) => listeners.push(listener),

    deleteMessage(id) {
      const url = page.urls.delete.replace("{id}", encodeURIComponent(id));
      return post(url, undefined, "Could not delete the message");
    },

    async block(userId) {
      const result = await post(page.urls.block, { user_id: userId }, "Could not block");
      if (result.ok) {
        blocked.add(userId);
        for (const listener of listeners) listener(userId);
      }
      return result;
    },
  };
}

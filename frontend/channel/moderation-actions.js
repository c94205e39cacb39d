// What the host's and moderators' buttons do: delete a message, time out, ban (after asking);
// loaded by moderation.js when one is first pressed. Each answers { ok, error }, a ban null
// when the moderator did not confirm.

import { confirmAction } from "./confirm.js";
import { detailOf, request } from "./dom.js";

// A guest's person, as streams/rooms.py names them (anyone else is a user id).
const GUEST = /^guest-[0-9a-f]{32}$/;

async function post(url, body, failure) {
  try {
    const result = await request(url, { method: "POST", body });
    return { ok: result.ok, error: result.ok ? "" : detailOf(result, failure) };
  } catch {
    return { ok: false, error: `${failure}: check your connection.` };
  }
}

export function deleteMessage(page, id) {
  const url = page.urls.delete.replace("{id}", encodeURIComponent(id));
  return post(url, undefined, "Could not delete the message");
}

export function timeout(page, person, seconds) {
  return post(page.urls.timeout, { person, seconds }, "Could not time out");
}

export async function ban(page, person, name) {
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
  return post(page.urls.ban, { person }, "Could not ban");
}

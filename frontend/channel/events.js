// What the room hears from the site over its data channel (topic "chat"): the `type` of each
// message. streams/events.py builds each one's JSON; a test keeps the two lists the same.
export const EVENT = Object.freeze({
  MESSAGE: "message",
  DELETE: "delete",
  SETTINGS: "settings",
  TIMEOUT: "timeout",
  BAN: "ban",
  LIFT: "lift",
  MODERATOR: "moderator",
});

// The raid events the room hears (raids/events.py builds each one's JSON; a test keeps the
// two lists the same). Apart from raid.js so that the page knows them without loading it.
export const RAID_EVENT = Object.freeze({
  RAID: "raid",
  CANCELLED: "raid_cancelled",
  GO: "raid_go",
});

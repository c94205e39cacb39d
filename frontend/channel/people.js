// Who is in the room, as people rather than connections: one person may have several tabs
// open, each its own participant with the same metadata.person.

export function metadataOf(participant) {
  try {
    const metadata = JSON.parse(participant.metadata || "{}");
    return metadata && typeof metadata === "object" ? metadata : {};
  } catch {
    return {};
  }
}

function text(value) {
  return typeof value === "string" && value ? value : "";
}

/** The people in `room`, host first then by name. Who a participant is comes from the
 * metadata of the token the site issued (streams/rooms.py); `publisher`, the stream itself
 * (OBS through Ingress), is not a viewer. The host watching their own page is a viewer like
 * anyone else (role "host"). */
export function peopleIn(room, publisher) {
  const people = new Map();
  const participants = [room.localParticipant, ...room.remoteParticipants.values()];
  for (const participant of participants) {
    if (!participant || participant.identity === publisher) continue;
    const metadata = metadataOf(participant);
    const person = text(metadata.person);
    if (!person) continue; // not someone the site let in as a viewer
    if (people.has(person)) {
      if (participant === room.localParticipant) people.get(person).isSelf = true;
      continue;
    }
    people.set(person, {
      person,
      name: text(metadata.username) || text(participant.name),
      userId: text(metadata.user_id) || null,
      isHost: metadata.role === "host",
      isSelf: participant === room.localParticipant,
    });
  }
  return [...people.values()].sort(
    (a, b) => Number(b.isHost) - Number(a.isHost) || a.name.localeCompare(b.name),
  );
}

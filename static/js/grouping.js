// Messages grouped as a chat reads: one author's messages in a row, each within a few
// minutes of the one before, under one name and avatar. A new day, a longer gap, another
// author or a divider between them (new messages) starts a new group.
//
// Pure: { author, at } in (at: milliseconds), places out; message-groups.js applies them.

export const GROUP_GAP_MS = 5 * 60 * 1000;

export function localDay(at) {
  const date = new Date(at);
  return `${date.getFullYear()}-${date.getMonth() + 1}-${date.getDate()}`;
}

// Where one message stands after the one before it (null: it is the first shown).
// startsDay: a day divider goes above it; continues: it joins the group above.
export function groupPlace(previous, current, { dayOf = localDay, divided = false } = {}) {
  const startsDay = previous === null || dayOf(previous.at) !== dayOf(current.at);
  const continues =
    !startsDay &&
    !divided &&
    previous.author === current.author &&
    Math.abs(current.at - previous.at) <= GROUP_GAP_MS;
  return { startsDay, continues };
}

// The places of a whole run of messages, in order.
export function groupPlaces(entries, options = {}) {
  return entries.map((entry, index) => groupPlace(index ? entries[index - 1] : null, entry, options));
}

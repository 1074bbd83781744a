// Grouping on the page: each message item knows whether it heads a group or continues
// the one above (class is-continuation) and carries a day divider above it when it is
// the first of its day. Only an item and the one after it can change when a message is
// added, edited or removed, so every change regroups those two and nothing else.

import { el } from "./dom.js";
import { groupPlace } from "./grouping.js";

const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long", year: "numeric" });

function isMessage(node) {
  return node?.classList.contains("message") ?? false;
}

function entry(item) {
  // A message not stored yet is being written now.
  const at = item.dataset.createdAt ? Date.parse(item.dataset.createdAt) : Date.now();
  return { author: item.dataset.author, at };
}

// The dividers between an item and the message above it, and that message.
function above(item) {
  const between = [];
  let node = item.previousElementSibling;
  while (node && !isMessage(node)) {
    between.push(node);
    node = node.previousElementSibling;
  }
  return { previous: node, between };
}

export function nextMessage(item) {
  let node = item.nextElementSibling;
  while (node && !isMessage(node)) node = node.nextElementSibling;
  return node;
}

export function regroup(item) {
  if (!isMessage(item) || !item.isConnected) return;
  const { previous, between } = above(item);
  const divided = between.some((node) => node.classList.contains("unread-divider"));
  const current = entry(item);
  const place = groupPlace(previous ? entry(previous) : null, current, { divided });
  item.classList.toggle("is-continuation", place.continues);
  const divider = between.find((node) => node.classList.contains("day-divider"));
  if (!place.startsDay) {
    divider?.remove();
    return;
  }
  const label = dayFormat.format(new Date(current.at));
  if (divider) {
    divider.textContent = label;
  } else {
    // Above any unread divider, which belongs to the message itself.
    (between.at(-1) || item).before(el("li", "day-divider", label));
  }
}

// A message item joined the list: it and the one after it find their places.
export function regroupAround(item) {
  regroup(item);
  regroup(nextMessage(item));
}

// A message item leaves the list: its day divider goes with it, and the one after it
// (which may now head the group) finds its place.
export function removeMessage(item) {
  const next = nextMessage(item);
  for (const node of above(item).between) if (node.classList.contains("day-divider")) node.remove();
  item.remove();
  regroup(next);
}

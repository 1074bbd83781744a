// Reactions under a message: one chip per emoji with its count, mine highlighted, the
// people in its title; a click toggles mine. Merging reaction.added / reaction.removed
// into a message's list is pure, so it is tested without a browser.

import { button, el } from "./dom.js";

// A new list with one person's emoji added or taken back. Idempotent, as on the server:
// an event that arrives twice (catch-up and broadcast) changes nothing the second time.
export function reactionsApply(reactions, { emoji, username, added }) {
  const next = (reactions || []).map((reaction) => ({ ...reaction, users: [...reaction.users] }));
  let entry = next.find((reaction) => reaction.emoji === emoji);
  if (added && !entry) {
    entry = { emoji, count: 0, users: [] };
    next.push(entry);
  }
  if (entry) {
    entry.users = entry.users.filter((user) => user !== username);
    if (added) entry.users.push(username);
  }
  for (const reaction of next) reaction.count = reaction.users.length;
  return next.filter((reaction) => reaction.count > 0);
}

export function hasReacted(reactions, emoji, username) {
  return (reactions || []).some((reaction) => reaction.emoji === emoji && reaction.users.includes(username));
}

// "Ada Lovelace and Grace Hopper reacted with 👍"; names: username -> display name.
export function reactionTitle(reaction, names = {}) {
  const people = reaction.users.map((user) => names[user] || user);
  const list = people.length > 1 ? `${people.slice(0, -1).join(", ")} and ${people.at(-1)}` : people[0];
  return `${list} reacted with ${reaction.emoji}`;
}

// The row of chips; onToggle(emoji, mine) sends the frame.
export function reactionChips(reactions, { me, names, canReact, onToggle }) {
  const row = el("div", "reactions");
  for (const reaction of reactions || []) {
    const mine = reaction.users.includes(me);
    const chip = button(`reaction-chip${mine ? " is-mine" : ""}`);
    chip.append(el("span", "reaction-emoji", reaction.emoji), el("span", "reaction-count", String(reaction.count)));
    chip.title = reactionTitle(reaction, names);
    chip.dataset.emoji = reaction.emoji;
    chip.setAttribute("aria-pressed", String(mine));
    chip.setAttribute("aria-label", `${reaction.emoji} ${reaction.count}: ${chip.title}`);
    chip.disabled = !canReact;
    chip.addEventListener("click", () => onToggle(reaction.emoji, mine));
    row.append(chip);
  }
  row.hidden = row.childElementCount === 0;
  return row;
}

// Grouping: one author's messages in a row, close in time, under one name and avatar.
import assert from "node:assert/strict";
import { test } from "node:test";

import { GROUP_GAP_MS, groupPlace, groupPlaces } from "../../static/js/grouping.js";

const MINUTE = 60 * 1000;
const NOON = Date.UTC(2026, 2, 3, 12, 0);
const utcDay = (at) => new Date(at).toISOString().slice(0, 10);
const at = (author, minutes) => ({ author, at: NOON + minutes * MINUTE });
const heads = (entries, options = {}) =>
  groupPlaces(entries, { dayOf: utcDay, ...options }).map((place) => !place.continues);

test("two messages by alice in a row are one group; bob's message starts another", () => {
  assert.deepEqual(heads([at("alice", 0), at("alice", 1), at("bob", 2), at("alice", 3)]), [
    true,
    false,
    true,
    true,
  ]);
});

test("a group continues while each message is within the gap of the one before", () => {
  const entries = [at("alice", 0), at("alice", 4), at("alice", 8), at("alice", 12)];
  assert.deepEqual(heads(entries), [true, false, false, false]);
});

test("a gap longer than five minutes starts a new group", () => {
  const gap = GROUP_GAP_MS / MINUTE;
  assert.equal(gap, 5);
  assert.deepEqual(heads([at("alice", 0), at("alice", gap)]), [true, false]);
  assert.deepEqual(heads([at("alice", 0), at("alice", gap + 0.01)]), [true, true]);
});

test("a new day starts a group and a day divider, even a minute later", () => {
  const beforeMidnight = { author: "alice", at: Date.UTC(2026, 2, 3, 23, 59, 30) };
  const afterMidnight = { author: "alice", at: Date.UTC(2026, 2, 4, 0, 0, 30) };
  const places = groupPlaces([beforeMidnight, afterMidnight], { dayOf: utcDay });
  assert.deepEqual(places, [
    { startsDay: true, continues: false },
    { startsDay: true, continues: false },
  ]);
});

test("the first message shown starts its day", () => {
  assert.deepEqual(groupPlace(null, at("alice", 0), { dayOf: utcDay }), { startsDay: true, continues: false });
});

test("a divider between two messages (new messages) starts a group", () => {
  const place = groupPlace(at("alice", 0), at("alice", 1), { dayOf: utcDay, divided: true });
  assert.deepEqual(place, { startsDay: false, continues: false });
});

test("deleting the head of a group makes the next message the head", () => {
  const group = [at("bob", 0), at("alice", 1), at("alice", 2), at("alice", 3)];
  assert.deepEqual(heads(group), [true, true, false, false]);
  const withoutHead = [group[0], group[2], group[3]];
  assert.deepEqual(heads(withoutHead), [true, true, false]);
});

test("an older page loaded above joins the group of the first message shown", () => {
  const shown = [at("alice", 10), at("alice", 11)];
  const older = [at("bob", 0), at("alice", 9)];
  assert.deepEqual(heads(shown), [true, false]);
  assert.deepEqual(heads([...older, ...shown]), [true, true, false, false]);
});

test("messages from two workers a little out of time order still group", () => {
  assert.deepEqual(heads([at("alice", 1), at("alice", 0.5)]), [true, false]);
});

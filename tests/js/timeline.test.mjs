// The timeline: each message once, in id order, and where a reconnect catches up from.
import assert from "node:assert/strict";
import { test } from "node:test";

import { CATCH_UP_MARGIN, Timeline } from "../../static/js/timeline.js";

test("messages arriving out of order are placed after the nearest lower id", () => {
  const timeline = new Timeline();
  assert.deepEqual(timeline.add(10), { after: null });
  assert.deepEqual(timeline.add(30), { after: 10 });
  assert.deepEqual(timeline.add(20), { after: 10 });
  assert.deepEqual(timeline.add(5), { after: null });
  assert.deepEqual(timeline.ids, [5, 10, 20, 30]);
});

test("a message already shown is refused, so catch-up and broadcasts merge by id", () => {
  const timeline = new Timeline();
  timeline.add(1);
  timeline.add(2);
  assert.equal(timeline.add(2), null);
  assert.equal(timeline.add(1), null);
  assert.equal(timeline.size, 2);
});

test("a deleted message leaves the order and may be shown again", () => {
  const timeline = new Timeline();
  for (const id of [1, 2, 3]) timeline.add(id);
  assert.equal(timeline.remove(2), true);
  assert.equal(timeline.remove(2), false);
  assert.equal(timeline.has(2), false);
  assert.deepEqual(timeline.add(2), { after: 1 });
});

test("the newest and oldest ids ever shown survive deletes", () => {
  const timeline = new Timeline();
  for (const id of [4, 9, 7]) timeline.add(id);
  timeline.remove(9);
  timeline.remove(4);
  assert.equal(timeline.lastId, 9);
  assert.equal(timeline.oldestId, 4);
});

test("a first connection asks for no catch-up", () => {
  assert.deepEqual(new Timeline().catchUpParams(), {});
});

test("a reconnect asks from a margin below the highest id synced, and for changes since the server's time", () => {
  const timeline = new Timeline();
  timeline.advanceSync([{ id: 100 }, { id: 130 }, { id: 120 }]);
  assert.equal(timeline.syncId, 130);
  assert.deepEqual(timeline.catchUpParams(), { after: String(130 - CATCH_UP_MARGIN) });
  timeline.serverTime = "2026-01-01T00:00:00Z";
  assert.deepEqual(timeline.catchUpParams(), {
    after: String(130 - CATCH_UP_MARGIN),
    since: "2026-01-01T00:00:00Z",
  });
});

test("the catch-up cursor never goes below zero", () => {
  const timeline = new Timeline();
  timeline.advanceSync([{ id: 3 }]);
  assert.deepEqual(timeline.catchUpParams(), { after: "0" });
});

test("showing a message does not move the catch-up cursor: only synced messages do", () => {
  const timeline = new Timeline();
  timeline.advanceSync([{ id: 5 }]);
  timeline.add(50); // my own acknowledgement, which can overtake broadcasts in flight
  assert.equal(timeline.syncId, 5);
  assert.equal(timeline.lastId, 50);
});

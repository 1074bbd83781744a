// The constants reader: the server's json_script block, checked and made easy to ask.
import assert from "node:assert/strict";
import { test } from "node:test";

import { pageConstants, readConstants, silenceLimitMs } from "../../static/js/constants.js";

const BLOCK = {
  close: { UNAUTHENTICATED: 4401, NOT_A_MEMBER: 4403, TOO_MANY: 4429 },
  final_closes: [4401, 4403],
  paused_closes: [4429],
  paused_retry_seconds: 30,
  close_sentences: { 4403: "You are no longer a member of this room." },
  errors: { UNAVAILABLE: "unavailable", SLOW_MODE: "slow_mode", MUTED: "muted" },
  wait_errors: ["slow_mode"],
  posting_errors: ["muted"],
  limits: { body_max_length: 4000 },
  ping_interval: 20,
  room_state_sentences: { archived: "This room is archived: it is read-only." },
  posting_sentences: { muted: "You are muted in this room until {until}." },
  upload_sentences: { too_large: "Files can be at most 25 MB." },
};

test("the block's values are read as the server sent them", () => {
  const constants = readConstants(JSON.stringify(BLOCK));
  assert.equal(constants.close.NOT_A_MEMBER, 4403);
  assert.equal(constants.limits.body_max_length, 4000);
  assert.equal(constants.room_state_sentences.archived, BLOCK.room_state_sentences.archived);
});

test("final and paused closes and the kinds of error are sets to ask", () => {
  const constants = readConstants(JSON.stringify(BLOCK));
  assert.ok(constants.finalCloses.has(4403));
  assert.ok(!constants.finalCloses.has(4429));
  assert.ok(constants.pausedCloses.has(4429));
  assert.ok(constants.waitErrors.has("slow_mode"));
  assert.ok(constants.retryableErrors.has("unavailable"));
  assert.ok(constants.retryableErrors.has("slow_mode"));
  assert.ok(!constants.retryableErrors.has("muted"));
  assert.ok(constants.postingErrors.has("muted"));
});

test("a close is worded from the block, and a code it does not word says nothing", () => {
  const constants = readConstants(JSON.stringify(BLOCK));
  assert.equal(constants.closeSentence(4403), "You are no longer a member of this room.");
  assert.equal(constants.closeSentence(4999), "");
});

test("a block missing a key fails when read, naming the key", () => {
  const { limits, ...rest } = BLOCK;
  assert.throws(() => readConstants(JSON.stringify(rest)), /lack limits/);
});

test("the constants are frozen: no script can change them for the others", () => {
  const constants = readConstants(JSON.stringify(BLOCK));
  assert.throws(() => {
    constants.ping_interval = 1;
  }, TypeError);
});

test("the page's block is found by its id", () => {
  const doc = { getElementById: (id) => (id === "parley-constants" ? { textContent: JSON.stringify(BLOCK) } : null) };
  assert.equal(pageConstants(doc).ping_interval, 20);
});

test("silence counts as a dead connection after two missed pings and a margin", () => {
  assert.equal(silenceLimitMs(20), 45000);
  assert.equal(silenceLimitMs(1), 7000);
});

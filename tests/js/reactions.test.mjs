// Reactions merged from events, the picker's search, reply excerpts and replies in the outbox.
import assert from "node:assert/strict";
import { test } from "node:test";

import { EMOJI, FREQUENT, emojiSearch, pickerGrid } from "../../static/js/emoji-picker.js";
import { Outbox } from "../../static/js/outbox.js";
import { hasReacted, reactionTitle, reactionsApply } from "../../static/js/reactions.js";
import { excerptOf } from "../../static/js/replies.js";

test("a reaction event adds the person to the emoji's chip, or makes a new chip", () => {
  let reactions = [];
  reactions = reactionsApply(reactions, { emoji: "👍", username: "ada", added: true });
  reactions = reactionsApply(reactions, { emoji: "👍", username: "grace", added: true });
  reactions = reactionsApply(reactions, { emoji: "🎉", username: "ada", added: true });
  assert.deepEqual(reactions, [
    { emoji: "👍", count: 2, users: ["ada", "grace"] },
    { emoji: "🎉", count: 1, users: ["ada"] },
  ]);
});

test("the same event twice changes nothing the second time", () => {
  const once = reactionsApply([], { emoji: "👍", username: "ada", added: true });
  assert.deepEqual(reactionsApply(once, { emoji: "👍", username: "ada", added: true }), once);
});

test("a removal takes the person off and drops a chip nobody is left on", () => {
  const both = [{ emoji: "👍", count: 2, users: ["ada", "grace"] }];
  const one = reactionsApply(both, { emoji: "👍", username: "ada", added: false });
  assert.deepEqual(one, [{ emoji: "👍", count: 1, users: ["grace"] }]);
  assert.deepEqual(reactionsApply(one, { emoji: "👍", username: "grace", added: false }), []);
  assert.deepEqual(both[0].users, ["ada", "grace"], "the old list is left alone");
});

test("a removal of a reaction never seen changes nothing", () => {
  assert.deepEqual(reactionsApply(undefined, { emoji: "👍", username: "ada", added: false }), []);
});

test("mine is told apart, and the chip's title names the people", () => {
  const reactions = [{ emoji: "👍", count: 3, users: ["ada", "grace", "bob"] }];
  assert.equal(hasReacted(reactions, "👍", "grace"), true);
  assert.equal(hasReacted(reactions, "🎉", "grace"), false);
  assert.equal(
    reactionTitle(reactions[0], { ada: "Ada Lovelace", grace: "Grace Hopper" }),
    "Ada Lovelace, Grace Hopper and bob reacted with 👍",
  );
});

test("the picker finds emoji by the start of their words, every word of the query", () => {
  assert.deepEqual(emojiSearch("thumb"), ["👍", "👎"]);
  assert.deepEqual(emojiSearch("heart bro"), ["💔"]);
  assert.deepEqual(emojiSearch("zzzz"), []);
  assert.equal(emojiSearch("").length, EMOJI.length);
  for (const emoji of FREQUENT) assert.ok(EMOJI.some(([known]) => known === emoji), emoji);
});

test("the picker offers each emoji once: the frequent row, then the others or the matches", () => {
  const rest = pickerGrid("");
  assert.equal(rest.length + FREQUENT.length, EMOJI.length);
  for (const emoji of FREQUENT) assert.ok(!rest.includes(emoji), emoji);
  assert.deepEqual(pickerGrid("thumb"), ["👍", "👎"]);
});

test("a reply's excerpt is one line of at most 140 characters", () => {
  assert.equal(excerptOf("  Lunch\n at   noon? "), "Lunch at noon?");
  const long = excerptOf("word ".repeat(100));
  assert.equal(long.length, 140);
  assert.ok(long.endsWith("…"));
});

test("a reply waits in the outbox with what it answers, and is sent with reply_to", () => {
  const store = new Map();
  const storage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v), removeItem: (k) => store.delete(k) };
  const outbox = new Outbox({ storage, key: "k" });
  outbox.add("c-1", "Yes!", { replyTo: 42 });
  outbox.add("c-2", "plain");

  const reopened = new Outbox({ storage, key: "k" });
  const restored = reopened.restore();

  assert.deepEqual(restored.map((entry) => reopened.frame(entry)), [
    { type: "message.send", body: "Yes!", client_id: "c-1", reply_to: 42 },
    { type: "message.send", body: "plain", client_id: "c-2" },
  ]);
});

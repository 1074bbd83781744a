// The outbox: unsent messages by client id, kept in storage, resent after retry_after.
import assert from "node:assert/strict";
import { test } from "node:test";

import { newClientId, Outbox, RETRY_MARGIN_MS } from "../../static/js/outbox.js";

const KEY = "parley:outbox:ada:lobby";
const WAIT_ERRORS = new Set(["slow_mode", "rate_limited"]);

function memoryStorage(initial = {}) {
  const items = new Map(Object.entries(initial));
  return {
    items,
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => items.set(key, String(value)),
    removeItem: (key) => items.delete(key),
  };
}

// Timers that run only when the test moves time on.
function fakeClock() {
  let now = 0;
  let timers = [];
  return {
    now: () => now,
    setTimeout: (callback, ms) => {
      const timer = { at: now + ms, callback };
      timers.push(timer);
      return timer;
    },
    clearTimeout: (timer) => {
      timers = timers.filter((other) => other !== timer);
    },
    advance(ms) {
      now += ms;
      const due = timers.filter((timer) => timer.at <= now);
      timers = timers.filter((timer) => timer.at > now);
      for (const timer of due) timer.callback();
    },
    get pending() {
      return timers.length;
    },
  };
}

function stored(storage) {
  return JSON.parse(storage.getItem(KEY));
}

test("an added message waits in the outbox and in storage", () => {
  const storage = memoryStorage();
  const outbox = new Outbox({ storage, key: KEY });
  outbox.add("c1", "Hello");
  outbox.add("c2", "World");
  assert.deepEqual(outbox.pending().map((entry) => entry.body), ["Hello", "World"]);
  assert.deepEqual(stored(storage), [
    { client_id: "c1", body: "Hello" },
    { client_id: "c2", body: "World" },
  ]);
});

test("an acknowledged message leaves the outbox, and storage is emptied with the last one", () => {
  const storage = memoryStorage();
  const outbox = new Outbox({ storage, key: KEY });
  outbox.add("c1", "Hello");
  assert.equal(outbox.ack("c1").body, "Hello");
  assert.equal(outbox.ack("c1"), null);
  assert.equal(outbox.size, 0);
  assert.equal(storage.getItem(KEY), null);
});

test("a refused message stops being resent but is kept, marked failed", () => {
  const storage = memoryStorage();
  const outbox = new Outbox({ storage, key: KEY });
  outbox.add("c1", "Too long");
  outbox.add("c2", "Fine");
  outbox.refuse("c1");
  assert.deepEqual(outbox.pending().map((entry) => entry.clientId), ["c2"]);
  assert.deepEqual(stored(storage), [
    { client_id: "c2", body: "Fine" },
    { client_id: "c1", body: "Too long", failed: true },
  ]);
});

test("retrying a refused message queues it again last, under the same client id", () => {
  const outbox = new Outbox({ storage: memoryStorage(), key: KEY });
  outbox.add("c1", "First");
  outbox.add("c2", "Second");
  outbox.refuse("c1");
  outbox.retry("c1");
  assert.deepEqual(outbox.pending().map((entry) => entry.clientId), ["c2", "c1"]);
});

test("a reload restores what was left, failed ones still failed, and ignores junk", () => {
  const storage = memoryStorage({
    [KEY]: JSON.stringify([
      { client_id: "c1", body: "Pending" },
      { client_id: "c2", body: "Refused", failed: true },
      { client_id: 3, body: "no id" },
      null,
    ]),
  });
  const restored = new Outbox({ storage, key: KEY }).restore();
  assert.deepEqual(
    restored.map((entry) => [entry.clientId, entry.failed]),
    [["c1", false], ["c2", true]],
  );
  assert.deepEqual(new Outbox({ storage: memoryStorage({ [KEY]: "{not json" }), key: KEY }).restore(), []);
});

test("storage that refuses writes does not lose the message in memory", () => {
  const storage = { ...memoryStorage(), setItem: () => { throw new Error("quota"); } };
  const outbox = new Outbox({ storage, key: KEY });
  outbox.add("c1", "Hello");
  assert.equal(outbox.get("c1").body, "Hello");
});

test("slow mode and the rate limit are waited out for retry_after plus a margin", () => {
  const outbox = new Outbox({ storage: memoryStorage(), key: KEY });
  assert.deepEqual(outbox.retryDelay({ code: "slow_mode", retry_after: 4.2 }, WAIT_ERRORS), {
    seconds: 4.2,
    ms: 4200 + RETRY_MARGIN_MS,
  });
  assert.equal(outbox.retryDelay({ code: "rate_limited" }, WAIT_ERRORS).seconds, 1);
  assert.equal(outbox.retryDelay({ code: "unavailable" }, WAIT_ERRORS).seconds, 3);
});

test("the outbox is flushed once the wait is over, and not before", () => {
  const clock = fakeClock();
  const outbox = new Outbox({ storage: memoryStorage(), key: KEY, clock });
  let flushes = 0;
  outbox.retryIn(2000, () => (flushes += 1));
  clock.advance(1999);
  assert.equal(flushes, 0);
  clock.advance(1);
  assert.equal(flushes, 1);
  assert.equal(clock.pending, 0);
});

test("a new wait replaces the one before, and a cancelled wait never flushes", () => {
  const clock = fakeClock();
  const outbox = new Outbox({ storage: memoryStorage(), key: KEY, clock });
  let flushes = 0;
  outbox.retryIn(1000, () => (flushes += 1));
  outbox.retryIn(5000, () => (flushes += 1));
  clock.advance(1000);
  assert.equal(flushes, 0);
  outbox.cancelRetry();
  clock.advance(10000);
  assert.equal(flushes, 0);
});

test("client ids are unique, with or without crypto.randomUUID", () => {
  assert.notEqual(newClientId(), newClientId());
  assert.match(newClientId(null), /^[0-9a-z]+-[0-9a-z]+$/);
});

test("a message with files is sent, and resent, naming the same uploads", () => {
  const outbox = new Outbox({ storage: memoryStorage(), key: KEY });
  const files = [{ id: 7, name: "cat.png", size: 10, content_type: "image/png", url: "/f/7" }];

  const entry = outbox.add("c1", "", { attachments: files });

  assert.deepEqual(outbox.frame(entry), { type: "message.send", body: "", client_id: "c1", attachments: [7] });
});

test("a message without files sends no attachments field", () => {
  const outbox = new Outbox({ storage: memoryStorage(), key: KEY });

  assert.deepEqual(Object.keys(outbox.frame(outbox.add("c1", "hi"))), ["type", "body", "client_id"]);
});

test("files survive a reload with their message, and stored junk is dropped", () => {
  const storage = memoryStorage();
  const files = [{ id: 7, name: "cat.png", size: 10, content_type: "image/png", url: "/f/7" }];
  new Outbox({ storage, key: KEY }).add("c1", "", { attachments: files });
  const stored = JSON.parse(storage.getItem(KEY));
  stored[0].attachments.push({ id: "8", name: "x" });
  storage.setItem(KEY, JSON.stringify(stored));

  const [entry] = new Outbox({ storage, key: KEY }).restore();

  assert.deepEqual(entry.attachments, files);
});

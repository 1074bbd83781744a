// The reconnect backoff: doubling, capped, jittered in the upper half, reset on success.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Backoff } from "../../static/js/backoff.js";

test("the delay doubles from the minimum with each attempt", () => {
  const backoff = new Backoff({ minMs: 500, maxMs: 15000, random: () => 1 });
  assert.deepEqual([1, 2, 3, 4].map(() => backoff.next()), [500, 1000, 2000, 4000]);
  assert.equal(backoff.attempts, 4);
});

test("the delay stops growing at the cap", () => {
  const backoff = new Backoff({ minMs: 500, maxMs: 15000, random: () => 1 });
  for (let attempt = 0; attempt < 20; attempt += 1) backoff.next();
  assert.equal(backoff.next(), 15000);
});

test("jitter keeps every delay in the upper half of its ceiling", () => {
  const low = new Backoff({ minMs: 1000, maxMs: 8000, random: () => 0 });
  assert.deepEqual([1, 2, 3, 4, 5].map(() => low.next()), [500, 1000, 2000, 4000, 4000]);
  const middle = new Backoff({ minMs: 1000, maxMs: 8000, random: () => 0.5 });
  assert.equal(middle.next(), 750);
});

test("a reset starts again from the minimum", () => {
  const backoff = new Backoff({ minMs: 500, maxMs: 15000, random: () => 1 });
  backoff.next();
  backoff.next();
  backoff.next();
  backoff.reset();
  assert.equal(backoff.attempts, 0);
  assert.equal(backoff.next(), 500);
});

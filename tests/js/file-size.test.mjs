// Sizes on chips and file links, worded as the server words its limit (1,024 bytes a KB).
import assert from "node:assert/strict";
import { test } from "node:test";

import { formatSize } from "../../static/js/file-size.js";

test("a few bytes are counted in bytes, one of them in the singular", () => {
  assert.equal(formatSize(0), "0 bytes");
  assert.equal(formatSize(1), "1 byte");
  assert.equal(formatSize(1023), "1023 bytes");
});

test("small sizes keep one decimal and larger ones none", () => {
  assert.equal(formatSize(1024), "1 KB");
  assert.equal(formatSize(1536), "1.5 KB");
  assert.equal(formatSize(340 * 1024 + 100), "340 KB");
  assert.equal(formatSize(4.5 * 1024 * 1024), "4.5 MB");
});

test("the upload limit reads as the server's sentence says it", () => {
  assert.equal(formatSize(25 * 1024 * 1024), "25 MB");
  assert.equal(formatSize(3 * 1024 ** 3), "3 GB");
});

test("a size that is not a count of bytes shows nothing", () => {
  assert.equal(formatSize(-1), "");
  assert.equal(formatSize(Number.NaN), "");
});

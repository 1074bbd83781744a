// A thumbnail's place in a message: the image's shape, within the box, never enlarged.
import assert from "node:assert/strict";
import { test } from "node:test";

import { isImage, THUMBNAIL_BOX, thumbnailSize } from "../../static/js/attachments-view.js";

test("a wide image is scaled to the box's width, keeping its shape", () => {
  assert.deepEqual(thumbnailSize(1200, 800), { width: 320, height: 213 });
});

test("a tall image is scaled to the box's height", () => {
  assert.deepEqual(thumbnailSize(600, 1200), { width: 120, height: 240 });
});

test("a small image keeps its own size", () => {
  assert.deepEqual(thumbnailSize(40, 20), { width: 40, height: 20 });
});

test("an image of unknown size gets the whole box", () => {
  assert.deepEqual(thumbnailSize(null, null), THUMBNAIL_BOX);
});

test("only images with a size are shown as images; any other file is a link", () => {
  assert.ok(isImage({ content_type: "image/png", width: 40, height: 20 }));
  assert.ok(!isImage({ content_type: "application/octet-stream", width: null, height: null }));
});

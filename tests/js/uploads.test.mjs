// The files of the message being written: checked first, uploaded with progress,
// cancelled, refused in the server's words, and taken by the message that sends them.
import assert from "node:assert/strict";
import { test } from "node:test";

import { failureSentence, UploadQueue, uploadRefusal } from "../../static/js/uploads.js";

const LIMITS = { upload_max_bytes: 1000, attachments_per_message: 2 };
const SENTENCES = {
  too_large: "Files can be at most 0.001 MB.",
  too_many_attachments: "A message can carry at most 2 attachments.",
};

// Requests that finish only when the test says so.
function fakeServer() {
  const requests = [];
  const start = (file, onProgress) => {
    let finish;
    const promise = new Promise((resolve) => {
      finish = resolve;
    });
    const request = { file, onProgress, finish, aborted: false };
    request.abort = () => {
      request.aborted = true;
      finish({ status: 0, body: null, aborted: true });
    };
    requests.push(request);
    return { promise, abort: request.abort };
  };
  return { requests, start };
}

function queueWith(server) {
  return new UploadQueue({ limits: LIMITS, sentences: SENTENCES, start: server.start });
}

const file = (name, size = 10) => ({ name, size });
const attachment = (id, name) => ({ id, name, size: 10, content_type: "text/plain", url: `/f/${id}` });
const settle = () => new Promise((resolve) => setImmediate(resolve));

test("a file too large is refused with the server's sentence and never uploaded", () => {
  const server = fakeServer();
  const queue = queueWith(server);

  const [item] = queue.add([file("big.bin", 1001)]);

  assert.equal(item.state, "failed");
  assert.equal(item.error, SENTENCES.too_large);
  assert.equal(server.requests.length, 0);
});

test("a file past the message's count is refused, refused files not counting", () => {
  const queue = queueWith(fakeServer());

  queue.add([file("big.bin", 5000)]);
  const items = queue.add([file("a"), file("b"), file("c")]);

  assert.deepEqual(items.map((item) => item.state), ["uploading", "uploading", "failed"]);
  assert.equal(items[2].error, SENTENCES.too_many_attachments);
});

test("the limits are checked in the order the server checks them", () => {
  const options = { count: 0, limits: LIMITS, sentences: SENTENCES };
  assert.equal(uploadRefusal(file("ok", 1000), options), "");
  assert.equal(uploadRefusal(file("ok", 10), { ...options, count: 2 }), SENTENCES.too_many_attachments);
});

test("an upload shows its progress, then becomes ready with the server's attachment", async () => {
  const server = fakeServer();
  const queue = queueWith(server);
  const [item] = queue.add([file("notes.txt", 100)]);

  server.requests[0].onProgress(40, 100);
  assert.equal(item.loaded, 40);
  server.requests[0].finish({ status: 201, body: attachment(7, "notes.txt") });
  await settle();

  assert.equal(item.state, "ready");
  assert.equal(queue.uploading, 0);
});

test("cancelling an upload under way aborts its request and removes it", async () => {
  const server = fakeServer();
  const queue = queueWith(server);
  const [item] = queue.add([file("slow.bin")]);

  queue.remove(item.key);
  await settle();

  assert.ok(server.requests[0].aborted);
  assert.equal(queue.list.length, 0);
});

test("a finished upload can be removed before sending, and does not go with the message", async () => {
  const server = fakeServer();
  const queue = queueWith(server);
  const [first] = queue.add([file("a"), file("b")]);
  server.requests[0].finish({ status: 201, body: attachment(1, "a") });
  server.requests[1].finish({ status: 201, body: attachment(2, "b") });
  await settle();

  queue.remove(first.key);

  assert.deepEqual(queue.take().map((a) => a.id), [2]);
  assert.equal(queue.list.length, 0);
});

test("the server's refusal is shown in its own words", async () => {
  const server = fakeServer();
  const queue = queueWith(server);
  const [item] = queue.add([file("fake.png")]);

  const detail = "That is not a PNG, JPEG, GIF or WebP image.";
  server.requests[0].finish({ status: 400, body: { error: "invalid_image", detail } });
  await settle();

  assert.equal(item.state, "failed");
  assert.equal(item.error, detail);
});

test("a proxy's 413 without JSON still says the size limit", () => {
  assert.equal(failureSentence({ status: 413, body: null }, SENTENCES), SENTENCES.too_large);
  assert.match(failureSentence({ status: 0, body: null }, SENTENCES), /connection/);
  assert.match(failureSentence({ status: 502, body: null }, SENTENCES), /HTTP 502/);
});

test("sending takes only the ready files; those uploading and refused stay", async () => {
  const server = fakeServer();
  const queue = queueWith(server);
  queue.add([file("done"), file("slow")]);
  queue.add([file("huge", 5000)]);
  server.requests[0].finish({ status: 201, body: attachment(3, "done") });
  await settle();

  assert.deepEqual(queue.take().map((a) => a.id), [3]);
  assert.deepEqual(queue.list.map((item) => item.state), ["uploading", "failed"]);
  assert.equal(queue.uploading, 1);
});

test("uploads given back with an unsent message are ready to send again", () => {
  const queue = queueWith(fakeServer());

  queue.restore([attachment(5, "a"), attachment(6, "b")]);

  assert.equal(queue.count, 2);
  assert.deepEqual(queue.take().map((a) => a.id), [5, 6]);
});

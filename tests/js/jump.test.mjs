// Links to one message: the room page's address with ?at=<id> and nothing else.
import assert from "node:assert/strict";
import { test } from "node:test";

import { messageLink } from "../../static/js/jump.js";

test("a message link is the room's address with only ?at=<id>", () => {
  assert.equal(messageLink("https://chat.example/rooms/lobby-x1/", 42), "https://chat.example/rooms/lobby-x1/?at=42");
});

test("whatever the page's address held, the link drops it", () => {
  assert.equal(
    messageLink("http://127.0.0.1:8000/rooms/lobby/?at=7&q=x#composer", "42"),
    "http://127.0.0.1:8000/rooms/lobby/?at=42",
  );
});

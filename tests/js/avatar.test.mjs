// Avatars: initials and colour as the server computes them (accounts/avatars.py).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { AVATAR_COLORS, avatarColor, avatarInitials } from "../../static/js/avatar.js";

const table = JSON.parse(readFileSync(new URL("../support/avatar_cases.json", import.meta.url), "utf8"));

test("the page computes the initials and colour the server computes, for every pinned case", () => {
  assert.equal(AVATAR_COLORS, table.colors);
  for (const person of table.cases) {
    assert.equal(avatarInitials(person), person.initials, `initials of ${JSON.stringify(person)}`);
    assert.equal(avatarColor(person), person.color, `colour of ${person.username}`);
  }
});

test("a person without a display name gets the initial of their username", () => {
  assert.equal(avatarInitials({ username: "zed" }), "Z");
  assert.equal(avatarInitials({ username: "zed", display_name: "   " }), "Z");
});

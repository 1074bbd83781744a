// The page's modules load as the browser loads them: no build step, relative imports only.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const folder = new URL("../../static/js/", import.meta.url);
const modules = readdirSync(folder).filter((name) => name.endsWith(".js"));
// The entry modules find the page's elements as they load; every other module waits to be called.
const ENTRIES = new Set(["room.js", "inbox.js"]);

function importsOf(name) {
  const source = readFileSync(new URL(name, folder), "utf8");
  return [...source.matchAll(/^import .* from "([^"]+)";$/gm)].map((match) => match[1]);
}

test("every import is a relative path to a module in static/js", () => {
  for (const name of modules) {
    for (const specifier of importsOf(name)) {
      assert.match(specifier, /^\.\/[\w-]+\.js$/, `${name} imports ${specifier}`);
      assert.ok(modules.includes(specifier.slice(2)), `${name} imports missing ${specifier}`);
    }
  }
});

test("modules other than the entries touch no page and no window when imported", async () => {
  assert.equal(globalThis.document, undefined);
  assert.equal(globalThis.window, undefined);
  for (const name of modules.filter((module) => !ENTRIES.has(module))) {
    await import(new URL(name, folder));
  }
});

test("the entry modules parse, though they cannot run here", () => {
  for (const name of ENTRIES) {
    // An early error (a name declared twice) stops the whole page; --check finds it without running.
    execFileSync(process.execPath, ["--check", fileURLToPath(new URL(name, folder))], { stdio: "pipe" });
  }
});

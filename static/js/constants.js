// The protocol's codes, limits and sentences, as the server renders them
// (messaging.protocol.page_constants, in a json_script block): no script keeps its own copy.
//
// Pure: nothing here touches the page until pageConstants() is called.

const REQUIRED = [
  "close",
  "final_closes",
  "paused_closes",
  "paused_retry_seconds",
  "close_sentences",
  "errors",
  "wait_errors",
  "posting_errors",
  "limits",
  "ping_interval",
  "room_state_sentences",
  "posting_sentences",
  "upload_sentences",
];

// Read the constants from their JSON text: a block missing a key fails here, loudly,
// rather than as an undefined deep inside a handler.
export function readConstants(text) {
  const data = JSON.parse(text);
  const missing = REQUIRED.filter((key) => !(key in data));
  if (missing.length) throw new Error(`parley constants lack ${missing.join(", ")}`);
  const errors = data.errors;
  return Object.freeze({
    ...data,
    finalCloses: new Set(data.final_closes),
    pausedCloses: new Set(data.paused_closes),
    waitErrors: new Set(data.wait_errors),
    retryableErrors: new Set([errors.UNAVAILABLE, ...data.wait_errors]),
    postingErrors: new Set(data.posting_errors),
    closeSentence: (code) => data.close_sentences[String(code)] || "",
  });
}

export function pageConstants(doc = globalThis.document) {
  return readConstants(doc.getElementById("parley-constants").textContent);
}

// The server pings every interval; two missed pings and a margin mean the
// connection is dead even if the network never said so.
export function silenceLimitMs(pingIntervalSeconds) {
  return (2 * pingIntervalSeconds + 5) * 1000;
}

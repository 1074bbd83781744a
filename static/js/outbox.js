// Messages not yet acknowledged (stored) by the server, and those it refused for good,
// by client id. Kept in storage too, so a reload or a crash of the tab loses nothing.
//
// Pure: storage and clock are injected; the page draws the entries.

import { realClock } from "./clock.js";

export const RETRY_MARGIN_MS = 150; // past retry_after, so the server's clock has surely moved on
const UNAVAILABLE_RETRY_SECONDS = 3;

export function newClientId(crypto = globalThis.crypto) {
  if (crypto && crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

export class Outbox {
  constructor({ storage, key, clock = realClock }) {
    this.storage = storage;
    this.key = key;
    this.clock = clock;
    this.entries = new Map(); // client id -> {clientId, body, attachments, replyTo, failed}
    this.retryTimer = null;
  }

  get size() {
    return this.entries.size;
  }

  get(clientId) {
    return this.entries.get(clientId) || null;
  }

  has(clientId) {
    return this.entries.has(clientId);
  }

  // Waiting to be sent (or resent), oldest first; refused ones wait for a person.
  pending() {
    return [...this.entries.values()].filter((entry) => !entry.failed);
  }

  // attachments: the uploads the message carries, as the server described them; a resend
  // names the same ids, so it is the same message. replyTo: the id of the message this
  // one answers, sent as reply_to (null: none).
  add(clientId, body, { failed = false, attachments = [], replyTo = null } = {}) {
    const entry = { clientId, body, attachments, replyTo, failed };
    this.entries.set(clientId, entry);
    this.save();
    return entry;
  }

  // The server stored it: null if this page was not waiting for it.
  ack(clientId) {
    return this.take(clientId);
  }

  refuse(clientId) {
    const entry = this.entries.get(clientId);
    if (!entry) return null;
    entry.failed = true;
    this.save();
    return entry;
  }

  // Refused for good last time: it goes back at the end of the queue, under the same id
  // (the server stored nothing under it).
  retry(clientId) {
    const entry = this.entries.get(clientId);
    if (!entry || !entry.failed) return entry || null;
    this.entries.delete(clientId);
    entry.failed = false;
    this.entries.set(clientId, entry);
    this.save();
    return entry;
  }

  take(clientId) {
    const entry = this.entries.get(clientId);
    if (!entry) return null;
    this.entries.delete(clientId);
    this.save();
    return entry;
  }

  // The frame that sends (and resends) an entry.
  frame(entry) {
    const frame = { type: "message.send", body: entry.body, client_id: entry.clientId };
    if (entry.attachments.length) frame.attachments = entry.attachments.map((attachment) => attachment.id);
    if (entry.replyTo) frame.reply_to = entry.replyTo;
    return frame;
  }

  save() {
    const toStored = (entry) => ({
      client_id: entry.clientId,
      body: entry.body,
      ...(entry.attachments.length ? { attachments: entry.attachments } : {}),
      ...(entry.replyTo ? { reply_to: entry.replyTo } : {}),
      ...(entry.failed ? { failed: true } : {}),
    });
    const stored = [
      ...this.pending().map(toStored),
      ...[...this.entries.values()].filter((entry) => entry.failed).map(toStored),
    ];
    try {
      if (stored.length) this.storage.setItem(this.key, JSON.stringify(stored));
      else this.storage.removeItem(this.key);
    } catch {
      // Storage full or disabled: the in-memory outbox still resends while the tab lives.
    }
  }

  // What an earlier page left unsent, back in the outbox; returns the entries added.
  restore() {
    let stored = [];
    try {
      stored = JSON.parse(this.storage.getItem(this.key) || "[]");
    } catch {
      stored = [];
    }
    if (!Array.isArray(stored)) return [];
    const restored = [];
    for (const item of stored) {
      if (item && typeof item.client_id === "string" && typeof item.body === "string") {
        const attachments = storedAttachments(item.attachments);
        const replyTo = Number.isInteger(item.reply_to) ? item.reply_to : null;
        restored.push(
          this.add(item.client_id, item.body, { failed: item.failed === true, attachments, replyTo }),
        );
      }
    }
    return restored;
  }

  // How long a refusal that passes by itself asks to wait: retry_after under slow mode
  // and the rate limit (waitErrors), a few seconds when the server is unavailable.
  retryDelay(frame, waitErrors) {
    const seconds = waitErrors.has(frame.code)
      ? Number(frame.retry_after) || 1
      : UNAVAILABLE_RETRY_SECONDS;
    return { seconds, ms: seconds * 1000 + RETRY_MARGIN_MS };
  }

  // One timer for the whole outbox: resending sends every pending message.
  retryIn(ms, flush) {
    this.cancelRetry();
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = null;
      flush();
    }, ms);
  }

  cancelRetry() {
    if (this.retryTimer !== null) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}

// Attachments as an earlier page stored them; anything without a numeric id is dropped.
function storedAttachments(value) {
  if (!Array.isArray(value)) return [];
  return value.filter((attachment) => attachment
    && Number.isInteger(attachment.id)
    && typeof attachment.name === "string"
    && typeof attachment.url === "string"
    && typeof attachment.content_type === "string");
}

// My unsent messages on the page: "sending…" until acknowledged; refused ones keep their
// text with a way to send them again, to take them back into the composer, or to copy them.

import { button, el } from "./dom.js";
import { regroup, removeMessage } from "./message-groups.js";
import { messageElement } from "./render.js";

export class OutboxView {
  // sendFrame(frame) -> bool; toComposer(body, attachments): Edit puts the text and the
  // files back for rewriting.
  // myName and myAvatarUrl: so my avatar looks the same before and after sending.
  constructor({ outbox, list, me, myName = "", myAvatarUrl = null, constants, sendFrame, toComposer, onChange }) {
    Object.assign(this, { outbox, list, me, myName, myAvatarUrl, constants, sendFrame, toComposer, onChange });
    this.elements = new Map(); // client id -> <li>
  }

  add(clientId, body, { attachments = [], replyTo = null } = {}) {
    this.#draw(this.outbox.add(clientId, body, { attachments, replyTo }));
  }

  restore() {
    for (const entry of this.outbox.restore()) {
      this.#draw(entry);
      if (entry.failed) this.#markFailed(entry);
    }
  }

  // My message came back stored: its pending copy gives way to it.
  acknowledge(message) {
    if (!message.client_id || message.author.username !== this.me) return;
    if (!this.outbox.ack(message.client_id)) return;
    const pending = this.elements.get(message.client_id);
    if (pending) removeMessage(pending);
    this.elements.delete(message.client_id);
  }

  isMinePending(message) {
    return message.author.username === this.me && this.outbox.has(message.client_id);
  }

  // Resending is safe: the server stores a client_id once per author and room.
  flush() {
    this.outbox.cancelRetry();
    for (const entry of this.outbox.pending()) {
      if (!this.#sendOne(entry)) return;
    }
  }

  send(clientId) {
    const entry = this.outbox.get(clientId);
    if (entry) this.#sendOne(entry);
  }

  // An error frame about one of my messages: wait and resend, or keep it as not sent.
  refused(frame) {
    const entry = frame.client_id ? this.outbox.get(frame.client_id) : null;
    if (!entry || entry.failed) return;
    if (this.constants.retryableErrors.has(frame.code)) {
      const { seconds, ms } = this.outbox.retryDelay(frame, this.constants.waitErrors);
      this.#setStatus(entry, `sending again in ${Math.ceil(seconds)} s…`);
      this.#addActions(entry);
      this.outbox.retryIn(ms, () => this.flush());
    } else {
      this.outbox.refuse(entry.clientId);
      this.#markFailed(entry);
    }
  }

  stop() {
    this.outbox.cancelRetry();
  }

  #sendOne(entry) {
    return this.sendFrame(this.outbox.frame(entry));
  }

  #draw(entry) {
    const element = messageElement(
      {
        author: { username: this.me, display_name: this.myName, avatar_url: this.myAvatarUrl },
        body: entry.body,
        client_id: entry.clientId,
        attachments: entry.attachments,
      },
      { me: this.me, pending: true },
    );
    element.querySelector(".message-author").textContent = "You";
    this.list.append(element);
    regroup(element);
    this.elements.set(entry.clientId, element);
    this.onChange();
  }

  #markFailed(entry) {
    const element = this.elements.get(entry.clientId);
    element.classList.replace("is-pending", "is-failed");
    this.#setStatus(entry, "not sent");
    this.#addActions(entry);
  }

  #setStatus(entry, text) {
    this.elements.get(entry.clientId).querySelector(".message-status").textContent = text;
  }

  #addActions(entry) {
    const element = this.elements.get(entry.clientId);
    if (element.querySelector(".unsent-actions")) return;
    const actions = el("span", "message-actions unsent-actions");
    const action = (label, onClick) => {
      const node = button(`unsent-${label.toLowerCase()}`, label);
      node.addEventListener("click", () => onClick(node));
      actions.append(node);
    };
    action("Retry", () => this.#retry(entry));
    action("Edit", () => this.#edit(entry));
    action("Copy", (node) => this.#copy(entry, node));
    element.querySelector(".message-meta").append(actions);
  }

  #retry(entry) {
    if (entry.failed) {
      this.outbox.retry(entry.clientId);
      this.elements.get(entry.clientId).classList.replace("is-failed", "is-pending");
    }
    this.#setStatus(entry, "sending…");
    this.flush();
  }

  #edit(entry) {
    this.outbox.take(entry.clientId);
    removeMessage(this.elements.get(entry.clientId));
    this.elements.delete(entry.clientId);
    this.toComposer(entry.body, entry.attachments);
    this.onChange();
  }

  async #copy(entry, node) {
    try {
      await navigator.clipboard.writeText(entry.body);
      node.textContent = "Copied";
    } catch {
      // No clipboard here (permission, plain http): select the text for Ctrl+C instead.
      const range = document.createRange();
      range.selectNodeContents(this.elements.get(entry.clientId).querySelector(".message-body"));
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
      node.textContent = "Selected";
    }
  }
}

// The messages on the page, in id order, each once; authors edit and delete their own,
// moderators delete any.

import { button, el } from "./dom.js";
import { regroup, regroupAround, removeMessage } from "./message-groups.js";
import { copyMessageLink } from "./message-link.js";
import { messageElement } from "./render.js";

const NEAR_BOTTOM_PX = 80;

export class MessageList {
  // sendAction(frame) -> bool: false when the frame could not go out.
  // beforeShow(message): my acknowledged message replaces its pending copy.
  // unsentCount(): messages of mine still in the outbox, which keep the room from looking empty.
  constructor({ elements, me, constants, timeline, canModerate, ...hooks }) {
    Object.assign(this, elements); // list, scroller, emptyNote, jumpToLatest
    Object.assign(this, { me, constants, timeline, canModerate });
    // decorate(item, message): what other modules add to a drawn message (message-extras.js).
    const { sendAction, beforeShow, unsentCount, composerInput, decorate = () => {} } = hooks;
    Object.assign(this, { sendAction, beforeShow, unsentCount, composerInput, decorate });
    this.shown = new Map(); // message id -> <li>
  }

  element(id) {
    return this.shown.get(id) || null;
  }

  show(message) {
    const position = this.timeline.add(message.id);
    if (position === null) return false; // each message exactly once
    this.beforeShow(message);
    const item = this.#element(message);
    // Unacknowledged messages stay at the bottom, below every stored one.
    const previous = position.after === null ? null : this.shown.get(position.after);
    if (previous) previous.after(item);
    else this.list.prepend(item);
    regroupAround(item);
    this.shown.set(message.id, item);
    this.emptyNote.hidden = true;
    return true;
  }

  showMany(messages, { follow }) {
    const stick = follow || this.isNearBottom();
    let added = 0;
    for (const message of messages) if (this.show(message)) added += 1;
    if (stick) this.scrollToBottom();
    else if (added) this.jumpToLatest.hidden = false;
    this.refreshEmpty();
  }

  applyEdit(message) {
    const item = this.shown.get(message.id);
    if (!item) return;
    const fresh = this.#element(message);
    item.replaceWith(fresh);
    regroup(fresh);
    this.shown.set(message.id, fresh);
  }

  applyDelete(id) {
    const item = this.shown.get(id);
    if (!item) return;
    removeMessage(item);
    this.shown.delete(id);
    this.timeline.remove(id);
    this.refreshEmpty();
  }

  refreshEmpty() {
    this.emptyNote.hidden = this.shown.size > 0 || this.unsentCount() > 0;
  }

  hideEmpty() {
    this.emptyNote.hidden = true;
  }

  isNearBottom() {
    const { scroller } = this;
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < NEAR_BOTTOM_PX;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.jumpToLatest.hidden = true;
  }

  // A role change: delete buttons appear on, or leave, other people's messages; the rest
  // of each action bar (message-extras.js adds to it) stays.
  setCanModerate(canModerate) {
    if (canModerate === this.canModerate) return;
    this.canModerate = canModerate;
    for (const item of this.shown.values()) {
      if (item.classList.contains("is-mine")) continue;
      item.querySelector(".message-delete")?.remove();
      item.querySelector(".message-delete-form")?.remove();
      if (canModerate) item.querySelector(".message-actions").append(this.#deleteButton(item, false));
    }
  }

  // As in most chats: the last message I wrote opens for editing.
  editLastOfMine() {
    const mine = [...this.list.querySelectorAll("li.message.is-mine[data-id]")].pop();
    if (!mine) return false;
    this.#startEdit(mine);
    return true;
  }

  #element(message) {
    const item = messageElement(message, { me: this.me });
    this.#addActions(item);
    this.decorate(item, message);
    return item;
  }

  // The message's one action bar; message-extras.js puts React, Reply and Pin first.
  #addActions(item) {
    const mine = item.classList.contains("is-mine");
    const actions = el("div", "message-actions");
    actions.setAttribute("role", "group");
    actions.setAttribute("aria-label", "Message actions");
    const copyLink = button("message-copy-link", "Copy link");
    copyLink.addEventListener("click", () => copyMessageLink(item, actions));
    actions.append(copyLink);
    if (mine) {
      const edit = button("message-edit", "Edit");
      edit.addEventListener("click", () => this.#startEdit(item));
      actions.append(edit);
    }
    if (mine || this.canModerate) actions.append(this.#deleteButton(item, mine));
    item.append(actions);
  }

  #deleteButton(item, mine) {
    const remove = button("message-delete", "Delete");
    remove.addEventListener("click", () => this.#startDelete(item, mine));
    return remove;
  }

  #startEdit(item) {
    if (item.querySelector(".message-edit-form")) return;
    const body = item.querySelector(".message-body");
    const form = el("form", "message-edit-form");
    const area = el("textarea");
    area.value = body.dataset.source || body.textContent;
    area.maxLength = this.constants.limits.body_max_length;
    area.setAttribute("aria-label", "Edit message");
    const cancel = button("link-button", "Cancel");
    form.append(area, button("button button-small", "Save", "submit"), cancel);
    body.hidden = true;
    body.after(form);
    area.focus();
    const close = () => {
      const hadFocus = form.contains(document.activeElement);
      form.remove();
      body.hidden = false;
      if (hadFocus && !this.composerInput.disabled) this.composerInput.focus();
    };
    cancel.addEventListener("click", close);
    area.addEventListener("keydown", (event) => {
      if (event.key === "Escape") close();
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = area.value.trim();
      if (!text || text === body.dataset.source) return close();
      if (this.sendAction({ type: "message.edit", id: Number(item.dataset.id), body: text })) close();
    });
  }

  #startDelete(item, mine) {
    if (item.querySelector(".message-delete-form")) return;
    const form = el("form", "message-delete-form");
    form.append(el("span", null, mine ? "Delete this message? " : "Remove this message? "));
    let reason = null;
    if (!mine) {
      reason = el("input");
      reason.type = "text";
      reason.maxLength = this.constants.limits.reason_max_length;
      reason.placeholder = "reason (optional)";
      reason.setAttribute("aria-label", "Reason for removing");
      form.append(reason);
    }
    const yes = button("button button-small", "Delete", "submit");
    const no = button("link-button", "Cancel");
    no.addEventListener("click", () => form.remove());
    form.append(yes, no);
    item.append(form);
    (reason || yes).focus();
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const frame = { type: "message.delete", id: Number(item.dataset.id) };
      if (reason && reason.value.trim()) frame.reason = reason.value.trim();
      if (this.sendAction(frame)) form.remove();
    });
  }
}

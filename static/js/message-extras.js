// What a message carries besides its text: the quote it replies to, its reactions, its
// pin, the way to its earlier versions, and the buttons for them (React, Reply, Pin) at
// the front of the list's action bar.
// The list calls decorate() for every message it draws; events update them in place.

import { button, el } from "./dom.js";
import { hasReacted, reactionChips, reactionsApply } from "./reactions.js";
import { quoteElement } from "./replies.js";

export class MessageExtras {
  // controls: what my role may do ({react, pin, edit_history}); element(id): the drawn <li>.
  constructor({ me, names, controls, sendAction, replies, picker, editHistory, onJump, element }) {
    Object.assign(this, { me, names, controls, sendAction, replies, picker, editHistory, onJump, element });
    this.messages = new Map(); // id -> the payload as last drawn, with live reactions and pin
  }

  setControls(controls) {
    this.controls = controls;
  }

  decorate(item, message) {
    this.messages.set(message.id, message);
    const body = item.querySelector(".message-body");
    if (message.reply_to) body.before(quoteElement(message.reply_to, this.onJump));
    body.after(this.#chips(message));
    item.querySelector(".message-actions").prepend(...this.#tools(message));
    this.#markPinned(item, message.pinned);
    this.#editedMarker(item, message);
  }

  forget(id) {
    this.messages.delete(id);
  }

  // reaction.added / reaction.removed
  reaction({ message_id: id, emoji, user }, added) {
    const message = this.messages.get(id);
    if (!message) return;
    message.reactions = reactionsApply(message.reactions, { emoji, username: user.username, added });
    this.element(id)?.querySelector(".reactions")?.replaceWith(this.#chips(message));
  }

  // message.pinned / message.unpinned
  pinned(id, pinned) {
    const message = this.messages.get(id);
    const item = this.element(id);
    if (!message || !item) return;
    message.pinned = pinned;
    this.#markPinned(item, pinned);
  }

  #chips(message) {
    return reactionChips(message.reactions, {
      me: this.me,
      names: this.names,
      canReact: this.controls.react,
      onToggle: (emoji, mine) => this.#react(message.id, emoji, !mine),
    });
  }

  #react(id, emoji, add) {
    this.sendAction({ type: add ? "reaction.add" : "reaction.remove", id, emoji });
  }

  // React, Reply and Pin, for the list's action bar.
  #tools(message) {
    const tools = [];
    if (this.controls.react) {
      const react = button("message-react", "React");
      react.setAttribute("aria-haspopup", "dialog");
      react.addEventListener("click", () =>
        this.picker.open(react, (emoji) => {
          const current = this.messages.get(message.id);
          if (!hasReacted(current?.reactions, emoji, this.me)) this.#react(message.id, emoji, true);
        }),
      );
      tools.push(react);
    }
    const reply = button("message-reply", "Reply");
    reply.addEventListener("click", () => this.replies.start(this.messages.get(message.id) || message));
    tools.push(reply);
    if (this.controls.pin) {
      const pin = button("message-pin");
      pin.addEventListener("click", () => {
        const pinned = this.messages.get(message.id)?.pinned;
        this.sendAction({ type: pinned ? "message.unpin" : "message.pin", id: message.id });
      });
      tools.push(pin);
    }
    return tools;
  }

  #markPinned(item, pinned) {
    item.classList.toggle("is-pinned", Boolean(pinned));
    const pin = item.querySelector(".message-pin");
    if (pin) pin.textContent = pinned ? "Unpin" : "Pin";
    const marker = item.querySelector(".message-pinned");
    if (pinned && !marker) {
      const badge = el("span", "message-pinned", "📌 Pinned");
      item.querySelector(".message-author").after(badge);
    } else if (!pinned && marker) {
      marker.remove();
    }
  }

  // "(edited)" opens the earlier versions for those who may see them; text for others.
  #editedMarker(item, message) {
    const marker = item.querySelector(".message-edited");
    if (!marker) return;
    const mine = message.author.username === this.me;
    if (!mine && !this.controls.edit_history) return;
    const open = button("message-edited link-button", "(edited)");
    open.title = "See earlier versions";
    open.setAttribute("aria-haspopup", "dialog");
    open.addEventListener("click", () => this.editHistory.open(message.id));
    marker.replaceWith(open);
  }
}

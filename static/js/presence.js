// Who is online in the room, who is typing, and my own typing sent (throttled).

import { avatarElement } from "./avatar.js";
import { realClock } from "./clock.js";
import { el } from "./dom.js";

const TYPING_SHOWN_MS = 6000;
const TYPING_SEND_EVERY_MS = 3000;

export class Presence {
  constructor({ onlineList, typingLine, clock = realClock }) {
    Object.assign(this, { onlineList, typingLine, clock });
    this.online = new Map(); // username -> {username, display_name}
    this.typists = new Map(); // username -> {name, timer}
  }

  setAll(users) {
    this.online.clear();
    for (const user of users) this.online.set(user.username, user);
    this.#renderOnline();
  }

  changed(user, isOnline) {
    if (isOnline) this.online.set(user.username, user);
    else this.online.delete(user.username);
    this.#renderOnline();
  }

  typingStarted(user) {
    const entry = this.typists.get(user.username);
    if (entry) this.clock.clearTimeout(entry.timer);
    const timer = this.clock.setTimeout(() => this.typingStopped(user.username), TYPING_SHOWN_MS);
    this.typists.set(user.username, { name: user.display_name, timer });
    this.#renderTyping();
  }

  typingStopped(username) {
    const entry = this.typists.get(username);
    if (!entry) return;
    this.clock.clearTimeout(entry.timer);
    this.typists.delete(username);
    this.#renderTyping();
  }

  #renderOnline() {
    this.onlineList.replaceChildren(
      ...[...this.online.values()]
        .sort((a, b) => a.display_name.localeCompare(b.display_name))
        .map((user) => {
          const item = el("li", "online-user");
          // A long name ends in an ellipsis; the whole of it is in the title.
          const dot = el("span", "presence-dot");
          dot.setAttribute("aria-hidden", "true");
          const avatar = avatarElement(user);
          avatar.classList.add("avatar-small");
          item.append(dot, avatar, el("span", "online-name", user.display_name));
          item.dataset.username = user.username;
          item.title = `${user.display_name} (@${user.username})`;
          return item;
        }),
    );
  }

  #renderTyping() {
    const names = [...this.typists.values()].map((entry) => entry.name);
    let text = "";
    if (names.length === 1) text = `${names[0]} is typing…`;
    else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
    else if (names.length > 2) text = "Several people are typing…";
    this.typingLine.textContent = text;
  }
}

// My typing, told to the room at most every few seconds, and its end once.
export class TypingSender {
  constructor({ socket, clock = realClock }) {
    Object.assign(this, { socket, clock });
    this.sentAt = 0;
  }

  update(active) {
    if (!this.socket.isOpen) return;
    const now = this.clock.now();
    if (active && now - this.sentAt < TYPING_SEND_EVERY_MS) return;
    if (!active && this.sentAt === 0) return;
    this.sentAt = active ? now : 0;
    this.socket.send({ type: "typing", active });
  }
}

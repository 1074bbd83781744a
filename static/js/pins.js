// The room's pinned messages: a header button with their count and a panel listing them,
// latest pin first, kept live from message.pinned / message.unpinned.

import { button, el } from "./dom.js";
import { excerptOf } from "./replies.js";

export class PinsPanel {
  // onJump(id): go to the message in the timeline.
  constructor({ url, toggle, panel, onJump }) {
    Object.assign(this, { url, toggle, panel, onJump });
    this.list = panel.querySelector(".pins-list");
    this.empty = panel.querySelector(".pins-empty");
    this.count = toggle.querySelector(".pins-count");
    this.pins = []; // message payloads, latest pin first
    toggle.addEventListener("click", () => this.show(panel.hidden));
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        this.show(false);
        toggle.focus();
      }
    });
  }

  async load() {
    const response = await fetch(this.url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`pins request failed with ${response.status}`);
    this.pins = (await response.json()).pins;
    this.#render();
  }

  show(open) {
    this.panel.hidden = !open;
    this.toggle.setAttribute("aria-expanded", String(open));
  }

  pinned(message) {
    this.pins = [message, ...this.pins.filter((pin) => pin.id !== message.id)];
    this.#render();
  }

  unpinned(id) {
    if (!this.pins.some((pin) => pin.id === id)) return;
    this.pins = this.pins.filter((pin) => pin.id !== id);
    this.#render();
  }

  edited(message) {
    if (!this.pins.some((pin) => pin.id === message.id)) return;
    this.pins = this.pins.map((pin) => (pin.id === message.id ? message : pin));
    this.#render();
  }

  #render() {
    this.count.textContent = this.pins.length ? String(this.pins.length) : "";
    this.empty.hidden = this.pins.length > 0;
    this.list.replaceChildren(
      ...this.pins.map((pin) => {
        const item = el("li", "pin");
        const jump = button("pin-jump");
        jump.append(
          el("span", "pin-author", pin.author.display_name || pin.author.username),
          el("span", "pin-text", excerptOf(pin.body)),
        );
        jump.addEventListener("click", () => {
          this.show(false);
          this.onJump(pin.id);
        });
        item.append(jump);
        return item;
      }),
    );
  }
}

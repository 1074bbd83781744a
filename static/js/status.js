// The connection badge and the one-line notice above the composer.

export class ConnectionBadge {
  constructor(element) {
    this.element = element;
  }

  set(state, label) {
    this.element.dataset.state = state;
    this.element.textContent = label;
  }

  // What the reconnecting socket reports, in words.
  show({ state, delayMs }) {
    if (state === "online") this.set("online", "Connected");
    else if (state === "connecting") this.set("connecting", "Connecting…");
    else if (state === "reconnecting") this.set("reconnecting", "Reconnecting…");
    else if (state === "waiting") this.set("reconnecting", `Reconnecting in ${Math.ceil(delayMs / 1000)}s…`);
  }
}

export class Notice {
  constructor(element) {
    this.element = element;
    // What the notice says: "wait" (slow mode, rate limits) goes with the next acknowledged
    // message, "refusal" with a change of the state that caused it, "final" never.
    this.kind = null;
  }

  show(text, kind = null) {
    this.element.textContent = text;
    this.element.hidden = !text;
    this.kind = text ? kind : null;
  }

  clear() {
    this.show("", null);
  }

  clearIf(kind) {
    if (this.kind === kind) this.clear();
  }
}

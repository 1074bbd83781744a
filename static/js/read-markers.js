// Where I stopped reading: the "new messages" divider, and the marker moved as I read.

import { realClock } from "./clock.js";
import { el } from "./dom.js";
import { nextMessage, regroup } from "./message-groups.js";

const READ_AFTER_MS = 500;

export class ReadMarker {
  constructor({ lastReadId, timeline, messages, socket, clock = realClock }) {
    Object.assign(this, { lastReadId, timeline, messages, socket, clock });
    this.timer = null;
  }

  // Read in another tab, or here.
  moveTo(id) {
    this.lastReadId = Math.max(this.lastReadId, id);
  }

  // The divider sits above the first message I had not read.
  placeDivider() {
    const old = this.messages.list.querySelector(".unread-divider");
    if (old) {
      // The message below it may join the group above again.
      const below = nextMessage(old);
      old.remove();
      regroup(below);
    }
    for (const id of this.timeline.ids) {
      const item = this.messages.element(id);
      if (id > this.lastReadId && !item.classList.contains("is-mine")) {
        // A list item like its neighbours (a separator role inside the <ol> would leave the
        // list holding a non-item); screen readers hear "New messages" where it starts.
        item.before(el("li", "unread-divider", "New messages"));
        regroup(item);
        return;
      }
    }
  }

  // Reading advances the marker: the page is visible and the newest message is in view.
  markSoon() {
    this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      const { lastId } = this.timeline;
      if (lastId === null || lastId <= this.lastReadId) return;
      if (document.visibilityState !== "visible" || !this.messages.isNearBottom()) return;
      if (this.socket.send({ type: "read", id: lastId })) this.lastReadId = lastId;
    }, READ_AFTER_MS);
  }
}

// Which messages the page shows, in id order, and where a reconnect catches up from.
//
// Pure: ids in, positions out; the message list turns them into elements.

// Commits on different workers can finish out of id order: a reconnect also asks
// again for a few ids below, and the merge by id drops what is already shown.
export const CATCH_UP_MARGIN = 20;

export class Timeline {
  constructor() {
    this.ids = []; // ascending
    this.lastId = null; // highest id ever shown: what reading marks as read
    this.oldestId = null; // lowest id ever shown: where scrolling back continues
    // Highest id that came through history or broadcasts: where a reconnect catches up
    // from. My own acknowledgements come straight back after the commit and can overtake
    // broadcasts of lower ids still in flight, so they do not move it.
    this.syncId = null;
    this.serverTime = null; // the server's clock at the last history: edits and deletes since then
  }

  get size() {
    return this.ids.length;
  }

  has(id) {
    const index = this.#search(id);
    return this.ids[index] === id;
  }

  // Each message once: null if it is already shown, else the id it follows (null: first).
  add(id) {
    const index = this.#search(id);
    if (this.ids[index] === id) return null;
    this.ids.splice(index, 0, id);
    if (this.lastId === null || id > this.lastId) this.lastId = id;
    if (this.oldestId === null || id < this.oldestId) this.oldestId = id;
    return { after: index > 0 ? this.ids[index - 1] : null };
  }

  remove(id) {
    const index = this.#search(id);
    if (this.ids[index] !== id) return false;
    this.ids.splice(index, 1);
    return true;
  }

  advanceSync(messages) {
    for (const message of messages) {
      if (this.syncId === null || message.id > this.syncId) this.syncId = message.id;
    }
  }

  // The socket's query for what was missed: ?after=<id>&since=<server time>.
  catchUpParams() {
    if (this.syncId === null) return {};
    const params = { after: String(Math.max(0, this.syncId - CATCH_UP_MARGIN)) };
    if (this.serverTime) params.since = this.serverTime;
    return params;
  }

  // Index of the first id >= id.
  #search(id) {
    let low = 0;
    let high = this.ids.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.ids[middle] < id) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

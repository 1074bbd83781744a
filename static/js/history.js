// History over HTTP: scrolling back, opening the room at one message, and catching up
// past what the socket sends on reconnect.

const CATCH_UP_PAGE = 100; // the most the history endpoint gives at once
const AROUND = 25; // messages each side of one opened from search or a mention

export class History {
  constructor({ url, messages, timeline, loadOlder, constants, notice }) {
    Object.assign(this, { url, messages, timeline, loadOlder, constants, notice });
    loadOlder.addEventListener("click", () => this.#older());
    // Scrolling to the top loads older messages by itself.
    new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting) && !loadOlder.hidden && !loadOlder.disabled) {
        loadOlder.click();
      }
    }, { root: messages.scroller }).observe(loadOlder);
  }

  async fetchPage(params) {
    const url = new URL(this.url, window.location.href);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw Object.assign(new Error(`history request failed with ${response.status}`), { status: response.status });
    return response.json();
  }

  // The socket sends a limited number of missed messages; fetch the rest page by page.
  async catchUp() {
    let more = true;
    while (more && this.timeline.syncId !== null) {
      const page = await this.fetchPage({ after: this.timeline.syncId, limit: CATCH_UP_PAGE });
      this.messages.showMany(page.messages, { follow: false });
      this.timeline.advanceSync(page.messages);
      more = page.has_more && page.messages.length > 0;
    }
  }

  // Opening the room at one message (?at=<id>, jump.js): false when it is not in the room.
  // The socket then catches up from there to the newest.
  async loadAround(id) {
    let page;
    try {
      page = await this.fetchPage({ around: id, limit: 2 * AROUND });
    } catch (error) {
      if (error.status === 404) return false;
      throw error;
    }
    for (const message of page.messages) this.messages.show(message);
    this.timeline.advanceSync(page.messages);
    this.loadOlder.hidden = !page.has_more;
    return true;
  }

  // Scrolling back by whole pages until the message with this id (or where it would be)
  // is shown: false when that takes more than maxPages.
  async loadBackTo(id, maxPages) {
    for (let pages = 0; pages < maxPages; pages += 1) {
      const { oldestId } = this.timeline;
      if (oldestId === null || oldestId <= id || this.loadOlder.hidden) return true;
      await this.#olderPage(this.constants.limits.history_limit);
    }
    return this.timeline.oldestId !== null && this.timeline.oldestId <= id;
  }

  async #older() {
    if (this.timeline.oldestId === null) return;
    this.loadOlder.disabled = true;
    try {
      await this.#olderPage(this.constants.limits.history_limit);
    } catch {
      this.notice.show("Could not load older messages. Try again in a moment.");
    } finally {
      this.loadOlder.disabled = false;
    }
  }

  async #olderPage(limit) {
    const { scroller } = this.messages;
    const heightBefore = scroller.scrollHeight;
    const topBefore = scroller.scrollTop;
    const page = await this.fetchPage({ before: this.timeline.oldestId, limit });
    for (const message of page.messages) this.messages.show(message);
    // Keep the message the reader was looking at in place.
    scroller.scrollTop = topBefore + (scroller.scrollHeight - heightBefore);
    this.loadOlder.hidden = !page.has_more;
  }
}

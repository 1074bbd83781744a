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
    if (!response.ok) throw new Error(`history request failed with ${response.status}`);
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

  // Opening the room at one message (?at=<id>, from search and mentions).
  async loadAround(id) {
    const [before, after] = await Promise.all([
      this.fetchPage({ before: id + 1, limit: AROUND }),
      this.fetchPage({ after: id, limit: AROUND }),
    ]);
    const messages = [...before.messages, ...after.messages];
    for (const message of messages) this.messages.show(message);
    this.timeline.advanceSync(messages);
    this.loadOlder.hidden = !before.has_more;
    const target = this.messages.element(id);
    if (target) {
      target.classList.add("is-focused");
      target.scrollIntoView({ block: "center" });
    }
  }

  async #older() {
    const { oldestId } = this.timeline;
    if (oldestId === null) return;
    const { loadOlder } = this;
    const { scroller } = this.messages;
    loadOlder.disabled = true;
    const heightBefore = scroller.scrollHeight;
    const topBefore = scroller.scrollTop;
    try {
      const page = await this.fetchPage({ before: oldestId, limit: this.constants.limits.history_limit });
      for (const message of page.messages) this.messages.show(message);
      // Keep the message the reader was looking at in place.
      scroller.scrollTop = topBefore + (scroller.scrollHeight - heightBefore);
      loadOlder.hidden = !page.has_more;
    } catch {
      this.notice.show("Could not load older messages. Try again in a moment.");
    } finally {
      loadOlder.disabled = false;
    }
  }
}

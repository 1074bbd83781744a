// Jumping to one message: scrolled into view and highlighted, loaded first when it is
// older than what the page shows. ?at=<id> links open the room this way; a reply's quote
// and the pins panel call MessageJump.to(id).

export const NOT_HERE = "That message is not in this room, or was deleted.";

// Past this many pages of scrolling back, the room is opened again at the message.
const MAX_PAGES_BACK = 10;

// The link to a message: this page's address with ?at=<id>, nothing else.
export function messageLink(pageUrl, id) {
  const url = new URL(pageUrl);
  url.search = `?at=${encodeURIComponent(id)}`;
  url.hash = "";
  return url.href;
}

export class MessageJump {
  constructor({ messages, timeline, history, notice, navigate = (url) => window.location.assign(url) }) {
    Object.assign(this, { messages, timeline, history, notice, navigate });
  }

  // Opening the room at a message, before the socket starts.
  async open(id) {
    let found;
    try {
      found = await this.history.loadAround(id);
    } catch {
      this.notice.show("Could not load that message.");
      return false;
    }
    if (!found) this.notice.show(NOT_HERE, "link");
    return found && this.#highlight(id);
  }

  // A message on this page, or older than what it shows.
  async to(id) {
    if (!Number.isInteger(id) || id <= 0) return false;
    const { oldestId } = this.timeline;
    if (!this.messages.element(id) && oldestId !== null && id < oldestId) {
      try {
        const reached = await this.history.loadBackTo(id, MAX_PAGES_BACK);
        if (!reached) {
          this.navigate(messageLink(window.location.href, id));
          return false;
        }
      } catch {
        this.notice.show("Could not load that message.");
        return false;
      }
    }
    if (this.#highlight(id)) return true;
    this.notice.show(NOT_HERE, "link");
    return false;
  }

  #highlight(id) {
    const item = this.messages.element(id);
    if (!item) return false;
    for (const focused of this.messages.list.querySelectorAll(".is-focused")) focused.classList.remove("is-focused");
    item.classList.add("is-focused");
    item.scrollIntoView({ block: "center" });
    return true;
  }
}

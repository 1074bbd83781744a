// Replies, Campfire-style: "Reply" puts a quoted strip above the composer; the sent
// message shows the quote, and a click on it goes to the original.

import { button, el } from "./dom.js";

const EXCERPT_CHARS = 140; // as the server cuts it (messaging.selectors.REPLY_EXCERPT_LENGTH)

export function excerptOf(text) {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS - 1)}…` : flat;
}

// The quote a reply shows; onJump(id) goes to the original.
export function quoteElement(replyTo, onJump) {
  const quote = button("message-quote");
  quote.dataset.replyTo = String(replyTo.id);
  const author = replyTo.author.display_name || replyTo.author.username;
  quote.append(el("span", "message-quote-author", author), el("span", "message-quote-text", replyTo.excerpt));
  quote.setAttribute("aria-label", `In reply to ${author}: ${replyTo.excerpt}. Go to the message.`);
  quote.addEventListener("click", () => onJump(replyTo.id));
  return quote;
}

// The strip above the composer while a reply is being written.
export class ReplyDraft {
  constructor({ strip, input }) {
    Object.assign(this, { strip, input });
    this.text = strip.querySelector(".reply-strip-text");
    this.replyTo = null;
    strip.querySelector(".reply-cancel").addEventListener("click", () => this.cancel());
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.replyTo !== null && input.value === "") this.cancel();
    });
  }

  start(message) {
    this.replyTo = message.id;
    const author = message.author.display_name || message.author.username;
    this.text.replaceChildren(el("strong", null, `Replying to ${author}: `), document.createTextNode(excerptOf(message.body)));
    this.strip.hidden = false;
    if (!this.input.disabled) this.input.focus();
  }

  cancel() {
    this.replyTo = null;
    this.strip.hidden = true;
    if (!this.input.disabled) this.input.focus();
  }

  // The id the next message answers, once: sending clears the strip.
  take() {
    const id = this.replyTo;
    this.replyTo = null;
    this.strip.hidden = true;
    return id;
  }
}

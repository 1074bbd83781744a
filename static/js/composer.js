// The composer: Enter sends, Shift+Enter makes a new line, @ suggests members to mention;
// files waiting in the upload tray go with the message.

import { el } from "./dom.js";

const MAX_HEIGHT_PX = 200;
const MAX_SUGGESTIONS = 6;

export class Composer {
  // onSend(body, attachments), onTyping(active), onEditLast() -> bool (ArrowUp in an empty
  // composer). uploads: holdSend() -> bool (uploads under way: it sends when they finish),
  // take() -> the ready attachments.
  constructor({ elements, members, me, onSend, onTyping, onEditLast, uploads }) {
    Object.assign(this, elements); // form, input, suggestions
    Object.assign(this, { members, me, onSend, onTyping, onEditLast, uploads });
    this.suggestionIndex = 0;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    this.input.addEventListener("keydown", (event) => this.#keydown(event));
    this.input.addEventListener("input", () => {
      this.autosize();
      this.#showSuggestions();
      this.onTyping(this.input.value.trim() !== "");
    });
    this.input.addEventListener("blur", () => {
      this.suggestions.hidden = true;
    });
  }

  send() {
    if (this.input.disabled || this.uploads.holdSend()) return;
    const body = this.input.value.trim();
    const attachments = this.uploads.take();
    if (!body && !attachments.length) return;
    this.input.value = "";
    this.autosize();
    this.onSend(body, attachments);
  }

  // Text given back (an unsent message to rewrite) goes below what is already there.
  append(text) {
    const { input } = this;
    if (text) input.value = input.value.trim() ? `${input.value}\n${text}` : text;
    this.autosize();
    if (!input.disabled) input.focus();
  }

  autosize() {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight, MAX_HEIGHT_PX)}px`;
  }

  #keydown(event) {
    if (this.#suggestionKey(event)) return;
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.send();
    }
    if (event.key === "ArrowUp" && this.input.value === "" && !event.shiftKey && !event.altKey) {
      if (this.onEditLast()) event.preventDefault();
    }
  }

  #mentionPrefix() {
    const upToCaret = this.input.value.slice(0, this.input.selectionStart);
    const match = /(^|\s)@([\w.+-]*)$/.exec(upToCaret);
    return match ? match[2] : null;
  }

  #showSuggestions() {
    const prefix = this.#mentionPrefix()?.toLowerCase();
    const matches = prefix === undefined ? [] : this.members
      .filter((m) => m.username !== this.me)
      .filter((m) => m.username.toLowerCase().startsWith(prefix)
        || m.display_name.toLowerCase().startsWith(prefix))
      .slice(0, MAX_SUGGESTIONS);
    this.suggestions.replaceChildren(
      ...matches.map((member, index) => {
        const option = el("li", "mention-option", `${member.display_name} @${member.username}`);
        option.setAttribute("role", "option");
        option.id = `mention-option-${index}`;
        option.dataset.username = member.username;
        option.addEventListener("mousedown", (event) => {
          event.preventDefault();
          this.#completeMention(member.username);
        });
        return option;
      }),
    );
    this.suggestionIndex = 0;
    this.suggestions.hidden = matches.length === 0;
    this.#highlightSuggestion();
  }

  #highlightSuggestion() {
    const options = [...this.suggestions.children];
    options.forEach((option, index) => option.setAttribute("aria-selected", String(index === this.suggestionIndex)));
    const selected = options[this.suggestionIndex];
    if (selected) this.input.setAttribute("aria-activedescendant", selected.id);
    else this.input.removeAttribute("aria-activedescendant");
  }

  #completeMention(username) {
    const { input } = this;
    const caret = input.selectionStart;
    const before = input.value.slice(0, caret).replace(/@([\w.+-]*)$/, `@${username} `);
    input.value = before + input.value.slice(caret);
    input.selectionStart = input.selectionEnd = before.length;
    this.suggestions.hidden = true;
    input.focus();
  }

  #suggestionKey(event) {
    if (this.suggestions.hidden) return false;
    const options = [...this.suggestions.children];
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const step = event.key === "ArrowDown" ? 1 : -1;
      this.suggestionIndex = (this.suggestionIndex + step + options.length) % options.length;
      this.#highlightSuggestion();
    } else if (event.key === "Enter" || event.key === "Tab") {
      this.#completeMention(options[this.suggestionIndex].dataset.username);
    } else if (event.key === "Escape") {
      this.suggestions.hidden = true;
    } else {
      return false;
    }
    event.preventDefault();
    return true;
  }
}

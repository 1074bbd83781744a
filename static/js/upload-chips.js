// The files of the message being written, as chips above the composer: name, size, a
// progress bar, the server's refusal, and a button that cancels or removes. Files come
// from the attach button, a paste, or a drop anywhere on the room.

import { button, el } from "./dom.js";
import { formatSize } from "./file-size.js";
import { UploadQueue } from "./uploads.js";
import { csrfToken, uploadRequest } from "./upload-request.js";

export class UploadTray {
  // elements: chips (ul), status (p), attachButton, fileInput, input (the textarea), dropZone.
  // onReady(): a send that waited for uploads may go now.
  constructor({ elements, url, constants, onReady }) {
    Object.assign(this, elements);
    this.onReady = onReady;
    this.waitingSend = false;
    this.chipsByKey = new Map();
    this.queue = new UploadQueue({
      limits: constants.limits,
      sentences: constants.upload_sentences,
      start: (file, onProgress) => uploadRequest({ url, file, csrfToken: csrfToken(), onProgress }),
      onChange: (item) => (item ? this.#progress(item) : this.render()),
    });
    this.attachButton.addEventListener("click", () => this.fileInput.click());
    this.fileInput.addEventListener("change", () => {
      this.add([...this.fileInput.files]);
      this.fileInput.value = "";
    });
    this.input.addEventListener("paste", (event) => {
      const files = [...(event.clipboardData?.files || [])];
      if (!files.length) return;
      event.preventDefault();
      this.add(files);
    });
    this.#acceptDrops();
  }

  add(files) {
    if (this.attachButton.disabled || !files.length) return;
    this.queue.add(files);
  }

  restore(attachments) {
    this.queue.restore(attachments);
  }

  // Called by the composer's send: true while uploads are under way, and the send then
  // happens by itself when they finish.
  holdSend() {
    if (!this.queue.uploading) return false;
    this.waitingSend = true;
    this.render();
    return true;
  }

  take() {
    return this.queue.take();
  }

  // The composer is closed (a refusal, removal): no new files either.
  setDisabled(disabled) {
    this.attachButton.disabled = disabled;
  }

  render() {
    const items = this.queue.list;
    const keep = new Set(items.map((item) => item.key));
    for (const [key, chip] of this.chipsByKey) {
      if (!keep.has(key)) {
        chip.remove();
        this.chipsByKey.delete(key);
      }
    }
    for (const item of items) {
      const chip = this.#chip(item);
      this.chips.append(chip); // in the queue's order
    }
    this.chips.hidden = items.length === 0;
    this.#status();
    if (this.waitingSend && !this.queue.uploading) {
      this.waitingSend = false;
      this.#status();
      this.onReady();
    }
  }

  #status() {
    const count = this.queue.uploading;
    const waiting = this.waitingSend && count;
    this.status.textContent = waiting
      ? `Sending when ${count === 1 ? "the upload finishes" : `${count} uploads finish`}…`
      : "";
    this.status.hidden = !waiting;
  }

  #chip(item) {
    let chip = this.chipsByKey.get(item.key);
    if (chip && chip.dataset.state === item.state) return chip;
    const fresh = el("li", "upload-chip");
    fresh.dataset.state = item.state;
    const name = el("span", "upload-name", item.name);
    name.title = item.name;
    const size = el("span", "upload-size", formatSize(item.size));
    const label = item.state === "uploading" ? `Cancel upload of ${item.name}` : `Remove ${item.name}`;
    const remove = button("upload-remove", "×");
    remove.setAttribute("aria-label", label);
    remove.title = item.state === "uploading" ? "Cancel" : "Remove";
    remove.addEventListener("click", () => {
      const hadFocus = document.activeElement === remove;
      this.queue.remove(item.key);
      if (hadFocus) this.input.focus();
    });
    fresh.append(name, size, remove);
    if (item.state === "uploading") {
      const bar = el("progress", "upload-progress");
      bar.max = item.size || 1;
      bar.value = item.loaded;
      bar.setAttribute("aria-label", `Uploading ${item.name}`);
      fresh.append(bar);
    } else if (item.state === "failed") {
      fresh.append(el("span", "upload-error", item.error));
    }
    if (chip) chip.replaceWith(fresh);
    this.chipsByKey.set(item.key, fresh);
    return fresh;
  }

  #progress(item) {
    const bar = this.chipsByKey.get(item.key)?.querySelector("progress");
    if (bar) bar.value = item.loaded;
  }

  #acceptDrops() {
    const zone = this.dropZone;
    const hasFiles = (event) => [...(event.dataTransfer?.types || [])].includes("Files");
    let depth = 0; // dragenter and dragleave fire for every child crossed
    zone.addEventListener("dragenter", (event) => {
      if (!hasFiles(event)) return;
      depth += 1;
      zone.classList.add("is-dropping");
    });
    zone.addEventListener("dragleave", () => {
      depth = Math.max(0, depth - 1);
      if (!depth) zone.classList.remove("is-dropping");
    });
    zone.addEventListener("dragover", (event) => {
      if (hasFiles(event)) event.preventDefault();
    });
    zone.addEventListener("drop", (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth = 0;
      zone.classList.remove("is-dropping");
      this.add([...event.dataTransfer.files]);
    });
  }
}

// The files waiting to go with the next message: each is uploading (with its progress),
// ready (the server's attachment) or refused (the sentence why). Limits are checked here
// first, in the server's own words; the server checks again.
//
// Pure: start(file, onProgress) -> {promise, abort} is injected (upload-request.js in the page).

const NETWORK_FAILED = "The upload failed: check your connection and try again.";
const FAILED = "The upload failed; try again.";

// Why a file cannot join the message, or "": `count` files are already with it.
export function uploadRefusal(file, { count, limits, sentences }) {
  if (count >= limits.attachments_per_message) return sentences.too_many_attachments;
  if (file.size > limits.upload_max_bytes) return sentences.too_large;
  return "";
}

// The sentence for a finished request that did not give an attachment.
export function failureSentence({ status, body }, sentences) {
  if (body && typeof body.detail === "string" && body.detail) return body.detail;
  if (status === 413) return sentences.too_large; // the proxy refused it before Django saw it
  if (status === 0) return NETWORK_FAILED;
  return `${FAILED} (HTTP ${status})`;
}

export class UploadQueue {
  constructor({ limits, sentences, start, onChange = () => {} }) {
    Object.assign(this, { limits, sentences, start, onChange });
    this.items = new Map(); // key -> {key, name, size, state, loaded, attachment, error}
    this.nextKey = 1;
  }

  get list() {
    return [...this.items.values()];
  }

  // Uploading or ready: what the message would carry.
  get count() {
    return this.list.filter((item) => item.state !== "failed").length;
  }

  get uploading() {
    return this.list.filter((item) => item.state === "uploading").length;
  }

  // Returns the items made, refused ones included (they show why).
  add(files) {
    const added = [];
    for (const file of files) {
      const item = this.#item(file.name || "file", file.size);
      const refusal = uploadRefusal(file, { count: this.count, limits: this.limits, sentences: this.sentences });
      this.items.set(item.key, item);
      if (refusal) this.#fail(item, refusal);
      else this.#upload(item, file);
      added.push(item);
    }
    this.onChange();
    return added;
  }

  // Uploads already made, back with a message taken back for rewriting.
  restore(attachments) {
    for (const attachment of attachments) {
      const item = this.#item(attachment.name, attachment.size);
      Object.assign(item, { state: "ready", loaded: attachment.size, attachment });
      this.items.set(item.key, item);
    }
    this.onChange();
  }

  // Cancel aborts an upload under way; a ready or refused file is simply dropped.
  remove(key) {
    const item = this.items.get(key);
    if (!item) return;
    this.items.delete(key);
    if (item.state === "uploading") item.abort();
    this.onChange();
  }

  // The ready attachments, for the message being sent; refused files stay to be read.
  take() {
    const ready = this.list.filter((item) => item.state === "ready");
    for (const item of ready) this.items.delete(item.key);
    if (ready.length) this.onChange();
    return ready.map((item) => item.attachment);
  }

  #item(name, size) {
    const key = this.nextKey++;
    return { key, name, size, state: "uploading", loaded: 0, attachment: null, error: "", abort: () => {} };
  }

  #fail(item, error) {
    Object.assign(item, { state: "failed", error });
  }

  #upload(item, file) {
    const request = this.start(file, (loaded) => {
      if (!this.items.has(item.key)) return;
      item.loaded = Math.min(loaded, item.size);
      this.onChange(item);
    });
    item.abort = request.abort;
    request.promise.then((result) => {
      if (this.items.get(item.key) !== item || result.aborted) return; // cancelled
      if (result.status === 201 && result.body && Number.isInteger(result.body.id)) {
        Object.assign(item, { state: "ready", loaded: item.size, attachment: result.body });
      } else {
        this.#fail(item, failureSentence(result, this.sentences));
      }
      this.onChange();
    });
  }
}

// An image of a message at full size, in a modal <dialog>: the browser keeps focus
// inside and closes it on Escape; focus then goes back to the thumbnail that opened it.

export class Lightbox {
  constructor({ dialog, within }) {
    this.dialog = dialog;
    this.image = dialog.querySelector("img");
    this.caption = dialog.querySelector(".lightbox-caption");
    this.download = dialog.querySelector(".lightbox-download");
    this.trigger = null;
    within.addEventListener("click", (event) => {
      const trigger = event.target.closest(".attachment-image");
      if (trigger && within.contains(trigger)) this.open(trigger);
    });
    dialog.querySelector(".lightbox-close").addEventListener("click", () => dialog.close());
    // A click on the backdrop (the dialog itself, outside its content) closes it too.
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog) dialog.close();
    });
    dialog.addEventListener("close", () => this.#returnFocus());
  }

  open(trigger) {
    this.trigger = trigger;
    const { url, name } = trigger.dataset;
    this.image.src = url;
    this.image.alt = name;
    this.caption.textContent = name;
    this.download.href = url;
    this.download.download = name;
    this.dialog.showModal();
  }

  // Its message was deleted: the file is gone from the server and from the page.
  closeIfGone() {
    if (this.dialog.open && this.trigger && !this.trigger.isConnected) this.dialog.close();
  }

  #returnFocus() {
    this.image.removeAttribute("src");
    const trigger = this.trigger;
    this.trigger = null;
    if (!trigger) return;
    // A thumbnail that arrived meanwhile replaced the element that opened the dialog.
    const target = trigger.isConnected
      ? trigger
      : document.querySelector(`[data-attachment-id="${trigger.closest("[data-attachment-id]")?.dataset.attachmentId}"] .attachment-image`);
    if (target) target.focus();
    else document.getElementById("composer-input")?.focus();
  }
}

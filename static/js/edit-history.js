// Earlier versions of an edited message, in a dialog, for those the rules let see them
// (rooms.permissions VIEW_EDIT_HISTORY; the server answers 403 to anyone else).

import { el } from "./dom.js";

const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export class EditHistory {
  // historyUrl: the room's messages endpoint; a message's versions are under <id>/history/.
  constructor({ dialog, historyUrl, notice }) {
    Object.assign(this, { dialog, historyUrl, notice });
    this.list = dialog.querySelector(".edit-history-list");
  }

  async open(id) {
    const response = await fetch(`${this.historyUrl}${id}/history/`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      this.notice.show(data.detail || "Could not load the earlier versions.", "error");
      return;
    }
    this.list.replaceChildren(
      ...data.versions.map((version, index) => {
        const item = el("li", "edit-version");
        const label = index === data.versions.length - 1 ? "Now" : index === 0 ? "Original" : "Edited";
        const time = el("time", "edit-version-time", `${label} · ${dateTimeFormat.format(new Date(version.at))}`);
        time.dateTime = version.at;
        const body = el("div", "message-body message-html");
        // Rendered from Markdown and sanitized on the server (messaging/formatting.py).
        body.innerHTML = version.html;
        item.append(time, body);
        return item;
      }),
    );
    this.dialog.showModal();
  }
}

// One message as a list item: avatar, author, time, body; its actions are added by the
// list, its place in a group of messages by message-groups.js.

import { attachmentsElement } from "./attachments-view.js";
import { avatarElement } from "./avatar.js";
import { el } from "./dom.js";

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function messageElement(message, { me, pending = false }) {
  const item = el("li", "message");
  if (message.author.username === me) item.classList.add("is-mine");
  if (pending) item.classList.add("is-pending");
  if (message.id) item.dataset.id = String(message.id);
  if (message.client_id) item.dataset.clientId = message.client_id;
  item.dataset.author = message.author.username;
  if (message.created_at) item.dataset.createdAt = message.created_at;

  const meta = el("div", "message-meta");
  const author = el("span", "message-author", message.author.display_name || message.author.username);
  author.title = "@" + message.author.username;
  meta.append(author);
  if (message.created_at) {
    const created = new Date(message.created_at);
    const time = el("time", "message-time", timeFormat.format(created));
    time.dateTime = message.created_at;
    time.title = dateTimeFormat.format(created);
    meta.append(time);
  } else {
    meta.append(el("span", "message-time message-status", "sending…"));
  }
  if (message.edited_at) meta.append(el("span", "message-edited", "(edited)"));
  const body = el("div", "message-body");
  if (message.html) {
    // Rendered from Markdown and sanitized on the server (messaging/formatting.py).
    body.innerHTML = message.html;
    body.classList.add("message-html");
  } else {
    body.textContent = message.body;
  }
  body.dataset.source = message.body;
  if ((message.mentions || []).includes(me)) item.classList.add("mentions-me");
  // The author's avatar_url, when they uploaded a picture, replaces the initials.
  item.append(avatarElement(message.author), meta, body);
  if (message.attachments?.length) {
    body.hidden = !message.body;
    item.append(attachmentsElement(message.attachments));
  }
  return item;
}

// Unread counts and mentions across all my rooms, kept live by the inbox socket.
// Any element with data-slug holding .unread-count / .mention-count is updated.

import { Backoff } from "./backoff.js";
import { pageConstants } from "./constants.js";
import { ReconnectingSocket, socketUrl } from "./socket.js";

const current = document.getElementById("chat")?.dataset.roomSlug || null;
const counts = new Map(); // slug -> {unread, mentions}

function badges(slug) {
  return document.querySelectorAll(`[data-slug="${CSS.escape(slug)}"]`);
}

function render(slug) {
  const { unread, mentions } = counts.get(slug) || { unread: 0, mentions: 0 };
  for (const holder of badges(slug)) {
    const unreadBadge = holder.querySelector(".unread-count");
    const mentionBadge = holder.querySelector(".mention-count");
    if (unreadBadge) {
      unreadBadge.textContent = String(unread);
      unreadBadge.hidden = unread === 0;
    }
    if (mentionBadge) {
      mentionBadge.textContent = `@${mentions}`;
      mentionBadge.hidden = mentions === 0;
    }
  }
  const total = [...counts.values()].reduce((sum, room) => sum + room.mentions, 0);
  for (const element of document.querySelectorAll("[data-total-mentions]")) {
    element.textContent = String(total);
    element.hidden = total === 0;
  }
}

// The open room counts as read while its page is visible: the room page moves the marker.
function isReadingHere(slug) {
  return slug === current && document.visibilityState === "visible";
}

function notify(frame) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  if (document.visibilityState === "visible" && document.hasFocus()) return;
  const notification = new Notification(`${frame.author} mentioned you`, {
    body: frame.excerpt,
    tag: `parley-${frame.room}-${frame.id}`,
  });
  notification.addEventListener("click", () => {
    window.focus();
    window.location.href = `/rooms/${encodeURIComponent(frame.room)}/?at=${frame.id}`;
  });
}

// A room or conversation joined while the page is open gets its place in the sidebar.
function ensureListed(room) {
  if (badges(room.slug).length) return;
  const lists = document.querySelectorAll("#sidebar .sidebar-list");
  const list = lists[room.kind === "direct" ? 1 : 0];
  if (!list) return;
  list.querySelector(".sidebar-empty")?.remove();
  const link = document.createElement("a");
  link.href = `/rooms/${encodeURIComponent(room.slug)}/`;
  link.dataset.slug = room.slug;
  const name = document.createElement("span");
  name.className = "sidebar-name";
  name.textContent = room.name;
  const mentions = document.createElement("span");
  mentions.className = "mention-count";
  const unread = document.createElement("span");
  unread.className = "unread-count";
  link.append(name, mentions, unread);
  const item = document.createElement("li");
  item.append(link);
  list.append(item);
}

// A room I no longer belong to (left, kicked, banned) leaves the sidebar.
function dropUnlisted(slugs) {
  for (const link of document.querySelectorAll("#sidebar .sidebar-list a[data-slug]")) {
    if (!slugs.has(link.dataset.slug)) link.closest("li").remove();
  }
}

function handle(frame) {
  if (frame.type === "unread.snapshot") {
    counts.clear();
    dropUnlisted(new Set(frame.rooms.map((room) => room.slug)));
    for (const room of frame.rooms) {
      ensureListed(room);
      for (const name of document.querySelectorAll(`#sidebar [data-slug="${CSS.escape(room.slug)}"] .sidebar-name`)) {
        name.textContent = room.name;
      }
      counts.set(room.slug, { unread: room.unread, mentions: room.mentions });
      render(room.slug);
    }
  } else if (frame.type === "unread") {
    if (frame.mention) notify(frame);
    if (isReadingHere(frame.room)) return;
    const room = counts.get(frame.room) || { unread: 0, mentions: 0 };
    room.unread += 1;
    if (frame.mention) room.mentions += 1;
    counts.set(frame.room, room);
    render(frame.room);
  } else if (frame.type === "read") {
    // Read in this or another tab: what is left unread there is not known exactly,
    // and a marker at the newest message means nothing is.
    counts.set(frame.room, { unread: 0, mentions: 0 });
    render(frame.room);
  }
}

const enable = document.getElementById("enable-notifications");
if (enable && "Notification" in window && Notification.permission === "default") {
  enable.hidden = false;
  enable.addEventListener("click", async () => {
    await Notification.requestPermission();
    enable.hidden = true;
  });
}

const toggle = document.getElementById("sidebar-toggle");
if (toggle) {
  toggle.addEventListener("click", () => {
    const open = document.body.classList.toggle("sidebar-open");
    toggle.setAttribute("aria-expanded", String(open));
  });
}

new ReconnectingSocket({
  url: () => socketUrl("/ws/inbox/"),
  constants: pageConstants(),
  onFrame: handle,
  // Slower than the room's: after a drop the room page's own socket comes back first,
  // and gets the slot when the server counts a user's sockets (4429).
  backoff: new Backoff({ minMs: 2000, maxMs: 30000 }),
}).start();

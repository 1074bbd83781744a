// Unread counts and mentions across all my rooms, kept live by the inbox socket.
// Any element with data-slug holding .unread-count / .mention-count is updated.

const current = document.getElementById("chat")?.dataset.roomSlug || null;
const counts = new Map(); // slug -> {unread, mentions}
// The server pings every interval (the room page says how often; 20 s elsewhere):
// this much silence means a dead connection (the same rule as room.js).
const pingInterval = Number(document.getElementById("chat")?.dataset.pingInterval) || 20;
const SILENCE_LIMIT_MS = (2 * pingInterval + 5) * 1000;
let attempts = 0;

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

function handle(frame, socket) {
  if (frame.type === "ping") {
    socket.send(JSON.stringify({ type: "pong" }));
  } else if (frame.type === "unread.snapshot") {
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

function connect() {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${window.location.host}/ws/inbox/`);
  let silenceTimer = null;
  let done = false;
  const reconnect = () => {
    if (done) return; // once per socket: a close after the watchdog gave up changes nothing
    done = true;
    clearTimeout(silenceTimer);
    attempts += 1;
    const ceiling = Math.min(30000, 1000 * 2 ** attempts);
    setTimeout(connect, ceiling / 2 + Math.random() * (ceiling / 2));
  };
  // Silence past the limit: a dead connection nobody closed. Let go of it now.
  const expectServer = () => {
    clearTimeout(silenceTimer);
    silenceTimer = setTimeout(() => {
      socket.close();
      reconnect();
    }, SILENCE_LIMIT_MS);
  };
  socket.addEventListener("open", () => {
    attempts = 0;
    expectServer();
  });
  socket.addEventListener("message", (event) => {
    if (done) return;
    expectServer();
    try {
      handle(JSON.parse(event.data), socket);
    } catch {
      // A frame this page does not understand changes nothing.
    }
  });
  socket.addEventListener("close", (event) => {
    clearTimeout(silenceTimer);
    if (event.code === 4401) {
      done = true;
      return;
    }
    reconnect();
  });
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

connect();

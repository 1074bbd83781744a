// The live room page: one websocket per room, messages shown once each, in id order.
//
// User text only ever reaches the page through textContent, never innerHTML.

const CLOSE_UNAUTHENTICATED = 4401;
const CLOSE_NOT_A_MEMBER = 4403;
const CLOSE_NO_SUCH_ROOM = 4404;
const CLOSE_TOO_MANY = 4429;
const FINAL_CLOSES = {
  [CLOSE_UNAUTHENTICATED]: "You are signed out. Log in again to keep chatting.",
  [CLOSE_NOT_A_MEMBER]: "You are no longer a member of this room.",
  [CLOSE_NO_SUCH_ROOM]: "This room no longer exists.",
};
// Errors after which the same message may go through later: it stays in the outbox.
const RETRYABLE_ERRORS = new Set(["unavailable", "rate_limited"]);
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15000;
const TOO_MANY_DELAY_MS = 30000;
const NEAR_BOTTOM_PX = 80;

const root = document.getElementById("chat");
const slug = root.dataset.roomSlug;
const me = root.dataset.username;
const historyUrl = root.dataset.historyUrl;
const canModerate = root.dataset.canModerate === "true";
const members = JSON.parse(root.dataset.members || "[]");
const focusId = Number(new URLSearchParams(window.location.search).get("at")) || null;
let lastReadId = Number(root.dataset.lastReadId) || 0;

const list = document.getElementById("messages");
const scroller = document.getElementById("message-scroller");
const stateBadge = document.getElementById("connection-state");
const notice = document.getElementById("chat-notice");
const emptyNote = document.getElementById("empty-room");
const loadOlder = document.getElementById("load-older");
const jumpToLatest = document.getElementById("jump-to-latest");
const composer = document.getElementById("composer");
const input = document.getElementById("composer-input");
const roomState = document.getElementById("room-state");
const onlineList = document.getElementById("online");
const typingLine = document.getElementById("typing");
const announcer = document.getElementById("announcer");
const suggestions = document.getElementById("mention-suggestions");
// A refusal the server rendered with the page (muted, for instance) outlives reconnects.
const standingNotice = notice.hidden ? "" : notice.textContent;

const shown = new Map(); // message id -> <li>
// Messages not yet acknowledged (stored) by the server: client_id -> {body, element}.
// Kept in localStorage too, so a reload or a crash of the tab loses nothing.
const outbox = new Map();
const outboxKey = `parley:outbox:${me}:${slug}`;
let lastId = null; // highest id shown
// Highest id that came through history or broadcasts: where a reconnect catches up
// from. My own acknowledgements come straight back after the commit and can overtake
// broadcasts of lower ids still in flight, so they do not move it.
let syncId = null;
// Commits on different workers can finish out of id order: a reconnect also asks
// again for a few ids below, and the merge by id drops what is already shown.
const CATCH_UP_MARGIN = 20;
let serverTime = null; // the server's clock at the last history: edits and deletes since then
let oldestId = null;
let socket = null;
let attempts = 0;
let reconnectTimer = null;
let stopped = false;
let signedOutOnce = false; // a 4401 is final only if a fresh handshake gets it again
let retryTimer = null;

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function messageElement(message, { pending = false } = {}) {
  const item = el("li", "message");
  if (message.author.username === me) item.classList.add("is-mine");
  if (pending) item.classList.add("is-pending");
  if (message.id) item.dataset.id = String(message.id);
  if (message.client_id) item.dataset.clientId = message.client_id;

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
  item.append(meta, body);
  if (message.id) addActions(item, message);
  return item;
}

// ---------------------------------------------------------------------------
// Message actions: authors edit and delete their own, moderators delete any
// ---------------------------------------------------------------------------

function addActions(item, message) {
  const mine = message.author.username === me;
  if (!mine && !canModerate) return;
  const actions = el("span", "message-actions");
  if (mine) {
    const edit = el("button", "message-edit", "Edit");
    edit.type = "button";
    edit.addEventListener("click", () => startEdit(item));
    actions.append(edit);
  }
  const remove = el("button", "message-delete", "Delete");
  remove.type = "button";
  remove.addEventListener("click", () => startDelete(item, mine));
  actions.append(remove);
  item.querySelector(".message-meta").append(actions);
}

function sendAction(frame) {
  if (!socket || socket.readyState !== WebSocket.OPEN) {
    showNotice("Not connected: try again in a moment.");
    return false;
  }
  socket.send(JSON.stringify(frame));
  return true;
}

function startEdit(item) {
  if (item.querySelector(".message-edit-form")) return;
  const body = item.querySelector(".message-body");
  const form = el("form", "message-edit-form");
  const area = el("textarea");
  area.value = body.dataset.source || body.textContent;
  area.maxLength = 4000;
  area.setAttribute("aria-label", "Edit message");
  const save = el("button", "button button-small", "Save");
  save.type = "submit";
  const cancel = el("button", "link-button", "Cancel");
  cancel.type = "button";
  form.append(area, save, cancel);
  body.hidden = true;
  body.after(form);
  area.focus();
  const close = () => {
    form.remove();
    body.hidden = false;
  };
  cancel.addEventListener("click", close);
  area.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = area.value.trim();
    if (!text || text === body.dataset.source) return close();
    if (sendAction({ type: "message.edit", id: Number(item.dataset.id), body: text })) close();
  });
}

function startDelete(item, mine) {
  if (item.querySelector(".message-delete-form")) return;
  const form = el("form", "message-delete-form");
  form.append(el("span", null, mine ? "Delete this message? " : "Remove this message? "));
  let reason = null;
  if (!mine) {
    reason = el("input");
    reason.type = "text";
    reason.maxLength = 500;
    reason.placeholder = "reason (optional)";
    reason.setAttribute("aria-label", "Reason for removing");
    form.append(reason);
  }
  const yes = el("button", "button button-small", "Delete");
  yes.type = "submit";
  const no = el("button", "link-button", "Cancel");
  no.type = "button";
  no.addEventListener("click", () => form.remove());
  form.append(yes, no);
  item.append(form);
  (reason || yes).focus();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const frame = { type: "message.delete", id: Number(item.dataset.id) };
    if (reason && reason.value.trim()) frame.reason = reason.value.trim();
    if (sendAction(frame)) form.remove();
  });
}

function applyEdit(message) {
  const item = shown.get(message.id);
  if (!item) return;
  const fresh = messageElement(message);
  item.replaceWith(fresh);
  shown.set(message.id, fresh);
}

function applyDelete(id) {
  const item = shown.get(id);
  if (!item) return;
  item.remove();
  shown.delete(id);
  emptyNote.hidden = shown.size > 0 || outbox.size > 0;
}

function isNearBottom() {
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < NEAR_BOTTOM_PX;
}

function scrollToBottom() {
  scroller.scrollTop = scroller.scrollHeight;
  jumpToLatest.hidden = true;
}

// Insert by id, so catch-up, history pages and live messages interleave
// correctly; unacknowledged messages stay at the bottom. Walks from the end,
// where nearly every new message belongs.
function insertInOrder(item, id) {
  let node = list.lastElementChild;
  while (node && (!node.dataset.id || Number(node.dataset.id) > id)) {
    node = node.previousElementSibling;
  }
  list.insertBefore(item, node ? node.nextElementSibling : list.firstElementChild);
}

function showMessage(message) {
  if (shown.has(message.id)) return false; // each message exactly once
  const pending = message.client_id && message.author.username === me
    ? outbox.get(message.client_id)
    : null;
  if (pending) {
    pending.element.remove();
    outbox.delete(message.client_id);
    outboxSave();
  }
  const item = messageElement(message);
  insertInOrder(item, message.id);
  shown.set(message.id, item);
  if (lastId === null || message.id > lastId) lastId = message.id;
  if (oldestId === null || message.id < oldestId) oldestId = message.id;
  emptyNote.hidden = true;
  return true;
}

function showMessages(messages, { follow }) {
  const stick = follow || isNearBottom();
  let added = 0;
  for (const message of messages) if (showMessage(message)) added += 1;
  if (stick) scrollToBottom();
  else if (added) jumpToLatest.hidden = false;
  emptyNote.hidden = shown.size > 0 || outbox.size > 0;
}

function setState(state, label) {
  stateBadge.dataset.state = state;
  stateBadge.textContent = label;
}

function showNotice(text) {
  notice.textContent = text;
  notice.hidden = !text;
}

// ---------------------------------------------------------------------------
// The outbox
// ---------------------------------------------------------------------------

function outboxSave() {
  const entries = [...outbox].map(([clientId, entry]) => ({ client_id: clientId, body: entry.body }));
  try {
    if (entries.length) localStorage.setItem(outboxKey, JSON.stringify(entries));
    else localStorage.removeItem(outboxKey);
  } catch {
    // Storage full or disabled: the in-memory outbox still resends while the tab lives.
  }
}

function outboxAdd(clientId, body) {
  const element = messageElement(
    { author: { username: me, display_name: "" }, body, client_id: clientId },
    { pending: true },
  );
  element.querySelector(".message-author").textContent = "You";
  list.append(element);
  outbox.set(clientId, { body, element });
  outboxSave();
  emptyNote.hidden = true;
}

function outboxRestore() {
  let entries = [];
  try {
    entries = JSON.parse(localStorage.getItem(outboxKey) || "[]");
  } catch {
    entries = [];
  }
  for (const entry of entries) {
    if (typeof entry.client_id === "string" && typeof entry.body === "string") {
      outboxAdd(entry.client_id, entry.body);
    }
  }
}

function sendFrame(clientId, body) {
  socket.send(JSON.stringify({ type: "message.send", body, client_id: clientId }));
}

function flushOutbox() {
  clearTimeout(retryTimer);
  if (!socket || socket.readyState !== WebSocket.OPEN) return;
  // Resending is safe: the server stores a client_id once per author and room.
  for (const [clientId, entry] of outbox) sendFrame(clientId, entry.body);
}

function retryOutboxIn(ms) {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(flushOutbox, ms);
}

// ---------------------------------------------------------------------------
// History over HTTP (scrolling back, and catching up past the socket's limit)
// ---------------------------------------------------------------------------

async function fetchPage(params) {
  const url = new URL(historyUrl, window.location.href);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`history request failed with ${response.status}`);
  return response.json();
}

async function catchUpOverHttp() {
  // The socket sends at most 500 missed messages; fetch the rest page by page.
  let more = true;
  while (more && syncId !== null) {
    const page = await fetchPage({ after: syncId, limit: 100 });
    showMessages(page.messages, { follow: false });
    advanceSync(page.messages);
    more = page.has_more && page.messages.length > 0;
  }
}

loadOlder.addEventListener("click", async () => {
  if (oldestId === null) return;
  loadOlder.disabled = true;
  const heightBefore = scroller.scrollHeight;
  const topBefore = scroller.scrollTop;
  try {
    const page = await fetchPage({ before: oldestId, limit: 50 });
    for (const message of page.messages) showMessage(message);
    // Keep the message the reader was looking at in place.
    scroller.scrollTop = topBefore + (scroller.scrollHeight - heightBefore);
    loadOlder.hidden = !page.has_more;
  } catch (error) {
    showNotice("Could not load older messages. Try again in a moment.");
  } finally {
    loadOlder.disabled = false;
  }
});

// ---------------------------------------------------------------------------
// The socket
// ---------------------------------------------------------------------------

function socketUrl() {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  const url = new URL(`${scheme}//${window.location.host}/ws/rooms/${encodeURIComponent(slug)}/`);
  if (syncId !== null) url.searchParams.set("after", String(Math.max(0, syncId - CATCH_UP_MARGIN)));
  if (syncId !== null && serverTime) url.searchParams.set("since", serverTime);
  url.searchParams.set("presence", "1");
  return url.toString();
}

function connect() {
  clearTimeout(reconnectTimer);
  setState(attempts ? "reconnecting" : "connecting", attempts ? "Reconnecting…" : "Connecting…");
  const ws = new WebSocket(socketUrl());
  socket = ws;

  ws.addEventListener("open", () => {
    attempts = 0;
    setState("online", "Connected");
  });

  ws.addEventListener("message", (event) => {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    handleFrame(frame);
  });

  ws.addEventListener("close", (event) => {
    if (socket !== ws) return;
    socket = null;
    if (event.code === CLOSE_UNAUTHENTICATED && !signedOutOnce) {
      // A password change closes every socket of the user, but this tab's
      // session may still be valid: try once more before giving up.
      signedOutOnce = true;
      scheduleReconnect();
      return;
    }
    if (event.code === CLOSE_TOO_MANY) {
      showNotice("Too many open connections or messages. Close some tabs; retrying in 30 s.");
      setState("reconnecting", "Paused…");
      reconnectTimer = setTimeout(connect, TOO_MANY_DELAY_MS);
      return;
    }
    if (event.code in FINAL_CLOSES) {
      const explained = stopped; // a "removed" frame already said why
      stopped = true;
      setState("offline", "Disconnected");
      if (!explained) showNotice(FINAL_CLOSES[event.code]);
      composer.querySelector("button").disabled = true;
      input.disabled = true;
      return;
    }
    scheduleReconnect();
  });
}

function scheduleReconnect() {
  if (stopped) return;
  attempts += 1;
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (attempts - 1));
  const delay = ceiling / 2 + Math.random() * (ceiling / 2); // jitter spreads a crowd out
  setState("reconnecting", `Reconnecting in ${Math.ceil(delay / 1000)}s…`);
  reconnectTimer = setTimeout(connect, delay);
}

function advanceSync(messages) {
  for (const message of messages) {
    if (syncId === null || message.id > syncId) syncId = message.id;
  }
}

function handleFrame(frame) {
  switch (frame.type) {
    case "history": {
      signedOutOnce = false;
      showNotice(standingNotice);
      const catchingUp = lastId !== null;
      advanceSync(frame.messages);
      for (const id of frame.deleted || []) applyDelete(id);
      for (const message of frame.edited || []) applyEdit(message);
      if (frame.server_time) serverTime = frame.server_time;
      showMessages(frame.messages, { follow: !catchingUp });
      if (!catchingUp) loadOlder.hidden = !frame.has_more;
      emptyNote.hidden = shown.size > 0 || outbox.size > 0;
      if (catchingUp && frame.has_more) catchUpOverHttp().catch(() => {});
      if (!catchingUp) placeDivider();
      flushOutbox();
      markReadSoon();
      break;
    }
    case "message.new":
      if (!(frame.message.author.username === me && outbox.has(frame.message.client_id))) {
        advanceSync([frame.message]);
      }
      showMessages([frame.message], { follow: frame.message.author.username === me });
      typingStopped(frame.message.author.username);
      announce(frame.message);
      markReadSoon();
      break;
    case "presence":
      online.clear();
      for (const user of frame.online) online.set(user.username, user);
      renderOnline();
      break;
    case "presence.changed":
      if (frame.online) online.set(frame.user.username, frame.user);
      else online.delete(frame.user.username);
      renderOnline();
      break;
    case "typing":
      if (frame.active) typingStarted(frame.user);
      else typingStopped(frame.user.username);
      break;
    case "read":
      lastReadId = Math.max(lastReadId, frame.last_read_id);
      break;
    case "message.edited":
      applyEdit(frame.message);
      break;
    case "message.deleted":
      applyDelete(frame.id);
      break;
    case "room.updated":
      applyRoomState(frame.room);
      break;
    case "member.updated":
      if (frame.is_me) {
        // What I may do here changed (role, mute): the page redraws its controls.
        window.location.reload();
      }
      break;
    case "removed":
      stopped = true;
      showNotice(frame.detail || "You are no longer a member of this room.");
      break;
    case "error": {
      showNotice(frame.detail);
      const entry = frame.client_id ? outbox.get(frame.client_id) : null;
      if (!entry) break;
      if (RETRYABLE_ERRORS.has(frame.code)) {
        const seconds = frame.code === "rate_limited" ? Number(frame.retry_after) || 1 : 3;
        entry.element.querySelector(".message-status").textContent = "retrying…";
        retryOutboxIn(seconds * 1000);
      } else {
        // Refused for good: take it out of the outbox and say so beside it.
        outbox.delete(frame.client_id);
        outboxSave();
        entry.element.classList.replace("is-pending", "is-failed");
        entry.element.querySelector(".message-status").textContent = "not sent";
      }
      break;
    }
    default:
      break;
  }
}

// ---------------------------------------------------------------------------
// Presence, typing, read markers, announcements
// ---------------------------------------------------------------------------

const online = new Map(); // username -> {username, display_name}
const typists = new Map(); // username -> {name, timer}
const TYPING_SHOWN_MS = 6000;
const TYPING_SEND_EVERY_MS = 3000;
let typingSentAt = 0;
let readTimer = null;

function renderOnline() {
  onlineList.replaceChildren(
    ...[...online.values()]
      .sort((a, b) => a.display_name.localeCompare(b.display_name))
      .map((user) => {
        const item = el("li", "online-user", user.display_name);
        item.dataset.username = user.username;
        item.title = "@" + user.username;
        return item;
      }),
  );
}

function renderTyping() {
  const names = [...typists.values()].map((entry) => entry.name);
  if (names.length === 0) typingLine.textContent = "";
  else if (names.length === 1) typingLine.textContent = `${names[0]} is typing…`;
  else if (names.length === 2) typingLine.textContent = `${names[0]} and ${names[1]} are typing…`;
  else typingLine.textContent = "Several people are typing…";
}

function typingStarted(user) {
  const entry = typists.get(user.username);
  if (entry) clearTimeout(entry.timer);
  const timer = setTimeout(() => typingStopped(user.username), TYPING_SHOWN_MS);
  typists.set(user.username, { name: user.display_name, timer });
  renderTyping();
}

function typingStopped(username) {
  const entry = typists.get(username);
  if (!entry) return;
  clearTimeout(entry.timer);
  typists.delete(username);
  renderTyping();
}

function sendTyping(active) {
  if (!socket || socket.readyState !== WebSocket.OPEN) return;
  const now = Date.now();
  if (active && now - typingSentAt < TYPING_SEND_EVERY_MS) return;
  if (!active && typingSentAt === 0) return;
  typingSentAt = active ? now : 0;
  socket.send(JSON.stringify({ type: "typing", active }));
}

function announce(message) {
  if (message.author.username === me) return;
  announcer.textContent = `${message.author.display_name || message.author.username}: ${message.body}`;
}

// The "new messages" divider sits above the first message I had not read.
function placeDivider() {
  list.querySelector(".unread-divider")?.remove();
  for (const [id, item] of [...shown].sort((a, b) => a[0] - b[0])) {
    if (id > lastReadId && !item.classList.contains("is-mine")) {
      const divider = el("li", "unread-divider", "New messages");
      divider.setAttribute("role", "separator");
      item.before(divider);
      return;
    }
  }
}

// Reading advances the marker: the page is visible and the newest message is in view.
function markReadSoon() {
  clearTimeout(readTimer);
  readTimer = setTimeout(() => {
    if (lastId === null || lastId <= lastReadId) return;
    if (document.visibilityState !== "visible" || !isNearBottom()) return;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ type: "read", id: lastId }));
    lastReadId = lastId;
  }, 500);
}

document.addEventListener("visibilitychange", markReadSoon);

// ---------------------------------------------------------------------------
// @mention autocomplete
// ---------------------------------------------------------------------------

let suggestionIndex = 0;

function mentionPrefix() {
  const upToCaret = input.value.slice(0, input.selectionStart);
  const match = /(^|\s)@([\w.+-]*)$/.exec(upToCaret);
  return match ? match[2] : null;
}

function showSuggestions() {
  const prefix = mentionPrefix();
  const matches = prefix === null ? [] : members
    .filter((m) => m.username !== me)
    .filter((m) => m.username.toLowerCase().startsWith(prefix.toLowerCase())
      || m.display_name.toLowerCase().startsWith(prefix.toLowerCase()))
    .slice(0, 6);
  suggestions.replaceChildren(
    ...matches.map((member, index) => {
      const option = el("li", "mention-option", `${member.display_name} @${member.username}`);
      option.setAttribute("role", "option");
      option.id = `mention-option-${index}`;
      option.dataset.username = member.username;
      option.addEventListener("mousedown", (event) => {
        event.preventDefault();
        completeMention(member.username);
      });
      return option;
    }),
  );
  suggestionIndex = 0;
  suggestions.hidden = matches.length === 0;
  highlightSuggestion();
}

function highlightSuggestion() {
  const options = [...suggestions.children];
  options.forEach((option, index) => option.setAttribute("aria-selected", String(index === suggestionIndex)));
  if (options[suggestionIndex]) input.setAttribute("aria-activedescendant", options[suggestionIndex].id);
  else input.removeAttribute("aria-activedescendant");
}

function completeMention(username) {
  const caret = input.selectionStart;
  const before = input.value.slice(0, caret).replace(/@([\w.+-]*)$/, `@${username} `);
  input.value = before + input.value.slice(caret);
  input.selectionStart = input.selectionEnd = before.length;
  suggestions.hidden = true;
  input.focus();
}

function suggestionKey(event) {
  if (suggestions.hidden) return false;
  const options = [...suggestions.children];
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    suggestionIndex = (suggestionIndex + (event.key === "ArrowDown" ? 1 : -1) + options.length) % options.length;
    highlightSuggestion();
  } else if (event.key === "Enter" || event.key === "Tab") {
    completeMention(options[suggestionIndex].dataset.username);
  } else if (event.key === "Escape") {
    suggestions.hidden = true;
  } else {
    return false;
  }
  event.preventDefault();
  return true;
}

// ---------------------------------------------------------------------------
// Opening the room at one message (?at=<id>, from search and mentions)
// ---------------------------------------------------------------------------

async function loadAround(id) {
  const [before, after] = await Promise.all([
    fetchPage({ before: id + 1, limit: 25 }),
    fetchPage({ after: id, limit: 25 }),
  ]);
  for (const message of [...before.messages, ...after.messages]) showMessage(message);
  advanceSync([...before.messages, ...after.messages]);
  loadOlder.hidden = !before.has_more;
  const target = shown.get(id);
  if (target) {
    target.classList.add("is-focused");
    target.scrollIntoView({ block: "center" });
  }
}

function applyRoomState(room) {
  document.querySelector(".chat-title").textContent = room.name;
  let text = "";
  if (room.archived) text = "This room is archived: it is read-only.";
  else if (room.is_locked) text = "This room is locked: only moderators can post.";
  else if (room.slow_mode_seconds) text = `Slow mode: one message every ${room.slow_mode_seconds} seconds.`;
  roomState.textContent = text;
  roomState.hidden = !text;
}

// ---------------------------------------------------------------------------
// Composer: Enter sends, Shift+Enter makes a new line
// ---------------------------------------------------------------------------

function newClientId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

function send() {
  const body = input.value.trim();
  if (!body) return;
  const clientId = newClientId();
  outboxAdd(clientId, body);
  input.value = "";
  autosize();
  scrollToBottom();
  if (socket && socket.readyState === WebSocket.OPEN) sendFrame(clientId, body);
  sendTyping(false);
}

function autosize() {
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
}

composer.addEventListener("submit", (event) => {
  event.preventDefault();
  send();
});

input.addEventListener("keydown", (event) => {
  if (suggestionKey(event)) return;
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  }
});
input.addEventListener("input", () => {
  autosize();
  showSuggestions();
  sendTyping(input.value.trim() !== "");
});
input.addEventListener("blur", () => {
  suggestions.hidden = true;
});

scroller.addEventListener("scroll", () => {
  if (isNearBottom()) {
    jumpToLatest.hidden = true;
    markReadSoon();
  }
});

// Scrolling to the top loads older messages by itself.
new IntersectionObserver((entries) => {
  if (entries.some((entry) => entry.isIntersecting) && !loadOlder.hidden && !loadOlder.disabled) {
    loadOlder.click();
  }
}, { root: scroller }).observe(loadOlder);
jumpToLatest.addEventListener("click", scrollToBottom);

// Come back quickly when the network or the tab does.
window.addEventListener("online", () => {
  if (!socket && !stopped) {
    attempts = 0;
    connect();
  }
});

outboxRestore();
if (focusId) {
  loadAround(focusId).catch(() => showNotice("Could not load that message.")).finally(connect);
} else {
  connect();
}
input.focus();

// The live room page: one websocket per room, messages shown once each, in id order.
//
// User text only ever reaches the page through textContent, never innerHTML.

const CLOSE_UNAUTHENTICATED = 4401;
const CLOSE_NOT_A_MEMBER = 4403;
const CLOSE_NO_SUCH_ROOM = 4404;
const CLOSE_NO_ANSWER_TO_PING = 4408; // reconnects like any dropped connection
const CLOSE_FLOODING = 4420;
const CLOSE_TOO_MANY_SOCKETS = 4429;
const FINAL_CLOSES = {
  [CLOSE_UNAUTHENTICATED]: "You are signed out. Log in again to keep chatting.",
  [CLOSE_NOT_A_MEMBER]: "You are no longer a member of this room.",
  [CLOSE_NO_SUCH_ROOM]: "This room no longer exists.",
};
// Closes after which reconnecting at once would only be refused again.
const PAUSED_CLOSES = {
  [CLOSE_TOO_MANY_SOCKETS]: "Too many Parley tabs or windows are open: close some of them. Retrying in 30 s.",
  [CLOSE_FLOODING]: "You were sending too fast, so the connection was closed. Retrying in 30 s.",
};
// Refusals that pass by themselves: the message stays in the outbox and is sent
// again once the server says it may (retry_after), or after a short wait.
const WAIT_ERRORS = new Set(["slow_mode", "rate_limited"]);
const RETRYABLE_ERRORS = new Set(["unavailable", ...WAIT_ERRORS]);
// Refusals that say what I may do here: the page learns the room's or my state from them.
const POSTING_ERRORS = new Set(["muted", "locked", "archived"]);
const RETRY_MARGIN_MS = 150; // past retry_after, so the server's clock has surely moved on
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15000;
const PAUSED_DELAY_MS = 30000;
const MODERATING_ROLES = new Set(["owner", "moderator", "staff"]);
const NEAR_BOTTOM_PX = 80;

const root = document.getElementById("chat");
const slug = root.dataset.roomSlug;
const me = root.dataset.username;
const historyUrl = root.dataset.historyUrl;
const canModerate = root.dataset.canModerate === "true";
const isDirect = root.dataset.direct === "true";
// The server pings every interval; two missed pings and a margin mean the
// connection is dead even if the network never said so.
const pingInterval = Number(root.dataset.pingInterval) || 20;
const SILENCE_LIMIT_MS = (2 * pingInterval + 5) * 1000;
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
const sendButton = composer.querySelector("button[type=submit]");
const leaveForm = document.getElementById("leave-room");
const composerHint = document.getElementById("composer-hint");

const shown = new Map(); // message id -> <li>
// Messages not yet acknowledged (stored) by the server: client_id -> {body, element}.
// Kept in localStorage too, so a reload or a crash of the tab loses nothing.
const outbox = new Map();
// Messages the server refused for good, kept (and stored) until I retry, edit or copy them.
const refused = new Map();
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
let silenceTimer = null;
// What the notice says: "wait" (slow mode, rate limits) goes with the next acknowledged
// message, "refusal" with a change of the state that caused it, "final" never.
let noticeKind = null;

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
    showNotice("Not connected: try again in a moment.", "error");
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
    const hadFocus = form.contains(document.activeElement);
    form.remove();
    body.hidden = false;
    if (hadFocus && !input.disabled) input.focus();
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
  emptyNote.hidden = shown.size > 0 || outbox.size > 0 || refused.size > 0;
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
  emptyNote.hidden = shown.size > 0 || outbox.size > 0 || refused.size > 0;
}

function setState(state, label) {
  stateBadge.dataset.state = state;
  stateBadge.textContent = label;
}

function showNotice(text, kind) {
  notice.textContent = text;
  notice.hidden = !text;
  noticeKind = text ? kind : null;
}

function clearNotice() {
  showNotice("", null);
}

// ---------------------------------------------------------------------------
// The outbox
// ---------------------------------------------------------------------------

function outboxSave() {
  const entries = [
    ...[...outbox].map(([clientId, entry]) => ({ client_id: clientId, body: entry.body })),
    ...[...refused].map(([clientId, entry]) => ({ client_id: clientId, body: entry.body, failed: true })),
  ];
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
      if (entry.failed === true) unsentFailed(entry.client_id, outbox.get(entry.client_id));
    }
  }
}

function setStatus(entry, text) {
  entry.element.querySelector(".message-status").textContent = text;
}

// A message the server refused or holds back keeps its text on the page, with a way
// to send it again, to take it back into the composer, or to copy it.
function unsentActions(clientId, entry) {
  if (entry.element.querySelector(".unsent-actions")) return;
  const actions = el("span", "message-actions unsent-actions");
  const action = (label, onClick) => {
    const button = el("button", `unsent-${label.toLowerCase()}`, label);
    button.type = "button";
    button.addEventListener("click", () => onClick(button));
    actions.append(button);
  };
  action("Retry", () => unsentRetry(clientId, entry));
  action("Edit", () => unsentEdit(clientId, entry));
  action("Copy", (button) => unsentCopy(entry, button));
  entry.element.querySelector(".message-meta").append(actions);
}

function unsentRetry(clientId, entry) {
  if (refused.has(clientId)) {
    // Refused for good last time: it goes back into the outbox, under the same id
    // (the server stored nothing under it).
    refused.delete(clientId);
    outbox.set(clientId, entry);
    outboxSave();
    entry.element.classList.replace("is-failed", "is-pending");
  }
  setStatus(entry, "sending…");
  flushOutbox();
}

function unsentEdit(clientId, entry) {
  outbox.delete(clientId);
  refused.delete(clientId);
  outboxSave();
  entry.element.remove();
  input.value = input.value.trim() ? `${input.value}\n${entry.body}` : entry.body;
  autosize();
  emptyNote.hidden = shown.size > 0 || outbox.size > 0 || refused.size > 0;
  if (!input.disabled) input.focus();
}

async function unsentCopy(entry, button) {
  try {
    await navigator.clipboard.writeText(entry.body);
    button.textContent = "Copied";
  } catch {
    // No clipboard here (permission, plain http): select the text for Ctrl+C instead.
    const range = document.createRange();
    range.selectNodeContents(entry.element.querySelector(".message-body"));
    window.getSelection().removeAllRanges();
    window.getSelection().addRange(range);
    button.textContent = "Selected";
  }
}

function unsentFailed(clientId, entry) {
  outbox.delete(clientId);
  refused.set(clientId, entry);
  outboxSave();
  entry.element.classList.replace("is-pending", "is-failed");
  setStatus(entry, "not sent");
  unsentActions(clientId, entry);
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
    expectServer(ws);
  });

  ws.addEventListener("message", (event) => {
    if (socket !== ws) return; // a connection this page already gave up on
    expectServer(ws);
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
    clearTimeout(silenceTimer);
    if (event.code === CLOSE_UNAUTHENTICATED && !signedOutOnce) {
      // A password change closes every socket of the user, but this tab's
      // session may still be valid: try once more before giving up.
      signedOutOnce = true;
      scheduleReconnect();
      return;
    }
    if (event.code in PAUSED_CLOSES) {
      showNotice(PAUSED_CLOSES[event.code], "paused");
      setState("reconnecting", "Paused…");
      reconnectTimer = setTimeout(connect, PAUSED_DELAY_MS);
      return;
    }
    if (event.code === CLOSE_UNAUTHENTICATED) {
      stopped = true;
      setState("offline", "Disconnected");
      showNotice(FINAL_CLOSES[event.code], "final");
      renderPosting();
      return;
    }
    if (event.code in FINAL_CLOSES) {
      // A "removed" frame may already have said why, in its own words.
      if (!stopped) roomGone(FINAL_CLOSES[event.code]);
      return;
    }
    // Anything else (4408 no answer to ping, 4503, a network drop): back soon.
    scheduleReconnect();
  });
}

// Silence past the limit means the connection is dead though nobody closed it (a
// stalled proxy, a laptop waking up): let go of it now, its close may never come.
function expectServer(ws) {
  clearTimeout(silenceTimer);
  silenceTimer = setTimeout(() => {
    if (socket !== ws) return;
    socket = null;
    ws.close();
    scheduleReconnect();
  }, SILENCE_LIMIT_MS);
}

// Removed from the room (or the room is gone): nothing here is mine to use any more.
function roomGone(text) {
  stopped = true;
  clearTimeout(reconnectTimer);
  clearTimeout(retryTimer);
  clearTimeout(silenceTimer);
  setState("offline", "Disconnected");
  showNotice(text, "final");
  for (const element of [composer, composerHint, typingLine, roomState, leaveForm, emptyNote]) {
    if (element) element.hidden = true;
  }
  online.clear(); // nobody here is shown to me any more, me included
  renderOnline();
  for (const link of document.querySelectorAll(`#sidebar [data-slug="${CSS.escape(slug)}"]`)) {
    link.closest("li").remove();
  }
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
    case "ping":
      socket.send(JSON.stringify({ type: "pong" }));
      break;
    case "history": {
      signedOutOnce = false;
      if (noticeKind !== "final") clearNotice();
      const catchingUp = lastId !== null;
      advanceSync(frame.messages);
      for (const id of frame.deleted || []) applyDelete(id);
      for (const message of frame.edited || []) applyEdit(message);
      if (frame.server_time) serverTime = frame.server_time;
      showMessages(frame.messages, { follow: !catchingUp });
      if (!catchingUp) loadOlder.hidden = !frame.has_more;
      emptyNote.hidden = shown.size > 0 || outbox.size > 0 || refused.size > 0;
      if (catchingUp && frame.has_more) catchUpOverHttp().catch(() => {});
      if (!catchingUp) placeDivider();
      flushOutbox();
      markReadSoon();
      break;
    }
    case "message.new":
      if (!(frame.message.author.username === me && outbox.has(frame.message.client_id))) {
        advanceSync([frame.message]);
      } else if (noticeKind === "wait") {
        clearNotice(); // the wait that slow mode or the rate limit asked for is over
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
        if (frame.member.role !== posting.role && posting.role !== "staff") {
          // A new role brings other controls (settings, moderation): the page redraws them.
          window.location.reload();
          break;
        }
        posting.mutedUntil = parseTime(frame.member.muted_until);
        renderPosting();
      }
      break;
    case "removed":
      roomGone(frame.detail || FINAL_CLOSES[CLOSE_NOT_A_MEMBER]);
      break;
    case "error": {
      if (POSTING_ERRORS.has(frame.code)) {
        postingLearn(frame);
        // The sentence beside the composer says it; only a state this page cannot
        // tell from the refusal gets a notice.
        if (!postingRefusal()) showNotice(frame.detail, "refusal");
      } else {
        showNotice(frame.detail, WAIT_ERRORS.has(frame.code) ? "wait" : "error");
      }
      const entry = frame.client_id ? outbox.get(frame.client_id) : null;
      if (!entry) break;
      if (RETRYABLE_ERRORS.has(frame.code)) {
        const seconds = WAIT_ERRORS.has(frame.code) ? Number(frame.retry_after) || 1 : 3;
        setStatus(entry, `sending again in ${Math.ceil(seconds)} s…`);
        unsentActions(frame.client_id, entry);
        retryOutboxIn(seconds * 1000 + RETRY_MARGIN_MS);
      } else {
        unsentFailed(frame.client_id, entry);
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
        const item = el("li", "online-user");
        // A long name ends in an ellipsis; the whole of it is in the title.
        const dot = el("span", "presence-dot");
        dot.setAttribute("aria-hidden", "true");
        item.append(dot, el("span", "online-name", user.display_name));
        item.dataset.username = user.username;
        item.title = `${user.display_name} (@${user.username})`;
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
      // A list item like its neighbours (a separator role inside the <ol> would leave the
      // list holding a non-item); screen readers hear "New messages" where it starts.
      const divider = el("li", "unread-divider", "New messages");
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

// ---------------------------------------------------------------------------
// May I post here? Kept live from room.updated, member.updated and refusals
// ---------------------------------------------------------------------------

function parseTime(value) {
  const time = value ? Date.parse(value) : NaN;
  return Number.isNaN(time) ? null : time;
}

const posting = {
  archived: root.dataset.archived === "true",
  locked: root.dataset.locked === "true",
  slowMode: Number(root.dataset.slowMode) || 0,
  role: root.dataset.role,
  mutedUntil: parseTime(root.dataset.mutedUntil),
  // A refusal no event lifts (staff reading a room they have not joined).
  fixed: root.dataset.refusal || "",
};
let muteTimer = null;

// The minute a mute ends, worded as the server words it (rooms/permissions.py).
function utcMinute(time) {
  return `${new Date(time).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

// The same rules, in the same order, as rooms/permissions.py denial() for posting.
function postingRefusal() {
  if (posting.fixed) return posting.fixed;
  if (posting.archived) return root.dataset.textArchived;
  if (posting.locked && !MODERATING_ROLES.has(posting.role)) return root.dataset.textLocked;
  if (posting.mutedUntil !== null && posting.mutedUntil > Date.now()) {
    return root.dataset.textMuted.replace("{until}", utcMinute(posting.mutedUntil));
  }
  return "";
}

function postingLearn(frame) {
  if (frame.code === "archived") posting.archived = true;
  else if (frame.code === "locked") posting.locked = true;
  else if (frame.code === "muted") posting.mutedUntil = parseTime(frame.until) ?? posting.mutedUntil;
  renderPosting();
}

// One sentence beside the composer: why I cannot post, or else the room's posting rules.
function renderPosting() {
  clearTimeout(muteTimer);
  const refusal = postingRefusal();
  let text = refusal;
  if (!text && posting.locked) text = root.dataset.textLocked;
  else if (!text && posting.slowMode) {
    text = root.dataset.textSlowMode.replace("{seconds}", String(posting.slowMode));
  }
  roomState.textContent = text;
  roomState.hidden = !text;
  roomState.classList.toggle("is-refusal", Boolean(refusal));
  const wasDisabled = input.disabled;
  input.disabled = Boolean(refusal) || stopped;
  sendButton.disabled = input.disabled;
  if (wasDisabled && !input.disabled && document.activeElement === document.body) input.focus();
  if (!refusal && noticeKind === "refusal") clearNotice();
  if (posting.mutedUntil !== null && posting.mutedUntil > Date.now()) {
    // Nobody sends an event when a mute runs out: the page looks again then.
    const wait = posting.mutedUntil - Date.now() + RETRY_MARGIN_MS;
    muteTimer = setTimeout(renderPosting, Math.min(wait, 2 ** 31 - 1));
  }
}

const initialName = document.querySelector(".chat-title").textContent;
const titleSuffix = document.title.startsWith(initialName) ? document.title.slice(initialName.length) : "";
const placeholderPrefix = input.placeholder.endsWith(initialName)
  ? input.placeholder.slice(0, input.placeholder.length - initialName.length)
  : null;

function applyRoomState(room) {
  posting.archived = Boolean(room.is_archived ?? room.archived);
  posting.locked = Boolean(room.is_locked);
  posting.slowMode = Number(room.slow_mode_seconds) || 0;
  renderPosting();
  if (isDirect) return; // a conversation is named after the other person, not the room
  document.querySelector(".chat-title").textContent = room.name;
  const description = document.querySelector(".chat-description");
  description.textContent = room.description || "";
  description.hidden = !room.description;
  document.title = `${room.name}${titleSuffix}`;
  if (placeholderPrefix !== null) input.placeholder = `${placeholderPrefix}${room.name}`;
  for (const name of document.querySelectorAll(`#sidebar [data-slug="${CSS.escape(slug)}"] .sidebar-name`)) {
    name.textContent = room.name;
  }
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
  if (event.key === "ArrowUp" && input.value === "" && !event.shiftKey && !event.altKey) {
    // As in most chats: the last message I wrote opens for editing.
    const mine = [...list.querySelectorAll("li.message.is-mine[data-id]")].pop();
    if (mine) {
      event.preventDefault();
      startEdit(mine);
    }
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

renderPosting();
outboxRestore();
if (focusId) {
  loadAround(focusId).catch(() => showNotice("Could not load that message.")).finally(connect);
} else {
  connect();
}
input.focus();

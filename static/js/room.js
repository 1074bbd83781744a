// The live room page: one websocket per room, messages shown once each, in id order.
// This entry module finds the page's elements, owns its state objects and routes each
// frame to the one that handles it.

import { pageConstants } from "./constants.js";
import { Composer } from "./composer.js";
import { EditHistory } from "./edit-history.js";
import { EmojiPicker } from "./emoji-picker.js";
import { History } from "./history.js";
import { MessageJump } from "./jump.js";
import { Lightbox } from "./lightbox.js";
import { MessageExtras } from "./message-extras.js";
import { MessageList } from "./message-list.js";
import { newClientId, Outbox } from "./outbox.js";
import { OutboxView } from "./outbox-view.js";
import { PinsPanel } from "./pins.js";
import { PostingState } from "./posting.js";
import { Presence, TypingSender } from "./presence.js";
import { ReadMarker } from "./read-markers.js";
import { ReplyDraft } from "./replies.js";
import { RoomHeader } from "./room-header.js";
import { ReconnectingSocket, socketUrl } from "./socket.js";
import { ConnectionBadge, Notice } from "./status.js";
import { Timeline } from "./timeline.js";
import { UploadTray } from "./upload-chips.js";

const constants = pageConstants();
const root = document.getElementById("chat");
const slug = root.dataset.roomSlug;
const me = root.dataset.username;
const controls = JSON.parse(document.getElementById("room-controls").textContent);
const members = JSON.parse(root.dataset.members || "[]");
const byId = (id) => document.getElementById(id);
const composerForm = byId("composer");
const input = byId("composer-input");

const page = { stopped: false };
const badge = new ConnectionBadge(byId("connection-state"));
const notice = new Notice(byId("chat-notice"));
const timeline = new Timeline();
const outbox = new Outbox({ storage: localStorage, key: `parley:outbox:${me}:${slug}` });
const socket = new ReconnectingSocket({
  url: () => socketUrl(`/ws/rooms/${encodeURIComponent(slug)}/`, { ...timeline.catchUpParams(), presence: "1" }),
  constants,
  onFrame: (frame) => {
    if (Object.hasOwn(handlers, frame.type)) handlers[frame.type](frame);
  },
  onStatus: (status) => badge.show(status),
  onPaused: (code) => {
    notice.show(constants.closeSentence(code), "paused");
    badge.set("reconnecting", "Paused…");
  },
  onFinal: (code) => {
    if (code === constants.close.UNAUTHENTICATED) signedOut();
    // A "removed" frame may already have said why, in its own words.
    else if (!page.stopped) roomGone(constants.closeSentence(code));
  },
});

function sendAction(frame) {
  if (socket.send(frame)) return true;
  notice.show("Not connected: try again in a moment.", "error");
  return false;
}

const replies = new ReplyDraft({ strip: byId("reply-strip"), input });
const pins = new PinsPanel({ url: root.dataset.pinsUrl, toggle: byId("pins-toggle"), panel: byId("pins-panel"), onJump: (id) => jump.to(id) });
const extras = new MessageExtras({
  me,
  names: Object.fromEntries(members.map((member) => [member.username, member.display_name])),
  controls: controls.mine,
  sendAction,
  replies,
  picker: new EmojiPicker(),
  editHistory: new EditHistory({ dialog: byId("edit-history"), historyUrl: root.dataset.historyUrl, notice }),
  onJump: (id) => jump.to(id),
  element: (id) => messages.element(id),
});
const messages = new MessageList({
  elements: {
    list: byId("messages"),
    scroller: byId("message-scroller"),
    emptyNote: byId("empty-room"),
    jumpToLatest: byId("jump-to-latest"),
  },
  me,
  constants,
  timeline,
  canModerate: controls.mine.moderate,
  sendAction,
  beforeShow: (message) => outboxView.acknowledge(message),
  unsentCount: () => outbox.size,
  composerInput: input,
  decorate: (item, message) => extras.decorate(item, message),
});
const posting = new PostingState({
  root,
  constants,
  elements: {
    roomState: byId("room-state"),
    input,
    sendButton: composerForm.querySelector("button[type=submit]"),
    attachButton: byId("attach-button"),
  },
  notice,
  isStopped: () => page.stopped,
});
const presence = new Presence({ onlineList: byId("online"), typingLine: byId("typing") });
const typing = new TypingSender({ socket });
const readMarker = new ReadMarker({
  lastReadId: Number(root.dataset.lastReadId) || 0,
  timeline,
  messages,
  socket,
});
const history = new History({
  url: root.dataset.historyUrl,
  messages,
  timeline,
  loadOlder: byId("load-older"),
  constants,
  notice,
});
// Links (?at=), reply quotes and the pins panel all go to a message through this one.
const jump = new MessageJump({ messages, timeline, history, notice });
const header = new RoomHeader({
  slug,
  isDirect: root.dataset.direct === "true",
  input,
  controlsByRole: controls.by_role,
});
const uploads = new UploadTray({
  elements: {
    chips: byId("upload-chips"),
    status: byId("upload-status"),
    attachButton: byId("attach-button"),
    fileInput: byId("attach-input"),
    input,
    dropZone: root,
  },
  url: root.dataset.uploadUrl,
  constants,
  onReady: () => composer.send(),
});
const lightbox = new Lightbox({ dialog: byId("lightbox"), within: messages.list });
const composer = new Composer({
  elements: { form: composerForm, input, suggestions: byId("mention-suggestions") },
  members,
  me,
  uploads,
  onSend: (body, attachments) => {
    const clientId = newClientId();
    outboxView.add(clientId, body, { attachments, replyTo: replies.take() });
    messages.scrollToBottom();
    outboxView.send(clientId);
    typing.update(false);
  },
  onTyping: (active) => typing.update(active),
  onEditLast: () => messages.editLastOfMine(),
});
const outboxView = new OutboxView({
  outbox,
  list: messages.list,
  me,
  myName: members.find((member) => member.username === me)?.display_name,
  myAvatarUrl: members.find((member) => member.username === me)?.avatar_url,
  constants,
  sendFrame: (frame) => socket.send(frame),
  toComposer: (body, attachments) => {
    uploads.restore(attachments);
    composer.append(body);
  },
  onChange: () => messages.refreshEmpty(),
});

function announce(message) {
  if (message.author.username === me) return;
  byId("announcer").textContent = `${message.author.display_name || message.author.username}: ${message.body}`;
}

function signedOut() {
  page.stopped = true;
  badge.set("offline", "Disconnected");
  notice.show(constants.closeSentence(constants.close.UNAUTHENTICATED), "final");
  posting.render();
}

// Removed from the room (or the room is gone): nothing here is mine to use any more.
function roomGone(text) {
  page.stopped = true;
  socket.stop();
  outboxView.stop();
  badge.set("offline", "Disconnected");
  notice.show(text, "final");
  for (const id of ["composer", "composer-hint", "upload-chips", "upload-status", "typing", "room-state", "leave-room", "empty-room"]) {
    const element = byId(id);
    if (element) element.hidden = true;
  }
  presence.setAll([]); // nobody here is shown to me any more, me included
  header.dropFromSidebar();
}

// One handler per frame type; the socket answers pings itself.
const handlers = {
  history(frame) {
    // What a connection problem said is over; a final word, or a link's, stays.
    if (notice.kind !== "final" && notice.kind !== "link") notice.clear();
    const catchingUp = timeline.lastId !== null;
    timeline.advanceSync(frame.messages);
    for (const id of frame.deleted || []) messages.applyDelete(id);
    for (const message of frame.edited || []) messages.applyEdit(message);
    if (frame.server_time) timeline.serverTime = frame.server_time;
    messages.showMany(frame.messages, { follow: !catchingUp });
    if (!catchingUp) history.loadOlder.hidden = !frame.has_more;
    messages.refreshEmpty();
    if (catchingUp && frame.has_more) history.catchUp().catch(() => {});
    if (catchingUp) pins.load().catch(() => {}); // pins made or taken back while away
    if (!catchingUp) readMarker.placeDivider();
    outboxView.flush();
    readMarker.markSoon();
  },
  "message.new"({ message }) {
    if (!outboxView.isMinePending(message)) timeline.advanceSync([message]);
    else notice.clearIf("wait"); // the wait that slow mode or the rate limit asked for is over
    messages.showMany([message], { follow: message.author.username === me });
    presence.typingStopped(message.author.username);
    announce(message);
    readMarker.markSoon();
  },
  presence: (frame) => presence.setAll(frame.online),
  "presence.changed": (frame) => presence.changed(frame.user, frame.online),
  typing(frame) {
    if (frame.active) presence.typingStarted(frame.user);
    else presence.typingStopped(frame.user.username);
  },
  read: (frame) => readMarker.moveTo(frame.last_read_id),
  "message.edited"({ message }) {
    messages.applyEdit(message);
    pins.edited(message);
  },
  "message.deleted"({ id }) {
    messages.applyDelete(id);
    lightbox.closeIfGone();
    extras.forget(id);
    pins.unpinned(id);
  },
  "reaction.added": (frame) => extras.reaction(frame, true),
  "reaction.removed": (frame) => extras.reaction(frame, false),
  "message.pinned"(frame) {
    extras.pinned(frame.id, true);
    pins.pinned(frame.message);
  },
  "message.unpinned"(frame) {
    extras.pinned(frame.id, false);
    pins.unpinned(frame.id);
  },
  "room.updated"({ room }) {
    posting.applyRoom(room);
    header.applyRoom(room);
  },
  "member.updated"(frame) {
    if (!frame.is_me) return;
    // A new role brings other controls (moderation, settings): shown in place, no reload.
    const shown = header.applyRole(frame.member.role);
    if (shown) {
      messages.setCanModerate(shown.moderate);
      extras.setControls(shown);
    }
    posting.applyMember(frame.member);
  },
  removed: (frame) => roomGone(frame.detail || constants.closeSentence(constants.close.NOT_A_MEMBER)),
  error(frame) {
    if (constants.postingErrors.has(frame.code)) {
      posting.learn(frame);
      // The sentence beside the composer says it; only a state this page cannot
      // tell from the refusal gets a notice.
      if (!posting.refusal()) notice.show(frame.detail, "refusal");
    } else {
      notice.show(frame.detail, constants.waitErrors.has(frame.code) ? "wait" : "error");
    }
    outboxView.refused(frame);
  },
};

byId("message-scroller").addEventListener("scroll", () => {
  if (messages.isNearBottom()) {
    messages.jumpToLatest.hidden = true;
    readMarker.markSoon();
  }
});
messages.jumpToLatest.addEventListener("click", () => messages.scrollToBottom());
document.addEventListener("visibilitychange", () => readMarker.markSoon());

posting.render();
outboxView.restore();
pins.load().catch(() => notice.show("Could not load the pinned messages."));
const focusId = Number(new URLSearchParams(window.location.search).get("at")) || null;
if (focusId) {
  jump.open(focusId).finally(() => socket.start());
} else {
  socket.start();
}
input.focus();

// May I post here? Kept live from room.updated, member.updated and refusals; one sentence
// beside the composer says why not, or else the room's posting rules.

import { realClock } from "./clock.js";
import { RETRY_MARGIN_MS } from "./outbox.js";

const MODERATING_ROLES = new Set(["owner", "moderator", "staff"]);

export function parseTime(value) {
  const time = value ? Date.parse(value) : NaN;
  return Number.isNaN(time) ? null : time;
}

// The minute a mute ends, worded as the server words it (rooms/permissions.py).
function utcMinute(time) {
  return `${new Date(time).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export class PostingState {
  // isStopped(): the page has nothing left to post to (removed, signed out).
  constructor({ root, constants, elements, notice, isStopped, clock = realClock }) {
    Object.assign(this, elements); // roomState, input, sendButton, attachButton
    Object.assign(this, { constants, notice, isStopped, clock });
    this.sentences = { ...constants.room_state_sentences, ...constants.posting_sentences };
    this.archived = root.dataset.archived === "true";
    this.locked = root.dataset.locked === "true";
    this.slowMode = Number(root.dataset.slowMode) || 0;
    this.role = root.dataset.role;
    this.mutedUntil = parseTime(root.dataset.mutedUntil);
    // A refusal no event lifts (staff reading a room they have not joined).
    this.fixed = root.dataset.refusal || "";
    this.muteTimer = null;
  }

  // The same rules, in the same order, as rooms/permissions.py denial() for posting.
  refusal() {
    if (this.fixed) return this.fixed;
    if (this.archived) return this.sentences.archived;
    if (this.locked && !MODERATING_ROLES.has(this.role)) return this.sentences.locked;
    if (this.#muted()) return this.sentences.muted.replace("{until}", utcMinute(this.mutedUntil));
    return "";
  }

  learn(frame) {
    const { errors } = this.constants;
    if (frame.code === errors.ARCHIVED) this.archived = true;
    else if (frame.code === errors.LOCKED) this.locked = true;
    else if (frame.code === errors.MUTED) this.mutedUntil = parseTime(frame.until) ?? this.mutedUntil;
    this.render();
  }

  applyRoom(room) {
    this.archived = Boolean(room.is_archived ?? room.archived);
    this.locked = Boolean(room.is_locked);
    this.slowMode = Number(room.slow_mode_seconds) || 0;
    this.render();
  }

  applyMember(member) {
    if (this.role !== "staff") this.role = member.role;
    this.mutedUntil = parseTime(member.muted_until);
    this.render();
  }

  render() {
    this.clock.clearTimeout(this.muteTimer);
    const refusal = this.refusal();
    let text = refusal;
    if (!text && this.locked) text = this.sentences.locked;
    else if (!text && this.slowMode) text = this.sentences.slow_mode.replace("{seconds}", String(this.slowMode));
    this.roomState.textContent = text;
    this.roomState.hidden = !text;
    this.roomState.classList.toggle("is-refusal", Boolean(refusal));
    const wasDisabled = this.input.disabled;
    this.input.disabled = Boolean(refusal) || this.isStopped();
    this.sendButton.disabled = this.input.disabled;
    this.attachButton.disabled = this.input.disabled;
    if (wasDisabled && !this.input.disabled && document.activeElement === document.body) this.input.focus();
    if (!refusal) this.notice.clearIf("refusal");
    if (this.#muted()) {
      // Nobody sends an event when a mute runs out: the page looks again then.
      const wait = this.mutedUntil - this.clock.now() + RETRY_MARGIN_MS;
      this.muteTimer = this.clock.setTimeout(() => this.render(), Math.min(wait, 2 ** 31 - 1));
    }
  }

  #muted() {
    return this.mutedUntil !== null && this.mutedUntil > this.clock.now();
  }
}

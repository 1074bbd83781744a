// One websocket that stays connected: reconnects with backoff, answers the server's
// pings, and lets go of a connection that went silent. Used by the room page and the inbox.

import { Backoff } from "./backoff.js";
import { realClock } from "./clock.js";
import { silenceLimitMs } from "./constants.js";

export function socketUrl(path, params = {}) {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  const url = new URL(`${scheme}//${window.location.host}${path}`);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.toString();
}

export class ReconnectingSocket {
  // url: called before every attempt (a reconnect asks for what it missed).
  // onStatus({state, delayMs}): "connecting", "reconnecting", "waiting" (delayMs), "online".
  // onPaused(code): a close after which reconnecting at once would only be refused again.
  // onFinal(code): a close this socket does not come back from.
  constructor({
    url,
    constants,
    onFrame,
    onStatus = () => {},
    onPaused = () => {},
    onFinal = () => {},
    backoff = new Backoff(),
    clock = realClock,
  }) {
    Object.assign(this, { url, constants, onFrame, onStatus, onPaused, onFinal, backoff, clock });
    this.ws = null;
    this.stopped = false;
    this.signedOutOnce = false; // a 4401 is final only if a fresh handshake gets it again
    this.reconnectTimer = null;
    this.silenceTimer = null;
  }

  start() {
    // Come back quickly when the network or the tab does.
    window.addEventListener("online", () => {
      if (!this.ws && !this.stopped) {
        this.backoff.reset();
        this.connect();
      }
    });
    this.connect();
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  send(frame) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  // Nothing more to do here (removed from the room, signed out): no reconnect.
  stop() {
    this.stopped = true;
    this.clock.clearTimeout(this.reconnectTimer);
    this.clock.clearTimeout(this.silenceTimer);
  }

  connect() {
    this.clock.clearTimeout(this.reconnectTimer);
    this.onStatus({ state: this.backoff.attempts ? "reconnecting" : "connecting" });
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.backoff.reset();
      this.onStatus({ state: "online" });
      this.#expectServer(ws);
    });
    ws.addEventListener("message", (event) => {
      if (this.ws !== ws) return; // a connection this page already gave up on
      this.#expectServer(ws);
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame.type === "ping") {
        this.send({ type: "pong" });
        return;
      }
      this.signedOutOnce = false; // the server took this session: the handshake went through
      this.onFrame(frame);
    });
    ws.addEventListener("close", (event) => this.#closed(ws, event.code));
  }

  #closed(ws, code) {
    if (this.ws !== ws) return;
    this.ws = null;
    this.clock.clearTimeout(this.silenceTimer);
    const { close, finalCloses, pausedCloses } = this.constants;
    if (code === close.UNAUTHENTICATED && !this.signedOutOnce) {
      // A password change closes every socket of the user, but this tab's
      // session may still be valid: try once more before giving up.
      this.signedOutOnce = true;
      this.#scheduleReconnect();
    } else if (pausedCloses.has(code)) {
      this.onPaused(code);
      this.reconnectTimer = this.clock.setTimeout(
        () => this.connect(),
        this.constants.paused_retry_seconds * 1000,
      );
    } else if (finalCloses.has(code)) {
      this.stopped = true;
      this.onFinal(code);
    } else {
      // Anything else (no answer to a ping, try again later, a network drop): back soon.
      this.#scheduleReconnect();
    }
  }

  // Silence past the limit means the connection is dead though nobody closed it (a
  // stalled proxy, a laptop waking up): let go of it now, its close may never come.
  #expectServer(ws) {
    this.clock.clearTimeout(this.silenceTimer);
    this.silenceTimer = this.clock.setTimeout(() => {
      if (this.ws !== ws) return;
      this.ws = null;
      ws.close();
      this.#scheduleReconnect();
    }, silenceLimitMs(this.constants.ping_interval));
  }

  #scheduleReconnect() {
    if (this.stopped) return;
    const delayMs = this.backoff.next();
    this.onStatus({ state: "waiting", delayMs });
    this.reconnectTimer = this.clock.setTimeout(() => this.connect(), delayMs);
  }
}

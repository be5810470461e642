// A WebSocket to Pulse that stays connected: exponential backoff with jitter between attempts,
// requests matched to replies by "ref", an application-level ping that detects dead connections,
// and an onOpen hook where the chat re-joins its rooms and resubscribes with "since".

import { backoffDelay } from './util.js';

const HEARTBEAT_MS = 15000;
const HEARTBEAT_TIMEOUT_MS = 10000;
/** A connection that stayed up this long resets the backoff; one that flaps keeps growing it. */
const STABLE_MS = 5000;

export class RequestError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

export class PulseSocket {
  /**
   * @param {object} o
   * @param {function(): Promise<string>} o.resolveUrl the ws:// URL, asked again before every attempt
   * @param {function(string, string): void} o.onState (state, text): connecting | open | reconnecting
   * @param {function(number): void} o.onCountdown seconds until the next attempt (0: none pending)
   * @param {function(object): void} o.onEnvelope every message that has a channel
   * @param {function(object): void} o.onUnsolicited replies without a pending ref (errors, …)
   * @param {function(): void} o.onOpen after every (re)connection
   * @param {function(): void} o.onClose after every lost connection
   */
  constructor(o) {
    this.o = o;
    this.ws = null;
    this.nextRef = 1;
    this.pending = new Map();
    this.attempt = 0;
    this.everOpened = false;
    this.openedAt = 0;
    this.retryTimer = 0;
    this.countdownTimer = 0;
    this.heartbeatTimer = 0;
    this.connecting = false;
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  start() {
    this.connect();
    window.addEventListener('online', () => {
      if (!this.ws && !this.connecting) this.connectNow();
    });
  }

  async connect() {
    this.connecting = true;
    this.o.onState(this.everOpened ? 'reconnecting' : 'connecting', this.everOpened ? 'reconnecting…' : 'connecting…');
    let url;
    try {
      url = await this.o.resolveUrl();
    } catch {
      this.connecting = false;
      this.scheduleRetry();
      return;
    }
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      this.connecting = false;
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    this.connecting = false;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      this.everOpened = true;
      this.openedAt = Date.now();
      this.o.onState('open', 'connected');
      this.heartbeatTimer = setInterval(() => this.heartbeat(), HEARTBEAT_MS);
      this.o.onOpen();
    };
    ws.onmessage = (e) => {
      if (ws !== this.ws) return;
      let msg;
      try {
        msg = JSON.parse(e.data);
      } catch {
        return;
      }
      this.dispatch(msg);
    };
    ws.onclose = () => {
      if (ws === this.ws) this.lost();
    };
    // onerror is always followed by onclose, where the retry is scheduled.
    ws.onerror = () => {};
  }

  dispatch(msg) {
    if (msg.ref !== undefined && this.pending.has(msg.ref)) {
      const p = this.pending.get(msg.ref);
      this.pending.delete(msg.ref);
      clearTimeout(p.timer);
      if (msg.type === 'error') p.reject(new RequestError(msg.code, msg.message));
      else p.resolve(msg);
    } else if (typeof msg.channel === 'string' && msg.id !== undefined && msg.ts !== undefined) {
      this.o.onEnvelope(msg);
    } else {
      this.o.onUnsolicited(msg);
    }
  }

  /** Sends {type,…} with a fresh ref; resolves with the reply, rejects with RequestError or on close/timeout. */
  request(msg, timeoutMs = 8000) {
    if (!this.isOpen) return Promise.reject(new RequestError('offline', 'not connected'));
    const ref = this.nextRef++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(new RequestError('timeout', `no answer to ${msg.type} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(ref, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ ...msg, ref }));
    });
  }

  heartbeat() {
    this.request({ type: 'ping' }, HEARTBEAT_TIMEOUT_MS).catch((err) => {
      if (err.code === 'timeout') this.drop(); // no pong: the connection is dead even if the socket says open
    });
  }

  /** Gives up on the current socket without waiting for a closing handshake. */
  drop() {
    const ws = this.ws;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try {
      ws.close(4000, 'heartbeat timeout');
    } catch {
      // already closing
    }
    this.lost();
  }

  lost() {
    this.ws = null;
    clearInterval(this.heartbeatTimer);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new RequestError('offline', 'connection lost'));
    }
    this.pending.clear();
    if (this.openedAt && Date.now() - this.openedAt >= STABLE_MS) this.attempt = 0;
    this.openedAt = 0;
    this.o.onClose();
    this.scheduleRetry();
  }

  scheduleRetry() {
    clearTimeout(this.retryTimer);
    clearInterval(this.countdownTimer);
    const delay = backoffDelay(this.attempt++);
    const due = Date.now() + delay;
    this.o.onState('reconnecting', this.attempt > 1 ? `reconnecting (attempt ${this.attempt})…` : 'reconnecting…');
    const tick = () => this.o.onCountdown(Math.max(0, Math.ceil((due - Date.now()) / 1000)));
    tick();
    this.countdownTimer = setInterval(tick, 1000);
    this.retryTimer = setTimeout(() => {
      clearInterval(this.countdownTimer);
      this.o.onCountdown(0);
      this.connect();
    }, delay);
  }

  connectNow() {
    clearTimeout(this.retryTimer);
    clearInterval(this.countdownTimer);
    this.o.onCountdown(0);
    this.connect();
  }
}

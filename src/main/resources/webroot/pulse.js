// pulse.js: the client for Pulse's WebSocket protocol, served by every node at /pulse.js.
//
// One ES module, no dependency, no build step; browsers and Node 20+ (where there is no global
// WebSocket, pass the `ws` package's: new Pulse(url, { WebSocket })). Types: pulse.d.ts beside it.
// What it does, and the close-code table: src/site/markdown/client.md.
//
// Subscriptions and rooms are state: kept across disconnects and set up again on every connection,
// each resuming from its last id. Requests (publish, chat, presence) are not queued: while the
// client is not connected they are rejected at once with code "disconnected".

/** Defaults of every timing option, in milliseconds (client.md explains each). */
export const DEFAULTS = Object.freeze({
  backoffBaseMs: 500,
  backoffCapMs: 15000,
  stableMs: 10000,
  pingIntervalMs: 10000,
  pongTimeoutMs: 5000,
  connectTimeoutMs: 10000,
  requestTimeoutMs: 10000,
  refreshMarginMs: 30000,
});

/** The code pulse.js itself closes with when the server stopped answering (heartbeat or connect timeout). */
export const CLIENT_TIMEOUT = 4000;

/** Failures worth another try on the same connection (a subscribe or a room's join). */
const TRANSIENT = new Set(['rate_limited', 'unavailable', 'timeout']);

/** A refused or failed request: `code` is the protocol's (forbidden, rate_limited, …) or disconnected, timeout, token. */
export class PulseError extends Error {
  constructor(code, message) {
    super(message || code);
    this.name = 'PulseError';
    this.code = code;
  }
}

const EMIT = Symbol('emit');

class Emitter {
  #handlers = new Map();

  /** Adds a listener; returns this, for chaining. */
  on(event, fn) {
    if (!this.#handlers.has(event)) this.#handlers.set(event, new Set());
    this.#handlers.get(event).add(fn);
    return this;
  }

  off(event, fn) {
    this.#handlers.get(event)?.delete(fn);
    return this;
  }

  /** A listener that throws does not break the client: its error is rethrown on its own. */
  [EMIT](event, arg) {
    for (const fn of [...(this.#handlers.get(event) || [])]) {
      try {
        fn(arg);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

/** One channel or pattern (`a.b.*`) and the last id seen on each of its channels. */
export class Subscription extends Emitter {
  #remove;
  #positions = new Map(); // channel → last id
  #state = 'subscribing';
  #confirmed = false;

  constructor(channel, options, remove) {
    super();
    this.channel = channel;
    this.isPattern = channel.endsWith('.*');
    this.requestedPolicy = options.policy ?? null;
    this.policy = null;
    this.#remove = remove;
    const since = options.since ?? null;
    if (since && this.isPattern) {
      for (const part of since.split(',')) {
        const colon = part.lastIndexOf(':');
        if (colon > 0) this.#positions.set(part.slice(0, colon), part.slice(colon + 1));
      }
    } else if (since) {
      this.#positions.set(channel, since);
    }
  }

  /** subscribing, subscribed or unsubscribed. */
  get state() {
    return this.#state;
  }

  /** What the next subscribe sends as `since`: the last id, or `channel:id,…` for a pattern; null before any. */
  get position() {
    if (this.#positions.size === 0) return null;
    if (!this.isPattern) return this.#positions.get(this.channel);
    return [...this.#positions].map(([c, id]) => `${c}:${id}`).join(',');
  }

  matches(channel) {
    return this.isPattern ? channel.startsWith(this.channel.slice(0, -1)) : channel === this.channel;
  }

  unsubscribe() {
    if (this.#state === 'unsubscribed') return;
    this.#remove(this);
    this.ended('client');
  }

  // ---- called by Pulse ----

  deliver(env) {
    this.#positions.set(env.channel, env.id);
    this[EMIT]('publication', env);
  }

  pending() {
    if (this.#state === 'subscribed') this.#state = 'subscribing';
  }

  subscribed(reply, askedSince) {
    const first = !this.#confirmed;
    this.#confirmed = true;
    this.#state = 'subscribed';
    this.policy = reply.policy ?? null;
    const recovered = reply.recovered === true;
    this[EMIT]('subscribed', { channel: this.channel, recovered, policy: this.policy, resubscribed: !first });
    // A first subscription without since missed nothing; after that, not recovered means maybe missed.
    if (!recovered && (!first || askedSince)) {
      this[EMIT]('reset', {
        channel: this.channel,
        reason: askedSince ? 'not_recovered' : 'no_position',
      });
    }
  }

  failed(err) {
    this[EMIT]('error', err);
  }

  ended(reason) {
    if (this.#state === 'unsubscribed') return;
    this.#state = 'unsubscribed';
    this[EMIT]('unsubscribed', { channel: this.channel, reason });
  }
}

/**
 * A connection to Pulse that stays up: reconnects with capped full-jitter backoff, resumes every
 * subscription and room from its last id, matches replies by ref, watches the server with the
 * protocol's ping, and refreshes its token before it expires.
 */
export class Pulse extends Emitter {
  #url;
  #o;
  #WS;
  #token;
  #tokenExp = 0;
  #getToken;
  #state = 'disconnected';
  #wanted = false;
  #generation = 0;
  #ws = null;
  #attempt = 0;
  #openedAt = 0;
  #lastSeen = 0;
  #pingSentAt = 0;
  #timers = { retry: 0, connect: 0, heartbeat: 0, refresh: 0 };
  #ref = 0;
  #pending = new Map(); // ref → {ok, fail, timer}
  #subs = new Map(); // channel → Subscription
  #rooms = new Map(); // room → {name, position, joined, first, waiters: [{resolve, reject}]}
  #retries = new Set(); // timers of subscribes and joins tried again
  #onOnline = () => {
    if (this.#wanted && !this.#ws && this.#timers.retry) this.#open();
  };

  /**
   * @param url ws://host:port/ws, or a function (maybe async) asked before every attempt; omitted in a
   *   page that loaded pulse.js from a node: that node's /api/config names it.
   * @param options token | getToken, name, WebSocket, and the timings of DEFAULTS
   */
  constructor(url, options = {}) {
    super();
    if (url === undefined || url === null) url = configuredUrl();
    if (typeof url !== 'string' && typeof url !== 'function') throw new TypeError('url must be a string or a function');
    this.#url = url;
    this.#o = { ...DEFAULTS, ...options };
    this.#WS = options.WebSocket ?? globalThis.WebSocket;
    this.#token = options.token ?? null;
    this.#tokenExp = this.#token ? expiryOf(this.#token) : 0;
    this.#getToken = options.getToken ?? null;
  }

  /** disconnected, connecting or connected. */
  get state() {
    return this.#state;
  }

  // ---------- connection ----------

  connect() {
    if (typeof this.#WS !== 'function') {
      throw new TypeError('no WebSocket here: pass one, e.g. new Pulse(url, { WebSocket }) with WebSocket from the ws package');
    }
    if (this.#wanted) return;
    this.#wanted = true;
    this.#attempt = 0;
    globalThis.addEventListener?.('online', this.#onOnline);
    this.#open();
  }

  disconnect() {
    const was = this.#wanted || this.#ws;
    this.#wanted = false;
    this.#generation++;
    clearTimeout(this.#timers.retry);
    this.#timers.retry = 0;
    globalThis.removeEventListener?.('online', this.#onOnline);
    if (this.#ws) {
      const ws = this.#detach();
      try {
        ws.close(1000, 'client disconnect');
      } catch {
        // not open yet: nothing to close politely
      }
    }
    if (was) this.#lost(1000, 'client disconnect');
  }

  async #open() {
    clearTimeout(this.#timers.retry);
    this.#timers.retry = 0;
    const generation = ++this.#generation;
    this.#setState('connecting');
    this[EMIT]('connecting', { attempt: this.#attempt });
    let url;
    let ws;
    try {
      url = typeof this.#url === 'function' ? await this.#url() : this.#url;
      const token = await this.#tokenForConnect();
      if (generation !== this.#generation) return;
      ws = new this.#WS(token ? withParam(url, 'token', token) : url);
    } catch (err) {
      if (generation !== this.#generation) return;
      this[EMIT]('error', err instanceof PulseError ? err : new PulseError('connect_failed', String(err?.message || err)));
      this.#lost(1006, 'could not open a connection');
      return;
    }
    this.#ws = ws;
    this.#timers.connect = setTimeout(() => this.#drop('connect timeout'), this.#o.connectTimeoutMs);
    ws.onopen = () => {
      if (ws !== this.#ws) return;
      clearTimeout(this.#timers.connect);
      this.#openedAt = this.#lastSeen = Date.now();
      this.#pingSentAt = 0;
      this.#setState('connected');
      this.#armHeartbeat(this.#o.pingIntervalMs);
      this.#scheduleRefresh();
      for (const sub of this.#subs.values()) this.#sendSubscribe(sub);
      for (const room of this.#rooms.keys()) this.#enterRoom(room);
      this[EMIT]('connected', { url });
    };
    ws.onmessage = (e) => {
      if (ws !== this.#ws) return;
      this.#lastSeen = Date.now();
      let msg;
      try {
        msg = JSON.parse(typeof e.data === 'string' ? e.data : String(e.data));
      } catch {
        return;
      }
      if (msg && typeof msg === 'object') this.#dispatch(msg);
    };
    ws.onclose = (e) => {
      if (ws !== this.#ws) return;
      this.#detach();
      this.#lost(e.code || 1006, e.reason || '');
    };
    ws.onerror = () => {}; // a close event follows
  }

  /** Stops listening to the current socket and returns it. */
  #detach() {
    const ws = this.#ws;
    this.#ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      ws.onerror = () => {}; // the ws package throws an error event nobody listens to
    }
    return ws;
  }

  /** Gives up on a socket that does not answer, without waiting for a closing handshake. */
  #drop(reason) {
    const ws = this.#detach();
    if (!ws) return;
    try {
      if (typeof ws.terminate === 'function') ws.terminate(); // the ws package: free the socket now
      else ws.close(CLIENT_TIMEOUT, reason);
    } catch {
      // closing already
    }
    this.#lost(CLIENT_TIMEOUT, reason);
  }

  /** The connection is gone (or never came): fail what waits, then reconnect unless the code says not to. */
  #lost(code, reason) {
    for (const t of ['connect', 'heartbeat', 'refresh']) clearTimeout(this.#timers[t]);
    for (const t of this.#retries) clearTimeout(t);
    this.#retries.clear();
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.fail(new PulseError('disconnected', 'the connection closed before the answer'));
    }
    this.#pending.clear();
    for (const sub of this.#subs.values()) sub.pending();
    for (const room of this.#rooms.values()) room.joined = false;
    if (this.#openedAt && Date.now() - this.#openedAt >= this.#o.stableMs) this.#attempt = 0;
    this.#openedAt = 0;
    let reconnect = this.#wanted;
    if (code === 1008) reconnect = false; // token revoked, or repeated abuse
    if (code === 4002 && this.#getToken) {
      this.#token = null; // expired: the next connection asks for a new one
      this.#tokenExp = 0;
    } else if (code === 4002) {
      reconnect = false; // a fixed token cannot be replaced
    }
    if (!reconnect) {
      this.#wanted = false;
      globalThis.removeEventListener?.('online', this.#onOnline);
    }
    const delay = reconnect ? backoff(this.#attempt, this.#o.backoffBaseMs, this.#o.backoffCapMs) : undefined;
    const attempt = this.#attempt;
    if (reconnect) {
      this.#attempt++;
      const generation = this.#generation;
      this.#timers.retry = setTimeout(() => {
        if (generation === this.#generation) this.#open();
      }, delay);
    }
    this.#setState('disconnected');
    this[EMIT]('disconnected', { code, reason, reconnect, delay, attempt });
  }

  #setState(state) {
    this.#state = state;
  }

  // ---------- heartbeat: the protocol's ping, as browsers cannot send ping frames ----------

  #armHeartbeat(ms) {
    clearTimeout(this.#timers.heartbeat);
    this.#timers.heartbeat = setTimeout(() => this.#heartbeat(), Math.max(0, ms));
  }

  #heartbeat() {
    if (!this.#ws) return;
    const now = Date.now();
    if (this.#pingSentAt && this.#lastSeen < this.#pingSentAt) {
      this.#pingSentAt = 0;
      this.#drop('heartbeat timeout'); // nothing at all since the ping: the peer is gone
      return;
    }
    this.#pingSentAt = 0;
    const silent = now - this.#lastSeen;
    if (silent < this.#o.pingIntervalMs) {
      this.#armHeartbeat(this.#o.pingIntervalMs - silent);
      return;
    }
    this.#pingSentAt = now;
    this.#send({ type: 'ping' });
    this.#armHeartbeat(this.#o.pongTimeoutMs);
  }

  // ---------- tokens ----------

  async #tokenForConnect() {
    if (this.#getToken && (!this.#token || (this.#tokenExp && this.#tokenExp - Date.now() <= 1000))) {
      let token;
      try {
        token = await this.#getToken();
      } catch (err) {
        throw new PulseError('token', `getToken failed: ${err?.message || err}`);
      }
      this.#token = token;
      this.#tokenExp = expiryOf(token);
    }
    return this.#token;
  }

  #scheduleRefresh(expiresAt = this.#tokenExp) {
    clearTimeout(this.#timers.refresh);
    if (!this.#getToken || !expiresAt || !this.#ws) return;
    const remaining = expiresAt - Date.now();
    const delay = Math.max(0, remaining - Math.min(this.#o.refreshMarginMs, remaining / 2));
    this.#timers.refresh = setTimeout(() => this.#refresh(), delay);
  }

  async #refresh() {
    const ws = this.#ws;
    const retry = (err) => {
      if (err.code === 'disconnected') return; // the next connection asks for a token anyway
      this[EMIT]('error', err);
      const remaining = this.#tokenExp - Date.now();
      if (ws === this.#ws && remaining > 1000) this.#scheduleRefresh(Date.now() + remaining / 2);
    };
    let token;
    try {
      token = await this.#getToken();
    } catch (err) {
      retry(new PulseError('token', `getToken failed: ${err?.message || err}`));
      return;
    }
    if (ws !== this.#ws || this.#state !== 'connected') return;
    this.#request({ type: 'refresh', token }, (reply) => {
      this.#token = token;
      this.#tokenExp = reply.expiresAt || expiryOf(token);
      this.#scheduleRefresh();
      this[EMIT]('refreshed', { expiresAt: reply.expiresAt ?? null });
    }, retry);
  }

  // ---------- requests and replies ----------

  #send(msg) {
    try {
      this.#ws.send(JSON.stringify(msg));
    } catch {
      // closing: the close event rejects what waits
    }
  }

  /** Sends msg with a new ref; ok(reply) or fail(PulseError), synchronously as the reply is read. */
  #request(msg, ok, fail) {
    if (this.#state !== 'connected') {
      fail(new PulseError('disconnected', 'not connected'));
      return;
    }
    const ref = ++this.#ref;
    const timer = setTimeout(() => {
      this.#pending.delete(ref);
      fail(new PulseError('timeout', `no answer to ${msg.type} within ${this.#o.requestTimeoutMs} ms`));
    }, this.#o.requestTimeoutMs);
    this.#pending.set(ref, { ok, fail, timer });
    this.#send({ ...msg, ref });
  }

  #ask(msg) {
    return new Promise((resolve, reject) => this.#request(msg, resolve, reject));
  }

  #dispatch(msg) {
    const p = msg.ref !== undefined ? this.#pending.get(msg.ref) : undefined;
    if (p) {
      this.#pending.delete(msg.ref);
      clearTimeout(p.timer);
      if (msg.type === 'error') p.fail(new PulseError(msg.code, msg.message));
      else p.ok(msg);
    } else if (typeof msg.channel === 'string' && typeof msg.id === 'string' && typeof msg.ts === 'number') {
      this.#deliver(msg);
    } else if (msg.type === 'unsubscribed' && typeof msg.channel === 'string') {
      const sub = this.#subs.get(msg.channel); // the refreshed token no longer covers it
      if (sub) {
        this.#subs.delete(msg.channel);
        sub.ended(msg.reason || 'server');
      }
    } else if (msg.type === 'error') {
      this[EMIT]('error', new PulseError(msg.code, msg.message));
    }
  }

  #deliver(env) {
    for (const sub of this.#subs.values()) {
      if (sub.matches(env.channel)) sub.deliver(env);
    }
    const room = env.channel.startsWith('chat.') ? this.#rooms.get(env.channel.slice(5)) : undefined;
    if (room) {
      room.position = env.id;
      const event = env.type === 'join' || env.type === 'leave' ? env.type : 'chat';
      this[EMIT](event, { ...env, room: env.channel.slice(5) });
    }
  }

  /** Tries again later on this connection (rate limited, unavailable, no answer). */
  #later(fn, tries) {
    const t = setTimeout(() => {
      this.#retries.delete(t);
      fn();
    }, backoff(tries, 1000, this.#o.backoffCapMs) + 250);
    this.#retries.add(t);
  }

  // ---------- subscriptions ----------

  /** Subscribes to a channel or pattern; kept until unsubscribe(), across reconnects. */
  subscribe(channel, options = {}) {
    if (typeof channel !== 'string' || !channel) throw new TypeError('channel must be a non-empty string');
    if (this.#subs.has(channel)) throw new Error(`already subscribed to ${channel}: unsubscribe first, or use subscription()`);
    const sub = new Subscription(channel, options, (s) => this.#unsubscribe(s));
    this.#subs.set(channel, sub);
    if (this.#state === 'connected') this.#sendSubscribe(sub);
    return sub;
  }

  /** The subscription to this channel or pattern, if any. */
  subscription(channel) {
    return this.#subs.get(channel);
  }

  #sendSubscribe(sub, tries = 0) {
    const since = sub.position;
    const msg = { type: 'subscribe', channel: sub.channel };
    if (since) msg.since = since;
    if (sub.requestedPolicy) msg.policy = sub.requestedPolicy;
    this.#request(msg, (reply) => {
      if (this.#subs.get(sub.channel) === sub) sub.subscribed(reply, Boolean(since));
    }, (err) => {
      if (this.#subs.get(sub.channel) !== sub || err.code === 'disconnected') return;
      sub.failed(err);
      if (TRANSIENT.has(err.code)) {
        this.#later(() => this.#sendSubscribe(sub, tries + 1), tries);
      } else {
        this.#subs.delete(sub.channel);
        sub.ended(err.code);
      }
    });
  }

  #unsubscribe(sub) {
    if (this.#subs.get(sub.channel) !== sub) return;
    this.#subs.delete(sub.channel);
    // A room's channel is the room's too: leave() ends it, not this.
    const ofRoom = sub.channel.startsWith('chat.') && this.#rooms.has(sub.channel.slice(5));
    if (this.#state === 'connected' && !ofRoom) this.#request({ type: 'unsubscribe', channel: sub.channel }, () => {}, () => {});
  }

  // ---------- publishing ----------

  /** Publishes; resolves with the envelope id. Rejected at once while not connected. */
  publish(channel, event, data) {
    const msg = { type: 'publish', channel, data: data === undefined ? null : data };
    if (event !== undefined && event !== null) msg.event = event;
    return this.#ask(msg).then((reply) => reply.id);
  }

  // ---------- rooms ----------

  /**
   * Joins a room (the channel chat.<room>): resolves with {room, members, recovered, rejoined} once
   * joined; while disconnected it waits for the connection. The room is joined again after every
   * reconnect, from its last id, until leave().
   */
  join(room, options = {}) {
    if (this.#rooms.has(room)) return Promise.reject(new PulseError('bad_request', `already joined '${room}'`));
    return new Promise((resolve, reject) => {
      this.#rooms.set(room, {
        name: options.name ?? this.#o.name, position: options.since ?? null, joined: false, first: true,
        waiters: [{ resolve, reject }],
      });
      if (this.#state === 'connected') this.#enterRoom(room);
    });
  }

  /** Subscribe from the room's last id first (join alone subscribes live only), then join. */
  #enterRoom(room, tries = 0) {
    const r = this.#rooms.get(room);
    const since = r.position;
    const join = (recovered) => {
      const msg = { type: 'join', room };
      if (r.name !== undefined && r.name !== null) msg.name = r.name;
      this.#request(msg, (reply) => {
        if (this.#rooms.get(room) !== r) return;
        r.joined = true;
        const joined = { room, members: reply.members || [], recovered, rejoined: !r.first };
        r.first = false;
        for (const w of r.waiters.splice(0)) w.resolve(joined);
        this[EMIT]('joined', joined);
      }, failed);
    };
    const failed = (err) => {
      if (this.#rooms.get(room) !== r || err.code === 'disconnected') return;
      if (TRANSIENT.has(err.code)) {
        this.#later(() => this.#enterRoom(room, tries + 1), tries);
        return;
      }
      this.#rooms.delete(room); // refused: forbidden, bad name, …
      err.room = room;
      if (r.waiters.length) for (const w of r.waiters.splice(0)) w.reject(err);
      else this[EMIT]('error', err);
    };
    if (since) {
      this.#request({ type: 'subscribe', channel: `chat.${room}`, since }, (reply) => {
        if (this.#rooms.get(room) === r) join(reply.recovered === true);
      }, failed);
    } else {
      join(false);
    }
  }

  /** Sends a chat message to a joined room; resolves with its envelope id. */
  chat(room, text) {
    return this.#ask({ type: 'chat', room, text }).then((reply) => reply.id);
  }

  /** The room's members, cluster-wide: [{name, connections}]. */
  presence(room) {
    return this.#ask({ type: 'presence', room }).then((reply) => reply.members || []);
  }

  /** Leaves a room; while disconnected only forgets it (the server left it when the connection closed). */
  leave(room) {
    const r = this.#rooms.get(room);
    if (!r) return Promise.resolve();
    this.#rooms.delete(room);
    for (const w of r.waiters.splice(0)) w.reject(new PulseError('left', `left '${room}' before it was joined`));
    if (this.#state !== 'connected') return Promise.resolve();
    // Sent even if the join is still on its way: the server answers in order, and a leave of a room
    // it was not in is answered the same.
    return this.#ask({ type: 'leave', room }).then(() => {
      // the server's leave ended chat.<room>; a subscription of the page's own to it goes on
      const sub = this.#subs.get(`chat.${room}`);
      if (sub && this.#state === 'connected') this.#sendSubscribe(sub);
    });
  }
}

/** Full jitter: a delay drawn uniformly from [0, min(cap, base · 2^attempt)]. */
function backoff(attempt, base, cap) {
  return Math.floor(Math.random() * Math.min(cap, base * 2 ** Math.min(attempt, 30)));
}

/** A JWT's exp in epoch ms, read without verifying it; 0 when there is none. */
function expiryOf(token) {
  try {
    const payload = String(token).split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const exp = JSON.parse(atob(payload)).exp;
    return typeof exp === 'number' ? exp * 1000 : 0;
  } catch {
    return 0;
  }
}

function withParam(url, name, value) {
  return `${url}${url.includes('?') ? '&' : '?'}${name}=${encodeURIComponent(value)}`;
}

/** Without a URL, in a page that loaded pulse.js from a node: that node's /api/config, asked before every attempt. */
function configuredUrl() {
  const base = import.meta.url;
  if (!/^https?:/.test(base)) throw new TypeError('a URL is required here, e.g. new Pulse("ws://localhost:8081/ws")');
  const config = new URL('/api/config', base);
  return async () => {
    const res = await fetch(config, { cache: 'no-store' });
    if (!res.ok) throw new PulseError('unavailable', `${config}: HTTP ${res.status}`);
    return (await res.json()).wsUrl;
  };
}

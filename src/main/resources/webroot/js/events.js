// One EventSource for the whole page (sensors.* and cluster.*).
//
// The browser reconnects an EventSource by itself after a dropped stream, sending Last-Event-ID,
// and Pulse resumes every channel of the stream from that token, on any node. This wrapper only
// covers what the browser does not: when it gives up for good (readyState CLOSED, e.g. a proxy
// answered 502 while the node restarted) or the stream goes silent (a half-open TCP connection),
// it opens a new EventSource with backoff and passes the last token as ?lastEventId=, which
// Pulse accepts where the header cannot be set.

import { backoffDelay, withToken } from './util.js';

/** No message for this long on an open stream means it is dead: cluster.stats arrives every second. */
const SILENCE_MS = 20000;

export class EventStream {
  /**
   * @param {string} path e.g. '/events'
   * @param {string[]} channels channels or patterns
   * @param {{onEnvelope: function(object): void, onState: function(string, string): void, onOpen?: function(): void}} handlers
   */
  constructor(path, channels, handlers) {
    this.base = withToken(path + '?' + channels.map((c) => 'channel=' + encodeURIComponent(c)).join('&'));
    this.handlers = handlers;
    this.es = null;
    this.lastEventId = '';
    this.lastActivity = 0;
    this.attempt = 0;
    this.reopenTimer = 0;
    this.opened = false;
  }

  start() {
    this.open();
    setInterval(() => this.watch(), 5000);
    window.addEventListener('online', () => {
      if (!this.es || this.es.readyState === EventSource.CLOSED) this.reopenNow();
    });
  }

  open() {
    const url = this.lastEventId ? `${this.base}&lastEventId=${encodeURIComponent(this.lastEventId)}` : this.base;
    const es = new EventSource(url);
    this.es = es;
    this.lastActivity = Date.now();
    this.handlers.onState(this.opened ? 'reconnecting' : 'connecting', this.opened ? 'reconnecting…' : 'connecting…');
    es.onopen = () => {
      if (es !== this.es) return;
      this.lastActivity = Date.now();
      this.opened = true;
      this.handlers.onState('live', 'live');
      this.handlers.onOpen?.();
    };
    es.onmessage = (e) => {
      if (es !== this.es) return;
      this.lastActivity = Date.now();
      this.attempt = 0;
      if (e.lastEventId) this.lastEventId = e.lastEventId;
      let env;
      try {
        env = JSON.parse(e.data);
      } catch {
        return; // not an envelope: nothing to show
      }
      this.handlers.onEnvelope(env);
    };
    es.onerror = () => {
      if (es !== this.es) return;
      if (es.readyState === EventSource.CONNECTING) {
        // The browser retries by itself, after the server's retry: delay, with Last-Event-ID.
        this.handlers.onState('reconnecting', 'reconnecting…');
      } else {
        this.scheduleReopen();
      }
    };
  }

  /** The browser gave up (or the stream is dead): a new EventSource, later, resuming from our token. */
  scheduleReopen() {
    if (this.es) {
      this.es.onopen = this.es.onmessage = this.es.onerror = null;
      this.es.close();
    }
    clearTimeout(this.reopenTimer);
    const delay = backoffDelay(this.attempt++, 1000, 30000);
    this.handlers.onState('offline', `offline, retrying in ${Math.ceil(delay / 1000)} s`);
    this.reopenTimer = setTimeout(() => this.open(), delay);
  }

  reopenNow() {
    clearTimeout(this.reopenTimer);
    if (this.es) {
      this.es.onopen = this.es.onmessage = this.es.onerror = null;
      this.es.close();
    }
    this.open();
  }

  watch() {
    if (this.es && this.es.readyState === EventSource.OPEN && Date.now() - this.lastActivity > SILENCE_MS) {
      this.scheduleReopen();
    }
  }
}

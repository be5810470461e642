// The cluster panel: one row per node with its WebSocket and SSE connections, from
// GET /api/cluster at start and then live from the cluster.stats channel (every node publishes
// its entry every second). A node not heard from for 5 s is dropped.

import { h, formatBytes, formatDuration, formatNumber } from './util.js';

const DROP_AFTER_MS = 5000;

export class ClusterPanel {
  /**
   * @param {HTMLElement} tbody rows go here
   * @param {HTMLElement} totals the summary line
   * @param {{pagePort: number, wsPort: number, onSelf: function(object|null): void}} o
   */
  constructor(tbody, totals, o) {
    this.tbody = tbody;
    this.totals = totals;
    this.o = o;
    this.nodes = new Map(); // id → {info, seenAt, rate, prev: {delivered, ts}}
    this.delays = []; // recent (receipt − publish) times, to tell replayed stats from live ones
    this.selfId = undefined;
    setInterval(() => this.render(), 1000);
  }

  /** The answer of GET /api/cluster. */
  load(view) {
    const now = Date.now();
    for (const info of view?.nodes || []) {
      if (info && info.id && !this.nodes.has(info.id)) this.nodes.set(info.id, { info, seenAt: now, rate: NaN, prev: null });
    }
    this.render();
  }

  setWsPort(port) {
    this.o.wsPort = port;
  }

  /** A cluster.* envelope. */
  onEnvelope(env) {
    if (env.type !== 'stats' || !env.data || !env.data.id) return;
    const now = Date.now();
    const delay = now - env.ts;
    this.delays.push(delay);
    if (this.delays.length > 60) this.delays.shift();
    // The smallest recent delay is the network + clock offset; anything beyond it is age.
    const age = Math.max(0, delay - Math.min(...this.delays));
    const seenAt = now - age;
    if (age > DROP_AFTER_MS) return; // replayed after a reconnect, and already too old to count
    const info = env.data;
    let n = this.nodes.get(info.id);
    const fresh = !n;
    if (!n) {
      n = { info, seenAt, rate: NaN, prev: null };
      this.nodes.set(info.id, n);
    }
    const delivered = info.stats?.delivered;
    if (n.prev && Number.isFinite(delivered) && env.ts > n.prev.ts) {
      n.rate = Math.max(0, (delivered - n.prev.delivered) / ((env.ts - n.prev.ts) / 1000));
    }
    if (Number.isFinite(delivered)) n.prev = { delivered, ts: env.ts };
    n.info = info;
    n.seenAt = Math.max(n.seenAt, seenAt);
    if (fresh) this.render();
  }

  isSelf(info) {
    return Number(info.httpPort) === this.o.pagePort && (!this.o.wsPort || Number(info.wsPort) === this.o.wsPort);
  }

  render() {
    const now = Date.now();
    for (const [id, n] of this.nodes) {
      if (now - n.seenAt > DROP_AFTER_MS) this.nodes.delete(id);
    }
    const list = [...this.nodes.values()].sort((a, b) =>
      String(a.info.name).localeCompare(String(b.info.name), undefined, { numeric: true }) || (b.seenAt - a.seenAt));
    let self = null;
    for (const n of list) {
      if (this.isSelf(n.info) && (!self || n.seenAt > self.seenAt)) self = n;
    }
    const existing = new Map([...this.tbody.rows].map((r) => [r.dataset.nodeId, r]));
    const rows = list.map((n) => {
      const row = this.row(n, n === self, now);
      const old = existing.get(n.info.id);
      if (!old) row.classList.add('fresh');
      return row;
    });
    this.tbody.replaceChildren(...rows);
    let ws = 0;
    let sse = 0;
    for (const n of list) {
      ws += n.info.connections?.ws || 0;
      sse += n.info.connections?.sse || 0;
    }
    const text = `${list.length} node${list.length === 1 ? '' : 's'} · ${ws} WebSocket · ${sse} SSE`;
    if (this.totals.textContent !== text) this.totals.textContent = text;
    const selfId = self ? self.info.id : null;
    if (selfId !== this.selfId || self) {
      this.selfId = selfId;
      this.o.onSelf(self ? self.info : null);
    }
  }

  row(n, isSelf, now) {
    const i = n.info;
    const c = i.connections || {};
    const st = i.stats || {};
    const up = Number.isFinite(i.startedAt) ? `up ${formatDuration(now - i.startedAt)}` : '';
    return h('tr', { dataset: { nodeId: i.id, nodeName: i.name ?? '' }, 'aria-current': isSelf ? 'true' : null },
      h('td', {},
        h('div', { class: 'node-name' }, String(i.name ?? i.id), isSelf ? h('span', { class: 'tag', text: 'this page' }) : null),
        h('div', { class: 'node-sub', text: `${up}${up ? ' · ' : ''}http :${i.httpPort} · ws :${i.wsPort}` })),
      h('td', { class: 'num', dataset: { col: 'ws' }, text: String(c.ws ?? 0) }),
      h('td', { class: 'num', dataset: { col: 'sse' }, text: String(c.sse ?? 0) }),
      h('td', { class: 'num opt', text: Number.isFinite(n.rate) ? formatNumber(n.rate) : '–' }),
      h('td', { class: 'num opt', text: Number.isFinite(st.eventLoopLagMs) ? `${formatNumber(st.eventLoopLagMs)} ms` : '–' }),
      h('td', {
        class: 'num opt',
        text: Number.isFinite(st.heapUsedBytes) ? formatBytes(st.heapUsedBytes) : '–',
        title: Number.isFinite(st.heapMaxBytes) ? `of ${formatBytes(st.heapMaxBytes)}` : null,
      }));
  }
}

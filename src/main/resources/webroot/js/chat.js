// The chat panel: rooms over the page's WebSocket, through pulse.js.
//
// Joining a room shows its recent history (GET /api/channels/chat.<room>/history), then joins
// with since = the last id shown (pulse.js subscribes from there, then sends "join"). Envelopes on
// chat.<room> are chat messages and join/leave events from every node; the member list follows
// them and is corrected by a "presence" request shortly after each change. After a reconnect
// pulse.js joins every room again from the last id seen, so what was said meanwhile appears once,
// in order.

import { $, h, fetchJson, formatTime, hueOf, TOKEN, tokenSubject } from './util.js';

const ROOM_RE = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_ITEMS = 500;
const HISTORY_LIMIT = 50;
const NAME_KEY = 'pulse.chat.name';

export class ChatPanel {
  /**
   * @param {import('../pulse.js').Pulse} client
   * @param {{authMode: string, historySize: number}} config
   */
  constructor(client, config) {
    this.client = client;
    this.historyLimit = Math.max(1, Math.min(HISTORY_LIMIT, config.historySize || HISTORY_LIMIT));
    this.rooms = new Map();
    this.active = null;

    this.joinForm = $('join-form');
    this.nameInput = $('chat-name');
    this.roomInput = $('chat-room');
    this.joinError = $('join-error');
    this.tabs = $('room-tabs');
    this.logs = $('chat-logs');
    this.empty = $('chat-empty');
    this.members = $('members');
    this.memberCount = $('member-count');
    this.sendForm = $('send-form');
    this.textInput = $('chat-text');
    this.sendButton = $('send-button');

    // With a token, Pulse names us after its subject, whatever we send.
    this.subject = tokenSubject();
    if (this.subject) {
      this.nameInput.value = this.subject;
      this.nameInput.readOnly = true;
      this.nameInput.title = 'The name comes from your token';
    } else {
      try {
        this.nameInput.value = localStorage.getItem(NAME_KEY) || '';
      } catch {
        // storage disabled: no remembered name
      }
    }
    this.joinForm.addEventListener('submit', (e) => {
      e.preventDefault();
      this.join(this.nameInput.value, this.roomInput.value);
    });
    this.sendForm.addEventListener('submit', (e) => {
      e.preventDefault();
      this.send();
    });
    if (config.authMode && config.authMode !== 'dev' && !TOKEN) {
      this.showJoinError(`This node runs auth.mode "${config.authMode}": chatting needs a token (open the page with ?token=…).`);
      for (const el of this.joinForm.elements) el.disabled = true;
    }
    for (const event of ['join', 'leave', 'chat']) client.on(event, (env) => this.onEnvelope(env));
    client.on('joined', (e) => this.onJoined(e));
    client.on('connected', () => this.updateComposer());
    client.on('disconnected', (e) => this.onDisconnected(e));
    client.on('error', (err) => this.onError(err));
    this.updateComposer();
  }

  get online() {
    return this.client.state === 'connected';
  }

  // ---------- joining and leaving ----------

  async join(rawName, rawRoom) {
    const name = String(rawName || '').trim();
    const room = String(rawRoom || '').trim();
    this.showJoinError('');
    this.nameInput.removeAttribute('aria-invalid');
    this.roomInput.removeAttribute('aria-invalid');
    if (!name || name.length > 64) {
      this.nameInput.setAttribute('aria-invalid', 'true');
      this.showJoinError('Pick a name of 1 to 64 characters.');
      this.nameInput.focus();
      return;
    }
    if (!ROOM_RE.test(room)) {
      this.roomInput.setAttribute('aria-invalid', 'true');
      this.showJoinError('A room name is 1 to 64 letters, digits, “-” or “_”.');
      this.roomInput.focus();
      return;
    }
    if (!this.subject) {
      try {
        localStorage.setItem(NAME_KEY, name);
      } catch {
        // storage disabled
      }
    }
    if (this.rooms.has(room)) {
      this.activate(room);
      this.textInput.focus();
      return;
    }
    const r = this.createRoom(room, name);
    this.activate(room);
    await this.loadHistory(r);
    if (!this.rooms.has(room)) return; // left meanwhile
    if (!this.online) this.system(r, 'Not connected: you will join when the WebSocket is back.', 'warning');
    try {
      // Subscribes from the last id shown (if any), then joins; joined again after every reconnect.
      await this.client.join(room, { name, since: r.lastId ?? undefined });
    } catch (err) {
      if (this.rooms.get(room) !== r) return; // left meanwhile
      this.removeRoom(room);
      this.showJoinError(`Could not join ${room}: ${err.message}`);
      return;
    }
    if (this.active === room && r.joined) this.textInput.focus();
  }

  createRoom(room, name) {
    const label = `Messages in ${room}`;
    const log = h('ol', { class: 'chat-log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-label': label, tabindex: '0', hidden: true, dataset: { room } });
    this.logs.append(log);
    const r = {
      room, name, log, lastId: null, seen: new Set(), seenOrder: [], members: new Map(), joined: false,
      unread: 0, presenceTimer: 0, tab: null, badge: null, tabButton: null,
    };
    r.badge = h('span', { class: 'badge', hidden: true });
    r.tabButton = h('button', { type: 'button', 'aria-pressed': 'false', onclick: () => this.activate(room) }, `#${room}`, r.badge);
    r.tab = h('li', { class: 'room-tab', dataset: { room } },
      r.tabButton,
      h('button', { type: 'button', class: 'room-leave', 'aria-label': `Leave ${room}`, title: `Leave ${room}`, onclick: () => this.leave(room) }, '×'));
    this.tabs.append(r.tab);
    this.rooms.set(room, r);
    return r;
  }

  /** What was said before we came in: the room's recent history, over HTTP. */
  async loadHistory(r) {
    try {
      const res = await fetchJson(`/api/channels/${encodeURIComponent('chat.' + r.room)}/history?limit=${this.historyLimit}`);
      const messages = (res.messages || []).filter((env) => env && env.type !== 'reset');
      if (messages.length) {
        for (const env of messages) this.onEnvelope(env, { history: true });
        this.system(r, 'Earlier messages above');
      }
    } catch {
      // no history: the room starts empty
    }
  }

  async leave(room) {
    const r = this.rooms.get(room);
    if (!r) return;
    this.removeRoom(room);
    try {
      await this.client.leave(room);
    } catch {
      // the connection dropped: leaving is what the server does then anyway
    }
  }

  removeRoom(room) {
    const r = this.rooms.get(room);
    if (!r) return;
    clearTimeout(r.presenceTimer);
    this.rooms.delete(room);
    r.tab.remove();
    r.log.remove();
    if (this.active === room) {
      const next = this.rooms.keys().next();
      this.active = null;
      if (!next.done) this.activate(next.value);
      else {
        this.renderMembers();
        this.updateComposer();
        this.empty.hidden = false;
        this.roomInput.focus();
      }
    }
  }

  activate(room) {
    const r = this.rooms.get(room);
    if (!r) return;
    this.active = room;
    for (const other of this.rooms.values()) {
      const on = other === r;
      other.log.hidden = !on;
      other.tab.classList.toggle('active', on);
      other.tabButton.setAttribute('aria-pressed', String(on));
    }
    r.unread = 0;
    this.updateBadge(r);
    this.empty.hidden = true;
    this.renderMembers();
    this.updateComposer();
    r.log.scrollTop = r.log.scrollHeight;
  }

  // ---------- connection events (from pulse.js) ----------

  /** A room joined, first or again after a reconnect. */
  onJoined({ room, members, recovered, rejoined }) {
    const r = this.rooms.get(room);
    if (!r) return;
    r.joined = true;
    this.setMembers(r, members);
    if (rejoined) {
      if (!recovered) this.system(r, 'Some messages from while you were away are no longer available.', 'warning');
      this.system(r, 'Reconnected');
      this.refreshPresence(r, 0); // stale entries of a restarted node go away
    }
    this.updateComposer();
  }

  onDisconnected({ reconnect, code, reason }) {
    for (const r of this.rooms.values()) {
      if (r.joined) {
        r.joined = false;
        this.system(r, reconnect ? 'Connection lost, reconnecting…' : `Disconnected (${code} ${reason})`, 'warning');
      }
    }
    this.updateComposer();
  }

  /** A refusal without a request (a rate-limit warning, a room refused on reconnect); not failed attempts. */
  onError(err) {
    if (err.code === 'connect_failed') return; // the pill shows it
    const r = this.rooms.get(err.room ?? this.active);
    if (r) this.system(r, `Server: ${err.message || err.code}`, 'warning');
    if (err.room) this.removeRoom(err.room);
  }

  // ---------- messages ----------

  /** A chat.* envelope (live, replayed, or from the history API). */
  onEnvelope(env, { history = false } = {}) {
    if (typeof env.channel !== 'string' || !env.channel.startsWith('chat.')) return;
    const r = this.rooms.get(env.channel.slice(5));
    if (!r) return;
    const id = String(env.id);
    if (r.seen.has(id)) return;
    r.seen.add(id);
    r.seenOrder.push(id);
    if (r.seenOrder.length > 2000) r.seen.delete(r.seenOrder.shift());
    r.lastId = id;

    const data = env.data && typeof env.data === 'object' ? env.data : {};
    if (env.type === 'join' || env.type === 'leave') {
      const who = String(data.name ?? env.from ?? 'someone');
      const reason = data.reason === 'node_left' ? ' (their node left the cluster)' : '';
      this.system(r, env.type === 'join' ? `${who} joined` : `${who} left${reason}`, '', env.ts);
      if (!history) {
        if (env.type === 'join') {
          if (!r.members.has(who)) r.members.set(who, 1);
        } else {
          const n = (r.members.get(who) || 1) - 1;
          if (n > 0) r.members.set(who, n);
          else r.members.delete(who);
        }
        if (r.room === this.active) this.renderMembers();
        this.refreshPresence(r);
      }
    } else {
      const text = typeof data.text === 'string' ? data.text
        : typeof env.data === 'string' ? env.data : JSON.stringify(env.data);
      this.message(r, env.from ?? (env.type === 'chat' ? 'anonymous' : env.type), text, env.ts, env.from === r.name);
      if (!history && r.room !== this.active) {
        r.unread++;
        this.updateBadge(r);
      }
    }
  }

  message(r, from, text, ts, mine) {
    this.append(r, h('li', { class: 'msg', dataset: { from: String(from) } },
      h('div', { class: 'msg-meta' },
        h('span', { class: 'msg-from' + (mine ? ' me' : ''), text: String(from) }),
        h('time', { class: 'msg-time', datetime: new Date(ts).toISOString(), text: formatTime(ts) })),
      h('div', { class: 'msg-text', text })));
  }

  system(r, text, kind = '', ts = Date.now()) {
    this.append(r, h('li', { class: `msg system ${kind}`.trim() },
      h('span', { text }),
      h('time', { class: 'msg-time', datetime: new Date(ts).toISOString(), text: formatTime(ts) })));
  }

  append(r, li) {
    const log = r.log;
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.append(li);
    while (log.childElementCount > MAX_ITEMS) log.firstElementChild.remove();
    if (atBottom || log.hidden) log.scrollTop = log.scrollHeight;
  }

  async send() {
    const r = this.rooms.get(this.active);
    const text = this.textInput.value.trim();
    if (!r || !r.joined || !text) return;
    this.sendButton.disabled = true;
    try {
      await this.client.chat(r.room, text);
      this.textInput.value = '';
    } catch (err) {
      this.system(r, `Not sent: ${err.message}`, 'warning');
    } finally {
      this.updateComposer();
      this.textInput.focus();
    }
  }

  // ---------- members ----------

  setMembers(r, members) {
    r.members = new Map();
    for (const m of Array.isArray(members) ? members : []) {
      if (m && typeof m.name === 'string') r.members.set(m.name, Number(m.connections) || 1);
    }
    if (r.room === this.active) this.renderMembers();
  }

  /** Asks the cluster who is really there (join/leave envelopes alone cannot count connections). */
  refreshPresence(r, delay = 600) {
    clearTimeout(r.presenceTimer);
    r.presenceTimer = setTimeout(async () => {
      if (!r.joined || !this.online || !this.rooms.has(r.room)) return;
      try {
        const members = await this.client.presence(r.room);
        if (this.rooms.get(r.room) === r) this.setMembers(r, members);
      } catch {
        // next change or reconnect asks again
      }
    }, delay);
  }

  renderMembers() {
    const r = this.rooms.get(this.active);
    const names = r ? [...r.members.keys()].sort((a, b) => a.localeCompare(b)) : [];
    this.memberCount.textContent = r ? `(${names.length})` : '';
    this.members.replaceChildren(...names.map((name) => {
      const n = r.members.get(name);
      const avatar = h('span', { class: 'avatar', 'aria-hidden': 'true', text: [...name][0]?.toUpperCase() || '?' });
      avatar.style.setProperty('--h', hueOf(name));
      return h('li', { class: 'member', dataset: { name } },
        avatar,
        h('span', { class: 'member-name', text: name }),
        name === r.name ? h('span', { class: 'you', text: '(you)' }) : null,
        n > 1 ? h('span', { class: 'conns', text: `×${n}`, title: `${n} connections` }) : null);
    }));
  }

  // ---------- UI state ----------

  updateBadge(r) {
    r.badge.hidden = r.unread === 0;
    r.badge.textContent = r.unread === 0 ? '' : r.unread > 99 ? '99+' : String(r.unread);
    r.tabButton.setAttribute('aria-label', r.unread ? `#${r.room}, ${r.unread} unread` : `#${r.room}`);
  }

  updateComposer() {
    const r = this.rooms.get(this.active);
    const ready = Boolean(r && r.joined && this.online);
    this.textInput.disabled = !ready;
    this.sendButton.disabled = !ready;
    this.textInput.placeholder = !r ? 'Join a room to chat'
      : ready ? `Message #${r.room}` : 'Waiting for the connection…';
  }

  showJoinError(text) {
    this.joinError.textContent = text;
    this.joinError.hidden = !text;
  }
}

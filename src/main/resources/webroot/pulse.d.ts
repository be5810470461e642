// Types of pulse.js, the client for Pulse's WebSocket protocol (written by hand; see client.md).

/** Every message a subscription delivers (SPEC §2). */
export interface Envelope<T = unknown> {
  channel: string;
  /** Opaque; orders the messages of one channel. */
  id: string;
  /** The publisher's event name: `reading`, `chat`, `join`, … */
  type: string;
  /** Epoch milliseconds at publish. */
  ts: number;
  /** The publisher's identity (token subject, or chat name), or null. */
  from: string | null;
  data: T;
  /** Under the `conflate` policy: how many older messages of the channel were skipped. */
  conflated?: number;
}

/** An envelope on a joined room's channel `chat.<room>`. */
export interface RoomMessage<T = unknown> extends Envelope<T> {
  room: string;
}

export interface Member {
  name: string;
  connections: number;
}

export type State = 'disconnected' | 'connecting' | 'connected';
export type Policy = 'disconnect' | 'drop' | 'conflate';

/** A WebSocket constructor: the browser's, Node 22's, or the `ws` package's. */
export type WebSocketConstructor = new (url: string) => any;

export interface PulseOptions {
  /** A fixed token, sent as `?token=`. With getToken too, the first one. */
  token?: string;
  /** Called for a token before connecting (when none is held or it expires within 1 s), before expiry (`refresh`), and after 4002. */
  getToken?: () => string | Promise<string>;
  /** The chat name `join` sends (dev mode; with a token the server uses its subject). */
  name?: string;
  /** Where there is no global WebSocket (Node 20): `import WebSocket from 'ws'`. */
  WebSocket?: WebSocketConstructor;
  /** First reconnect delay ceiling; doubles per failed attempt. Default 500. */
  backoffBaseMs?: number;
  /** Ceiling of every reconnect delay. Default 15000. */
  backoffCapMs?: number;
  /** A connection that stayed up this long resets the backoff. Default 10000. */
  stableMs?: number;
  /** Silence from the server after which a `ping` is sent. Default 10000. */
  pingIntervalMs?: number;
  /** No message at all this long after a ping: the connection is dead (closed with 4000, reopened). Default 5000. */
  pongTimeoutMs?: number;
  /** An attempt that does not open within this is given up (4000). Default 10000. */
  connectTimeoutMs?: number;
  /** A request without an answer this long fails with `timeout`. Default 10000. */
  requestTimeoutMs?: number;
  /** Refresh the token this long before it expires (at most half its remaining life). Default 30000. */
  refreshMarginMs?: number;
}

export declare const DEFAULTS: Readonly<Required<Omit<PulseOptions, 'token' | 'getToken' | 'name' | 'WebSocket'>>>;

/** The code pulse.js reports when it gave up on a silent connection (heartbeat or connect timeout). */
export declare const CLIENT_TIMEOUT: 4000;

/**
 * A refusal or failure. Server codes: bad_request, unauthorized, forbidden, rate_limited,
 * unavailable, rejected (moderation). Client codes: disconnected (not connected, or the connection
 * closed before the answer), timeout (no answer), token (getToken failed), connect_failed, left.
 */
export declare class PulseError extends Error {
  readonly code: string;
  /** Set on a room's refusal. */
  room?: string;
  constructor(code: string, message?: string);
}

export interface ConnectingEvent {
  /** 0 for the first attempt after connect(), then 1, 2, … until a stable connection resets it. */
  attempt: number;
}
export interface ConnectedEvent {
  /** Without the token. */
  url: string;
}
export interface DisconnectedEvent {
  /** The close code (1006: no close frame; 4000: pulse.js gave up on a silent connection). */
  code: number;
  reason: string;
  /** False after disconnect(), 1008, or 4002 without getToken. */
  reconnect: boolean;
  /** Milliseconds until the next attempt, when reconnecting. */
  delay?: number;
  /** The attempt number the delay was drawn for. */
  attempt: number;
}
export interface JoinedEvent {
  room: string;
  members: Member[];
  /** True when everything said in the room since its last id was replayed. */
  recovered: boolean;
  /** True after a reconnect. */
  rejoined: boolean;
}

export interface SubscribedEvent {
  channel: string;
  recovered: boolean;
  /** The slow-consumer policy in force. */
  policy: Policy | null;
  /** True after a reconnect (or a transient refusal). */
  resubscribed: boolean;
}
export interface ResetEvent {
  channel: string;
  /** not_recovered: the id left the replay window; no_position: resumed before any message, so unknown. */
  reason: 'not_recovered' | 'no_position';
}
export interface UnsubscribedEvent {
  channel: string;
  /** client (unsubscribe()), forbidden (a refreshed token no longer covers it), or the refusal's code. */
  reason: string;
}

export declare class Subscription {
  readonly channel: string;
  readonly isPattern: boolean;
  readonly state: 'subscribing' | 'subscribed' | 'unsubscribed';
  /** What the next subscribe sends as `since`: the last id, or `channel:id,…` for a pattern; null before any. */
  readonly position: string | null;
  readonly policy: Policy | null;
  matches(channel: string): boolean;
  unsubscribe(): void;
  on(event: 'publication', fn: (env: Envelope) => void): this;
  on(event: 'subscribed', fn: (e: SubscribedEvent) => void): this;
  on(event: 'reset', fn: (e: ResetEvent) => void): this;
  on(event: 'error', fn: (err: PulseError) => void): this;
  on(event: 'unsubscribed', fn: (e: UnsubscribedEvent) => void): this;
  off(event: string, fn: (...args: any[]) => void): this;
}

export declare class Pulse {
  /**
   * @param url `ws://host:port/ws`, or a function (may be async) asked before every attempt. May be
   *   omitted in a page that imported pulse.js from a node: that node's `/api/config` names it.
   */
  constructor(url?: string | (() => string | Promise<string>), options?: PulseOptions);
  readonly state: State;
  connect(): void;
  disconnect(): void;

  subscribe(channel: string, options?: { since?: string; policy?: Policy }): Subscription;
  subscription(channel: string): Subscription | undefined;
  /** Resolves with the envelope id; rejected at once while not connected. */
  publish(channel: string, event: string, data?: unknown): Promise<string>;

  /** Resolves once joined (waits for the connection); joined again after every reconnect until leave(). */
  join(room: string, options?: { name?: string; since?: string }): Promise<JoinedEvent>;
  /** Resolves with the envelope id. */
  chat(room: string, text: string): Promise<string>;
  presence(room: string): Promise<Member[]>;
  leave(room: string): Promise<void>;

  on(event: 'connecting', fn: (e: ConnectingEvent) => void): this;
  on(event: 'connected', fn: (e: ConnectedEvent) => void): this;
  on(event: 'disconnected', fn: (e: DisconnectedEvent) => void): this;
  on(event: 'joined', fn: (e: JoinedEvent) => void): this;
  on(event: 'join' | 'leave' | 'chat', fn: (m: RoomMessage) => void): this;
  on(event: 'refreshed', fn: (e: { expiresAt: number | null }) => void): this;
  on(event: 'error', fn: (err: PulseError) => void): this;
  off(event: string, fn: (...args: any[]) => void): this;
}

// Small DOM and formatting helpers shared by the dashboard modules.

/** document.getElementById, failing loudly when the page and the script disagree. */
export function $(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el;
}

/**
 * Creates an element: h('li', {class: 'x', dataset: {name: 'ann'}}, 'text', child).
 * Text is always set as text (never parsed as HTML), so user input is safe here.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c !== undefined && c !== null && c !== false) el.append(c);
  }
  return el;
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const timeSecFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function formatTime(ms) {
  return timeFmt.format(new Date(ms));
}

export function formatTimeSeconds(ms) {
  return timeSecFmt.format(new Date(ms));
}

export function formatBytes(n) {
  if (!Number.isFinite(n)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n >= 100 || i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
}

export function formatDuration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const hrs = Math.floor(m / 60);
  if (hrs < 48) return `${hrs}h ${m % 60}m`;
  return `${Math.floor(hrs / 24)}d ${hrs % 24}h`;
}

const numberFmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
export function formatNumber(n) {
  return Number.isFinite(n) ? numberFmt.format(n) : '–';
}

/** Exponential backoff with jitter: attempt 0 → about base, doubling up to cap, each in [50%, 100%]. */
export function backoffDelay(attempt, base = 500, cap = 15000) {
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/**
 * The token the page was opened with (http://host:8080/?token=…), or ''. Pulse takes it as
 * ?token= on /events and /ws, where browsers cannot set headers, and as a Bearer header elsewhere.
 */
export const TOKEN = new URLSearchParams(location.search).get('token') || '';

/** The token's subject (the name Pulse uses for it in chat), read without verifying it; or ''. */
export function tokenSubject(token = TOKEN) {
  try {
    const claims = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return typeof claims.sub === 'string' ? claims.sub : '';
  } catch {
    return '';
  }
}

/** url with the page's token as ?token= (for EventSource and WebSocket). */
export function withToken(url) {
  return TOKEN ? `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(TOKEN)}` : url;
}

/** fetch() of JSON with a timeout; rejects on a non-2xx answer. */
export async function fetchJson(url, timeoutMs = 5000) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  const headers = { Accept: 'application/json' };
  if (TOKEN) headers.Authorization = `Bearer ${TOKEN}`;
  try {
    const res = await fetch(url, { signal: ctl.signal, cache: 'no-store', headers });
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    return await res.json();
  } finally {
    clearTimeout(timer);
  }
}

/** A stable hue for a name, for avatars. */
export function hueOf(text) {
  let hash = 0;
  for (const ch of text) hash = (hash * 31 + ch.codePointAt(0)) | 0;
  return Math.abs(hash) % 360;
}

/** Sets a connection pill: data-state drives the colour, the text is read by screen readers. */
export function setPill(pill, state, text) {
  if (pill.dataset.state !== state) pill.dataset.state = state;
  const label = pill.querySelector('.pill-text');
  if (label.textContent !== text) label.textContent = text;
}

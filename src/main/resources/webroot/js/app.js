// Pulse dashboard entry point: reads /api/config, opens one EventSource (sensors.* and
// cluster.*) and one WebSocket (chat, through /pulse.js), and wires them to the three panels.

import { Pulse } from '../pulse.js';
import { $, fetchJson, setPill, TOKEN } from './util.js';
import { EventStream } from './events.js';
import { SensorPanel } from './sensors.js';
import { ClusterPanel } from './cluster.js';
import { ChatPanel } from './chat.js';

const THEME_KEY = 'pulse.theme';
const THEMES = ['auto', 'light', 'dark'];

let config = { wsUrl: null, authMode: 'dev', historySize: 100 };

async function refreshConfig() {
  try {
    config = { ...config, ...(await fetchJson('/api/config', 3000)) };
  } catch {
    // keep what we had: the node may be restarting
  }
  return config;
}

function portOf(url) {
  try {
    const u = new URL(url);
    return Number(u.port) || (u.protocol === 'wss:' || u.protocol === 'https:' ? 443 : 80);
  } catch {
    return 0;
  }
}

function setupTheme(onChange) {
  const button = $('theme-toggle');
  const root = document.documentElement;
  let theme = 'auto';
  try {
    theme = THEMES.includes(localStorage.getItem(THEME_KEY)) ? localStorage.getItem(THEME_KEY) : 'auto';
  } catch {
    // storage disabled
  }
  const apply = () => {
    if (theme === 'auto') delete root.dataset.theme;
    else root.dataset.theme = theme;
    const label = `Colour theme: ${theme === 'auto' ? 'automatic' : theme}`;
    button.setAttribute('aria-label', label);
    button.title = label;
  };
  apply();
  button.addEventListener('click', () => {
    theme = THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length];
    try {
      localStorage.setItem(THEME_KEY, theme);
    } catch {
      // storage disabled
    }
    apply();
    onChange();
  });
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
    if (theme === 'auto') onChange();
  });
}

async function main() {
  await refreshConfig();
  const pagePort = Number(location.port) || (location.protocol === 'https:' ? 443 : 80);

  const nodeName = $('node-name');
  const nodePorts = $('node-ports');
  const onSelf = (info) => {
    const name = info ? String(info.name ?? info.id) : location.host;
    const ports = info ? `http :${info.httpPort} · ws :${info.wsPort}` : '';
    if (nodeName.textContent !== name) nodeName.textContent = name;
    if (nodePorts.textContent !== ports) nodePorts.textContent = ports;
    const title = `Pulse · ${name}`;
    if (document.title !== title) document.title = title;
  };

  const sensors = new SensorPanel($('sensor-grid'), $('sensors-empty'), config.historySize);
  const cluster = new ClusterPanel($('cluster-rows'), $('cluster-totals'), {
    pagePort,
    wsPort: config.wsUrl ? portOf(config.wsUrl) : 0,
    onSelf,
  });
  setupTheme(() => sensors.themeChanged());

  const loadCluster = () => fetchJson('/api/cluster', 3000).then((v) => cluster.load(v)).catch(() => {});
  loadCluster();

  const ssePill = $('sse-state');
  const events = new EventStream('/events', ['sensors.*', 'cluster.*'], {
    onEnvelope: (env) => {
      if (typeof env.channel !== 'string') return;
      if (env.channel.startsWith('sensors.')) sensors.onEnvelope(env);
      else if (env.channel.startsWith('cluster.')) cluster.onEnvelope(env);
    },
    onState: (state, text) => setPill(ssePill, state, text),
    onOpen: loadCluster,
  });
  events.start();

  // The chat's WebSocket: pulse.js, its URL read again from /api/config before every attempt (a
  // restarted node may have another WS port).
  const client = new Pulse(async () => {
    await refreshConfig();
    if (!config.wsUrl) throw new Error('no wsUrl yet');
    cluster.setWsPort(portOf(config.wsUrl));
    return config.wsUrl;
  }, { token: TOKEN || undefined });
  showConnection(client, $('ws-state'), $('ws-retry'));
  const chat = new ChatPanel(client, config);
  client.connect();

  // For poking around from the browser console; the page itself does not use it.
  window.pulse = Object.freeze({ config: () => ({ ...config }), events, client, sensors, cluster, chat });
}

/** The WebSocket pill: connecting, connected (open), reconnecting with a countdown, or offline for good. */
function showConnection(client, pill, retry) {
  let countdown = 0;
  let opened = false;
  const stopCountdown = () => {
    clearInterval(countdown);
    retry.textContent = '';
  };
  client.on('connecting', ({ attempt }) => {
    stopCountdown();
    if (!opened) setPill(pill, 'connecting', 'connecting…');
    else setPill(pill, 'reconnecting', attempt > 1 ? `reconnecting (attempt ${attempt})…` : 'reconnecting…');
  });
  client.on('connected', () => {
    opened = true;
    stopCountdown();
    setPill(pill, 'open', 'connected');
  });
  client.on('disconnected', ({ code, reconnect, delay }) => {
    stopCountdown();
    if (!reconnect) {
      setPill(pill, 'offline', `disconnected (${code})`);
      return;
    }
    setPill(pill, 'reconnecting', 'reconnecting…');
    const due = Date.now() + delay;
    const tick = () => {
      const s = Math.ceil((due - Date.now()) / 1000);
      retry.textContent = s > 0 ? `in ${s} s` : '';
    };
    tick();
    countdown = setInterval(tick, 1000);
  });
}

main().catch((err) => {
  // Nothing above should throw; if it does, say so on the page rather than only in the console.
  const p = document.createElement('p');
  p.className = 'form-error';
  p.setAttribute('role', 'alert');
  p.textContent = `The dashboard failed to start: ${err.message}`;
  document.getElementById('main')?.prepend(p);
  throw err;
});

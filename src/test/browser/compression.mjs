// permessage-deflate (RFC 7692) with real clients against a node with ws.compression on: a plain
// `new WebSocket(url)` in Debian's headless Chromium (through playwright-core), and the npm `ws`
// client with perMessageDeflate on. Started by io.pulse.browser.CompressionClientsTest, which runs
// the node; usable by hand too:
//
//   node compression.mjs chromium <httpUrl> <wsPort> <minBytes>
//   node compression.mjs ws <offer> <wsPort> <minBytes>
//        <offer>: default | client_no_context_takeover | server_max_window_bits=10
//
// The client connects through a tap of this script's own on 127.0.0.1, which forwards the bytes
// unchanged and reads the frame headers both ways: the offer and the answer as they crossed the
// wire, and for every message whether it came compressed (RSV1) and its size on the wire. Over the
// WebSocket protocol (SPEC §4) the client subscribes to a channel of its own, then publishes a
// small message, one over ws.compressionMinBytes and one of 60 kB, and gets each back as a
// delivery: both directions, every message checked intact.
//
// Prints the negotiated parameters ("ANSWER <Sec-WebSocket-Extensions of the 101>" is read by the
// test), then exit code 0 and a last line "PASS <mode>", or 1 and "FAIL <mode>: why".

import { createRequire } from 'node:module';
import net from 'node:net';

const require = createRequire(import.meta.url);
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
/** The npm ws client's perMessageDeflate option for each offer. */
const WS_OFFERS = {
  default: true,
  client_no_context_takeover: { clientNoContextTakeover: true },
  'server_max_window_bits=10': { serverMaxWindowBits: 10 },
};

function log(msg) {
  console.log(`[${new Date().toISOString().slice(11, 23)}] ${msg}`);
}

class Check extends Error {}

function check(cond, msg) {
  if (!cond) throw new Check(msg);
}

// ---- the messages: JSON a sensor might send, with non-ASCII text, from a fixed seed ----

function payloads() {
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const place = ['Hall 3', 'München', 'Zürich', '東京 7F', 'São Paulo'];
  const reading = (i) => ({
    sensor: `s-${String(i % 64).padStart(2, '0')}`,
    temperature: Math.round((18 + next() * 10) * 100) / 100,
    humidity: Math.round(next() * 1000) / 10,
    unit: '°C',
    place: place[i % place.length],
    ok: next() > 0.1,
  });
  const upTo = (bytes) => {
    const readings = [];
    for (let i = 0; ; i++) {
      const r = reading(i);
      if (Buffer.byteLength(JSON.stringify({ readings: [...readings, r] })) > bytes) return { readings };
      readings.push(r);
    }
  };
  return [
    { name: 'small', data: { text: 'hi 👋 — small' } },
    { name: 'medium', data: upTo(2000) },
    { name: 'large', data: upTo(60000) },
  ];
}

// ---- the exchange, run where the client lives (self-contained: it is also sent to the page) ----

async function exchange(socket, channel, messages) {
  const encoder = new TextEncoder();
  const sent = [];
  const received = [];
  const seen = [];
  const waiters = [];
  const wait = (what, test) => new Promise((resolve, reject) => {
    const found = seen.find(test);
    if (found) { resolve(found); return; }
    const w = { test, resolve };
    w.timer = setTimeout(() => { waiters.splice(waiters.indexOf(w), 1); reject(new Error('timed out: ' + what)); }, 15000);
    waiters.push(w);
  });
  const size = (kind, text) => ({ kind, chars: text.length, bytes: encoder.encode(text).length });
  const send = (kind, obj) => {
    const text = JSON.stringify(obj);
    sent.push(size(kind, text));
    socket.send(text);
  };
  socket.onmessage = (e) => {
    const msg = JSON.parse(e.data);
    received.push(size('id' in msg && 'ts' in msg ? 'delivery ' + msg.type : msg.type, e.data));
    seen.push(msg);
    for (const w of [...waiters]) {
      if (w.test(msg)) { clearTimeout(w.timer); waiters.splice(waiters.indexOf(w), 1); w.resolve(msg); }
    }
  };
  const closed = new Promise((resolve) => { socket.onclose = (e) => resolve(e.code); });
  await Promise.race([
    new Promise((resolve) => { socket.onopen = resolve; }),
    closed.then((code) => { throw new Error('closed before open: ' + code); }),
  ]);
  const extensions = socket.extensions;

  send('subscribe', { type: 'subscribe', channel, ref: 'sub' });
  const subscribed = await wait('subscribed', (m) => m.ref === 'sub');
  if (subscribed.type !== 'subscribed') throw new Error('subscribe: ' + JSON.stringify(subscribed));
  const intact = [];
  for (const { name, data } of messages) {
    send('publish ' + name, { type: 'publish', channel, event: 'size-' + name, data, ref: name });
    const reply = await wait('published ' + name, (m) => m.ref === name);
    if (reply.type !== 'published') throw new Error('publish ' + name + ': ' + JSON.stringify(reply));
    const env = await wait('delivery ' + name, (m) => m.channel === channel && m.type === 'size-' + name);
    if (env.id !== reply.id) throw new Error(name + ': delivered id ' + env.id + ', published ' + reply.id);
    if (JSON.stringify(env.data) !== JSON.stringify(data)) throw new Error(name + ': the delivered data differs');
    intact.push(name);
  }
  socket.close(1000);
  const code = await closed;
  return { extensions, sent, received, intact, closeCode: code };
}

// ---- the tap: a loopback TCP relay that reads the handshake and the frame headers ----

function side() {
  return { buf: Buffer.alloc(0), headers: null, messages: [], current: null };
}

/** Feeds bytes of one direction: first the HTTP head, then frames; one entry per data message. */
function feed(s, chunk) {
  s.buf = Buffer.concat([s.buf, chunk]);
  if (s.headers === null) {
    const end = s.buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const lines = s.buf.subarray(0, end).toString('latin1').split('\r\n');
    s.start = lines[0];
    s.headers = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      const k = l.slice(0, i).trim().toLowerCase();
      s.headers[k] = s.headers[k] ? s.headers[k] + ', ' + l.slice(i + 1).trim() : l.slice(i + 1).trim();
    }
    s.buf = s.buf.subarray(end + 4);
  }
  while (s.buf.length >= 2) {
    const b0 = s.buf[0];
    const b1 = s.buf[1];
    let len = b1 & 0x7f;
    let at = 2;
    if (len === 126) {
      if (s.buf.length < 4) return;
      len = s.buf.readUInt16BE(2);
      at = 4;
    } else if (len === 127) {
      if (s.buf.length < 10) return;
      len = Number(s.buf.readBigUInt64BE(2));
      at = 10;
    }
    if (b1 & 0x80) at += 4; // masking key (client to server)
    if (s.buf.length < at + len) return;
    s.buf = s.buf.subarray(at + len);
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    if (opcode >= 8) continue; // control frames
    if (opcode !== 0) s.current = { opcode, rsv1: (b0 & 0x40) !== 0, wire: 0, frames: 0 };
    if (!s.current) continue;
    s.current.wire += len;
    s.current.frames++;
    if (fin) {
      s.messages.push(s.current);
      s.current = null;
    }
  }
}

async function tap(wsPort) {
  const t = { c2s: side(), s2c: side() };
  const sockets = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(wsPort, '127.0.0.1');
    sockets.push(client, upstream);
    client.on('data', (d) => feed(t.c2s, d));
    upstream.on('data', (d) => feed(t.s2c, d));
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.port = server.address().port;
  t.close = () => { // the exchange is over: nothing left to wait for
    server.close();
    sockets.forEach((s) => s.destroy());
  };
  return t;
}

// ---- the checks on what crossed the wire ----

function report(label, t, result, minBytes) {
  const answer = t.s2c.headers ? t.s2c.headers['sec-websocket-extensions'] || '' : '';
  const deflate = /^\s*permessage-deflate\b/i.test(answer);
  log(`${label}: ${result.intact.join(', ')} came back intact (close ${result.closeCode})`);
  const lines = (dir, app, wire) => {
    check(app.length === wire.length, `${dir}: ${app.length} messages at the client, ${wire.length} on the wire`);
    app.forEach((m, i) => {
      const w = wire[i];
      log(`  ${dir} ${m.kind.padEnd(20)} ${String(m.bytes).padStart(6)} B  wire ${String(w.wire).padStart(6)} B`
        + `${w.frames > 1 ? ` in ${w.frames} frames` : ''}  ${w.rsv1 ? 'compressed' : 'plain'}`);
      if (w.rsv1) check(deflate, `${dir} ${m.kind}: RSV1 set, though no extension was negotiated`);
      else check(w.wire === m.bytes, `${dir} ${m.kind}: plain, ${w.wire} B on the wire for ${m.bytes} B`);
    });
  };
  lines('client→server', result.sent, t.c2s.messages);
  lines('server→client', result.received, t.s2c.messages);
  // Pulse compresses what reaches ws.compressionMinBytes (and shrinks: all these do), nothing else.
  result.received.forEach((m, i) => check(t.s2c.messages[i].rsv1 === (deflate && m.chars >= minBytes),
    `server→client ${m.kind} (${m.chars} characters): ${t.s2c.messages[i].rsv1 ? 'compressed' : 'plain'}, `
      + `expected ${deflate && m.chars >= minBytes ? 'compressed' : 'plain'} (ws.compressionMinBytes ${minBytes})`));
  if (deflate) {
    const large = result.sent.findIndex((m) => m.kind === 'publish large');
    check(t.c2s.messages[large].rsv1, 'client→server publish large: the client did not compress it');
  }
  const compressed = (msgs) => msgs.filter((m) => m.rsv1).length;
  log(`${label}: compressed messages client→server ${compressed(t.c2s.messages)}/${t.c2s.messages.length}, `
    + `server→client ${compressed(t.s2c.messages)}/${t.s2c.messages.length}`);
}

function negotiated(offer, answer, extensions) {
  log(`offer  (request's Sec-WebSocket-Extensions, on the wire): ${offer || '(none)'}`);
  log(`answer (101's Sec-WebSocket-Extensions, as the client saw it): ${answer || '(none)'}`);
  log(`the client's socket.extensions: ${JSON.stringify(extensions)}`);
  console.log(`ANSWER ${answer || '(none)'}`);
}

function channel() {
  return 'z.compression-' + Math.random().toString(36).slice(2, 8);
}

async function inChromium(httpUrl, wsPort, minBytes) {
  const { chromium } = await import('playwright-core');
  const t = await tap(wsPort);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', headless: true, args: ARGS, timeout: 30000,
  });
  try {
    log(`client: Chromium ${browser.version()} (playwright-core ${require('playwright-core/package.json').version})`);
    const page = await browser.newPage();
    const problems = [];
    page.on('console', (m) => {
      const favicon = /\/favicon\.ico$/.test(m.location().url || ''); // the node serves none: 404
      if ((m.type() === 'error' || m.type() === 'warning') && !favicon) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push('uncaught: ' + e.message));
    // What the browser itself says it sent and got in the handshake (DevTools protocol).
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    const header = (headers, name) => Object.entries(headers || {})
      .find(([k]) => k.toLowerCase() === name)?.[1];
    let browserOffer;
    let browserAnswer;
    cdp.on('Network.webSocketWillSendHandshakeRequest', (e) => {
      browserOffer = header(e.request.headers, 'sec-websocket-extensions');
    });
    cdp.on('Network.webSocketHandshakeResponseReceived', (e) => {
      browserAnswer = header(e.response.headers, 'sec-websocket-extensions') || '';
    });
    // A page of the node's own origin: the WS port allows it, and Chromium lets a loopback page
    // reach a loopback port (a page from anywhere else meets its local-network-access checks).
    await page.goto(httpUrl + 'health');
    const url = `ws://127.0.0.1:${t.port}/ws`;
    const result = await page.evaluate(
      `(${exchange.toString()})(new WebSocket(${JSON.stringify(url)}), ${JSON.stringify(channel())}, ${JSON.stringify(payloads())})`);
    check(browserAnswer !== undefined, 'the DevTools protocol reported no handshake response');
    log(`Chromium's own record of the handshake: offer ${JSON.stringify(browserOffer)}, answer ${JSON.stringify(browserAnswer)}`);
    check(browserOffer === t.c2s.headers['sec-websocket-extensions'], 'the tap saw another offer than Chromium sent');
    check(browserAnswer === (t.s2c.headers['sec-websocket-extensions'] || ''), 'the tap saw another answer than Chromium got');
    negotiated(t.c2s.headers['sec-websocket-extensions'], browserAnswer, result.extensions);
    report('chromium', t, result, minBytes);
    check(problems.length === 0, 'page console: ' + problems.join(' | '));
  } finally {
    await browser.close();
    t.close();
  }
}

async function withWs(offer, wsPort, minBytes) {
  const { WebSocket } = require('ws');
  check(offer in WS_OFFERS, `unknown offer ${offer}: ${Object.keys(WS_OFFERS).join(' | ')}`);
  log(`client: npm ws ${require('ws/package.json').version} on Node ${process.version}, `
    + `perMessageDeflate ${JSON.stringify(WS_OFFERS[offer])}`);
  const t = await tap(wsPort);
  try {
    const socket = new WebSocket(`ws://127.0.0.1:${t.port}/ws`, { perMessageDeflate: WS_OFFERS[offer] });
    let answer;
    socket.on('upgrade', (res) => { answer = res.headers['sec-websocket-extensions'] || ''; });
    const result = await exchange(socket, channel(), payloads());
    check(answer === (t.s2c.headers['sec-websocket-extensions'] || ''), 'the tap saw another answer than ws got');
    negotiated(t.c2s.headers['sec-websocket-extensions'], answer, result.extensions);
    // ws's own record of the accepted parameters (internal, for the record only)
    log(`ws's accepted permessage-deflate parameters: ${JSON.stringify(socket._extensions?.['permessage-deflate']?.params ?? null)}`);
    report('ws ' + offer, t, result, minBytes);
  } finally {
    t.close();
  }
}

const [mode, ...args] = process.argv.slice(2);
let code = 1;
try {
  if (mode === 'chromium' && args.length === 3) await inChromium(args[0], Number(args[1]), Number(args[2]));
  else if (mode === 'ws' && args.length === 3) await withWs(args[0], Number(args[1]), Number(args[2]));
  else throw new Check('usage: node compression.mjs chromium <httpUrl> <wsPort> <minBytes> | '
    + 'ws <offer> <wsPort> <minBytes>');
  console.log(`PASS ${mode}`);
  code = 0;
} catch (err) {
  console.log(`FAIL ${mode}: ${err instanceof Check ? err.message : err.stack || err}`);
}
process.exit(code);

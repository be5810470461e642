// A page forging the subject header with the standard Vert.x event-bus client
// (@vertx/eventbus-bridge-client.js over sockjs-client, from npm) against Pulse's /eventbus.
// Started by io.pulse.browser.BridgeHeadersBrowserTest, which runs a node and a backend member:
//
//   node bridge-headers.mjs <url> <transport>    transport: websocket or xhr-streaming
//
// env PULSE_TOKEN_ANN: a token whose subject is ann. The backend answers on app.whoami with
// {"sub": headers().getAll("pulse-sub")}, recording it under the body's nonce; on app.roundtrip it
// asks app.ask (this page's handler) and answers with the subject headers of the page's reply.
// Every case is checked here on the reply, and printed as "EXPECT <nonce> <json list>" for the
// test to check what the backend recorded. Last line "PASS <transport>" (exit 0) or "FAIL …" (1).

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const EventBus = require('@vertx/eventbus-bridge-client.js');
const [url, transport] = process.argv.slice(2);
const SPELLINGS = ['pulse-sub', 'Pulse-Sub', 'PULSE-SUB', 'pUlSe-SuB'];

function log(msg) {
  console.log(`[${new Date().toISOString().slice(11, 23)}] ${msg}`);
}

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

function within(ms, what, executor) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timed out: ' + what)), ms);
    executor((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
}

function open(token) {
  const eb = new EventBus(url + 'eventbus' + (token ? '?token=' + encodeURIComponent(token) : ''),
    { transports: [transport] });
  eb.enableReconnect(false);
  return within(15000, 'open ' + (token ? 'ann' : 'anonymous'), (resolve, reject) => {
    eb.onopen = () => resolve(eb);
    eb.onclose = () => reject(new Error('closed before open'));
  });
}

const request = (eb, address, body, headers) => within(15000, 'reply from ' + address, (resolve) =>
  eb.send(address, body, headers, (err, reply) => resolve({ err, reply })));

let counter = 0;
const nonce = () => `${transport}-${process.pid}-${++counter}`;

/** A send with `headers`; the backend must see `expected`, here and in its record. */
async function sendCase(eb, what, headers, expected) {
  const n = nonce();
  const { err, reply } = await request(eb, 'app.whoami', { nonce: n }, headers);
  check(!err, what + ': refused ' + JSON.stringify(err));
  check(same(reply.body.sub, expected), `${what}: the backend saw ${JSON.stringify(reply.body.sub)}`);
  console.log(`EXPECT ${n} ${JSON.stringify(expected)}`);
  log(`${what}: backend saw ${JSON.stringify(reply.body.sub)}`);
}

async function page(token, who) {
  const eb = await open(token);
  check(eb.sockJSConn.transport === transport, 'SockJS chose ' + eb.sockJSConn.transport);
  const expected = token ? ['ann'] : [];
  try {
    for (const s of SPELLINGS) {
      await sendCase(eb, `${who} send ${s}: mallory`, { [s]: 'mallory' }, expected);
    }
    for (const s of SPELLINGS) {
      const n = nonce();
      eb.publish('app.whoami', { nonce: n }, { [s]: 'mallory' });
      console.log(`EXPECT ${n} ${JSON.stringify(expected)}`);
    }
    // the client's default headers, merged into every message, plus three more spellings
    eb.defaultHeaders = { 'Pulse-Sub': 'mallory-default' };
    await sendCase(eb, `${who} default header and every spelling`,
      { 'pulse-sub': 'm1', 'PULSE-SUB': 'm2', 'pUlSe-SuB': 'm3', 'x-trace': 't1' }, expected);
    eb.defaultHeaders = null;

    // a reply from this page to a backend's request (bridge.outbound app.ask): msg.reply with headers
    let spelling = 0;
    eb.registerHandler('app.ask', (err, msg) => {
      if (!err) msg.reply('ok', { [SPELLINGS[spelling++ % SPELLINGS.length]]: 'mallory' });
    });
    let round;
    for (let i = 0; i < 50 && !(round && !round.err); i++) { // until the registration is known
      if (i > 0) await new Promise((r) => setTimeout(r, 200));
      const n = nonce();
      round = await request(eb, 'app.roundtrip', { nonce: n }, {});
      if (!round.err) console.log(`EXPECT ${n} ${JSON.stringify(expected)}`);
    }
    check(round && !round.err, `${who} roundtrip: ${JSON.stringify(round && round.err)}`);
    check(same(round.reply.body.sub, expected), `${who} reply from the page: the backend saw ${JSON.stringify(round.reply.body.sub)}`);
    log(`${who} reply from the page: backend saw ${JSON.stringify(round.reply.body.sub)}`);
    // last: answered after the publishes above, which went the same way
    await sendCase(eb, `${who} last`, {}, expected);
  } finally {
    eb.onclose = null;
    eb.close();
  }
}

try {
  check(transport === 'websocket' || transport === 'xhr-streaming', 'usage: node bridge-headers.mjs <url> websocket|xhr-streaming');
  check(process.env.PULSE_TOKEN_ANN, 'PULSE_TOKEN_ANN is not set');
  await page(null, 'anonymous');
  await page(process.env.PULSE_TOKEN_ANN, 'ann');
  console.log(`PASS ${transport}`);
  process.exit(0);
} catch (e) {
  console.log(`FAIL ${transport}: ${e.message}`);
  process.exit(1);
}

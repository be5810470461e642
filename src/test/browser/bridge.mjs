// The standard Vert.x event-bus client (@vertx/eventbus-bridge-client.js over sockjs-client,
// from npm) against Pulse's /eventbus, in Node and in a real headless Chromium (Debian's
// /usr/bin/chromium through playwright-core). Started by io.pulse.browser.BridgeBrowserTest, which
// runs the nodes and a backend answering app.moderation (io.pulse.examples.ModerationVerticle):
//
//   node bridge.mjs node <url>   the npm client in this Node process, against <url>eventbus
//   node bridge.mjs page <url>   <url>examples/bridge.html in Chromium (its vendored copies)
//
// Exit code 0 and a last line "PASS <mode>" when every check holds; 1 and "FAIL <mode>: why".

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const [mode, url] = process.argv.slice(2);

function log(msg) {
  console.log(`[${new Date().toISOString().slice(11, 23)}] ${msg}`);
}

// The checks, run where the client lives: `eb` is an open EventBus. Self-contained (it is also
// serialised into the page). Resolves to a list of what was seen; throws on a failed check.
async function checks(eb) {
  const seen = [];
  const check = (cond, msg) => { if (!cond) throw new Error(msg); };
  const within = (ms, what, executor) => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timed out: ' + what)), ms);
    executor((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
  const request = (address, body, headers) => within(15000, 'reply from ' + address, (resolve) =>
    eb.send(address, body, headers || {}, (err, reply) => resolve({ err, reply })));

  // 1. a pattern of channels, fanned out by the node: the same envelopes as SSE and WebSocket
  const readings = await within(15000, 'two sensor readings', (resolve, reject) => {
    const got = [];
    const handler = (err, msg) => {
      if (err) { reject(new Error('register refused: ' + err.message)); return; }
      got.push(msg.body);
      if (got.length === 2) { eb.unregisterHandler('pulse.ch.sensors.*', handler); resolve(got); }
    };
    eb.registerHandler('pulse.ch.sensors.*', handler);
  });
  for (const env of readings) {
    check(/^sensors\./.test(env.channel) && typeof env.id === 'string' && typeof env.ts === 'number'
      && env.type === 'reading', 'an envelope: ' + JSON.stringify(env));
  }
  seen.push('sensors ' + readings.map((e) => e.channel).join(','));

  // 2. request/reply to a backend verticle on another node
  const mod = await request('app.moderation', { room: 'lobby', text: 'darn it' });
  check(!mod.err && mod.reply.body.action === 'rewrite' && mod.reply.body.text === 'd*** it',
    'moderation verdict: ' + JSON.stringify(mod.err || mod.reply.body));
  seen.push('moderation ' + JSON.stringify(mod.reply.body));

  // 3. a page publishing on a channel: Pulse's publish path, the id comes back, the channel hears it
  const channel = 'bridge.test-' + Math.random().toString(36).slice(2, 8);
  const heard = new Promise((resolve) => eb.registerHandler('pulse.ch.' + channel, (err, msg) => resolve(msg.body)));
  let published;
  let env;
  for (let i = 0; i < 30 && !env; i++) { // until the registration is in place
    published = await request('pulse.ch.' + channel, { text: 'hi' }, { event: 'note' });
    check(!published.err, 'publish refused: ' + JSON.stringify(published.err));
    env = await Promise.race([heard, new Promise((r) => setTimeout(() => r(null), 300))]);
  }
  check(env && env.type === 'note' && env.data.text === 'hi' && env.channel === channel,
    'the published envelope: ' + JSON.stringify(env));
  seen.push('published ' + published.reply.body.id);

  // 4. an address nobody listens on: an error at once, not a hang
  const none = await request('app.nobody', { x: 1 });
  check(none.err && none.err.failureType === 'NO_HANDLERS', 'no handler: ' + JSON.stringify(none));
  seen.push('no handler ' + none.err.failureType);

  // 5. an address outside bridge.inbound: access_denied, to onerror
  const denied = await within(10000, 'access_denied', (resolve) => {
    const previous = eb.onerror;
    eb.onerror = (e) => { eb.onerror = previous; resolve(e); };
    eb.publish('secret.admin', { x: 1 });
  });
  check(denied.body === 'access_denied', 'denied: ' + JSON.stringify(denied));
  seen.push('denied ' + denied.body);

  // 6. a channel name that is not one: the handler gets the error
  const bad = await within(10000, 'bad channel refused', (resolve) =>
    eb.registerHandler('pulse.ch.not a channel', (err) => resolve(err)));
  check(bad && bad.failureCode === 400, 'bad channel: ' + JSON.stringify(bad));
  seen.push('bad channel ' + bad.failureCode);
  return seen;
}

async function inNode() {
  const EventBus = require('@vertx/eventbus-bridge-client.js');
  const eb = new EventBus(url + 'eventbus');
  await new Promise((resolve, reject) => {
    eb.onopen = resolve;
    eb.onclose = () => reject(new Error('closed before open'));
  });
  try {
    for (const line of await checks(eb)) log(line);
  } finally {
    eb.onclose = null;
    eb.close();
  }
}

async function inPage() {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage();
    const problems = [];
    page.on('console', (m) => {
      log(`page console.${m.type()}: ${m.text()}`);
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push('uncaught: ' + e.message));
    await page.goto(url + 'examples/bridge.html');
    await page.waitForFunction(() => document.getElementById('state').textContent === 'open', null, { timeout: 15000 });
    await page.waitForFunction(() => Number(document.getElementById('readings').textContent) >= 2, null,
      { timeout: 15000 });
    log('page: bridge open, its own handler has readings');
    const seen = await page.evaluate(`(${checks.toString()})(window.pulseBridge)`);
    for (const line of seen) log(line);
    // the page's own buttons: the moderation answer appears on the page
    await page.fill('#modText', 'heck, spam');
    await page.click('#mod');
    await page.waitForFunction(() => /rejected|reject/.test(document.getElementById('verdict').textContent), null,
      { timeout: 15000 });
    log('page: ' + (await page.textContent('#verdict')).trim().split('\n')[0]);
    if (problems.length) throw new Error('console errors: ' + problems.join(' | '));
  } finally {
    await browser.close();
  }
}

try {
  if (mode === 'node') await inNode();
  else if (mode === 'page') await inPage();
  else throw new Error('usage: node bridge.mjs node|page <url>');
  console.log(`PASS ${mode}`);
  process.exit(0);
} catch (e) {
  console.log(`FAIL ${mode}: ${e.message}`);
  process.exit(1);
}

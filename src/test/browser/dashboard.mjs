// Drives the Pulse dashboard in a real headless Chromium (Debian's /usr/bin/chromium, through
// playwright-core; no browser download). Started by io.pulse.browser.DashboardBrowserTest, which
// runs the nodes; usable by hand too:
//
//   node dashboard.mjs smoke   <url> <nodeName> <minNodes> <screenshot.png> [<copy.png>]
//   node dashboard.mjs chat    <urlA> <nodeNameA> <urlB> <nodeNameB>
//   node dashboard.mjs restart <url> <nodeName> <missedText>
//        prints "READY", then waits for "RESTARTED <newNodeId>" on stdin
//
// Exit code 0 and a last line "PASS <mode>" when every check holds; 1 and "FAIL <mode>: why"
// otherwise. Every console error or uncaught exception on a page fails the run (in "restart",
// the browser's own network errors while the node is down are expected and allowed).

import { chromium } from 'playwright-core';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const NETWORK_ERROR = /net::ERR_|WebSocket connection to .* failed|Failed to load resource|Unexpected response code/;

const [mode, ...args] = process.argv.slice(2);
let browser;

function log(msg) {
  console.log(`[${new Date().toISOString().slice(11, 23)}] ${msg}`);
}

class Check extends Error {}

function check(cond, msg) {
  if (!cond) throw new Check(msg);
}

/** Records console errors and uncaught exceptions of a page; network errors only when not allowed. */
function watch(page, label, { allowNetworkErrors = false } = {}) {
  const problems = [];
  const network = [];
  page.on('console', (m) => {
    if (m.type() === 'error') {
      const text = m.text();
      if (allowNetworkErrors && NETWORK_ERROR.test(text)) network.push(text);
      else problems.push(`console error: ${text}`);
      log(`${label} console.${m.type()}: ${text}`);
    } else if (m.type() === 'warning') {
      problems.push(`console warning: ${m.text()}`);
      log(`${label} console.warning: ${m.text()}`);
    }
  });
  page.on('pageerror', (e) => {
    problems.push(`uncaught: ${e.message}`);
    log(`${label} uncaught: ${e.stack || e.message}`);
  });
  return {
    problems,
    network,
    assertClean() {
      check(problems.length === 0, `${label}: ${problems.length} console problem(s): ${problems.join(' | ')}`);
    },
  };
}

async function launch() {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30000 });
  log(`chromium ${browser.version()}`);
  return browser;
}

async function open(url, label, opts = {}) {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, colorScheme: opts.colorScheme || 'light' });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  const w = watch(page, label, opts);
  await page.goto(url, { waitUntil: 'load' });
  return { page, w };
}

async function waitFor(page, what, fn, arg, timeout = 20000) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 200 });
  } catch {
    throw new Check(`timed out after ${timeout / 1000} s waiting for ${what}`);
  }
}

const pill = (id, state) => `#${id}[data-state="${state}"]`;

async function waitConnected(page, label, timeout = 20000) {
  await waitFor(page, `${label}: EventSource live`, (sel) => !!document.querySelector(sel), pill('sse-state', 'live'), timeout);
  await waitFor(page, `${label}: WebSocket connected`, (sel) => !!document.querySelector(sel), pill('ws-state', 'open'), timeout);
}

function readings(page) {
  return page.$$eval('[data-sensor]', (cards) => Object.fromEntries(cards.map((c) => [c.dataset.sensor, { n: Number(c.dataset.readings), v: c.querySelector('.sensor-value').textContent }])));
}

async function waitSensorsMove(page, label, minSensors, timeout = 15000) {
  await waitFor(page, `${label}: at least ${minSensors} sensor cards with readings`,
    (min) => [...document.querySelectorAll('[data-sensor]')].filter((c) => Number(c.dataset.readings) > 0).length >= min, minSensors, timeout);
  const before = await readings(page);
  await waitFor(page, `${label}: new readings on every sensor and a changed value`, (prev) => {
    const cards = [...document.querySelectorAll('[data-sensor]')];
    const moved = cards.filter((c) => prev[c.dataset.sensor] && Number(c.dataset.readings) > prev[c.dataset.sensor].n);
    const changed = cards.some((c) => prev[c.dataset.sensor] && c.querySelector('.sensor-value').textContent !== prev[c.dataset.sensor].v);
    return moved.length === Object.keys(prev).length && changed;
  }, before, timeout);
  return before;
}

async function join(page, name, room, { useEnter = false } = {}) {
  await page.fill('#chat-name', name);
  await page.fill('#chat-room', room);
  if (useEnter) await page.press('#chat-room', 'Enter');
  else await page.click('#join-button');
  await waitFor(page, `${name} in the member list of ${room}`, (n) => !!document.querySelector(`#members li[data-name="${CSS.escape(n)}"]`), name);
  await waitFor(page, 'the message box enabled', () => !document.querySelector('#chat-text').disabled);
}

async function say(page, text) {
  await page.fill('#chat-text', text);
  await page.press('#chat-text', 'Enter');
}

const hasMessage = ([from, text]) => [...document.querySelectorAll('.chat-log:not([hidden]) li.msg')]
  .some((li) => li.dataset.from === from && li.querySelector('.msg-text')?.textContent === text);
const hasMember = (name) => !!document.querySelector(`#members li[data-name="${CSS.escape(name)}"]`);

/** Tab from the top of the page reaches the skip link first. */
async function keyboardStart(page) {
  await page.keyboard.press('Tab');
  const first = await page.evaluate(() => document.activeElement?.className);
  check(first === 'skip-link', `first Tab stop is "${first}", not the skip link`);
  await page.keyboard.press('Enter'); // skip to the content
  check(await page.evaluate(() => document.activeElement?.id) === 'main', 'the skip link does not move focus to the content');
}

/** Every control has a name; the status and chat log are live regions. */
async function accessibilityBasics(page) {
  const issues = await page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll('input, select, textarea')) {
      if (!el.labels?.length && !el.getAttribute('aria-label')) out.push(`#${el.id} has no label`);
    }
    for (const b of document.querySelectorAll('button')) {
      if (!b.textContent.trim() && !b.getAttribute('aria-label')) out.push('a button without a name');
    }
    if (!document.querySelector('[role="status"][aria-live]')) out.push('no live status region');
    if (!document.querySelector('[role="log"][aria-live]')) out.push('no live chat log');
    if (!document.documentElement.lang) out.push('no lang');
    for (const img of document.querySelectorAll('.chart')) {
      if (!img.getAttribute('aria-label')) out.push('a chart without a text alternative');
    }
    return out;
  });
  check(issues.length === 0, `accessibility: ${issues.join('; ')}`);
}

// ---------------------------------------------------------------------------------------------

async function smoke([url, nodeName, minNodes, shot, copy]) {
  await launch();
  const { page, w } = await open(url, 'page');
  await waitConnected(page, 'page');
  log('connected: EventSource live, WebSocket open');
  await waitSensorsMove(page, 'page', 4);
  log(`sensors move: ${JSON.stringify(await readings(page))}`);
  check(await page.$$eval('.chart canvas', (c) => c.length) >= 4, 'fewer than 4 uPlot charts drawn');
  await waitFor(page, `the header to name node ${nodeName}`, (n) => document.querySelector('#node-name').textContent === n, nodeName);
  await waitFor(page, `${minNodes} nodes in the cluster panel`, (n) => document.querySelectorAll('#cluster-rows tr').length >= n, Number(minNodes));
  const self = await page.$eval('#cluster-rows tr[aria-current="true"]', (tr) => tr.dataset.nodeName);
  check(self === nodeName, `the cluster panel marks "${self}" as this page's node, not ${nodeName}`);
  log(`header and cluster panel: ${nodeName}, ${await page.$eval('#cluster-totals', (e) => e.textContent)}`);

  await keyboardStart(page);
  await join(page, 'ann', 'lobby', { useEnter: true });
  await accessibilityBasics(page);
  await waitFor(page, 'bob (joined from Java on another node) in the member list', hasMember, 'bob');
  await say(page, 'Hi Bob, CO₂ in room 4 is climbing, I will open a window.');
  await waitFor(page, 'own message in the log', hasMessage, ['ann', 'Hi Bob, CO₂ in room 4 is climbing, I will open a window.']);
  log('chat: joined lobby as ann with the keyboard, sees bob, message sent and shown');

  await page.waitForTimeout(2500); // let the charts fill a little more for the picture
  await page.evaluate(() => document.activeElement?.blur());
  await mkdir(dirname(shot), { recursive: true });
  await page.screenshot({ path: shot, fullPage: true });
  log(`screenshot: ${shot}`);
  if (copy) {
    await copyFile(shot, copy);
    log(`screenshot copied to ${copy}`);
  }
  w.assertClean();
}

async function chat([urlA, nameA, urlB, nameB]) {
  await launch();
  const [a, b] = await Promise.all([open(urlA, 'A'), open(urlB, 'B', { colorScheme: 'dark' })]);
  await Promise.all([waitConnected(a.page, 'A'), waitConnected(b.page, 'B')]);
  await waitFor(a.page, `A served by ${nameA}`, (n) => document.querySelector('#node-name').textContent === n, nameA);
  await waitFor(b.page, `B served by ${nameB}`, (n) => document.querySelector('#node-name').textContent === n, nameB);
  log(`A on ${nameA}, B on ${nameB}: both connected`);

  await join(a.page, 'maria', 'lobby', { useEnter: true });
  await join(b.page, 'tomas', 'lobby');
  await waitFor(a.page, 'tomas in A\'s member list', hasMember, 'tomas');
  await waitFor(b.page, 'maria in B\'s member list', hasMember, 'maria');
  log('members: A sees tomas, B sees maria');

  await say(a.page, 'Hello from node A');
  await waitFor(b.page, 'B to receive maria\'s message', hasMessage, ['maria', 'Hello from node A']);
  await say(b.page, 'Hi maria, tomas here on node B');
  await waitFor(a.page, 'A to receive tomas\'s message', hasMessage, ['tomas', 'Hi maria, tomas here on node B']);
  log('messages cross nodes both ways, with sender');

  const times = await b.page.$$eval('li.msg[data-from="maria"] time', (t) => t.map((x) => x.textContent));
  check(times.length > 0 && times.every((t) => /\d/.test(t)), 'messages show no time');

  // A sees B's WebSocket on B's node in its cluster panel
  await waitFor(a.page, `A's cluster panel to count a WebSocket on ${nameB}`, (n) => {
    const row = [...document.querySelectorAll('#cluster-rows tr')].find((r) => r.dataset.nodeName === n);
    return row && Number(row.querySelector('[data-col="ws"]').textContent) >= 1;
  }, nameB);

  await b.page.click('li.room-tab[data-room="lobby"] .room-leave');
  await waitFor(a.page, 'tomas to leave A\'s member list', (n) => !document.querySelector(`#members li[data-name="${n}"]`), 'tomas');
  await waitFor(a.page, '"tomas left" in A\'s log', () => [...document.querySelectorAll('.chat-log:not([hidden]) li.system')].some((li) => li.textContent.includes('tomas left')));
  log('leave: tomas left, A\'s member list follows');
  a.w.assertClean();
  b.w.assertClean();
}

async function restart([url, nodeName, missedText]) {
  await launch();
  const { page, w } = await open(url, 'page', { allowNetworkErrors: true });
  await waitConnected(page, 'page');
  await waitSensorsMove(page, 'page', 4);
  await join(page, 'carol', 'lobby');
  await say(page, 'before the restart');
  await waitFor(page, 'own message', hasMessage, ['carol', 'before the restart']);
  // record every state the two connection pills go through
  await page.evaluate(() => {
    window.__states = { sse: [], ws: [] };
    for (const [key, id] of [['sse', 'sse-state'], ['ws', 'ws-state']]) {
      const el = document.getElementById(id);
      new MutationObserver(() => window.__states[key].push(el.dataset.state)).observe(el, { attributes: true, attributeFilter: ['data-state'] });
    }
  });
  const oldNode = await page.$eval('#cluster-rows tr[aria-current="true"]', (tr) => tr.dataset.nodeId);
  log(`page connected to ${nodeName} (${oldNode}), joined lobby as carol`);

  console.log('READY');
  const line = await nextStdinLine(90000);
  check(line && line.startsWith('RESTARTED'), `expected "RESTARTED <id>" on stdin, got ${JSON.stringify(line)}`);
  const newNode = line.split(/\s+/)[1];
  const t0 = Date.now();
  const before = await readings(page);
  log(`node restarted as ${newNode}; waiting for the page to come back`);

  await waitConnected(page, 'page after the restart', 60000);
  const states = await page.evaluate(() => window.__states);
  log(`states seen: ${JSON.stringify(states)} (${Date.now() - t0} ms after the restart)`);
  check(states.ws.some((s) => s !== 'open'), 'the WebSocket pill never left "connected" during the restart');
  check(states.sse.some((s) => s !== 'live'), 'the EventSource pill never left "live" during the restart');

  await waitFor(page, 'sensor readings after the restart', (prev) => [...document.querySelectorAll('[data-sensor]')]
    .some((c) => prev[c.dataset.sensor] && Number(c.dataset.readings) > prev[c.dataset.sensor].n), before, 30000);
  await waitFor(page, 'the message published while the node was down (resubscribe with since)', ([text]) =>
    [...document.querySelectorAll('.chat-log:not([hidden]) li.msg .msg-text')].some((e) => e.textContent === text), [missedText], 30000);
  await waitFor(page, '"Reconnected" in the chat log', () => [...document.querySelectorAll('.chat-log:not([hidden]) li.system')].some((li) => li.textContent.startsWith('Reconnected')), null, 30000);
  await waitFor(page, 'carol back in the member list', hasMember, 'carol', 30000);
  await waitFor(page, 'the message box enabled again', () => !document.querySelector('#chat-text').disabled, null, 30000);
  await say(page, 'after the restart');
  await waitFor(page, 'a message sent after the restart', hasMessage, ['carol', 'after the restart']);
  const count = await page.$$eval('.chat-log:not([hidden]) li.msg .msg-text', (els, t) => els.filter((e) => e.textContent === t).length, missedText);
  check(count === 1, `the missed message is shown ${count} times`);
  await waitFor(page, `the cluster panel to mark the new node ${newNode} as this page's`, (id) =>
    document.querySelector('#cluster-rows tr[aria-current="true"]')?.dataset.nodeId === id, newNode, 15000);
  await waitFor(page, `the old node ${oldNode} to be dropped from the cluster panel`, (id) =>
    !document.querySelector(`#cluster-rows tr[data-node-id="${id}"]`), oldNode, 15000);
  check(await page.$eval('#node-name', (e) => e.textContent) === nodeName, 'header does not name the node');
  log(`back: live data, chat recovered, ${w.network.length} expected network error(s) while the node was down`);
  w.assertClean();
}

function nextStdinLine(timeout) {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin });
    const timer = setTimeout(() => {
      rl.close();
      resolve(null);
    }, timeout);
    rl.once('line', (l) => {
      clearTimeout(timer);
      rl.close();
      resolve(l.trim());
    });
  });
}

const modes = { smoke, chat, restart };
if (!modes[mode]) {
  console.log(`FAIL usage: node dashboard.mjs ${Object.keys(modes).join('|')} …`);
  process.exit(2);
}
let code = 1;
try {
  await modes[mode](args);
  console.log(`PASS ${mode}`);
  code = 0;
} catch (err) {
  console.log(`FAIL ${mode}: ${err instanceof Check ? err.message : err.stack || err}`);
} finally {
  await browser?.close().catch(() => {});
}
process.exit(code); // stdin may still be open (restart mode): do not wait for it

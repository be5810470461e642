// The pulse.js example page (webroot/examples/pulse.html) in Debian's headless Chromium (through
// playwright-core, no browser download): one page on each of two nodes, each importing /pulse.js
// from its node. Both get sensor readings from their subscription, join a room, see each other join,
// and chat both ways; no console error or warning on either. Started by
// io.pulse.browser.PulseJsBrowserTest; by hand:
//
//   node pulse-example.mjs <urlA> <urlB>      (the nodes' HTTP roots, e.g. http://127.0.0.1:8080/)
//
// Exit code 0 and a last line "PASS example"; else 1 and "FAIL example: why".

import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const [urlA, urlB] = process.argv.slice(2);

function log(msg) {
  console.log(`[${new Date().toISOString().slice(11, 23)}] ${msg}`);
}

class Check extends Error {}
function check(cond, msg) {
  if (!cond) throw new Check(msg);
}

async function open(browser, base, label) {
  const page = await (await browser.newContext()).newPage();
  page.setDefaultTimeout(20000);
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${label} console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${label} uncaught: ${e.message}`));
  const module = page.waitForResponse((r) => r.url().endsWith('/pulse.js'));
  await page.goto(new URL('examples/pulse.html', base).href, { waitUntil: 'load' });
  const res = await module;
  check(res.status() === 200, `${label}: /pulse.js answered ${res.status()}`);
  check(/^text\/javascript/.test(res.headers()['content-type'] || ''), `${label}: /pulse.js served as ${res.headers()['content-type']}`);
  return { page, problems };
}

async function waitFor(page, what, fn, arg, timeout = 20000) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 100 });
  } catch {
    throw new Check(`timed out after ${timeout / 1000} s waiting for ${what}`);
  }
}

const logHas = (text) => [...document.querySelectorAll('#log li')].some((li) => li.textContent === text);

async function join(page, name, room) {
  await page.fill('#name', name);
  await page.fill('#room', room);
  await page.click('#join button');
  await waitFor(page, `${name}: the message box enabled (joined ${room})`, () => !document.querySelector('#text').disabled);
}

async function say(page, text) {
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
}

let browser;
let code = 1;
try {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30000 });
  log(`chromium ${browser.version()}`);
  const [a, b] = await Promise.all([open(browser, urlA, 'A'), open(browser, urlB, 'B')]);
  for (const [p, label] of [[a.page, 'A'], [b.page, 'B']]) {
    await waitFor(p, `${label}: connected`, () => document.querySelector('#state').dataset.state === 'connected');
    await waitFor(p, `${label}: sensor readings from the subscription`, () => Number(document.querySelector('#readings').textContent) >= 3
      && document.querySelectorAll('#sensors li').length >= 1);
  }
  log('both pages connected, sensors.* readings arriving');

  const room = `ex-${Date.now()}`;
  await join(a.page, 'ann', room);
  await join(b.page, 'ben', room);
  await waitFor(a.page, 'A to see ben join', logHas, 'ben joined');
  await waitFor(b.page, 'B to list ann and ben as members', () => document.querySelector('#members').textContent.split(', ').sort().join() === 'ann,ben');
  await say(a.page, 'hello from node A');
  await waitFor(b.page, 'B to get ann\'s message', logHas, 'ann: hello from node A');
  await say(b.page, 'hi ann, ben on node B');
  await waitFor(a.page, 'A to get ben\'s message', logHas, 'ben: hi ann, ben on node B');
  log(`room ${room}: joined on both nodes, messages cross both ways`);
  const problems = [...a.problems, ...b.problems];
  check(problems.length === 0, problems.join(' | '));
  console.log('PASS example');
  code = 0;
} catch (err) {
  console.log(`FAIL example: ${err instanceof Check ? err.message : err.stack || err}`);
} finally {
  await browser?.close().catch(() => {});
}
process.exit(code);

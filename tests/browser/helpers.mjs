// Shared pieces of the browser tests: Debian's Chromium through playwright-core,
// the real skymesh-server, and reading / waiting on a chat page's lines.
//
// Every wait here is bounded; on timeout the error shows what the page had, so a
// failure says which line was missing rather than only "timed out".
import { chromium } from 'playwright-core';
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';
import { serverBinary } from '../helpers/server.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = path.join(ROOT, 'tests/artifacts');
export const FIXTURES = path.join(ROOT, 'tests/browser/fixtures');

export const CHROMIUM = process.env.SKYMESH_CHROMIUM || '/usr/bin/chromium';

// The flags DESIGN.md lists: headless Chromium without the sandbox or background
// traffic, and without mDNS host candidates so loopback ICE works between pages.
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
  '--disable-features=WebRtcHideLocalIpsWithMdns', '--disable-quic',
];

export const LAPTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

// How long one expected line may take to appear (WebRTC setup included).
export const LINE_TIMEOUT_MS = Number(process.env.SKYMESH_BROWSER_WAIT_MS || 15000);

export async function launchBrowser() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: run scripts/setup (or set SKYMESH_CHROMIUM)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30000 });
}

// Servers this process started, killed if it exits with any still running, so a
// failed test never leaves one behind (or keeps the test runner waiting).
const running = new Set();
process.on('exit', () => { for (const proc of running) proc.kill('SIGKILL'); });

// A server stopped with SIGTERM should exit by itself with status 0 (or by the signal).
export function cleanExit(code) { return code === 0 || code === 'SIGTERM'; }

// Starts skymesh-server serving `web` at / and `dist` at /dist/ on a loopback port:
// `port` (default 0: a free one; a fixed one restarts a server where its clients
// reconnect), with `args` added to the command line (e.g. ['--secret-file', f]).
// Resolves to { url, port, proc, output(), stop(), kill() } once it prints its URL.
export async function startServerFor({ web = path.join(ROOT, 'web'), dist = path.join(ROOT, 'dist'),
  args: extraArgs = [], port: listenPort = 0, timeoutMs = 10000 } = {}) {
  const args = ['--host', '127.0.0.1', '--port', String(listenPort), '--web', web, '--dist', dist, ...extraArgs];
  const proc = spawn(serverBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  proc.on('exit', () => running.delete(proc));
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`server did not start:\n${out}`)); }, timeoutMs);
    const onData = () => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) { clearTimeout(timer); proc.stdout.off('data', onData); proc.stderr.off('data', onData); resolve(m[1]); }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}:\n${out}`)); });
  });
  const exited = () => proc.exitCode !== null || proc.signalCode !== null;
  return {
    url,
    port: Number(new URL(url).port),
    proc,
    output: () => out,
    // SIGKILL (a crash: no goodbye to anyone); resolves once it is gone.
    kill: () => new Promise((resolve) => {
      if (exited()) return resolve(proc.exitCode ?? proc.signalCode);
      proc.once('exit', (code, sig) => resolve(code ?? sig));
      proc.kill('SIGKILL');
    }),
    // SIGTERM, then SIGKILL if it has not gone within 5 s; resolves to the exit code
    // or signal ('SIGKILL' means it did not stop by itself).
    stop: () => new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve(proc.exitCode ?? proc.signalCode);
      const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
      proc.once('exit', (code, sig) => { clearTimeout(kill); resolve(code ?? sig); });
      proc.kill('SIGTERM');
    }),
  };
}

// Opens `url` in a fresh browser context (its own storage, like another person's
// browser). Records uncaught page errors, console errors and dialogs; none of them
// fail a test by themselves, each test decides.
// Registers a suite's hooks: one server per entry of serverOptions (each as
// startServerFor takes them; default: the demo page) and one Chromium. After
// the suite, every server must have exited cleanly: a sanitizer report or a
// crash in the server fails the suite too. The returned object's `browser` and
// `servers` are filled in by the time the tests run.
export function useBrowserAndServers(serverOptions = [{}]) {
  const ctx = { browser: null, servers: [] };
  before(async () => {
    for (const options of serverOptions) ctx.servers.push(await startServerFor(options));
    ctx.browser = await launchBrowser();
  }, { timeout: 45000 });
  after(async () => {
    await ctx.browser?.close().catch(() => {});
    // Stop every server before judging any, so a failure leaves none running.
    const codes = await Promise.all(ctx.servers.map((server) => server.stop()));
    ctx.servers.forEach((server, i) => assert.ok(cleanExit(codes[i]), `server exit ${codes[i]}:\n${server.output()}`));
  }, { timeout: 30000 });
  return ctx;
}

// `initScript` (a function or source text, as Playwright's addInitScript takes)
// runs in the page before any of its own scripts.
export async function openPage(browser, url, { viewport = LAPTOP, label = 'page', initScript = null } = {}) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  if (initScript) await context.addInitScript(initScript);
  const page = await context.newPage();
  page.setDefaultTimeout(LINE_TIMEOUT_MS);
  const record = { label, page, context, pageErrors: [], consoleErrors: [], dialogs: [] };
  page.on('pageerror', (err) => record.pageErrors.push(String(err && err.stack || err)));
  page.on('console', (msg) => { if (msg.type() === 'error') record.consoleErrors.push(msg.text()); });
  page.on('dialog', (dialog) => { record.dialogs.push(`${dialog.type()}: ${dialog.message()}`); dialog.dismiss().catch(() => {}); });
  await page.goto(url, { waitUntil: 'load', timeout: LINE_TIMEOUT_MS });
  return record;
}

// Asserts the page had no uncaught error, no console error (the library reports a
// listener that threw with console.error, and CSP violations land there too) and
// no dialog.
export function assertCleanPage(assert, rec) {
  assert.deepEqual(rec.pageErrors, [], `${rec.label}: uncaught errors`);
  assert.deepEqual(rec.consoleErrors, [], `${rec.label}: console errors`);
  assert.deepEqual(rec.dialogs, [], `${rec.label}: dialogs`);
}

// The chatbox's lines, in order: [{ text, className }].
export async function chatLines(page, selector = '#chatbox') {
  return page.$$eval(`${selector} > *`, (els) => els.map((el) => ({ text: el.textContent, className: el.className })));
}

export async function chatTexts(page, selector = '#chatbox') {
  return (await chatLines(page, selector)).map((l) => l.text);
}

// Waits until the chatbox holds at least `count` lines; returns their texts.
export async function waitForLineCount(rec, count, { selector = '#chatbox', timeoutMs = LINE_TIMEOUT_MS } = {}) {
  try {
    await rec.page.waitForFunction(([sel, n]) => {
      const box = document.querySelector(sel);
      return box && box.children.length >= n;
    }, [selector, count], { timeout: timeoutMs, polling: 50 });
  } catch (err) {
    throw new Error(`${rec.label}: waited ${timeoutMs} ms for ${count} chat lines; it has:\n` +
      `${JSON.stringify(await chatTexts(rec.page, selector).catch(() => '?'), null, 1)}\n` +
      `status: ${await statusText(rec.page)}\n${diagnostics(rec)}`);
  }
  return chatTexts(rec.page, selector);
}

// Waits until a line with exactly `text` is in the chatbox.
export async function waitForLine(rec, text, { selector = '#chatbox', timeoutMs = LINE_TIMEOUT_MS } = {}) {
  try {
    await rec.page.waitForFunction(([sel, t]) => {
      const box = document.querySelector(sel);
      return !!box && Array.prototype.some.call(box.children, (el) => el.textContent === t);
    }, [selector, text], { timeout: timeoutMs, polling: 50 });
  } catch (err) {
    throw new Error(`${rec.label}: waited ${timeoutMs} ms for the line ${JSON.stringify(text)}; it has:\n` +
      `${JSON.stringify(await chatTexts(rec.page, selector).catch(() => '?'), null, 1)}\n` +
      `status: ${await statusText(rec.page)}\n${diagnostics(rec)}`);
  }
}

export async function statusText(page) {
  return page.$eval('#status', (el) => el.textContent).catch(() => '(no #status)');
}

export function diagnostics(rec) {
  const parts = [];
  if (rec.pageErrors.length) parts.push(`page errors: ${rec.pageErrors.join('\n')}`);
  if (rec.consoleErrors.length) parts.push(`console errors: ${rec.consoleErrors.slice(-10).join('\n')}`);
  return parts.join('\n');
}

// Records every peer's data-channel state on the page (window.__dataChannels),
// through the page's own `skyway` instance. Call before joining.
export async function trackDataChannels(rec) {
  await rec.page.evaluate(() => {
    window.__dataChannels = {};
    window.skyway.on('dataChannelState', (state, peerId) => { window.__dataChannels[peerId] = state; });
  });
}

// Waits until `count` peers have an open data channel to this page. Bounded; on
// timeout it only reports (the send that follows then shows whether messages were
// queued or lost), so a library that never emits dataChannelState still gets tested.
export async function waitForOpenChannels(rec, count, { timeoutMs = LINE_TIMEOUT_MS } = {}) {
  try {
    await rec.page.waitForFunction((n) => Object.values(window.__dataChannels || {})
      .filter((s) => s === 'open').length >= n, count, { timeout: timeoutMs, polling: 50 });
    return true;
  } catch {
    const states = await rec.page.evaluate(() => window.__dataChannels).catch(() => '?');
    console.log(`${rec.label}: ${count} open data channels not seen within ${timeoutMs} ms: ${JSON.stringify(states)}`);
    return false;
  }
}

// The demo page's actions, done the way a person does them.
export async function setName(rec, name) {
  await rec.page.fill('#name', name);
  await rec.page.click('#set-name');
}
export async function join(rec) { await rec.page.click('#join-room'); }
export async function leave(rec) { await rec.page.click('#leave-room'); }
export async function send(rec, text, { withEnter = false } = {}) {
  await rec.page.fill('#message', text);
  if (withEnter) await rec.page.press('#message', 'Enter');
  else await rec.page.click('#send-message');
}

// Lets in-flight events land before an exact comparison, so a duplicate or late
// line is caught rather than raced past.
export function settle(ms = 600) { return new Promise((r) => setTimeout(r, ms)); }

// Checks a page's lines exactly. `expected` is a list whose items are either a
// string (that line, at that place) or { anyOrder: [strings] } (those lines, next
// to each other, in any order: independent events such as two peers' joins).
export function matchLines(actual, expected) {
  const out = [];
  let i = 0;
  for (const item of expected) {
    if (typeof item === 'string') { out.push(item); i += 1; continue; }
    const group = item.anyOrder;
    const slice = actual.slice(i, i + group.length);
    const sortedSlice = [...slice].sort();
    const sortedGroup = [...group].sort();
    // Where the lines match the group as a set, take the actual order.
    out.push(...(JSON.stringify(sortedSlice) === JSON.stringify(sortedGroup) ? slice : group));
    i += group.length;
  }
  return out; // compare with deepStrictEqual(actual, out)
}

export function ensureArtifacts() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return ARTIFACTS;
}

// Layout facts for the "looks decent" checks: no sideways scrolling, every control
// fully on screen and big enough to tap, the chat given real room.
export async function layoutReport(page) {
  return page.evaluate(() => {
    const vw = window.innerWidth;
    const vh = window.innerHeight;
    const box = (sel) => {
      const el = document.querySelector(sel);
      if (!el) return null;
      const r = el.getBoundingClientRect();
      return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height };
    };
    const controls = ['#name', '#set-name', '#join-room', '#leave-room', '#message', '#send-message'];
    return {
      vw, vh,
      scrollWidth: document.documentElement.scrollWidth,
      controls: Object.fromEntries(controls.map((s) => [s, box(s)])),
      chatbox: box('#chatbox'),
      fontSize: parseFloat(getComputedStyle(document.body).fontSize),
    };
  });
}

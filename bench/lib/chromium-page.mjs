// Debian's Chromium for the benchmarks (chromium.mjs, media-chromium.mjs,
// transfer-chromium.mjs): its launch flags and a page on the skymesh server's
// origin (http://127.0.0.1:PORT/, a secure context, so navigator.mediaDevices
// exists) whose /bench/ files come from disk through the browser's request
// routing, with window.benchRawPair() for raw-channel baselines.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './util.mjs';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
  // LocalNetworkAccessChecks: the bench page is served through request routing, which
  // Chromium does not count as a local address, so it would block its loopback sockets.
  '--disable-features=WebRtcHideLocalIpsWithMdns,LocalNetworkAccessChecks'];

// What /bench/lib/ serves: path -> [file, content type].
export const FILES = {
  '/bench/lib/skymesh.js': [path.join(ROOT, 'dist/skymesh.js'), 'text/javascript'],
  '/bench/lib/skymesh.wasm': [path.join(ROOT, 'dist/skymesh.wasm'), 'application/wasm'],
  '/bench/lib/peerjs.min.js': [path.join(ROOT, 'node_modules/peerjs/dist/peerjs.min.js'), 'text/javascript'],
};

export const haveSkymesh = () => fs.existsSync(FILES['/bench/lib/skymesh.js'][0]) && fs.existsSync(FILES['/bench/lib/skymesh.wasm'][0]);

// A fresh context (empty cache) with one blank page at origin/bench/blank.html;
// initScript (a function) runs in the page before anything else.
export async function newPage(browser, origin, initScript = null) {
  const ctx = await browser.newContext();
  if (initScript) await ctx.addInitScript(initScript);
  const page = await ctx.newPage();
  await page.route(`${origin}bench/**`, (route) => {
    const u = new URL(route.request().url());
    if (u.pathname === '/bench/blank.html') return route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><meta charset="utf-8"><title>bench</title><body></body>' });
    const f = FILES[u.pathname];
    if (f && fs.existsSync(f[0])) return route.fulfill({ status: 200, contentType: f[1], body: fs.readFileSync(f[0]) });
    return route.fulfill({ status: 404, body: 'not found' });
  });
  await page.goto(`${origin}bench/blank.html`);
  await page.addScriptTag({ content: `window.benchRawPair = ${rawPair.toString()};` });
  return { ctx, page };
}

// In-page, as window.benchRawPair(): two RTCPeerConnections wired to each other
// directly (no signaling server), one ordered channel open at both ends:
// resolves {pc1, pc2, a (pc1's end), b (pc2's)}.
async function rawPair() {
  const timeout = (p, ms, what) => Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error(`${what} timed out`)), ms))]);
  const pc1 = new RTCPeerConnection({ iceServers: [] });
  const pc2 = new RTCPeerConnection({ iceServers: [] });
  pc1.onicecandidate = (e) => e.candidate && pc2.addIceCandidate(e.candidate).catch(() => {});
  pc2.onicecandidate = (e) => e.candidate && pc1.addIceCandidate(e.candidate).catch(() => {});
  const a = pc1.createDataChannel('skymesh', { ordered: true });
  const bP = new Promise((r) => { pc2.ondatachannel = (e) => r(e.channel); });
  await pc1.setLocalDescription(await pc1.createOffer());
  await pc2.setRemoteDescription(pc1.localDescription);
  await pc2.setLocalDescription(await pc2.createAnswer());
  await pc1.setRemoteDescription(pc2.localDescription);
  const b = await timeout(bP, 10000, 'raw channel');
  await timeout(new Promise((r) => { if (a.readyState === 'open') r(); else a.onopen = r; }), 10000, 'raw open');
  if (b.readyState !== 'open') await new Promise((r) => { b.onopen = r; });
  return { pc1, pc2, a, b };
}

// In the page: loads a script by URL.
export function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src; s.onload = resolve; s.onerror = () => reject(new Error(`load ${src}`));
    document.head.appendChild(s);
  });
}

// Client benchmarks in Chromium (Debian's /usr/bin/chromium via playwright-core):
//   startup  a fresh browser context (empty cache) per repetition; from inserting the
//            <script> to init complete: skymesh (dist/skymesh.js + .wasm, init until
//            readyStateChange COMPLETED) against PeerJS 1.5.5 (peerjs.min.js, new Peer
//            until 'open' from the PeerJS server). Both scripts are served the same
//            way (from disk through the browser's request routing), so transport is
//            equal; the signaling servers are real.
//   channel  two peers in one page: round-trip latency of a small chat message and
//            throughput of 200 KB chat messages (8 in flight): skymesh (two Skyway
//            instances through the skymesh server) against raw RTCDataChannel (two
//            RTCPeerConnections wired directly, the same chat JSON as 64 KiB binary
//            frames under bufferedAmount flow control resumed by `bufferedamountlow`).
//   --only startup|channel runs one of the two.
// Prints one BENCH_RESULT line; nothing asserts.
import fs from 'node:fs';
import { startSkymeshServer, startPeerjsServer } from './lib/servers.mjs';
import { parseArgs, emit, log, withTimeout } from './lib/util.mjs';
import { CHROMIUM, LAUNCH_ARGS, newPage, loadScript, haveSkymesh as skymeshBuilt } from './lib/chromium-page.mjs';
import { summary, pairRatios, pairDiffs, latencySummary } from './lib/stats.mjs';

const args = parseArgs();
const QUICK = !!args.quick;
const CFG = {
  reps: Number(args.reps || (QUICK ? 1 : 5)),
  rtts: QUICK ? 100 : 500,
  rttWarm: QUICK ? 20 : 50,
  tputMessage: 200000,
  tputMessages: Number(args.messages || (QUICK ? 10 : 100)),
  tputWindow: 8,
  rawFrame: Number(args.rawFrame || 65536),
};
setTimeout(() => { log('hard timeout, exiting'); process.exit(3); }, Number(args.timeout || (QUICK ? 50000 : 240000))).unref();

// ---- in-page code (serialised by playwright) ----

async function pageStartupSkymesh() {
  const t0 = performance.now();
  await new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = '/bench/lib/skymesh.js'; s.onload = resolve; s.onerror = reject;
    document.head.appendChild(s);
  });
  const tLoad = performance.now();
  const x = new window.Skyway();
  if (x.ready) await x.ready;
  const tReady = performance.now();
  await new Promise((resolve, reject) => {
    x.on('readyStateChange', (st, err) => { if (st === 2) resolve(); else if (st === -1) reject(new Error(JSON.stringify(err))); });
    x.init({ appKey: 'bench', roomServer: `${location.origin}/` });
  });
  const tInit = performance.now();
  return { loadMs: tLoad - t0, instantiateMs: tReady - tLoad, initMs: tInit - tReady, totalMs: tInit - t0 };
}

async function pageStartupPeerjs(port) {
  const t0 = performance.now();
  await new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = '/bench/lib/peerjs.min.js'; s.onload = resolve; s.onerror = reject;
    document.head.appendChild(s);
  });
  const tLoad = performance.now();
  const Peer = window.Peer || (window.peerjs && window.peerjs.Peer);
  await new Promise((resolve, reject) => {
    const p = new Peer({ host: '127.0.0.1', port, path: '/', key: 'peerjs', debug: 0 });
    p.on('open', resolve);
    p.on('error', (e) => reject(new Error(String(e))));
  });
  const tInit = performance.now();
  return { loadMs: tLoad - t0, initMs: tInit - tLoad, totalMs: tInit - t0 };
}

// Runs in the page: latency then throughput over the given pair of endpoints.
async function pageChannel({ kind, cfg }) {
  const now = () => performance.now();
  const timeout = (p, ms, what) => Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error(`${what} timed out`)), ms))]);
  let sendA; let setReplyA; let sendBig; let setOnBig; let close;
  if (kind === 'raw') {
    const { pc1, pc2, a, b } = await window.benchRawPair();
    let reply = null;
    b.onmessage = (ev) => { const m = JSON.parse(ev.data); b.send(JSON.stringify({ type: 'chat', content: m.content })); };
    a.onmessage = () => { const w = reply; reply = null; w && w(); };
    sendA = (t) => a.send(JSON.stringify({ type: 'chat', content: t }));
    setReplyA = (f) => { reply = f; };
    // bulk, as a careful application would: the same chat JSON UTF-8 encoded once
    // into binary frames of cfg.rawFrame bytes (first byte: 1 on a message's last
    // frame, else 0), sent while bufferedAmount < 1 MiB, resumed on
    // `bufferedamountlow` (threshold 256 KiB); the receiver joins the frames,
    // decodes once and parses the JSON.
    const HIGH = 1 << 20; const queue = []; let waiting = false;
    a.binaryType = 'arraybuffer'; b.binaryType = 'arraybuffer';
    a.bufferedAmountLowThreshold = 256 * 1024;
    const pump = () => {
      waiting = false;
      while (queue.length && a.bufferedAmount < HIGH) a.send(queue.shift());
      if (queue.length) waiting = true;
    };
    a.onbufferedamountlow = () => { if (waiting) pump(); };
    const enc = new TextEncoder(); const dec = new TextDecoder();
    let big = null; let id = 0;
    sendBig = (text) => {
      const bytes = enc.encode(JSON.stringify({ type: 'chat', id: id++, content: text }));
      const body = cfg.rawFrame - 1;
      for (let off = 0; off < bytes.length; off += body) {
        const n = Math.min(body, bytes.length - off);
        const f = new Uint8Array(n + 1);
        f[0] = off + n >= bytes.length ? 1 : 0;
        f.set(bytes.subarray(off, off + n), 1);
        queue.push(f);
      }
      if (!waiting) pump();
    };
    let parts = []; let size = 0;
    setOnBig = (f) => { big = f; };
    const echo = b.onmessage;
    b.onmessage = (ev) => {
      if (!big) return echo(ev);
      const f = new Uint8Array(ev.data);
      parts.push(f.subarray(1)); size += f.length - 1;
      if (f[0] === 1) {
        const whole = new Uint8Array(size); let at = 0;
        for (const p of parts) { whole.set(p, at); at += p.length; }
        parts = []; size = 0;
        if (JSON.parse(dec.decode(whole)).content.length === cfg.tputMessage) big();
      }
    };
    close = () => { pc1.close(); pc2.close(); };
  } else {
    const room = `chromium-${Math.random().toString(36).slice(2)}`;
    const a = new window.Skyway(); const b = new window.Skyway();
    if (a.ready) await Promise.all([a.ready, b.ready]);
    const opened = new Set();
    let bId = null;
    const bothOpen = new Promise((r) => {
      a.on('dataChannelState', (st, id) => { if (st === 'open') { bId = id; opened.add('a'); if (opened.size === 2) r(); } });
      b.on('dataChannelState', (st) => { if (st === 'open') { opened.add('b'); if (opened.size === 2) r(); } });
    });
    for (const x of [a, b]) { x.init({ appKey: 'bench', roomServer: `${location.origin}/` }); x.joinRoom(room); }
    await timeout(bothOpen, 15000, 'skymesh channel open');
    let reply = null; let big = null;
    b.on('incomingMessage', (m, id, info, self) => {
      if (self) return;
      if (big && typeof m.content === 'string' && m.content.length === cfg.tputMessage) big();
      else if (!big) b.sendP2PMessage(m.content, id);
    });
    a.on('incomingMessage', (m, id, info, self) => { if (!self) { const w = reply; reply = null; w && w(); } });
    sendA = (t) => a.sendP2PMessage(t, bId);
    setReplyA = (f) => { reply = f; };
    sendBig = (t) => a.sendP2PMessage(t, bId);
    setOnBig = (f) => { big = f; };
    close = () => { for (const x of [a, b]) { try { x.close ? x.close() : x.leaveRoom(); } catch (e) { /* ignore */ } } };
  }
  const rtt = async (count) => {
    const s = [];
    for (let i = 0; i < count; i++) {
      const t = now();
      await timeout(new Promise((r) => { setReplyA(r); sendA(`ping ${i} hello from the benchmark`); }), 5000, 'rtt');
      s.push(now() - t);
    }
    return s;
  };
  await rtt(cfg.rttWarm);
  const samples = await rtt(cfg.rtts);
  const BIG = 'x'.repeat(cfg.tputMessage);
  let sent = 0; let got = 0; const total = cfg.tputMessages;
  const t0 = now();
  await timeout(new Promise((resolve) => {
    setOnBig(() => { got++; if (got === total) resolve(); else if (sent < total) { sent++; sendBig(BIG); } });
    while (sent < Math.min(cfg.tputWindow, total)) { sent++; sendBig(BIG); }
  }), 60000, 'throughput');
  const mbps = (total * cfg.tputMessage) / 1e6 / ((now() - t0) / 1000);
  close();
  return { samples, mbps };
}

async function main() {
  const result = { config: CFG, startup: { skymesh: [], peerjs: [] }, channel: { latency: { skymesh: [], raw: [] }, throughput: { skymesh: [], raw: [] } }, errors: [] };
  let chromium;
  try { ({ chromium } = await import('playwright-core')); } catch (e) { result.errors.push(`playwright-core: ${e.message}`); emit(result); return; }
  if (!fs.existsSync(CHROMIUM)) { result.errors.push(`${CHROMIUM} missing`); emit(result); return; }
  const haveSkymesh = skymeshBuilt();
  const sky = await startSkymeshServer({ rate: 1000000, burst: 1000000 });
  const pj = await startPeerjsServer({});
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS, headless: true });
  result.browserVersion = browser.version();
  try {
    // start-up
    const which = String(args.only || 'startup,channel').split(',');
    for (let rep = 0; which.includes('startup') && rep < CFG.reps; rep++) {
      for (const side of rep % 2 ? ['peerjs', 'skymesh'] : ['skymesh', 'peerjs']) {
        const { ctx, page } = await newPage(browser, sky.httpUrl);
        try {
          if (side === 'skymesh' && !haveSkymesh) throw new Error('dist/ not built');
          const r = side === 'skymesh'
            ? await withTimeout(page.evaluate(pageStartupSkymesh), 15000, 'skymesh startup')
            : await withTimeout(page.evaluate(pageStartupPeerjs, pj.port), 15000, 'peerjs startup');
          result.startup[side].push(r);
        } catch (e) { result.startup[side].push(null); result.errors.push(`startup ${side}: ${e.message}`); log(`startup ${side}: ${e.message}`); }
        await ctx.close();
      }
    }
    // channel
    for (let rep = 0; which.includes('channel') && rep < CFG.reps; rep++) {
      for (const kind of rep % 2 ? ['skymesh', 'raw'] : ['raw', 'skymesh']) {
        const { ctx, page } = await newPage(browser, sky.httpUrl);
        try {
          if (kind === 'skymesh') {
            if (!haveSkymesh) throw new Error('dist/ not built');
            await page.evaluate(loadScript, '/bench/lib/skymesh.js');
          }
          const r = await withTimeout(page.evaluate(pageChannel, { kind, cfg: CFG }), 90000, `chromium channel ${kind}`);
          result.channel.latency[kind].push(latencySummary(r.samples));
          result.channel.throughput[kind].push(r.mbps);
        } catch (e) {
          result.channel.latency[kind].push(null); result.channel.throughput[kind].push(NaN);
          result.errors.push(`channel ${kind}: ${e.message}`); log(`channel ${kind}: ${e.message}`);
        }
        await ctx.close();
      }
    }
  } finally {
    await browser.close().catch(() => {});
    await sky.stop(); await pj.stop();
  }
  const col = (arr, f) => arr.map((x) => (x ? f(x) : NaN));
  const L = result.channel.latency;
  result.summary = {
    startup: {
      skymeshTotalMs: summary(col(result.startup.skymesh, (x) => x.totalMs)),
      skymeshLoadMs: summary(col(result.startup.skymesh, (x) => x.loadMs)),
      skymeshInstantiateMs: summary(col(result.startup.skymesh, (x) => x.instantiateMs)),
      skymeshInitMs: summary(col(result.startup.skymesh, (x) => x.initMs)),
      peerjsTotalMs: summary(col(result.startup.peerjs, (x) => x.totalMs)),
      ratio: pairRatios(col(result.startup.skymesh, (x) => x.totalMs), col(result.startup.peerjs, (x) => x.totalMs)),
    },
    p50: { skymesh: summary(col(L.skymesh, (x) => x.p50)), raw: summary(col(L.raw, (x) => x.p50)), diff: pairDiffs(col(L.skymesh, (x) => x.p50), col(L.raw, (x) => x.p50)) },
    p99: { skymesh: summary(col(L.skymesh, (x) => x.p99)), raw: summary(col(L.raw, (x) => x.p99)), diff: pairDiffs(col(L.skymesh, (x) => x.p99), col(L.raw, (x) => x.p99)) },
    mbps: { skymesh: summary(result.channel.throughput.skymesh), raw: summary(result.channel.throughput.raw), ratio: pairRatios(result.channel.throughput.skymesh, result.channel.throughput.raw) },
  };
  const s = result.summary;
  log(`chromium start-up skymesh ${s.startup.skymeshTotalMs.median?.toFixed(1)} ms, peerjs ${s.startup.peerjsTotalMs.median?.toFixed(1)} ms; ` +
    `latency p50 skymesh ${s.p50.skymesh.median?.toFixed(3)} raw ${s.p50.raw.median?.toFixed(3)} ms; throughput skymesh ${s.mbps.skymesh.median?.toFixed(1)} raw ${s.mbps.raw.median?.toFixed(1)} MB/s ` +
    `(per repetition: ${(s.mbps.ratio.values || []).map((x) => x.toFixed(2)).join(' ')})`);
  emit(result);
}

main().then(() => process.exit(0), (e) => { log(e.stack || e); process.exit(1); });

// Client benchmarks in node, one WebRTC stack per process (--stack ndc|wrtc):
//   mesh        N peers (2, 4, 8) join one room until every pair's data channel is
//               open on both sides: skymesh (N Skyway instances) against the raw
//               baseline (bench/baseline-mesh.mjs), same server, same stack,
//               alternating which goes first, repetition by repetition, after an
//               untimed 2-peer mesh of each side (process start-up costs).
//   latency     round trip of a small chat message between two peers, sequential,
//               skymesh sendP2PMessage -> incomingMessage -> sendP2PMessage back,
//               against raw RTCDataChannel send of the same JSON -> echo.
//   throughput  200 KB chat messages, 8 in flight, skymesh sendP2PMessage against
//               raw RTCDataChannel best practice: the same chat JSON UTF-8 encoded
//               into 64 KiB binary frames under bufferedAmount flow control resumed
//               by `bufferedamountlow` (see rawThroughput); MB/s of content delivered.
// Prints one BENCH_RESULT line. Nothing here asserts.
import WebSocket from 'ws';
import path from 'node:path';
import fs from 'node:fs';
import { startSkymeshServer } from './lib/servers.mjs';
import { runBaselineMesh, closeMesh } from './baseline-mesh.mjs';
import { ROOT, parseArgs, emit, log, now, sleep, withTimeout } from './lib/util.mjs';
import { summary, pairRatios, pairDiffs, latencySummary } from './lib/stats.mjs';

const args = parseArgs();
const QUICK = !!args.quick;
const STACK = args.stack || 'ndc';
const CFG = {
  reps: Number(args.reps || (QUICK ? 1 : 5)),
  meshSizes: String(args.sizes || (QUICK ? '2,4' : '2,4,8')).split(',').map(Number),
  meshTimeoutMs: QUICK ? 8000 : 15000,
  rtts: QUICK ? 100 : 500,
  rttWarm: QUICK ? 20 : 50,
  tputMessage: 200000,
  tputMessages: Number(args.messages || (QUICK ? 10 : 150)),
  tputWindow: 8,
};
setTimeout(() => { log('hard timeout, exiting'); process.exit(3); }, Number(args.timeout || (QUICK ? 50000 : 300000))).unref();

const { RTCPeerConnection } = STACK === 'wrtc'
  ? (await import('@roamhq/wrtc')).default
  : await import('node-datachannel/polyfill');

const DIST = path.join(ROOT, 'dist/skymesh.node.mjs');
let Skyway = null;
let loadError = null;
if (fs.existsSync(DIST)) {
  try { Skyway = (await import(DIST)).default; } catch (e) { loadError = String(e.message || e); }
} else loadError = 'dist/skymesh.node.mjs not built';

// ---- skymesh helpers ----

function newSkyway() { return new Skyway({ WebSocket, RTCPeerConnection }); }

function closeSkyway(x) {
  try { if (typeof x.close === 'function') x.close(); else x.leaveRoom(); } catch {}
}

// N instances init + join at t0; resolves when all N*(N-1) channel ends are open.
async function skymeshMesh(server, n, room, timeoutMs) {
  const peers = [];
  const open = new Set();
  const want = n * (n - 1);
  let t0;
  const errors = [];
  const done = new Promise((resolve) => {
    for (let i = 0; i < n; i++) {
      const x = newSkyway();
      x.on('dataChannelState', (state, peerId) => {
        if (state === 'open') { open.add(`${i}:${peerId}`); if (open.size === want) resolve(now() - t0); }
      });
      x.on('readyStateChange', (st, err) => { if (st === -1) errors.push(err); });
      peers.push(x);
    }
  });
  // The module is loaded and instantiated before t0 (that is start-up, measured
  // separately): the clock covers what the baseline does, connect to mesh.
  await Promise.all(peers.map((x) => x.ready));
  t0 = now();
  for (const x of peers) {
    x.init({ appKey: 'bench', roomServer: server.httpUrl });
    x.joinRoom(room);
  }
  try {
    const ms = await withTimeout(done, timeoutMs, `skymesh mesh n=${n} (${open.size}/${want} channel ends open)`);
    return { ms, peers };
  } catch (e) {
    peers.forEach(closeSkyway);
    throw errors.length ? new Error(`${e.message}; ${JSON.stringify(errors[0])}`) : e;
  }
}

async function meshBench(server) {
  const out = {};
  // One untimed 2-peer mesh of each side first: the process's one-time costs (the
  // stack's global start-up — wrtc's factory and threads, the network enumeration —
  // and the JIT of shared JS such as ws) would otherwise fall on whichever side runs
  // first in repetition 0. skymesh's own per-instance costs stay in every timed run
  // (fresh instances each time).
  for (const side of ['raw', 'skymesh']) {
    try {
      if (side === 'raw') closeMesh((await runBaselineMesh({ wsUrl: server.wsUrl, n: 2, room: `warm-raw-${Date.now()}`, RTCPeerConnection, timeoutMs: CFG.meshTimeoutMs })).peers);
      else if (Skyway) (await skymeshMesh(server, 2, `warm-sky-${Date.now()}`, CFG.meshTimeoutMs)).peers.forEach(closeSkyway);
    } catch (e) { log(`mesh warm-up ${side}: ${e.message}`); }
    await sleep(300);
  }
  for (const n of CFG.meshSizes) {
    const sky = [];
    const raw = [];
    const errors = [];
    for (let rep = 0; rep < CFG.reps; rep++) {
      const order = rep % 2 ? ['raw', 'skymesh'] : ['skymesh', 'raw'];
      for (const side of order) {
        const room = `mesh-${n}-${rep}-${side}-${Date.now()}`;
        try {
          if (side === 'raw') {
            const { ms, peers } = await runBaselineMesh({ wsUrl: server.wsUrl, n, room, RTCPeerConnection, timeoutMs: CFG.meshTimeoutMs });
            raw.push(ms); closeMesh(peers);
          } else {
            if (!Skyway) throw new Error(loadError);
            const { ms, peers } = await skymeshMesh(server, n, room, CFG.meshTimeoutMs);
            sky.push(ms); peers.forEach(closeSkyway);
          }
        } catch (e) {
          (side === 'raw' ? raw : sky).push(NaN);
          errors.push(`${side}: ${e.message}`);
          log(`mesh n=${n} ${side} rep ${rep}: ${e.message}`);
        }
        await sleep(300);
      }
    }
    out[n] = { skymeshMs: summary(sky), rawMs: summary(raw), ratio: pairRatios(sky, raw), errors };
    log(`[${STACK}] mesh n=${n}: skymesh ${sky.map((x) => x.toFixed(0)).join(' ')} | raw ${raw.map((x) => x.toFixed(0)).join(' ')} ms`);
  }
  return out;
}

// ---- two connected peers, both ways ----

async function skymeshPair(server) {
  const room = `pair-${Date.now()}`;
  const { peers } = await skymeshMesh(server, 2, room, CFG.meshTimeoutMs);
  const [a, b] = peers;
  const idOf = (x) => (x.getPeerInfo()?.peerId) || null;
  // Peer ids: learn them from peerJoined events already fired; fall back to the
  // ids seen in dataChannelState.
  return { a, b, idOf, close: () => peers.forEach(closeSkyway) };
}

async function rawPair(server) {
  const { peers } = await runBaselineMesh({ wsUrl: server.wsUrl, n: 2, room: `rawpair-${Date.now()}`, RTCPeerConnection, timeoutMs: CFG.meshTimeoutMs });
  const [p, q] = peers;
  const a = [...p.pcs.values()][0].dc;
  const b = [...q.pcs.values()][0].dc;
  return { a, b, close: () => closeMesh(peers) };
}

// Sequential round trips: send, wait for the echo, repeat. Returns RTT samples (ms).
async function rttLoop(sendA, onReplyA, count) {
  const samples = [];
  for (let i = 0; i < count; i++) {
    const t = now();
    await withTimeout(new Promise((resolve) => { onReplyA(resolve); sendA(`ping ${i} hello from the benchmark`); }), 5000, 'rtt');
    samples.push(now() - t);
  }
  return samples;
}

async function rawLatency(pair) {
  const { a, b } = pair;
  let waiter = null;
  b.onmessage = (ev) => { const m = JSON.parse(ev.data); b.send(JSON.stringify({ type: 'chat', content: m.content })); };
  a.onmessage = () => { const w = waiter; waiter = null; w?.(); };
  const send = (text) => a.send(JSON.stringify({ type: 'chat', content: text }));
  await rttLoop(send, (r) => { waiter = r; }, CFG.rttWarm);
  return rttLoop(send, (r) => { waiter = r; }, CFG.rtts);
}

async function skymeshLatency(pair) {
  const { a, b } = pair;
  let waiter = null;
  let bId = null;
  const echo = (m, peerId, info, isSelf) => { if (!isSelf) b.sendP2PMessage(m.content, peerId); };
  const back = (m, peerId, info, isSelf) => { if (!isSelf) { bId = peerId; const w = waiter; waiter = null; w?.(); } };
  b.on('incomingMessage', echo);
  a.on('incomingMessage', back);
  // First message broadcast (one other peer) to learn B's id; then targeted.
  const send = (text) => (bId ? a.sendP2PMessage(text, bId) : a.sendP2PMessage(text));
  try {
    await rttLoop(send, (r) => { waiter = r; }, CFG.rttWarm);
    return await rttLoop(send, (r) => { waiter = r; }, CFG.rtts);
  } finally {
    // The throughput run reuses this pair: B must not echo its 200 KB messages
    // back (the raw side does not), or skymesh would move twice the bytes.
    b.off('incomingMessage', echo);
    a.off('incomingMessage', back);
  }
}

const BIG = 'x'.repeat(CFG.tputMessage);

// Windowed bulk transfer; `sendMsg(i)` sends message i, `onMsg(cb)` registers the
// receiver's per-message callback. Returns MB/s of content.
async function tputLoop(sendMsg, onMsg) {
  let sent = 0;
  let got = 0;
  const total = CFG.tputMessages;
  const t0 = now();
  await withTimeout(new Promise((resolve) => {
    onMsg(() => {
      got++;
      if (got === total) resolve();
      else if (sent < total) sendMsg(sent++);
    });
    while (sent < Math.min(CFG.tputWindow, total)) sendMsg(sent++);
  }), 60000, 'throughput');
  const s = (now() - t0) / 1000;
  return (total * CFG.tputMessage) / 1e6 / s;
}

// Raw, written as a careful application would: each message is the same chat
// JSON as skymesh carries ({"type":"chat","id":i,"content":BIG}), UTF-8 encoded
// once (TextEncoder) and sent as binary frames of RAW_FRAME bytes, the first
// byte of each frame saying whether more follow (0) or it is the last (1).
// Flow control: send while bufferedAmount < 1 MiB, then wait for the
// `bufferedamountlow` event (threshold 256 KiB); a stack without the event
// (none of ours: both node stacks fire it) would fall back to a 1 ms poll. The
// receiver joins the frames, decodes the UTF-8 once (TextDecoder) and parses
// the JSON: the same string content arrives as with skymesh.
const RAW_FRAME = Number(args.rawFrame || 65536);
const RAW_HIGH = 1 << 20;
const RAW_LOW = 256 * 1024;
async function rawThroughput(pair) {
  const { a, b } = pair;
  a.binaryType = 'arraybuffer';
  b.binaryType = 'arraybuffer';
  a.bufferedAmountLowThreshold = RAW_LOW;
  const hasEvent = 'onbufferedamountlow' in a;
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const queue = [];
  let waiting = false;
  const pump = () => {
    waiting = false;
    while (queue.length && a.bufferedAmount < RAW_HIGH) a.send(queue.shift());
    if (queue.length && !waiting) {
      waiting = true;
      if (!hasEvent) setTimeout(pump, 1);
    }
  };
  if (hasEvent) a.onbufferedamountlow = () => { if (waiting) pump(); };
  const sendMsg = (i) => {
    const bytes = enc.encode(JSON.stringify({ type: 'chat', id: i, content: BIG }));
    const body = RAW_FRAME - 1;
    for (let off = 0; off < bytes.length; off += body) {
      const n = Math.min(body, bytes.length - off);
      const f = new Uint8Array(n + 1);
      f[0] = off + n >= bytes.length ? 1 : 0;
      f.set(bytes.subarray(off, off + n), 1);
      queue.push(f);
    }
    if (!waiting) pump();
  };
  let parts = [];
  let size = 0;
  let cb = null;
  b.onmessage = (ev) => {
    const f = new Uint8Array(ev.data);
    parts.push(f.subarray(1));
    size += f.length - 1;
    if (f[0] === 1) {
      const whole = new Uint8Array(size);
      let at = 0;
      for (const p of parts) { whole.set(p, at); at += p.length; }
      parts = []; size = 0;
      const m = JSON.parse(dec.decode(whole));
      if (m.content.length === CFG.tputMessage) cb();
    }
  };
  return tputLoop(sendMsg, (f) => { cb = f; });
}

async function skymeshThroughput(pair, bId) {
  const { a, b } = pair;
  let cb = null;
  b.on('incomingMessage', (m, peerId, info, isSelf) => { if (!isSelf && typeof m.content === 'string' && m.content.length === CFG.tputMessage) cb(); });
  return tputLoop(() => a.sendP2PMessage(BIG, bId), (f) => { cb = f; });
}

async function channelBench(server) {
  const res = { latency: { skymesh: [], raw: [] }, throughput: { skymesh: [], raw: [] }, errors: [] };
  const runRaw = async (rep) => {
    try {
      const p = await rawPair(server);
      try {
        res.latency.raw.push(latencySummary(await rawLatency(p)));
        res.throughput.raw.push(await rawThroughput(p));
      } finally { p.close(); }
    } catch (e) { res.errors.push(`raw: ${e.message}`); log(`raw channel rep ${rep}: ${e.message}`); }
  };
  const runSkymesh = async (rep) => {
    try {
      if (!Skyway) throw new Error(loadError);
      const p = await skymeshPair(server);
      try {
        let bId = null;
        p.a.on('incomingMessage', (m, peerId, info, isSelf) => { if (!isSelf) bId = peerId; });
        res.latency.skymesh.push(latencySummary(await skymeshLatency(p)));
        res.throughput.skymesh.push(await skymeshThroughput(p, bId));
      } finally { p.close(); }
    } catch (e) { res.errors.push(`skymesh: ${e.message}`); log(`skymesh channel rep ${rep}: ${e.message}`); }
  };
  for (let rep = 0; rep < CFG.reps; rep++) {
    // Alternating which goes first, as the mesh runs do. A failed side records
    // NaN so the per-repetition ratios stay paired.
    for (const side of rep % 2 ? ['skymesh', 'raw'] : ['raw', 'skymesh']) {
      const n = res.throughput[side].length;
      await (side === 'raw' ? runRaw(rep) : runSkymesh(rep));
      if (res.throughput[side].length === n) res.throughput[side].push(NaN);
      if (res.latency[side].length === n) res.latency[side].push(null);
      await sleep(200);
    }
    log(`[${STACK}] rep ${rep}: throughput skymesh ${res.throughput.skymesh[rep]?.toFixed(1)} raw ${res.throughput.raw[rep]?.toFixed(1)} MB/s`);
  }
  const col = (side, f) => res.latency[side].map((x) => (x ? f(x) : NaN));
  res.summary = {
    p50: { skymesh: summary(col('skymesh', (x) => x.p50)), raw: summary(col('raw', (x) => x.p50)), diff: pairDiffs(col('skymesh', (x) => x.p50), col('raw', (x) => x.p50)) },
    p99: { skymesh: summary(col('skymesh', (x) => x.p99)), raw: summary(col('raw', (x) => x.p99)), diff: pairDiffs(col('skymesh', (x) => x.p99), col('raw', (x) => x.p99)) },
    mbps: { skymesh: summary(res.throughput.skymesh), raw: summary(res.throughput.raw), ratio: pairRatios(res.throughput.skymesh, res.throughput.raw) },
  };
  log(`[${STACK}] latency p50 skymesh ${res.summary.p50.skymesh.median?.toFixed(3)} raw ${res.summary.p50.raw.median?.toFixed(3)} ms; ` +
    `throughput skymesh ${res.summary.mbps.skymesh.median?.toFixed(1)} raw ${res.summary.mbps.raw.median?.toFixed(1)} MB/s`);
  return res;
}

async function main() {
  const server = await startSkymeshServer({ rate: 1000000, burst: 1000000, maxConnections: 20000 });
  const result = { stack: STACK, config: CFG, skymeshLoaded: !!Skyway, loadError };
  try {
    const which = String(args.only || 'mesh,channel').split(',');
    if (which.includes('mesh')) result.mesh = await meshBench(server);
    if (which.includes('channel')) result.channel = await channelBench(server);
  } finally {
    await server.stop();
  }
  emit(result);
}

main().then(() => process.exit(0), (e) => { log(e.stack || e); process.exit(1); });

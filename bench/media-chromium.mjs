// Time to first remote video frame in Debian's Chromium (issue 12), N = 2 and 4
// pages, each its own browser context with Chromium's fake camera, on the skymesh
// server's origin (http://127.0.0.1:PORT/: a secure context, so mediaDevices exist).
// N-1 pages join a room with video one after another (each until it renders the
// others' video); then the clock starts on the last page at its join and stops
// when it renders a frame of a remote video (requestVideoFrameCallback): the first
// remote peer's, and every remote peer's.
//   skymesh  init() complete before the clock; joinRoom(room, {video: true}) at t0
//            (getUserMedia, join, the handshakes the core makes); incomingStream
//            -> <video>.
//   raw      the same call in plain page code against the same server: the socket
//            open and hello -> welcome before the clock; at t0 getUserMedia({video:
//            true}), join, and the newcomer offers to every peer already in the room
//            with its track and one data channel, candidates queued until the remote
//            description, the answerer adds its track before answering: the wire
//            protocol bench/baseline-mesh.mjs speaks in node, by hand.
// Both sides alternate which goes first. Prints one BENCH_RESULT line; nothing asserts.
import fs from 'node:fs';
import { startSkymeshServer } from './lib/servers.mjs';
import { parseArgs, emit, log, withTimeout } from './lib/util.mjs';
import { CHROMIUM, LAUNCH_ARGS, newPage, loadScript, haveSkymesh } from './lib/chromium-page.mjs';
import { summary, pairRatios } from './lib/stats.mjs';

const args = parseArgs();
const QUICK = !!args.quick;
const CFG = {
  ns: QUICK ? [2] : [2, 4],
  reps: Number(args.reps || (QUICK ? 1 : 5)),
  frameTimeoutMs: 20000,
};
setTimeout(() => { log('hard timeout, exiting'); process.exit(3); }, Number(args.timeout || (QUICK ? 23000 : 240000))).unref();

const MEDIA_ARGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required'];

// ---- in-page code (an init script: defined in every page before it loads) ----

function installBench() {
  const B = window.bench = { t0: 0, firsts: {}, waiters: [] };
  // A <video> for a remote stream of peer id; its first rendered frame is noted once.
  B.show = (stream, id) => {
    if (B.firsts[id] !== undefined) return;
    B.firsts[id] = null;
    const v = document.createElement('video');
    v.muted = true; v.autoplay = true; v.playsInline = true;
    v.srcObject = stream;
    document.body.appendChild(v);
    const seen = () => {
      if (B.firsts[id]) return;
      B.firsts[id] = performance.now();
      B.waiters.forEach((w) => w());
    };
    if (v.requestVideoFrameCallback) v.requestVideoFrameCallback(seen);
    else v.addEventListener('timeupdate', () => { if (v.videoWidth > 0 && v.currentTime > 0) seen(); });
    v.play().catch(() => {});
  };
  // Resolves once n remote peers rendered a frame: {firstMs, allMs} since t0.
  B.frames = (n, ms) => new Promise((resolve, reject) => {
    const check = () => {
      const t = Object.values(B.firsts).filter((x) => x);
      if (t.length < n) return;
      resolve({ firstMs: Math.min(...t) - B.t0, allMs: Math.max(...t) - B.t0 });
    };
    B.waiters.push(check);
    check();
    setTimeout(() => reject(new Error(`${Object.values(B.firsts).filter((x) => x).length} of ${n} remote videos rendered after ${ms} ms`)), ms);
  });

  // The raw page: skymesh's wire protocol by hand (see bench/baseline-mesh.mjs).
  B.raw = {
    pcs: new Map(), // peerId -> {pc, queue, remoteSet}
    send(m) { this.ws.send(JSON.stringify(m)); },
    connect() {
      return new Promise((resolve, reject) => {
        const ws = this.ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/signaling`);
        ws.onopen = () => this.send({ type: 'hello', v: 1, appKey: 'bench' });
        ws.onerror = () => reject(new Error('raw: socket error'));
        ws.onmessage = (ev) => {
          const m = JSON.parse(ev.data);
          if (m.type === 'welcome') resolve();
          else this.onSignal(m).catch((e) => { this.error = this.error || e; });
        };
      });
    },
    async join(room) {
      this.stream = await navigator.mediaDevices.getUserMedia({ video: true });
      this.send({ type: 'join', room, userData: {} });
    },
    entry(id) {
      let e = this.pcs.get(id);
      if (e) return e;
      const pc = new RTCPeerConnection({ iceServers: [] });
      e = { pc, queue: [], remoteSet: false };
      this.pcs.set(id, e);
      pc.onicecandidate = (ev) => {
        if (ev.candidate && ev.candidate.candidate) {
          this.send({ type: 'candidate', to: id, candidate: ev.candidate.candidate,
            sdpMid: ev.candidate.sdpMid ?? '0', sdpMLineIndex: ev.candidate.sdpMLineIndex ?? 0 });
        }
      };
      pc.ontrack = (ev) => B.show(ev.streams[0] || new MediaStream([ev.track]), id);
      return e;
    },
    addTracks(e) { this.stream.getTracks().forEach((t) => e.pc.addTrack(t, this.stream)); },
    async remote(e, type, sdp) {
      await e.pc.setRemoteDescription({ type, sdp });
      e.remoteSet = true;
      for (const c of e.queue.splice(0)) await e.pc.addIceCandidate(c).catch(() => {});
    },
    async onSignal(m) {
      if (m.type === 'joined') {
        for (const p of m.peers) {
          const e = this.entry(p.peerId);
          this.addTracks(e);
          e.pc.createDataChannel('skymesh', { ordered: true });
          await e.pc.setLocalDescription(await e.pc.createOffer());
          this.send({ type: 'offer', to: p.peerId, sdp: e.pc.localDescription.sdp });
        }
      } else if (m.type === 'offer') {
        const e = this.entry(m.from);
        await this.remote(e, 'offer', m.sdp);
        this.addTracks(e); // takes the offer's video transceiver: one round trip
        await e.pc.setLocalDescription(await e.pc.createAnswer());
        this.send({ type: 'answer', to: m.from, sdp: e.pc.localDescription.sdp });
      } else if (m.type === 'answer') {
        await this.remote(this.entry(m.from), 'answer', m.sdp);
      } else if (m.type === 'candidate') {
        const e = this.entry(m.from);
        const c = { candidate: m.candidate, sdpMid: m.sdpMid, sdpMLineIndex: m.sdpMLineIndex };
        if (e.remoteSet) await e.pc.addIceCandidate(c).catch(() => {});
        else e.queue.push(c);
      }
    },
  };
}

// Before the clock: skymesh loaded and init() complete; raw: socket open, welcome in.
async function pageReady(kind) {
  if (kind === 'raw') return window.bench.raw.connect();
  const sky = window.bench.sky = new window.Skyway();
  await sky.ready;
  sky.on('incomingStream', (peerId, stream, isSelf) => { if (!isSelf) window.bench.show(stream, peerId); });
  await new Promise((resolve, reject) => {
    sky.on('readyStateChange', (s, e) => { if (s === 2) resolve(); else if (s === -1) reject(new Error(JSON.stringify(e))); });
    sky.init({ appKey: 'bench', roomServer: `${location.origin}/` });
  });
}

// The clock starts here: the join with video.
function pageJoin({ kind, room }) {
  const B = window.bench;
  B.t0 = performance.now();
  if (kind === 'raw') return B.raw.join(room).then(() => undefined);
  return new Promise((resolve, reject) => {
    B.sky.joinRoom(room, { video: true }, (err) => (err ? reject(new Error(String(err.message || err))) : resolve()));
  });
}

function pageFrames({ n, ms }) { return window.bench.frames(n, ms); }

// ---- node side ----

async function callOnce(browser, origin, kind, n) {
  const room = `media-${kind}-${n}-${Math.random().toString(36).slice(2)}`;
  const pages = [];
  try {
    for (let i = 0; i < n; i++) {
      const p = await newPage(browser, origin, installBench);
      pages.push(p);
      if (kind === 'skymesh') await p.page.evaluate(loadScript, '/bench/lib/skymesh.js');
      await withTimeout(p.page.evaluate(pageReady, kind), 15000, `${kind} page ready`);
      if (i === n - 1) break;
      // An earlier page: in the room, rendering everyone before it.
      await withTimeout(p.page.evaluate(pageJoin, { kind, room }), 15000, `${kind} join`);
      await p.page.evaluate(pageFrames, { n: i, ms: CFG.frameTimeoutMs });
    }
    const last = pages[n - 1].page;
    await withTimeout(last.evaluate(pageJoin, { kind, room }), 15000, `${kind} last join`);
    return await last.evaluate(pageFrames, { n: n - 1, ms: CFG.frameTimeoutMs });
  } finally {
    for (const p of pages) await p.ctx.close().catch(() => {});
  }
}

async function main() {
  const result = { config: CFG, runs: {}, errors: [] };
  let chromium;
  try { ({ chromium } = await import('playwright-core')); } catch (e) { result.errors.push(`playwright-core: ${e.message}`); emit(result); return; }
  if (!fs.existsSync(CHROMIUM)) { result.errors.push(`${CHROMIUM} missing`); emit(result); return; }
  if (!haveSkymesh()) { result.errors.push('dist/ not built'); emit(result); return; }
  const sky = await startSkymeshServer({ rate: 1000000, burst: 1000000 });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...LAUNCH_ARGS, ...MEDIA_ARGS], headless: true });
  result.browserVersion = browser.version();
  try {
    for (const n of CFG.ns) {
      const r = result.runs[n] = { skymesh: [], raw: [] };
      for (let rep = 0; rep < CFG.reps; rep++) {
        for (const kind of rep % 2 ? ['raw', 'skymesh'] : ['skymesh', 'raw']) {
          try {
            r[kind].push(await callOnce(browser, sky.httpUrl, kind, n));
          } catch (e) {
            r[kind].push(null);
            result.errors.push(`N=${n} ${kind}: ${e.message}`);
            log(`N=${n} ${kind}: ${e.message}`);
          }
        }
      }
    }
  } finally {
    await browser.close().catch(() => {});
    await sky.stop();
  }
  const col = (arr, k) => arr.map((x) => (x ? x[k] : NaN));
  result.summary = {};
  for (const [n, r] of Object.entries(result.runs)) {
    const s = result.summary[n] = {};
    for (const k of ['firstMs', 'allMs']) {
      s[k] = { skymesh: summary(col(r.skymesh, k)), raw: summary(col(r.raw, k)), ratio: pairRatios(col(r.skymesh, k), col(r.raw, k)) };
    }
    log(`N=${n}: first remote frame skymesh ${s.firstMs.skymesh.median?.toFixed(1)} ms, raw ${s.firstMs.raw.median?.toFixed(1)} ms; ` +
      `every remote video skymesh ${s.allMs.skymesh.median?.toFixed(1)} ms, raw ${s.allMs.raw.median?.toFixed(1)} ms`);
  }
  emit(result);
}

main().then(() => process.exit(0), (e) => { log(e.stack || e); process.exit(1); });

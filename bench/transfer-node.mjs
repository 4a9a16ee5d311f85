// Data-transfer throughput in node, one WebRTC stack per process (--stack ndc|wrtc):
// 64 MiB (--quick: 8 MiB) from one peer to another,
//   skymesh  sendBlobData(Buffer) -> incomingData (accepted at once): its binary
//            DATA frames (64 KiB), window and acknowledgements, in C/WASM;
//   raw      the same bytes on a plain RTCDataChannel of the same stack, as a
//            careful app would send them: 64 KiB binary frames while
//            bufferedAmount < 1 MiB, resumed on bufferedamountlow (or a 1 ms
//            poll where it is missing), the receiver copying them into one Buffer;
//   peerjs   PeerJS 1.5.5 on the PeerJS server, on the same stack (its classes as
//            globals): DataConnection (serialization 'binary') send(Buffer's
//            ArrayBuffer) -> 'data' (PeerJS packs, cuts it into 16,300-byte
//            chunks, and polls bufferedAmount every 50 ms above 8 MiB).
// Alternating which goes first, repetition by repetition; MB/s of content from
// the first send to the last byte received; the bytes checked (SHA-256) after
// the clock stops. Prints one BENCH_RESULT line. Nothing here asserts.
import WebSocket from 'ws';
import crypto from 'node:crypto';
import path from 'node:path';
import fs from 'node:fs';
import { startSkymeshServer, startPeerjsServer } from './lib/servers.mjs';
import { runBaselineMesh, closeMesh } from './baseline-mesh.mjs';
import { ROOT, parseArgs, emit, log, now, sleep, withTimeout } from './lib/util.mjs';
import { summary, pairRatios } from './lib/stats.mjs';

const args = parseArgs();
const QUICK = !!args.quick;
const STACK = args.stack || 'ndc';
const CFG = { reps: Number(args.reps || (QUICK ? 1 : 3)), bytes: (QUICK ? 8 : 64) * 1024 * 1024, frame: 65536 };
setTimeout(() => { log('hard timeout, exiting'); process.exit(3); }, Number(args.timeout || 120000)).unref();

const RTC = STACK === 'wrtc' ? (await import('@roamhq/wrtc')).default : await import('node-datachannel/polyfill');
const { RTCPeerConnection } = RTC;
// PeerJS reads its globals once, at import: this stack's, and a `ws` that does
// not throw on an 'error' nobody listens to (PeerJS sets only onclose).
class QuietWebSocket extends WebSocket {
  constructor(...a) { super(...a); this.on('error', () => {}); }
}
Object.assign(globalThis, { RTCPeerConnection, RTCSessionDescription: RTC.RTCSessionDescription, RTCIceCandidate: RTC.RTCIceCandidate, WebSocket: QuietWebSocket });
const Peer = await import('peerjs').then((m) => (m.default || m).Peer, () => null);
const DIST = path.join(ROOT, 'dist/skymesh.node.mjs');
const Skyway = fs.existsSync(DIST) ? (await import(DIST)).default : null;

const DATA = crypto.randomBytes(CFG.bytes);
const WANT = crypto.createHash('sha256').update(DATA).digest('hex');
const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');

// Two skymesh peers in one room with their channel open; resolves {a, b, bId}.
async function skymeshPair(server) {
  const room = `xfer-${Date.now()}`;
  const [a, b] = [0, 1].map(() => new Skyway({ WebSocket, RTCPeerConnection }));
  let bId = null;
  const open = new Promise((resolve) => {
    a.on('dataChannelState', (state, peerId) => { if (state === 'open') { bId = peerId; resolve(); } });
  });
  for (const x of [a, b]) {
    x.init({ appKey: 'bench', roomServer: server.httpUrl });
    x.joinRoom(room);
  }
  await withTimeout(open, 15000, 'skymesh pair');
  b.on('incomingDataRequest', (tid, from, info, self) => { if (!self) b.acceptDataTransfer(from, tid, true); });
  return { a, b, bId, close: () => { a.close(); b.close(); } };
}

async function skymeshOnce(server) {
  const p = await skymeshPair(server);
  try {
    const got = new Promise((resolve) => p.b.on('incomingData', (data, tid, from, info, self) => { if (!self) resolve(data); }));
    const t0 = now();
    p.a.sendBlobData(DATA, p.bId);
    const data = await withTimeout(got, 60000, 'skymesh transfer');
    const s = (now() - t0) / 1000;
    return { mbps: CFG.bytes / 1e6 / s, exact: sha(data) === WANT };
  } finally { p.close(); }
}

async function rawOnce(server) {
  const { peers } = await runBaselineMesh({ wsUrl: server.wsUrl, n: 2, room: `rawxfer-${Date.now()}`, RTCPeerConnection, timeoutMs: 15000 });
  try {
    const a = [...peers[0].pcs.values()][0].dc;
    const b = [...peers[1].pcs.values()][0].dc;
    a.binaryType = b.binaryType = 'arraybuffer';
    a.bufferedAmountLowThreshold = 256 * 1024;
    const out = Buffer.allocUnsafe(CFG.bytes);
    let received = 0;
    const done = new Promise((resolve) => {
      b.onmessage = (ev) => {
        const u = new Uint8Array(ev.data);
        out.set(u, received);
        received += u.length;
        if (received >= CFG.bytes) resolve();
      };
    });
    let offset = 0;
    const pump = () => {
      while (offset < CFG.bytes && a.bufferedAmount < 1 << 20) {
        const n = Math.min(CFG.frame, CFG.bytes - offset);
        a.send(DATA.subarray(offset, offset + n));
        offset += n;
      }
      if (offset < CFG.bytes) {
        let resumed = false;
        const resume = () => { if (!resumed) { resumed = true; a.onbufferedamountlow = null; pump(); } };
        a.onbufferedamountlow = resume;
        setTimeout(resume, 1);
      }
    };
    const t0 = now();
    pump();
    await withTimeout(done, 60000, 'raw transfer');
    const s = (now() - t0) / 1000;
    return { mbps: CFG.bytes / 1e6 / s, exact: sha(out) === WANT };
  } finally { closeMesh(peers); }
}

async function peerjsOnce(pj) {
  const uid = crypto.randomBytes(6).toString('hex');
  const mk = (id) => withTimeout(new Promise((resolve, reject) => {
    const p = new Peer(id, { host: '127.0.0.1', port: pj.port, path: '/', key: 'peerjs', secure: false, debug: 0, config: { iceServers: [] } });
    p.on('open', () => resolve(p));
    p.on('error', (e) => reject(new Error(`peerjs: ${e.type || e}`)));
  }), 10000, 'peerjs open');
  const pa = await mk(`xa${uid}`);
  const pb = await mk(`xb${uid}`).catch((e) => { pa.destroy(); throw e; });
  try {
    const cbP = new Promise((r) => pb.on('connection', (c) => c.on('open', () => r(c))));
    const ca = pa.connect(`xb${uid}`, { serialization: 'binary', reliable: true });
    await withTimeout(Promise.all([new Promise((r) => ca.on('open', r)), cbP]), 15000, 'peerjs connection open');
    const cb = await cbP;
    const got = new Promise((resolve) => cb.on('data', resolve));
    const t0 = now();
    ca.send(DATA.buffer.slice(DATA.byteOffset, DATA.byteOffset + DATA.length));
    const data = await withTimeout(got, 100000, 'peerjs transfer');
    const s = (now() - t0) / 1000;
    return { mbps: CFG.bytes / 1e6 / s, exact: sha(new Uint8Array(data)) === WANT };
  } finally { pa.destroy(); pb.destroy(); }
}

async function main() {
  const server = await startSkymeshServer({ rate: 1000000, burst: 1000000 });
  const pj = await startPeerjsServer({});
  const res = { stack: STACK, config: CFG, skymesh: [], raw: [], peerjs: [], inexact: [], errors: [] };
  const SIDES = ['skymesh', 'raw', 'peerjs'];
  try {
    for (let rep = 0; rep < CFG.reps; rep++) {
      for (const side of SIDES.slice(rep % 3).concat(SIDES.slice(0, rep % 3))) {
        try {
          if (side === 'skymesh' && !Skyway) throw new Error('dist/skymesh.node.mjs not built');
          if (side === 'peerjs' && !Peer) throw new Error('peerjs not installed');
          const r = side === 'raw' ? await rawOnce(server) : side === 'peerjs' ? await peerjsOnce(pj) : await skymeshOnce(server);
          res[side].push(r.mbps);
          if (!r.exact) res.inexact.push(`${side} rep ${rep}`);
        } catch (e) {
          res[side].push(NaN);
          res.errors.push(`${side}: ${e.message}`);
          log(`[${STACK}] transfer ${side} rep ${rep}: ${e.message}`);
        }
        await sleep(300);
      }
    }
  } finally { await server.stop(); await pj.stop(); }
  res.summary = {
    skymesh: summary(res.skymesh), raw: summary(res.raw), peerjs: summary(res.peerjs),
    ratio: pairRatios(res.skymesh, res.raw), ratioPeerjs: pairRatios(res.skymesh, res.peerjs),
  };
  log(`[${STACK}] ${CFG.bytes / 2 ** 20} MiB: ` + SIDES.map((k) => `${k} ${res[k].map((x) => x.toFixed(1)).join(' ')}`).join(' | ') + ' MB/s');
  emit(res);
}

main().then(() => process.exit(0), (e) => { log(e.stack || e); process.exit(1); });

// Data-transfer throughput in Debian's Chromium (playwright-core): 64 MiB (--quick:
// 4 MiB) between two peers in one page, each kind in a fresh context:
//   skymesh  sendBlobData(Blob) -> incomingData (accepted at once): the Blob is
//            read by 1 MiB slices as its chunks are due, sent as binary DATA
//            frames under skymesh's window, received as a Blob;
//   skymeshBytes  the same with the bytes already in memory (sendBlobData of
//            the Uint8Array), as raw and PeerJS send them;
//   raw      the same bytes on two directly wired RTCPeerConnections, as a
//            careful app sends them: 64 KiB binary frames from an ArrayBuffer
//            while bufferedAmount < 1 MiB, resumed on bufferedamountlow, copied
//            into one preallocated buffer on arrival;
//   peerjs   PeerJS 1.5.5 on the PeerJS server: DataConnection (serialization
//            'binary') send(ArrayBuffer) -> 'data' (PeerJS packs, cuts it into
//            16,300-byte chunks, and polls bufferedAmount every 50 ms above 8 MiB).
// The bytes are random, made in the page before the clock starts; MB/s of content
// from the send call to the whole file at the receiver; SHA-256 (crypto.subtle)
// compared after the clock stops. The kinds alternate which goes first, repetition
// by repetition. Prints one BENCH_RESULT line; nothing asserts.
import fs from 'node:fs';
import { startSkymeshServer, startPeerjsServer } from './lib/servers.mjs';
import { parseArgs, emit, log, withTimeout, sleep } from './lib/util.mjs';
import { CHROMIUM, LAUNCH_ARGS, newPage, loadScript, haveSkymesh } from './lib/chromium-page.mjs';
import { summary, pairRatios } from './lib/stats.mjs';

const args = parseArgs();
const QUICK = !!args.quick;
const CFG = { reps: Number(args.reps || (QUICK ? 1 : 3)), bytes: Number(args.mib || (QUICK ? 4 : 64)) * 1024 * 1024, frame: 65536 };
setTimeout(() => { log('hard timeout, exiting'); process.exit(3); }, Number(args.timeout || 180000)).unref();
// --quick (a smoke run under a minute in all) leaves out skymeshBytes.
const KINDS = QUICK ? ['skymesh', 'raw', 'peerjs'] : ['skymesh', 'skymeshBytes', 'raw', 'peerjs'];

// ---- in-page code (serialised by playwright) ----
async function pageTransfer({ kind, bytes, frame, pjPort }) {
  const now = () => performance.now();
  const timeout = (p, ms, what) => Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error(`${what} timed out`)), ms))]);
  const hex = async (buf) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', buf))].map((b) => b.toString(16).padStart(2, '0')).join('');
  const data = new Uint8Array(bytes);
  for (let at = 0; at < bytes; at += 65536) crypto.getRandomValues(data.subarray(at, Math.min(bytes, at + 65536)));
  const want = await hex(data);
  let send; let close;
  if (kind.startsWith('skymesh')) {
    const a = new window.Skyway(); const b = new window.Skyway();
    if (a.ready) await Promise.all([a.ready, b.ready]);
    let bId = null; const opened = new Set();
    const both = new Promise((r) => {
      a.on('dataChannelState', (st, id) => { if (st === 'open') { bId = id; opened.add('a'); if (opened.size === 2) r(); } });
      b.on('dataChannelState', (st) => { if (st === 'open') { opened.add('b'); if (opened.size === 2) r(); } });
    });
    const room = `xfer-${Math.random().toString(36).slice(2)}`;
    for (const x of [a, b]) { x.init({ appKey: 'bench', roomServer: `${location.origin}/` }); x.joinRoom(room); }
    await timeout(both, 15000, 'skymesh channel open');
    b.on('incomingDataRequest', (tid, from, info, self) => { if (!self) b.acceptDataTransfer(from, tid, true); });
    // skymesh: what a file input gives, bytes the page has not read (read by
    // slices); skymeshBytes: the same bytes already in memory, as raw sends them.
    const file = kind === 'skymesh' ? new Blob([data], { type: 'application/octet-stream' }) : data;
    send = () => new Promise((resolve) => {
      b.on('incomingData', (d, tid, from, info, self) => { if (!self) resolve(d); });
      a.sendBlobData(file, bId);
    });
    close = () => { for (const x of [a, b]) { try { x.close(); } catch (e) { /* ignore */ } } };
  } else if (kind === 'raw') {
    const { pc1, pc2, a, b } = await window.benchRawPair();
    a.binaryType = b.binaryType = 'arraybuffer';
    a.bufferedAmountLowThreshold = 256 * 1024;
    send = () => new Promise((resolve) => {
      const out = new Uint8Array(bytes); let got = 0;
      b.onmessage = (ev) => { const u = new Uint8Array(ev.data); out.set(u, got); got += u.length; if (got >= bytes) resolve(out); };
      let off = 0;
      const pump = () => {
        while (off < bytes && a.bufferedAmount < 1 << 20) { const n = Math.min(frame, bytes - off); a.send(data.subarray(off, off + n)); off += n; }
        a.onbufferedamountlow = off < bytes ? () => { a.onbufferedamountlow = null; pump(); } : null;
      };
      pump();
    });
    close = () => { pc1.close(); pc2.close(); };
  } else {
    const Peer = window.Peer || (window.peerjs && window.peerjs.Peer);
    const uid = Math.random().toString(36).slice(2);
    const mk = (id) => new Promise((resolve, reject) => {
      const p = new Peer(id, { host: '127.0.0.1', port: pjPort, path: '/', key: 'peerjs', debug: 0, config: { iceServers: [] } });
      p.on('open', () => resolve(p));
      p.on('error', (e) => reject(new Error(`peerjs: ${e.type || e}`)));
    });
    const pa = await timeout(mk(`xa${uid}`), 10000, 'peerjs open'); const pb = await timeout(mk(`xb${uid}`), 10000, 'peerjs open');
    const cbP = new Promise((r) => pb.on('connection', (c) => c.on('open', () => r(c))));
    const ca = pa.connect(`xb${uid}`, { serialization: 'binary', reliable: true });
    await timeout(Promise.all([new Promise((r) => ca.on('open', r)), cbP]), 10000, 'peerjs connection open');
    const cb = await cbP;
    send = () => new Promise((resolve) => {
      cb.on('data', (d) => resolve(d));
      ca.send(data.buffer);
    });
    close = () => { pa.destroy(); pb.destroy(); };
  }
  try {
    const t0 = now();
    const got = await timeout(send(), 120000, `${kind} transfer`);
    const ms = now() - t0;
    const buf = got instanceof Blob ? await got.arrayBuffer() : got;
    return { mbps: bytes / 1e6 / (ms / 1000), exact: buf.byteLength === bytes && (await hex(buf)) === want };
  } finally { close(); }
}

async function main() {
  const res = { config: CFG, skymesh: [], skymeshBytes: [], raw: [], peerjs: [], inexact: [], errors: [] };
  let chromium;
  try { ({ chromium } = await import('playwright-core')); } catch (e) { res.errors.push(`playwright-core: ${e.message}`); emit(res); return; }
  if (!fs.existsSync(CHROMIUM)) { res.errors.push(`${CHROMIUM} missing`); emit(res); return; }
  const sky = await startSkymeshServer({ rate: 1000000, burst: 1000000 });
  const pj = await startPeerjsServer({});
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS, headless: true });
  res.browserVersion = browser.version();
  try {
    for (let rep = 0; rep < CFG.reps; rep++) {
      const order = KINDS.slice(rep % KINDS.length).concat(KINDS.slice(0, rep % KINDS.length));
      for (const kind of order) {
        const { ctx, page } = await newPage(browser, sky.httpUrl);
        try {
          if (kind.startsWith('skymesh')) {
            if (!haveSkymesh()) throw new Error('dist/ not built');
            await page.evaluate(loadScript, '/bench/lib/skymesh.js');
          } else if (kind === 'peerjs') await page.evaluate(loadScript, '/bench/lib/peerjs.min.js');
          const r = await withTimeout(page.evaluate(pageTransfer, { kind, bytes: CFG.bytes, frame: CFG.frame, pjPort: pj.port }), 150000, `chromium ${kind}`);
          res[kind].push(r.mbps);
          if (!r.exact) res.inexact.push(`${kind} rep ${rep}`);
        } catch (e) {
          res[kind].push(NaN);
          res.errors.push(`${kind}: ${String(e.message).split('\n')[0]}`);
          log(`transfer ${kind} rep ${rep}: ${e.message}`);
        }
        await ctx.close();
        await sleep(200);
      }
    }
  } finally {
    await browser.close().catch(() => {});
    await sky.stop(); await pj.stop();
  }
  res.summary = {
    skymesh: summary(res.skymesh), skymeshBytes: summary(res.skymeshBytes), raw: summary(res.raw), peerjs: summary(res.peerjs),
    ratioRaw: pairRatios(res.skymesh, res.raw), ratioPeerjs: pairRatios(res.skymesh, res.peerjs),
    bytesRatioRaw: pairRatios(res.skymeshBytes, res.raw), bytesRatioPeerjs: pairRatios(res.skymeshBytes, res.peerjs),
  };
  log(`chromium ${CFG.bytes / 2 ** 20} MiB: ` + KINDS.map((k) => `${k} ${res[k].map((x) => x.toFixed(1)).join(' ')}`).join(' | ') + ' MB/s');
  emit(res);
}

main().then(() => process.exit(0), (e) => { log(e.stack || e); process.exit(1); });

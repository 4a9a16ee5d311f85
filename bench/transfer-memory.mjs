// Peak memory of a data transfer in node (node-datachannel's polyfill): 200 MiB
// (--quick: 16 MiB) from a sender process to a receiver process, each peer in its
// own process so each high-water mark is its own:
//   sender    a Buffer of random bytes -> sendBlobData(Buffer, peer, callback),
//             until the callback (every byte acknowledged); and, in runs of
//             their own, the same bytes from a file on disk as a Blob
//             (fs.openAsBlob, what a browser's File is), read by slices;
//   receiver  accepts at once, until incomingData (the Buffer the bytes went into).
// Per process, from /proc/self/status: VmRSS once in the room with the channel
// open (before the file exists: module, stack, connection), VmRSS with the file
// in memory (sender), and VmHWM, the peak, at the end; also the highest VmRSS
// sampled every 20 ms during the transfer. "Over the file" is peak - base - file
// size: what the transfer itself held beyond the one copy of the file each end
// must have. The bytes are checked (SHA-256) after the peak is read. Prints one
// BENCH_RESULT line; nothing asserts.
// Child mode: --child send|recv --url U --room R --bytes N [--file PATH] (prints CHILD_RESULT).
import WebSocket from 'ws';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startSkymeshServer } from './lib/servers.mjs';
import { ROOT, WORK, parseArgs, emit, log, now, sleep, withTimeout } from './lib/util.mjs';
import { summary } from './lib/stats.mjs';

const SELF = fileURLToPath(import.meta.url);
const args = parseArgs();
const QUICK = !!args.quick;
const CFG = { reps: Number(args.reps || (QUICK ? 1 : 3)), bytes: Number(args.mib || (QUICK ? 16 : 200)) * 1024 * 1024, stack: 'ndc' };
setTimeout(() => { log('hard timeout, exiting'); process.exit(3); }, Number(args.timeout || 150000)).unref();

function status() {
  const s = fs.readFileSync('/proc/self/status', 'utf8');
  const get = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)[1]);
  return { rss: get('VmRSS'), hwm: get('VmHWM') };
}

async function child(role) {
  const { RTCPeerConnection } = await import('node-datachannel/polyfill');
  const Skyway = (await import(path.join(ROOT, 'dist/skymesh.node.mjs'))).default;
  const bytes = Number(args.bytes);
  const x = new Skyway({ WebSocket, RTCPeerConnection });
  let peer = null;
  const open = new Promise((r) => x.on('dataChannelState', (st, id) => { if (st === 'open') { peer = id; r(); } }));
  x.init({ appKey: 'bench', roomServer: args.url });
  x.joinRoom(args.room);
  await withTimeout(open, 20000, `${role}: channel open`);
  const out = { base: status().rss };
  let peak = 0;
  const sampler = setInterval(() => { peak = Math.max(peak, status().rss); }, 20);
  if (role === 'send') {
    let data;
    if (args.file) {
      data = await fs.openAsBlob(args.file); // bytes stay on disk until read
    } else {
      data = crypto.randomBytes(bytes);
      out.sha = crypto.createHash('sha256').update(data).digest('hex');
    }
    out.withFile = status().rss;
    await withTimeout(new Promise((resolve, reject) => x.sendBlobData(data, peer, (err) => (err ? reject(new Error(err.message)) : resolve()))), 100000, 'send');
  } else {
    let t0 = 0;
    x.on('dataTransferState', (st) => { if (st === 'downloadStarted') t0 = now(); });
    x.on('incomingDataRequest', (tid, from, info, self) => { if (!self) x.acceptDataTransfer(from, tid, true); });
    const data = await withTimeout(new Promise((r) => x.on('incomingData', (d, tid, from, info, self) => { if (!self) r(d); })), 100000, 'receive');
    out.mbps = bytes / 1e6 / ((now() - t0) / 1000);
    clearInterval(sampler);
    Object.assign(out, { hwm: status().hwm, peak: Math.max(peak, status().rss) });
    out.sha = crypto.createHash('sha256').update(data).digest('hex');
    out.length = data.length;
  }
  clearInterval(sampler);
  if (!out.hwm) Object.assign(out, { hwm: status().hwm, peak: Math.max(peak, status().rss) });
  process.stdout.write(`CHILD_RESULT ${JSON.stringify(out)}\n`);
  await sleep(300); // the last acknowledgement / the sender's last frames
  x.close();
  process.exit(0);
}

function spawnChild(role, url, room, file) {
  const proc = spawn(process.execPath, [SELF, '--child', role, '--url', url, '--room', room, '--bytes', String(CFG.bytes), ...(file ? ['--file', file] : [])],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  proc.stdout.on('data', (d) => { text += d; });
  const result = new Promise((resolve, reject) => proc.on('exit', (code) => {
    const line = text.split('\n').find((l) => l.startsWith('CHILD_RESULT '));
    if (line) resolve(JSON.parse(line.slice('CHILD_RESULT '.length)));
    else reject(new Error(`${role} exited ${code} without a result`));
  }));
  return { proc, result };
}

async function main() {
  const server = await startSkymeshServer({ rate: 1000000, burst: 1000000 });
  const res = { config: CFG, runs: [], fileRuns: [], errors: [] };
  // The file the Blob runs send: random bytes written once, outside any measured process.
  fs.mkdirSync(WORK, { recursive: true });
  const file = path.join(WORK, `transfer-memory-${process.pid}.bin`);
  const fileData = crypto.randomBytes(CFG.bytes);
  fs.writeFileSync(file, fileData);
  const fileSha = crypto.createHash('sha256').update(fileData).digest('hex');
  try {
    for (let rep = 0; rep < CFG.reps; rep++) {
      for (const kind of rep % 2 ? ['file', 'buffer'] : ['buffer', 'file']) {
        const room = `mem-${rep}-${crypto.randomBytes(4).toString('hex')}`;
        const recv = spawnChild('recv', server.httpUrl, room);
        const send = spawnChild('send', server.httpUrl, room, kind === 'file' ? file : null);
        try {
          const [r, s] = await withTimeout(Promise.all([recv.result, send.result]), 130000, 'transfer');
          const want = kind === 'file' ? fileSha : s.sha;
          res[kind === 'file' ? 'fileRuns' : 'runs'].push({ sender: s, receiver: r, exact: r.sha === want && r.length === CFG.bytes });
        } catch (e) {
          res.errors.push(`${kind} rep ${rep}: ${e.message}`);
          log(`${kind} rep ${rep}: ${e.message}`);
          for (const c of [recv, send]) c.proc.kill('SIGKILL');
        }
        await sleep(300);
      }
    }
  } finally { await server.stop(); fs.rmSync(file, { force: true }); }
  const MiB = (kib) => kib / 1024;
  const sizeMiB = CFG.bytes / 2 ** 20;
  const col = (f) => res.runs.map(f);
  res.summary = {
    fileMiB: sizeMiB,
    sender: {
      baseMiB: summary(col((x) => MiB(x.sender.base))), withFileMiB: summary(col((x) => MiB(x.sender.withFile))),
      peakMiB: summary(col((x) => MiB(x.sender.hwm))), sampledMiB: summary(col((x) => MiB(x.sender.peak))),
      overFileMiB: summary(col((x) => MiB(x.sender.hwm - x.sender.base) - sizeMiB)),
    },
    receiver: {
      baseMiB: summary(col((x) => MiB(x.receiver.base))),
      peakMiB: summary(col((x) => MiB(x.receiver.hwm))), sampledMiB: summary(col((x) => MiB(x.receiver.peak))),
      overFileMiB: summary(col((x) => MiB(x.receiver.hwm - x.receiver.base) - sizeMiB)),
    },
    mbps: summary(col((x) => x.receiver.mbps)),
    inexact: res.runs.filter((x) => !x.exact).length,
    senderFile: {
      baseMiB: summary(res.fileRuns.map((x) => MiB(x.sender.base))),
      peakMiB: summary(res.fileRuns.map((x) => MiB(x.sender.hwm))), sampledMiB: summary(res.fileRuns.map((x) => MiB(x.sender.peak))),
      overBaseMiB: summary(res.fileRuns.map((x) => MiB(x.sender.hwm - x.sender.base))),
      mbps: summary(res.fileRuns.map((x) => x.receiver.mbps)),
      inexact: res.fileRuns.filter((x) => !x.exact).length,
    },
  };
  const s = res.summary;
  log(`${sizeMiB} MiB: sender of a file-backed Blob peak ${s.senderFile.peakMiB.median?.toFixed(0)} MiB (base ${s.senderFile.baseMiB.median?.toFixed(0)}); sender peak ${s.sender.peakMiB.median?.toFixed(0)} MiB (base ${s.sender.baseMiB.median?.toFixed(0)}), receiver peak ${s.receiver.peakMiB.median?.toFixed(0)} MiB (base ${s.receiver.baseMiB.median?.toFixed(0)})`);
  emit(res);
}

if (args.child) child(args.child).catch((e) => { log(e.stack || e); process.exit(1); });
else main().then(() => process.exit(0), (e) => { log(e.stack || e); process.exit(1); });

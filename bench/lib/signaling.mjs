// The two signaling servers under test, seen by a load generator: how each starts,
// how a peer connects and joins, and what a relayed message looks like. The only
// code that differs between skymesh-server and the PeerJS server (server-load.mjs,
// server-scale.mjs).
import WebSocket from 'ws';
import { randomBytes } from 'node:crypto';
import { RawWs, nextMessage } from './rawws.mjs';
import { startSkymeshServer, startPeerjsServer } from './servers.mjs';
import path from 'node:path';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { now, withTimeout, procCpuMs, WORK } from './util.mjs';

const WS_OPTS = { perMessageDeflate: false, handshakeTimeout: 10000 };

const skymesh = {
  name: 'skymesh',
  start: (max = 20000) => startSkymeshServer({ maxConnections: max, rate: 1000000, burst: 1000000, maxRooms: Math.max(20000, max) }),
  // Opens one peer; resolves { ws, id } once it is in `room`. localAddress: the
  // loopback address to connect from (one address has ~28,000 ephemeral ports).
  connect(server, room, localAddress) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(server.wsUrl, { ...WS_OPTS, localAddress });
      let id = null;
      const fail = (e) => { ws.removeAllListeners('message'); ws.terminate(); reject(e); };
      ws.on('error', fail);
      ws.on('close', () => reject(new Error('closed before joined')));
      ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', v: 1, appKey: 'bench' })));
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString());
        if (m.type === 'welcome') { id = m.peerId; ws.send(JSON.stringify({ type: 'join', room, userData: {} })); }
        else if (m.type === 'joined') { ws.removeAllListeners('message'); ws.removeAllListeners('close'); ws.on('message', () => {}); resolve({ ws, id }); }
        else if (m.type === 'error') fail(new Error(`server error ${m.code}: ${m.text || ''}`));
      });
    });
  },
  // The same, on the batching raw client used by the relay phase.
  async connectRaw(server, room) {
    const ws = await RawWs.connect(server.wsUrl);
    const isErr = (m) => m.type === 'error';
    let p = nextMessage(ws, (m) => m.type === 'welcome' || isErr(m));
    ws.send(JSON.stringify({ type: 'hello', v: 1, appKey: 'bench' }));
    const w = await p;
    if (isErr(w)) throw new Error(`hello: ${JSON.stringify(w)}`);
    p = nextMessage(ws, (m) => m.type === 'joined' || isErr(m));
    ws.send(JSON.stringify({ type: 'join', room, userData: {} }));
    const j = await p;
    if (isErr(j)) throw new Error(`join: ${JSON.stringify(j)}`);
    return { ws, id: w.peerId };
  },
  relay: (to, seq) => JSON.stringify({ type: 'candidate', to, candidate: `candidate:${seq} 1 udp 2122260223 127.0.0.1 50000 typ host generation 0`, sdpMid: '0', sdpMLineIndex: 0 }),
};

const peerjs = {
  name: 'peerjs',
  start: (max = 20000) => startPeerjsServer({ maxConnections: max }),
  connect(server, room, localAddress) {
    return new Promise((resolve, reject) => {
      const id = randomBytes(16).toString('hex');
      const token = randomBytes(8).toString('hex');
      const ws = new WebSocket(`${server.wsBase}?key=peerjs&id=${id}&token=${token}`, { ...WS_OPTS, localAddress });
      const fail = (e) => { ws.removeAllListeners('message'); ws.terminate(); reject(e); };
      ws.on('error', fail);
      ws.on('close', () => reject(new Error('closed before OPEN')));
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString());
        if (m.type === 'OPEN') { ws.removeAllListeners('message'); ws.removeAllListeners('close'); ws.on('message', () => {}); resolve({ ws, id }); }
        else if (m.type === 'ERROR' || m.type === 'ID-TAKEN') fail(new Error(`server error ${JSON.stringify(m.payload)}`));
      });
    });
  },
  async connectRaw(server) {
    const id = randomBytes(16).toString('hex');
    const ws = await RawWs.connect(`${server.wsBase}?key=peerjs&id=${id}&token=${randomBytes(8).toString('hex')}`);
    const m = await nextMessage(ws, () => true);
    if (m.type !== 'OPEN') throw new Error(`peerjs: ${JSON.stringify(m)}`);
    return { ws, id };
  },
  relay: (dst, seq) => JSON.stringify({ type: 'CANDIDATE', dst, payload: { candidate: { candidate: `candidate:${seq} 1 udp 2122260223 127.0.0.1 50000 typ host generation 0`, sdpMid: '0', sdpMLineIndex: 0 }, type: 'data', connectionId: 'dc_bench0000000000' } }),
};

export const ADAPTERS = { skymesh, peerjs };

const PORTS_PER_ADDRESS = 20000; // well under the ~28,000 ephemeral ports of one address

// `concurrency` workers open peers one after another into `peers` (rooms of
// roomSize) until n are open or deadlineMs has passed. spreadAddresses: connect
// from 127.0.0.1, 127.0.0.2, ... so more than ~28,000 peers fit.
export async function holdPeers(adapter, server, peers, { n, concurrency, deadlineMs, roomSize, roomPrefix, spreadAddresses = false }) {
  let failures = 0;
  let firstError = null;
  let next = 0;
  const t0 = now();
  const worker = async () => {
    while (next < n && now() - t0 < deadlineMs) {
      const i = next++;
      // An explicit source address makes the kernel pick the port at bind() time,
      // a search that slows with every port in use: only past the first address.
      const from = spreadAddresses && i >= PORTS_PER_ADDRESS ? `127.0.0.${1 + Math.floor(i / PORTS_PER_ADDRESS)}` : undefined;
      try {
        peers.push(await withTimeout(adapter.connect(server, `${roomPrefix}-${Math.floor(i / roomSize)}`, from), 15000, 'connect'));
      } catch (e) {
        failures++;
        firstError ??= String(e.message || e);
        if (failures > 50 && peers.length === 0) break;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { failures, firstError, rampMs: now() - t0 };
}

// The C join generator (bench/joingen.c, built by bench/run into bench/work/joingen).
export const JOINGEN = path.join(WORK, 'joingen');

// The same ramp as holdPeers, driven by bench/joingen.c: n peers with `concurrency`
// handshakes in flight, then held by that process until close(). Resolves once every
// attempt has ended to { ready, failures, firstError, rampMs, serverCpuMs,
// generatorCpuMs, held(), close() }: held() asks how many peers are still open,
// close() ends the process (and with it every held socket).
export async function holdPeersC(adapter, server, { n, concurrency, deadlineMs, roomSize, roomPrefix, spreadAddresses = false }) {
  const proc = spawn(JOINGEN, [adapter.name, '127.0.0.1', String(server.port), String(n), String(concurrency),
    String(roomSize), roomPrefix, String(deadlineMs), String(server.pid), String(spreadAddresses ? PORTS_PER_ADDRESS : 0)],
  { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const lines = [];
  let waiting = null;
  let buf = '';
  proc.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
    if (waiting && lines.length) { const w = waiting; waiting = null; w.resolve(lines.shift()); }
  });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  exited.then((code) => { if (waiting) { const w = waiting; waiting = null; w.reject(new Error(`joingen exited ${code}: ${stderr.slice(-500)}`)); } });
  const nextLine = (ms) => withTimeout(new Promise((resolve, reject) => {
    if (lines.length) resolve(lines.shift());
    else if (proc.exitCode !== null) reject(new Error(`joingen exited ${proc.exitCode}: ${stderr.slice(-500)}`));
    else waiting = { resolve, reject };
  }), ms, 'joingen');
  const close = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.stdin.end('exit\n');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
  };
  try {
    const r = JSON.parse(await nextLine(deadlineMs + 20000));
    return {
      ...r,
      held: async () => { proc.stdin.write('held\n'); return JSON.parse(await nextLine(10000)).held; },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

// Which join generator a section uses: `--join-generator node|c`; the C one when built.
export function joinGenerator(args) {
  return args['join-generator'] || (fs.existsSync(JOINGEN) ? 'c' : 'node');
}

export const JOIN_GENERATOR_TEXT = {
  c: 'bench/joingen.c: one C thread, epoll, raw WebSocket frames, `concurrency` handshakes in flight',
  node: 'node, ws package, one process, `concurrency` handshakes in flight',
};

// Ramps n peers up with the chosen generator and holds them. Either way resolves to
// { ready, failures, firstError, rampMs, serverCpuMs, generatorCpuMs, held(), close() }.
export async function rampPeers(generator, adapter, server, opts) {
  if (generator === 'c') return holdPeersC(adapter, server, opts);
  const peers = [];
  const cpu0 = procCpuMs(server.pid);
  const gen0 = process.cpuUsage();
  const { failures, firstError, rampMs } = await holdPeers(adapter, server, peers, opts);
  const gen = process.cpuUsage(gen0);
  return {
    ready: peers.length, failures, firstError, rampMs,
    serverCpuMs: procCpuMs(server.pid) - cpu0,
    generatorCpuMs: (gen.user + gen.system) / 1000,
    held: async () => peers.filter((p) => p.ws.readyState === WebSocket.OPEN).length,
    close: async () => { for (const p of peers) { try { p.ws.terminate(); } catch {} } },
  };
}

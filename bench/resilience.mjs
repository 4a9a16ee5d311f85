// Resilience in node (node-datachannel's polyfill), skymesh against PeerJS 1.5.5 on
// the PeerJS server (peer 1.0.2), side by side in one run. Reports, never asserts.
//
//   restart  The signaling server is SIGKILLed and, after a fixed outage, started
//            again on the same port (skymesh-server with the same --secret-file).
//            skymesh: 3 peers in a room; from the server being back (its "listening"
//            line) until every peer emitted signalingState 'resumed' (sendMessage
//            works again), and until every ordered pair has relayed a sendMessage
//            through the new server. PeerJS: 3 peers with data connections to each
//            other; PeerJS does not reconnect by itself, so, as a PeerJS app must,
//            the bench calls peer.reconnect() on every 'disconnected' (at once, as
//            PeerJS's own example does); from the server being back until every
//            peer's 'open' again, with the same id.
//   vanish   A peer in a child process is frozen with SIGSTOP (no FIN, no RST, no
//            goodbye: a laptop lid closed). skymesh: until both other peers report
//            peerLeft for it. PeerJS: until both other peers' DataConnection to it
//            emits 'close' (its only signal), or "none" within a cap (30 s). The
//            PeerJS groups are frozen together and watched while the skymesh
//            repetitions run, so the cap is paid once.
//   reset    One peer's signaling socket goes through a TCP proxy
//            (tests/helpers/proxy.mjs): reset (RST both ways) and new connections
//            refused for a fixed outage, then let through again. From the reset
//            (and from the path being back) until that peer is reconnected
//            (skymesh 'resumed' and server-relayed chat with it both ways again;
//            PeerJS 'open'). Throughout, every peer sends a p2p chat message to the
//            others every 100 ms; counts any lost or duplicated.
//
// Child modes (the frozen peers): --child skymesh|peerjs. Prints one BENCH_RESULT line.
import WebSocket from 'ws';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startSkymeshServer, startPeerjsServer } from './lib/servers.mjs';
import { ROOT, parseArgs, emit, log, now, sleep, withTimeout } from './lib/util.mjs';
import { summary } from './lib/stats.mjs';

const SELF = fileURLToPath(import.meta.url);
const args = parseArgs();
const QUICK = !!args.quick;
const CFG = {
  reps: Number(args.reps || (QUICK ? 1 : 3)),
  peers: 3,
  outageMs: Number(args.outage || (QUICK ? 1000 : 2000)),
  // how long a frozen PeerJS peer is watched for a DataConnection 'close'
  peerjsVanishCapMs: Number(args['vanish-cap'] || (QUICK ? 6000 : 30000)),
  skymeshVanishCapMs: 15000,
  chatEveryMs: 100,
  meshTimeoutMs: 10000, // set-up: data channels open (usually < 1.5 s; node-datachannel stalls ~1 s at times)
  recoverTimeoutMs: 20000,
  probeEveryMs: 25, // server-relayed probes: under the server's 50 messages/s per socket
};

const ndc = await import('node-datachannel/polyfill');
const { RTCPeerConnection } = ndc;

// `ws` throws on an 'error' event nobody listens to (a browser WebSocket does not);
// PeerJS sets only onclose, so its sockets get a listener here.
class QuietWebSocket extends WebSocket {
  constructor(...a) { super(...a); this.on('error', () => {}); }
}

const DIST = path.join(ROOT, 'dist/skymesh.node.mjs');
let Skyway = null;
let loadError = null;
if (fs.existsSync(DIST)) {
  try { Skyway = (await import(DIST)).default; } catch (e) { loadError = String(e.message || e); }
} else loadError = 'dist/skymesh.node.mjs not built';

// PeerJS reads its globals once, at import: set them first.
async function loadPeerjs() {
  Object.assign(globalThis, {
    RTCPeerConnection, RTCSessionDescription: ndc.RTCSessionDescription, RTCIceCandidate: ndc.RTCIceCandidate,
    WebSocket: QuietWebSocket,
  });
  const m = await import('peerjs');
  return (m.default || m).Peer;
}

const waitUntil = async (pred, ms, what) => {
  const t0 = now();
  for (;;) {
    const v = pred();
    if (v) return v;
    if (now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(5);
  }
};

const uid = () => crypto.randomBytes(4).toString('hex');

// Errors while setting a scenario up (before any fault is injected) are tagged:
// the repetition is then tried once more instead of being lost.
const asSetup = (e) => Object.assign(e instanceof Error ? e : new Error(String(e)), { setup: true });

// Every process this benchmark starts (servers, frozen children): killed when it
// exits, whichever way, so nothing is left behind (a stopped child least of all).
const procs = new Set();
const track = (proc) => { procs.add(proc); proc.once('exit', () => procs.delete(proc)); return proc; };
process.on('exit', () => { for (const p of procs) { try { p.kill('SIGKILL'); } catch {} } });
const skyServer = async (o) => { const s = await startSkymeshServer(o); track(s.proc); return s; };
const pjServer = async (o) => { const s = await startPeerjsServer(o); track(s.proc); return s; };

// ---------------------------------------------------------------- skymesh peers

const SKY_EVENTS = ['peerJoined', 'peerLeft', 'incomingMessage', 'dataChannelState', 'signalingState', 'channelRetry', 'readyStateChange'];

class SkyPeer {
  constructor(name, roomServer) {
    this.name = name;
    this.roomServer = roomServer;
    this.sky = new Skyway({ WebSocket, RTCPeerConnection });
    this.log = [];
    for (const ev of SKY_EVENTS) this.sky.on(ev, (...a) => this.log.push({ name: ev, args: a, t: now() }));
  }

  since(mark, name) { return this.log.slice(mark).filter((e) => e.name === name); }

  open() {
    const s = new Set();
    for (const e of this.log) {
      if (e.name !== 'dataChannelState') continue;
      if (e.args[0] === 'open') s.add(e.args[1]);
      if (e.args[0] === 'closed') s.delete(e.args[1]);
    }
    return s;
  }

  start(room) {
    return withTimeout(new Promise((resolve, reject) => {
      this.sky.init({ appKey: 'bench', roomServer: this.roomServer }, (err) => {
        if (err) return reject(new Error(`${this.name} init: ${JSON.stringify(err)}`));
        this.sky.joinRoom(room, { userData: { name: this.name } }, (e2, ok) => {
          if (e2) return reject(new Error(`${this.name} join: ${JSON.stringify(e2)}`));
          this.id = ok.peerId;
          resolve(this);
        });
      });
    }), 10000, `${this.name} init+join`);
  }

  close() { try { this.sky.close(); } catch {} }
}

async function skyRoom(urls, room) {
  const peers = urls.map((u, i) => new SkyPeer(`p${i + 1}`, u));
  try {
    await Promise.all(peers.map((p) => p.sky.ready));
    for (const p of peers) await p.start(room);
    await waitUntil(() => peers.every((p) => peers.every((q) => q === p || p.open().has(q.id))), CFG.meshTimeoutMs, 'skymesh mesh');
  } catch (e) { peers.forEach((p) => p.close()); throw asSetup(e); }
  return peers;
}

// ------------------------------------------------------------- p2p chatter
// Every CFG.chatEveryMs every peer sends `${from}:${seq}` to every other peer, one
// targeted send each: sendTo(from, to, text). A send that throws was refused by
// the API (counted as refused, not expected); got(to, text) on the receive side.

function chatter(names, sendTo) {
  const seq = new Map(names.map((n) => [n, 0]));
  const sent = new Map(); // "to<-from" -> Set(seq)
  const recv = new Map(); // "to<-from" -> Map(seq -> count)
  let refused = 0;
  let firstError = null;
  const timer = setInterval(() => {
    for (const from of names) {
      const s = seq.get(from);
      seq.set(from, s + 1);
      for (const to of names) {
        if (to === from) continue;
        try {
          sendTo(from, to, `${from}:${s}`);
          const k = `${to}<-${from}`;
          if (!sent.has(k)) sent.set(k, new Set());
          sent.get(k).add(s);
        } catch (e) { refused++; firstError ??= String(e.message || e); }
      }
    }
  }, CFG.chatEveryMs);
  return {
    got(to, text) {
      const m = /^(\w+):(\d+)$/.exec(String(text));
      if (!m) return;
      const k = `${to}<-${m[1]}`;
      if (!recv.has(k)) recv.set(k, new Map());
      const c = recv.get(k);
      c.set(Number(m[2]), (c.get(Number(m[2])) || 0) + 1);
    },
    stop() { clearInterval(timer); },
    // Waits (bounded) for every message sent to arrive, then counts.
    async tally(waitMs = 3000) {
      const count = () => {
        let lost = 0; let dup = 0; let total = 0;
        for (const [k, seqs] of sent) {
          const c = recv.get(k) || new Map();
          for (const s of seqs) {
            total++;
            const n = c.get(s) || 0;
            if (n === 0) lost++;
            if (n > 1) dup += n - 1;
          }
        }
        return { total, lost, dup, refused, ...(firstError ? { firstError } : {}) };
      };
      const t0 = now();
      while (count().lost && now() - t0 < waitMs) await sleep(50);
      return count();
    },
  };
}

function skyChatter(peers) {
  const byName = new Map(peers.map((p) => [p.name, p]));
  const c = chatter(peers.map((p) => p.name), (from, to, text) => byName.get(from).sky.sendP2PMessage(text, byName.get(to).id));
  for (const p of peers) {
    p.sky.on('incomingMessage', (m, from, info, isSelf) => { if (!isSelf && m.isDataChannel) c.got(p.name, m.content); });
  }
  return c;
}

// Every CFG.probeEveryMs each peer sends a sendMessage (server relay) probe; resolves
// to the time (ms after t0) by which every ordered pair in `pairs` ([from, to]) has
// seen at least one relayed probe.
async function relayProbes(peers, pairs, t0, ms) {
  const first = new Map();
  const handlers = peers.map((p) => {
    const h = (m, from, info, isSelf) => {
      if (isSelf || m.isDataChannel || typeof m.content !== 'string' || !m.content.startsWith('probe ')) return;
      const k = `${from}->${p.id}`;
      if (!first.has(k)) first.set(k, now());
    };
    p.sky.on('incomingMessage', h);
    return h;
  });
  const senders = [...new Set(pairs.map(([f]) => f))];
  let k = 0;
  const timer = setInterval(() => {
    k++;
    for (const p of senders) { try { p.sky.sendMessage(`probe ${k}`); } catch {} }
  }, CFG.probeEveryMs);
  try {
    await waitUntil(() => pairs.every(([f, t]) => first.has(`${f.id}->${t.id}`)), ms, 'server-relayed probes');
    return Math.max(...pairs.map(([f, t]) => first.get(`${f.id}->${t.id}`))) - t0;
  } finally {
    clearInterval(timer);
    peers.forEach((p, i) => p.sky.off('incomingMessage', handlers[i]));
  }
}

function killProc(proc, sig = 'SIGKILL') {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill(sig);
  });
}

// ------------------------------------------------------------- PeerJS peers

let Peer = null;

function pjPeer(id, port) {
  return new Promise((resolve, reject) => {
    const p = new Peer(id, { host: '127.0.0.1', port, path: '/', key: 'peerjs', secure: false, debug: 0, config: { iceServers: [] } });
    const t = setTimeout(() => { p.destroy(); reject(asSetup(new Error(`peerjs ${id}: no 'open'`))); }, 10000);
    p.log = [];
    p.on('open', (x) => { p.log.push({ name: 'open', t: now(), id: x }); clearTimeout(t); resolve(p); });
    p.on('disconnected', () => p.log.push({ name: 'disconnected', t: now() }));
    p.on('error', (e) => p.log.push({ name: 'error', t: now(), type: e.type }));
  });
}

// Reconnect on 'disconnected', as a PeerJS app must: at once, every time, until stop().
function pjAutoReconnect(p) {
  let on = true;
  let attempts = 0;
  const h = () => { if (!on) return; setTimeout(() => { if (on && !p.destroyed && p.disconnected) { attempts++; try { p.reconnect(); } catch {} } }, 0); };
  p.on('disconnected', h);
  return { stop() { on = false; p.off('disconnected', h); }, get attempts() { return attempts; } };
}

// Resolves with `allOpen`, or rejects at the time limit, or at once when a
// connection's RTCPeerConnection closed before its channel opened. PeerJS passes
// ICE candidates on as they come; node-datachannel sometimes refuses one that
// arrives before the remote description is applied ("Failed to handleCandidate"
// in PeerJS's log) and closes the connection, which then never opens.
async function pjOpenOrDead(allOpen, list, ms, label) {
  let settled = false;
  const dead = (async () => {
    while (!settled) {
      if (list().some((c) => !c.open && c.peerConnection && c.peerConnection.connectionState === 'closed')) {
        throw new Error(`${label}: a connection closed before it opened (node-datachannel refusing an early ICE candidate, most likely)`);
      }
      await sleep(20);
    }
  })();
  dead.catch(() => {});
  try { return await withTimeout(Promise.race([allOpen, dead]), ms, label); } finally { settled = true; }
}

// Data connections between every pair (the lower index connects), all open.
// Resolves to Map("a->b" -> DataConnection held by a).
async function pjMesh(peers) {
  const conns = new Map();
  const opened = [];
  const errors = [];
  const watch = (c) => {
    c.on('error', (e) => errors.push(`${e.type || ''} ${e.message || e}`.trim()));
    opened.push(new Promise((r) => c.on('open', r)));
  };
  for (const p of peers) {
    p.on('connection', (c) => {
      conns.set(`${p.id}->${c.peer}`, c);
      watch(c);
    });
  }
  for (let i = 0; i < peers.length; i++) {
    for (let j = i + 1; j < peers.length; j++) {
      const c = peers[i].connect(peers[j].id, { serialization: 'json', reliable: true });
      conns.set(`${peers[i].id}->${peers[j].id}`, c);
      watch(c);
    }
  }
  const want = peers.length * (peers.length - 1);
  try {
    await waitUntil(() => opened.length === want, CFG.meshTimeoutMs, 'peerjs connections offered');
    await pjOpenOrDead(Promise.all(opened), () => [...conns.values()], CFG.meshTimeoutMs, 'peerjs data connections open');
  } catch (e) {
    const open = [...conns.values()].filter((c) => c.open).length;
    const stuck = [...conns.values()].filter((c) => !c.open).map((c) => {
      const pc = c.peerConnection;
      return `${pc ? `ice ${pc.iceConnectionState}, pc ${pc.connectionState}, sig ${pc.signalingState}` : 'no pc'}, channel ${c.dataChannel?.readyState ?? 'none'}`;
    });
    throw asSetup(new Error(`${e.message} (${open} of ${conns.size} ends open; not open: ${[...new Set(stuck)].join(' / ')}${errors.length ? `; ${[...new Set(errors)].join('; ')}` : ''})`));
  }
  return conns;
}

function pjChatter(peers, conns) {
  const c = chatter(peers.map((p) => p.id), (from, to, text) => {
    const conn = conns.get(`${from}->${to}`);
    if (!conn.open) throw new Error('DataConnection not open');
    conn.send(text);
  });
  for (const [k, conn] of conns) {
    const me = k.split('->')[0];
    conn.on('data', (d) => c.got(me, d));
  }
  return c;
}

// ------------------------------------------------------------- children

async function childSkymesh() {
  const p = new SkyPeer(args.name || 'child', args.url);
  await p.sky.ready;
  await p.start(args.room);
  await waitUntil(() => p.open().size >= Number(args.expect), CFG.meshTimeoutMs, 'channels');
  process.stdout.write(`ready ${p.id}\n`);
  setInterval(() => {}, 1000);
}

async function childPeerjs() {
  Peer = await loadPeerjs();
  const p = await pjPeer(args.id, Number(args.port));
  const targets = String(args.connect).split(',');
  const errors = [];
  const conns = [];
  await pjOpenOrDead(Promise.all(targets.map((t) => new Promise((r) => {
    const c = p.connect(t, { serialization: 'json', reliable: true });
    conns.push(c);
    c.on('open', r);
    c.on('error', (e) => errors.push(`${e.type || ''} ${e.message || e}`.trim()));
  }))), () => conns, CFG.meshTimeoutMs, 'connections').catch((e) => { throw new Error(`${e.message}${errors.length ? `: ${errors.join('; ')}` : ''}`); });
  process.stdout.write(`ready ${p.id}\n`);
  setInterval(() => {}, 1000);
}

function spawnChild(childArgs) {
  const proc = track(spawn(process.execPath, [SELF, ...childArgs], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  proc.stderr.on('data', (d) => { out += d; });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { proc.kill('SIGKILL'); reject(asSetup(new Error(`child not ready: ${out.slice(-500)}`))); }, CFG.meshTimeoutMs + 10000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /^ready (\S+)$/m.exec(out);
      if (m) { clearTimeout(t); resolve({ proc, id: m[1] }); }
    });
    proc.on('exit', (code) => { clearTimeout(t); reject(asSetup(new Error(`child exited ${code}: ${out.slice(-500)}`))); });
  });
}

// ------------------------------------------------------------- 1. restart

async function restartSkymesh(secretFile, rep) {
  let server = await skyServer({ secretFile });
  const { port } = server;
  const url = server.httpUrl;
  let peers = [];
  try {
    peers = await skyRoom(Array(CFG.peers).fill(url), `restart-${rep}-${uid()}`);
    const ids = peers.map((p) => p.id);
    const mark = peers.map((p) => p.log.length);
    const chat = skyChatter(peers);
    await killProc(server.proc);
    await sleep(CFG.outageMs);
    server = await skyServer({ secretFile, port });
    const tBack = now();
    await waitUntil(() => peers.every((p, i) => p.since(mark[i], 'signalingState').some((e) => e.args[0] === 'resumed' || e.args[0] === 'restarted')),
      CFG.recoverTimeoutMs, 'every peer resumed');
    const resumedMs = Math.max(...peers.map((p, i) => p.since(mark[i], 'signalingState').find((e) => e.args[0] === 'resumed' || e.args[0] === 'restarted').t)) - tBack;
    const states = peers.map((p, i) => p.since(mark[i], 'signalingState').filter((e) => e.args[0] !== 'reconnecting').map((e) => e.args[0]));
    let sendOk = true;
    for (const p of peers) { try { p.sky.sendMessage('after resume'); } catch { sendOk = false; } }
    const pairs = peers.flatMap((a) => peers.filter((b) => b !== a).map((b) => [a, b]));
    const relayMs = await relayProbes(peers, pairs, tBack, CFG.recoverTimeoutMs);
    chat.stop();
    const lost = await chat.tally();
    // The backoff, seen from the server's side: when each attempt was made
    // (ms after the server was back; negative: it was still down), and how long
    // the attempt that succeeded took to resume.
    const retryAtMs = peers.map((p, i) => p.since(mark[i], 'channelRetry').map((e) => Math.round(e.t - tBack)));
    const attemptToResumedMs = peers.map((p, i) => {
      const ok = p.since(mark[i], 'signalingState').find((e) => e.args[0] === 'resumed' || e.args[0] === 'restarted');
      const last = p.since(mark[i], 'channelRetry').filter((e) => e.t <= ok.t).pop();
      return last ? ok.t - last.t : NaN;
    });
    return {
      resumedMs, relayMs, sendOkAtResumed: sendOk, states, retryAtMs, attemptToResumedMs,
      // everyone sees the room with the ids it had before (itself included)
      sameIds: peers.every((p) => JSON.stringify(Object.keys(p.sky.getPeersInRoom()).sort()) === JSON.stringify([...ids].sort())),
      retries: peers.map((p, i) => p.since(mark[i], 'channelRetry').length),
      churn: peers.reduce((n, p, i) => n + p.since(mark[i], 'peerJoined').length + p.since(mark[i], 'peerLeft').length, 0),
      chat: lost,
    };
  } finally {
    peers.forEach((p) => p.close());
    await server.stop();
  }
}

async function restartPeerjs(rep) {
  let server = await pjServer({ aliveTimeoutMs: 60000 });
  const { port } = server;
  const peers = [];
  const autos = [];
  try {
    for (let i = 0; i < CFG.peers; i++) peers.push(await pjPeer(`r${rep}p${i}x${uid()}`, port));
    const ids = peers.map((p) => p.id);
    const conns = await pjMesh(peers);
    const chat = pjChatter(peers, conns);
    const mark = peers.map((p) => p.log.length);
    for (const p of peers) autos.push(pjAutoReconnect(p));
    await killProc(server.proc);
    await sleep(CFG.outageMs);
    server = await pjServer({ aliveTimeoutMs: 60000, port });
    const tBack = now();
    await waitUntil(() => peers.every((p, i) => p.log.slice(mark[i]).some((e) => e.name === 'open')), CFG.recoverTimeoutMs, 'every PeerJS peer open again');
    const openMs = Math.max(...peers.map((p, i) => p.log.slice(mark[i]).find((e) => e.name === 'open').t)) - tBack;
    chat.stop();
    const lost = await chat.tally();
    return {
      openMs,
      sameIds: peers.every((p, i) => p.id === ids[i]),
      attempts: autos.map((a) => a.attempts),
      connectionsOpen: [...conns.values()].filter((c) => c.open).length,
      connections: conns.size,
      chat: lost,
    };
  } finally {
    autos.forEach((a) => a.stop());
    peers.forEach((p) => { try { p.destroy(); } catch {} });
    await server.stop();
  }
}

// ------------------------------------------------------------- 2. vanish

async function vanishSkymesh(server, rep) {
  const room = `vanish-${rep}-${uid()}`;
  let peers = [];
  let child = null;
  try {
    peers = await skyRoom([server.httpUrl, server.httpUrl], room);
    child = await spawnChild(['--child', 'skymesh', '--url', server.httpUrl, '--room', room, '--expect', '2', '--name', 'frozen']);
    await waitUntil(() => peers.every((p) => p.open().has(child.id)), CFG.meshTimeoutMs, 'channels to the child').catch((e) => { throw asSetup(e); });
    const mark = peers.map((p) => p.log.length);
    const t0 = now();
    child.proc.kill('SIGSTOP');
    await waitUntil(() => peers.every((p, i) => p.since(mark[i], 'peerLeft').some((e) => e.args[0] === child.id)), CFG.skymeshVanishCapMs, 'peerLeft for the frozen peer');
    const at = peers.map((p, i) => p.since(mark[i], 'peerLeft').find((e) => e.args[0] === child.id).t - t0);
    return { ms: Math.max(...at), first: Math.min(...at), reports: peers.map((p, i) => p.since(mark[i], 'peerLeft').filter((e) => e.args[0] === child.id).length) };
  } finally {
    if (child) await killProc(child.proc);
    peers.forEach((p) => p.close());
  }
}

// Sets up the groups, freezes them all at once and resolves to { done }: done
// resolves to one entry per group once every DataConnection to a frozen peer
// closed, or at the cap.
async function vanishPeerjsStart(groups) {
  const server = await pjServer({ aliveTimeoutMs: 60000 });
  const all = [];
  const children = [];
  try {
    for (let g = 0, tries = 0; g < groups; g++) {
      const obs = [await pjPeer(`v${g}a${uid()}`, server.port), await pjPeer(`v${g}b${uid()}`, server.port)];
      const closes = new Map();
      const conns = [];
      const ices = [];
      for (const p of obs) {
        p.on('connection', (c) => {
          conns.push(c);
          c.on('iceStateChanged', (st) => ices.push({ st, t: now() }));
          c.on('close', () => { if (!closes.has(p.id)) closes.set(p.id, now()); });
        });
      }
      let child = null;
      try {
        child = await spawnChild(['--child', 'peerjs', '--port', String(server.port), '--id', `v${g}f${uid()}`, '--connect', obs.map((p) => p.id).join(',')]);
        children.push(child);
        await pjOpenOrDead(waitUntil(() => conns.length === 2 && conns.every((c) => c.open), CFG.meshTimeoutMs, 'peerjs connections to the child'),
          () => conns, CFG.meshTimeoutMs, 'peerjs connections to the child');
      } catch (e) {
        // Up to two more tries for this group, as for the other scenarios' set-up.
        if (tries++ >= 2) throw e;
        result.errors.push(`vanish peerjs group ${g} set-up, tried again: ${String(e.message).split('\n')[0]}`);
        if (child) await killProc(child.proc);
        obs.forEach((p) => p.destroy());
        g--;
        continue;
      }
      all.push({ obs, closes, child, ices });
    }
  } catch (e) {
    for (const c of children) await killProc(c.proc);
    for (const g of all) g.obs.forEach((p) => p.destroy());
    await server.stop();
    throw e;
  }
  const t0 = now();
  for (const g of all) g.child.proc.kill('SIGSTOP');
  const done = (async () => {
    try {
      await waitUntil(() => all.every((g) => g.closes.size === 2), CFG.peerjsVanishCapMs, 'x').catch(() => {});
      return all.map((g) => ({ ms: g.closes.size === 2 ? Math.max(...g.closes.values()) - t0 : null, closed: g.closes.size, iceStates: [...new Set(g.ices.filter((e) => e.t >= t0).map((e) => e.st))] }));
    } finally {
      for (const g of all) { await killProc(g.child.proc); g.obs.forEach((p) => p.destroy()); }
      await server.stop();
    }
  })();
  return { done }; // not the promise itself: an async function would wait for it
}

// ------------------------------------------------------------- 3. reset

async function resetSkymesh(secretFile, startProxy, rep) {
  const server = await skyServer({ secretFile });
  const proxy = await startProxy(server.port);
  let peers = [];
  try {
    peers = await skyRoom([server.httpUrl, server.httpUrl, proxy.url], `reset-${rep}-${uid()}`);
    const c = peers[2];
    const mark = peers.map((p) => p.log.length);
    const chat = skyChatter(peers);
    await sleep(300);
    const t0 = now();
    proxy.pause();
    proxy.reset();
    await sleep(CFG.outageMs);
    proxy.resume();
    const tBack = now();
    await waitUntil(() => c.since(mark[2], 'signalingState').some((e) => e.args[0] === 'resumed' || e.args[0] === 'restarted'), CFG.recoverTimeoutMs, 'the cut peer resumed');
    const ev = c.since(mark[2], 'signalingState').find((e) => e.args[0] === 'resumed' || e.args[0] === 'restarted');
    const pairs = peers.filter((p) => p !== c).flatMap((p) => [[p, c], [c, p]]);
    const relayFromReset = await relayProbes(peers, pairs, t0, CFG.recoverTimeoutMs);
    await sleep(CFG.outageMs > 1500 ? 1000 : 500); // past the 1.5 s grace of the server's word
    chat.stop();
    const tally = await chat.tally();
    return {
      resumedFromResetMs: ev.t - t0, resumedFromBackMs: ev.t - tBack,
      relayFromResetMs: relayFromReset, relayFromBackMs: relayFromReset - (tBack - t0),
      state: ev.args[0],
      sameIds: peers.every((p) => JSON.stringify(Object.keys(p.sky.getPeersInRoom()).sort()) === JSON.stringify(peers.map((q) => q.id).sort())),
      retries: c.since(mark[2], 'channelRetry').length,
      churn: peers.reduce((n, p, i) => n + p.since(mark[i], 'peerJoined').length + p.since(mark[i], 'peerLeft').length, 0),
      chat: tally,
    };
  } finally {
    peers.forEach((p) => p.close());
    await proxy.close();
    await server.stop();
  }
}

async function resetPeerjs(startProxy, rep) {
  const server = await pjServer({ aliveTimeoutMs: 60000 });
  const proxy = await startProxy(server.port);
  const peers = [];
  let auto = null;
  try {
    peers.push(await pjPeer(`x${rep}a${uid()}`, server.port));
    peers.push(await pjPeer(`x${rep}b${uid()}`, server.port));
    peers.push(await pjPeer(`x${rep}c${uid()}`, proxy.port));
    const c = peers[2];
    const id = c.id;
    const conns = await pjMesh(peers);
    const chat = pjChatter(peers, conns);
    const mark = c.log.length;
    auto = pjAutoReconnect(c);
    await sleep(300);
    const t0 = now();
    proxy.pause();
    proxy.reset();
    await sleep(CFG.outageMs);
    proxy.resume();
    const tBack = now();
    await waitUntil(() => c.log.slice(mark).some((e) => e.name === 'open'), CFG.recoverTimeoutMs, 'the cut PeerJS peer open again');
    const t = c.log.slice(mark).find((e) => e.name === 'open').t;
    await sleep(CFG.outageMs > 1500 ? 1000 : 500);
    chat.stop();
    const tally = await chat.tally();
    return {
      openFromResetMs: t - t0, openFromBackMs: t - tBack, sameId: c.id === id, attempts: auto.attempts,
      connectionsOpen: [...conns.values()].filter((x) => x.open).length, connections: conns.size,
      chat: tally,
    };
  } finally {
    auto?.stop();
    peers.forEach((p) => { try { p.destroy(); } catch {} });
    await proxy.close();
    await server.stop();
  }
}

// ------------------------------------------------------------- main

const result = { config: CFG, skymeshLoaded: !!Skyway, loadError, stack: 'node-datachannel', errors: [] };
const raw = { restart: { skymesh: [], peerjs: [] }, vanish: { skymesh: [], peerjs: [] }, reset: { skymesh: [], peerjs: [] } };
result.raw = raw;

const col = (xs, f) => xs.map((x) => (x ? f(x) : NaN));
const sumChat = (xs) => xs.filter(Boolean).reduce((a, x) => ({ total: a.total + x.chat.total, lost: a.lost + x.chat.lost, dup: a.dup + x.chat.dup, refused: a.refused + x.chat.refused }), { total: 0, lost: 0, dup: 0, refused: 0 });

function summarise() {
  const r = raw.restart; const v = raw.vanish; const x = raw.reset;
  result.summary = {
    restart: {
      skymesh: {
        resumedMs: summary(col(r.skymesh, (y) => y.resumedMs)),
        relayMs: summary(col(r.skymesh, (y) => y.relayMs)),
        retries: summary(r.skymesh.filter(Boolean).flatMap((y) => y.retries)),
        attemptToResumedMs: summary(r.skymesh.filter(Boolean).flatMap((y) => y.attemptToResumedMs)),
        sameIds: r.skymesh.filter(Boolean).every((y) => y.sameIds),
        sendOkAtResumed: r.skymesh.filter(Boolean).every((y) => y.sendOkAtResumed),
        churn: r.skymesh.filter(Boolean).reduce((n, y) => n + y.churn, 0),
        chat: sumChat(r.skymesh),
      },
      peerjs: {
        openMs: summary(col(r.peerjs, (y) => y.openMs)),
        attempts: summary(r.peerjs.filter(Boolean).flatMap((y) => y.attempts)),
        sameIds: r.peerjs.filter(Boolean).every((y) => y.sameIds),
        chat: sumChat(r.peerjs),
      },
    },
    vanish: {
      skymesh: { ms: summary(col(v.skymesh, (y) => y.ms)), firstMs: summary(col(v.skymesh, (y) => y.first)) },
      peerjs: {
        ms: summary(v.peerjs.filter((y) => y.ms !== null).map((y) => y.ms)),
        none: v.peerjs.filter((y) => y.ms === null).length,
        of: v.peerjs.length,
        capMs: CFG.peerjsVanishCapMs,
        iceStates: [...new Set(v.peerjs.flatMap((y) => y.iceStates))],
      },
    },
    reset: {
      skymesh: {
        resumedFromResetMs: summary(col(x.skymesh, (y) => y.resumedFromResetMs)),
        resumedFromBackMs: summary(col(x.skymesh, (y) => y.resumedFromBackMs)),
        relayFromResetMs: summary(col(x.skymesh, (y) => y.relayFromResetMs)),
        relayFromBackMs: summary(col(x.skymesh, (y) => y.relayFromBackMs)),
        retries: summary(col(x.skymesh, (y) => y.retries)),
        churn: x.skymesh.filter(Boolean).reduce((n, y) => n + y.churn, 0),
        sameIds: x.skymesh.filter(Boolean).every((y) => y.sameIds),
        chat: sumChat(x.skymesh),
      },
      peerjs: {
        openFromResetMs: summary(col(x.peerjs, (y) => y.openFromResetMs)),
        openFromBackMs: summary(col(x.peerjs, (y) => y.openFromBackMs)),
        attempts: summary(col(x.peerjs, (y) => y.attempts)),
        sameIds: x.peerjs.filter(Boolean).every((y) => y.sameId),
        chat: sumChat(x.peerjs),
      },
    },
  };
}

async function attempt(list, label, fn) {
  for (let tries = 0; ; tries++) {
    try { list.push(await fn()); return; } catch (e) {
      if (e.setup && tries < 2) {
        result.errors.push(`${label} set-up, tried again: ${String(e.message || e).split('\n')[0]}`);
        log(`${label} set-up: ${e.message}; trying again`);
        continue;
      }
      list.push(null);
      result.errors.push(`${label}: ${String(e.message || e).split('\n')[0]}`);
      log(`${label}: ${e.message}`);
      return;
    }
  }
}

async function main() {
  const hard = Number(args.timeout || (QUICK ? 28000 : 150000));
  const t0 = now();
  setTimeout(() => {
    log('hard timeout: reporting what was measured');
    result.partial = true;
    summarise();
    emit(result);
    process.exit(0);
  }, hard).unref();

  if (!Skyway) result.errors.push(`skymesh: ${loadError}`);
  Peer = await loadPeerjs();
  const { startProxy } = await import(path.join(ROOT, 'tests/helpers/proxy.mjs'));
  const secretDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skymesh-bench-'));
  const secretFile = path.join(secretDir, 'secret');
  fs.writeFileSync(secretFile, crypto.randomBytes(32).toString('hex'));
  const which = String(args.only || 'restart,vanish,reset').split(',');
  try {
    if (which.includes('restart')) {
      for (let rep = 0; rep < CFG.reps; rep++) {
        for (const side of rep % 2 ? ['peerjs', 'skymesh'] : ['skymesh', 'peerjs']) {
          if (side === 'skymesh') await attempt(raw.restart.skymesh, `restart skymesh rep ${rep}`, () => restartSkymesh(secretFile, rep));
          else await attempt(raw.restart.peerjs, `restart peerjs rep ${rep}`, () => restartPeerjs(rep));
        }
      }
      log(`restart: skymesh resumed ${raw.restart.skymesh.map((y) => y?.resumedMs.toFixed(0)).join(' ')} relay ${raw.restart.skymesh.map((y) => y?.relayMs.toFixed(0)).join(' ')} ms | peerjs open ${raw.restart.peerjs.map((y) => y?.openMs.toFixed(0)).join(' ')} ms (${(now() - t0) / 1000 | 0} s)`);
    }
    if (which.includes('vanish')) {
      // PeerJS: all groups frozen at once and watched while skymesh's repetitions run.
      let pj = null;
      try { pj = await vanishPeerjsStart(CFG.reps); } catch (e) { result.errors.push(`vanish peerjs: ${e.message}`); log(`vanish peerjs: ${e.message}`); }
      const server = await skyServer({});
      try {
        for (let rep = 0; rep < CFG.reps; rep++) await attempt(raw.vanish.skymesh, `vanish skymesh rep ${rep}`, () => vanishSkymesh(server, rep));
      } finally { await server.stop(); }
      if (pj) raw.vanish.peerjs = await pj.done;
      log(`vanish: skymesh ${raw.vanish.skymesh.map((y) => y?.ms.toFixed(0)).join(' ')} ms | peerjs ${raw.vanish.peerjs.map((y) => (y.ms === null ? 'none' : y.ms.toFixed(0))).join(' ')} (${(now() - t0) / 1000 | 0} s)`);
    }
    if (which.includes('reset')) {
      for (let rep = 0; rep < CFG.reps; rep++) {
        for (const side of rep % 2 ? ['peerjs', 'skymesh'] : ['skymesh', 'peerjs']) {
          if (side === 'skymesh') await attempt(raw.reset.skymesh, `reset skymesh rep ${rep}`, () => resetSkymesh(secretFile, startProxy, rep));
          else await attempt(raw.reset.peerjs, `reset peerjs rep ${rep}`, () => resetPeerjs(startProxy, rep));
        }
      }
      log(`reset: skymesh resumed ${raw.reset.skymesh.map((y) => y?.resumedFromResetMs.toFixed(0)).join(' ')} ms after the reset | peerjs open ${raw.reset.peerjs.map((y) => y?.openFromResetMs.toFixed(0)).join(' ')} ms (${(now() - t0) / 1000 | 0} s)`);
    }
  } finally {
    fs.rmSync(secretDir, { recursive: true, force: true });
  }
  summarise();
  emit(result);
}

if (args.child === 'skymesh') childSkymesh().catch((e) => { log(e.stack || e); process.exit(1); });
else if (args.child === 'peerjs') childPeerjs().catch((e) => { log(e.stack || e); process.exit(1); });
else main().then(() => process.exit(0), (e) => { log(e.stack || e); process.exit(1); });

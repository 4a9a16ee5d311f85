// Shared helpers for the client suites: real skymesh peers (the built dist/
// module) in this node process, over loopback, with a real WebRTC stack.
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { startServer } from '../helpers/server.mjs';

const require = createRequire(import.meta.url);
const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '../..');

// SKYMESH_CLIENT: another build to test, e.g. dist/skymesh-chat.js (the chat suites).
export const Skyway = require(process.env.SKYMESH_CLIENT ? path.resolve(ROOT, process.env.SKYMESH_CLIENT) : '../../dist/skymesh.js');
export const { WebSocket } = require('ws');

// The WebRTC stacks every suite runs against.
export const STACKS = {
  'node-datachannel': () => require('node-datachannel/polyfill').RTCPeerConnection,
  wrtc: () => require('@roamhq/wrtc').RTCPeerConnection,
};

// Selected stacks: SKYMESH_STACKS=wrtc,node-datachannel (default: all).
export function stackNames() {
  const want = process.env.SKYMESH_STACKS ? process.env.SKYMESH_STACKS.split(',') : Object.keys(STACKS);
  return want.filter((s) => STACKS[s]);
}

// Resolves when pred() is true (checked on every event and every 20 ms), or
// rejects after ms with `what` and the last events, so a failure fails fast.
export function waitUntil(pred, what, ms = 15000, peers = []) {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const tick = () => {
      let v;
      try { v = pred(); } catch (e) { return reject(e); }
      if (v) return resolve(v);
      if (Date.now() - start > ms) {
        const short = (a) => (typeof a == 'string' ? a.slice(0, 6) : typeof a == 'object' ? '' : a);
        const logs = peers.map((p) => `${p.name}(${short(p.id)}): ${p.log.filter((e) => e.name !== 'peerConnectionState')
          .slice(-30).map((e) => [e.name, ...e.args.map(short)].join(':')).join(' ')}`).join('\n');
        return reject(new Error(`timed out after ${ms} ms waiting for ${what}\n${logs}`));
      }
      setTimeout(tick, 20);
    };
    tick();
  });
}

// Starts the real server (tests/helpers/server.mjs) with a stop() that does not
// wait for a slow graceful shutdown: SIGTERM, then SIGKILL after 2 s.
export async function startTestServer(args = []) {
  const server = await startServer(args);
  const stop = server.stop;
  server.stop = () => Promise.race([stop(), sleep(2000).then(() => { server.proc.kill('SIGKILL'); return 'SIGKILL'; })]);
  return server;
}

// A suite's last after(): if something native (a WebRTC stack's threads, a
// socket) still holds the process 5 s after the tests finished, say what and
// exit, so that a leak fails loudly instead of hanging the run. The timer is
// unref'd: it only fires when the process would otherwise hang.
export function exitWhenDone() {
  setTimeout(() => {
    const what = process._getActiveHandles().map((h) => (h._onTimeout ? `Timeout(${h._idleTimeout}ms ${String(h._onTimeout).slice(0, 60).replace(/\s+/g, ' ')})` : h.constructor.name));
    console.error(`client suite: process still held by ${what.join(', ')}; exiting`);
    process.exit(process.exitCode || 0);
  }, 5000).unref();
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const EVENTS = ['readyStateChange', 'peerJoined', 'peerUpdated', 'peerLeft', 'incomingMessage', 'roomLock',
  'dataChannelState', 'peerConnectionState', 'iceConnectionState', 'handshakeProgress', 'systemAction',
  'channelOpen', 'channelClose', 'channelError', 'channelRetry', 'signalingState', 'peerRestart',
  'incomingDataRequest', 'incomingData', 'dataTransferState'];

// One skymesh peer with every event recorded in order.
export class TestPeer {
  constructor(name, stack, server) {
    this.name = name;
    this.stack = stack;
    this.server = server;
    this.sky = new Skyway({ WebSocket, RTCPeerConnection: STACKS[stack]() });
    this.log = [];
    for (const ev of EVENTS) this.sky.on(ev, (...args) => this.log.push({ name: ev, args }));
  }

  get id() { return this.joined && this.joined.peerId; }

  events(name) { return this.log.filter((e) => e.name === name); }

  // Messages received from others (isSelf false), as [content, fromId, isPrivate, isDataChannel].
  received() {
    return this.events('incomingMessage').filter((e) => !e.args[3])
      .map((e) => [e.args[0].content, e.args[1], e.args[0].isPrivate, e.args[0].isDataChannel]);
  }

  // ids of remote peers currently in the room, by peerJoined/peerLeft.
  remotePeers() {
    const set = new Set();
    for (const e of this.log) {
      if (e.args[2] === true) continue;
      if (e.name === 'peerJoined') set.add(e.args[0]);
      if (e.name === 'peerLeft') set.delete(e.args[0]);
    }
    return set;
  }

  openChannels() {
    const set = new Set();
    for (const e of this.events('dataChannelState')) {
      if (e.args[0] === 'open') set.add(e.args[1]);
      if (e.args[0] === 'closed') set.delete(e.args[1]);
    }
    return set;
  }

  init(appKey = 'skymesh-test') {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.name}: init timed out`)), 10000);
      this.sky.init({ appKey, roomServer: this.server.url }, (err, ok) => {
        clearTimeout(t);
        if (err) reject(Object.assign(new Error(err.message), err)); else resolve(ok);
      });
    });
  }

  join(room, options = {}) {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.name}: join ${room} timed out`)), 10000);
      this.sky.joinRoom(room, options, (err, ok) => {
        clearTimeout(t);
        if (err) return reject(Object.assign(new Error(err.message), err));
        this.joined = ok;
        resolve(ok);
      });
    });
  }

  leave() {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.name}: leave timed out`)), 10000);
      this.sky.leaveRoom((err, ok) => {
        clearTimeout(t);
        if (err) reject(err); else resolve(ok);
      });
    });
  }

  close() { this.sky.close(); }
}

// Creates n peers named `${prefix}1..n`, sets their names, inits them.
export async function makePeers(n, stack, server, prefix = 'p') {
  const peers = [];
  for (let i = 1; i <= n; i++) peers.push(new TestPeer(`${prefix}${i}`, stack, server));
  await Promise.all(peers.map((p) => p.init()));
  return peers;
}

// Joins the peers one after another into room, with userData {name}, then
// waits until every pair has an open data channel.
export async function joinAll(peers, room, { together = false } = {}) {
  if (together) await Promise.all(peers.map((p) => p.join(room, { userData: { name: p.name } })));
  else for (const p of peers) await p.join(room, { userData: { name: p.name } });
  await waitMesh(peers);
}

export function waitMesh(peers, ms = 20000) {
  return waitUntil(() => peers.every((p) => peers.every((q) => q === p || p.openChannels().has(q.id))),
    'every data channel open', ms, peers);
}

// A peer in a child process (for abrupt exits). Resolves to
// { proc, id, kill(signal) } once it joined room with its channels open to `expect` peers.
export function spawnPeer({ server, stack, room, name, expect, accept = false }) {
  const args = [path.join(HERE, 'child-peer.mjs'), server.url, stack, room, name, String(expect)];
  if (accept) args.push('accept'); // accepts every data transfer
  const proc = spawn(process.execPath, args,
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stderr.on('data', (d) => { out += d; });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`child peer not ready:\n${out}`)); }, 25000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /^ready ([0-9a-f]+)$/m.exec(out);
      if (m) { clearTimeout(t); resolve({ proc, id: m[1], kill: (sig) => proc.kill(sig) }); }
    });
    proc.on('exit', (code) => { clearTimeout(t); reject(new Error(`child peer exited ${code}:\n${out}`)); });
  });
}

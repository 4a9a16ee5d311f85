// Hostile-client harness: a real skymesh-server, a control group of four honest
// peers that keep chatting through every attack, and attacker sockets (WebSocket
// or raw TCP). Each test file starts one server, one control group, and runs many
// attacks against them; at the end the server is stopped with SIGTERM and must exit
// 0 with a clean AddressSanitizer / LeakSanitizer / UBSan report.
//
// The control group: A1 and A2 sit in room CTL_A (the room attackers join when an
// attack needs a room), B1 and B2 sit in room CTL_B (a room attackers never join).
// Before and after every attack each control peer sends one broadcast and one
// directed `message` with a per-sender sequence number; its partner must receive
// every one exactly once and in order. Anything else a control peer receives
// (peer_joined, error, ...) is an "event" the attack test must claim explicitly
// (an attacker that really joined CTL_A is announced, that is legitimate); an
// unclaimed event fails the next check.
import assert from 'node:assert/strict';
import net from 'node:net';
import crypto from 'node:crypto';
import { test } from 'node:test';
import WebSocket from 'ws';
import { startServer } from '../helpers/server.mjs';

export const CTL_A = 'ctl-a';
export const CTL_B = 'ctl-b';
export const APP_KEY = 'hostile-key';
const DEFAULT_TIMEOUT = 4000;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- one socket
export class Peer {
  constructor(ws, label) {
    this.ws = ws;
    this.label = label;
    this.inbox = [];      // parsed messages not yet consumed
    this.waiters = [];    // { pred, resolve }
    this.listeners = [];  // fn(msg) -> true when it consumed msg
    this.closed = null;   // { code, reason } once closed
    this.peerId = null;
    this.limits = null;
    this.raw = [];        // frames that were not JSON (should never happen)
    this.tokens = [];     // resume tokens: session bookkeeping, never in the inbox
    this.closedPromise = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closed = { code, reason: reason.toString() };
        resolve(this.closed);
      });
    });
    ws.on('error', () => {}); // a hostile test expects closes; 'close' follows
    ws.on('message', (data, isBinary) => {
      let msg;
      try { msg = JSON.parse(data.toString()); } catch { this.raw.push({ data, isBinary }); return; }
      if (isBinary) msg.__binary = true;
      if (msg.type === 'token' && !isBinary) { this.tokens.push(msg); return; }
      for (const l of this.listeners) if (l(msg)) return;
      // Attackers sitting in the control room hear the control chatter: not theirs.
      if (msg.type === 'message' && msg.content && msg.content.ctl) return;
      const i = this.waiters.findIndex((w) => w.pred(msg));
      if (i >= 0) { const [w] = this.waiters.splice(i, 1); w.resolve(msg); return; }
      this.inbox.push(msg);
    });
  }

  static connect(url, { label = 'peer', headers, origin, timeoutMs = DEFAULT_TIMEOUT } = {}) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers, origin, handshakeTimeout: timeoutMs });
      const peer = new Peer(ws, label);
      const onErr = (e) => reject(new Error(`${label}: connect failed: ${e.message}`));
      ws.once('error', onErr);
      ws.once('unexpected-response', (req, res) => reject(new Error(`${label}: HTTP ${res.statusCode}`)));
      ws.once('open', () => { ws.off('error', onErr); resolve(peer); });
    });
  }

  get open() { return this.ws.readyState === WebSocket.OPEN; }

  send(obj) { this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj)); }
  // A raw frame: text unless binary is set; data may be a Buffer with invalid UTF-8.
  sendRaw(data, { binary = false, fin = true } = {}) {
    return new Promise((resolve) => this.ws.send(data, { binary, fin, compress: false }, () => resolve()));
  }

  // Resolves to the first message (queued or future) matching pred; removes it.
  next(pred = () => true, timeoutMs = DEFAULT_TIMEOUT, what = 'a message') {
    const i = this.inbox.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (m) => { clearTimeout(timer); resolve(m); } };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`${this.label}: timed out waiting for ${what}; inbox: ${JSON.stringify(this.inbox).slice(0, 600)}; closed: ${JSON.stringify(this.closed)}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }
  nextType(type, timeoutMs) { return this.next((m) => m.type === type, timeoutMs, `"${type}"`); }

  // Waits for an error with this code; asserts ref echo (when given) and fatality.
  async expectError(code, { ref, fatal, timeoutMs } = {}) {
    const m = await this.next((x) => x.type === 'error', timeoutMs, `error ${code}`);
    assert.equal(m.code, code, `${this.label}: expected error ${code}, got ${JSON.stringify(m)}`);
    if (ref !== undefined) assert.equal(m.ref, ref, `${this.label}: ref not echoed in ${JSON.stringify(m)}`);
    if (fatal !== undefined) assert.equal(Boolean(m.fatal), fatal, `${this.label}: fatal flag in ${JSON.stringify(m)}`);
    assert.equal(typeof m.message, 'string', `error without message text: ${JSON.stringify(m)}`);
    return m;
  }

  // The connection still works: a ping gets its pong, and nothing else is pending.
  async expectHealthy() {
    assert.ok(this.open, `${this.label}: connection closed: ${JSON.stringify(this.closed)}`);
    this.send({ type: 'ping', ref: 'health' });
    await this.nextType('pong');
    const stray = this.inbox.filter((m) => m.type !== 'pong');
    assert.deepEqual(stray, [], `${this.label}: unexpected messages`);
  }

  async hello(appKey = APP_KEY) {
    this.send({ type: 'hello', v: 1, appKey });
    const m = await this.next((x) => x.type === 'welcome' || x.type === 'error', DEFAULT_TIMEOUT, 'welcome');
    assert.equal(m.type, 'welcome', `${this.label}: hello refused: ${JSON.stringify(m)}`);
    this.peerId = m.peerId;
    this.limits = m.limits;
    return m;
  }

  async join(room, userData = {}) {
    this.send({ type: 'join', room, userData });
    const m = await this.next((x) => x.type === 'joined' || x.type === 'error', DEFAULT_TIMEOUT, 'joined');
    assert.equal(m.type, 'joined', `${this.label}: join ${room} refused: ${JSON.stringify(m)}`);
    this.room = room;
    return m;
  }

  async leave() {
    this.send({ type: 'leave' });
    await this.nextType('left');
    this.room = null;
  }

  // Resolves when the server closes the socket (or rejects after timeoutMs).
  async waitClosed(timeoutMs = DEFAULT_TIMEOUT) {
    let timer;
    const t = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.label}: server did not close the socket in ${timeoutMs} ms`)), timeoutMs);
    });
    try { return await Promise.race([this.closedPromise, t]); } finally { clearTimeout(timer); }
  }

  close() { try { this.ws.close(); } catch { /* already closed */ } }
  terminate() { try { this.ws.terminate(); } catch { /* already closed */ } }
}

// --------------------------------------------------------- the control group
class ControlPeer {
  constructor(peer, group) {
    this.peer = peer;
    this.group = group;
    this.sent = 0;         // last sequence number sent
    this.seen = new Map(); // sender peerId -> last sequence number received
    this.events = [];      // everything else received
    this.failures = [];
    peer.listeners.push((msg) => this.onMessage(msg));
  }
  onMessage(msg) {
    if (msg.type === 'pong') return true;
    if (msg.type === 'message' && msg.content && msg.content.ctl === this.group.tag) {
      if (msg.from === this.peer.peerId) return true; // an echo of our own broadcast
      const last = this.seen.get(msg.from) ?? 0;
      if (msg.content.seq !== last + 1) {
        this.failures.push(`${this.peer.label}: from ${msg.content.sender} expected seq ${last + 1}, got ${msg.content.seq}`);
      }
      if (msg.content.sender !== this.group.labelOf(msg.from)) {
        this.failures.push(`${this.peer.label}: message from ${msg.from} claims sender ${msg.content.sender}`);
      }
      this.seen.set(msg.from, Math.max(last, msg.content.seq));
      return true;
    }
    this.events.push(msg);
    const i = this.group.eventWaiters.findIndex((w) => w.check());
    if (i >= 0) this.group.eventWaiters.splice(i, 1)[0].resolve();
    return true;
  }
}

export class ControlGroup {
  constructor(server) {
    this.server = server;
    this.tag = crypto.randomBytes(4).toString('hex');
    this.members = {};
    this.eventWaiters = [];
    this.checks = 0;
  }

  static async create(server, { appKey = APP_KEY } = {}) {
    const g = new ControlGroup(server);
    for (const [label, room] of [['A1', CTL_A], ['A2', CTL_A], ['B1', CTL_B], ['B2', CTL_B]]) {
      const p = await Peer.connect(server.wsUrl, { label });
      await p.hello(appKey);
      await p.join(room, { name: label });
      g.members[label] = new ControlPeer(p, g);
    }
    // A1 saw A2 join, B1 saw B2 join: the only events of the setup.
    await g.claim('A1', (m) => m.type === 'peer_joined' && m.peerId === g.members.A2.peer.peerId);
    await g.claim('B1', (m) => m.type === 'peer_joined' && m.peerId === g.members.B2.peer.peerId);
    // Keep alive by application pings in case the server wants them (see limits).
    const interval = Math.max(100, Math.min(5000, (g.members.A1.peer.limits?.pingInterval ?? 20000) / 3));
    g.keepalive = setInterval(() => {
      for (const m of Object.values(g.members)) if (m.peer.open) m.peer.send({ type: 'ping' });
    }, interval);
    await g.check('setup');
    return g;
  }

  peer(label) { return this.members[label].peer; }
  id(label) { return this.members[label].peer.peerId; }
  labelOf(peerId) {
    for (const [label, m] of Object.entries(this.members)) if (m.peer.peerId === peerId) return label;
    return null;
  }
  partner(label) { return { A1: 'A2', A2: 'A1', B1: 'B2', B2: 'B1' }[label]; }
  roomLabels(room) { return room === CTL_A ? ['A1', 'A2'] : ['B1', 'B2']; }

  // Consumes one event matching pred from member `label`, waiting up to timeoutMs.
  async claim(label, pred, timeoutMs = DEFAULT_TIMEOUT) {
    const m = this.members[label];
    const take = () => {
      const i = m.events.findIndex(pred);
      return i >= 0 ? m.events.splice(i, 1)[0] : null;
    };
    let got = take();
    if (got) return got;
    await new Promise((resolve, reject) => {
      const w = { check: () => m.events.some(pred), resolve: () => { clearTimeout(timer); resolve(); } };
      const timer = setTimeout(() => {
        this.eventWaiters.splice(this.eventWaiters.indexOf(w), 1);
        reject(new Error(`control ${label}: expected event not received; events: ${JSON.stringify(m.events)}`));
      }, timeoutMs);
      this.eventWaiters.push(w);
    });
    got = take();
    assert.ok(got);
    return got;
  }
  // Both control peers of CTL_A see the attacker join / leave.
  async claimJoined(peerId) {
    for (const l of ['A1', 'A2']) {
      const m = await this.claim(l, (x) => x.type === 'peer_joined' && x.peerId === peerId);
      assert.equal(typeof m.userData, 'object', `peer_joined without userData: ${JSON.stringify(m)}`);
    }
  }
  async claimLeft(peerId, reasons = ['left']) {
    for (const l of ['A1', 'A2']) {
      const m = await this.claim(l, (x) => x.type === 'peer_left' && x.peerId === peerId, 8000);
      assert.ok(reasons.includes(m.reason), `peer_left reason ${m.reason}, expected one of ${reasons}`);
    }
  }

  // Every control peer sends one broadcast and one directed message; every partner
  // receives both exactly once and in order; no unclaimed event, no failure.
  async check(what = '') {
    this.checks++;
    const labels = Object.keys(this.members);
    for (const label of labels) {
      const m = this.members[label];
      assert.ok(m.peer.open, `control ${label} was disconnected (${JSON.stringify(m.peer.closed)}) ${what}`);
      for (const to of [undefined, this.id(this.partner(label))]) {
        m.sent++;
        const msg = { type: 'message', content: { ctl: this.tag, sender: label, seq: m.sent, check: this.checks } };
        if (to) msg.to = to;
        m.peer.send(msg);
      }
    }
    const deadline = Date.now() + DEFAULT_TIMEOUT;
    for (const label of labels) {
      const m = this.members[label];
      const sender = this.members[this.partner(label)];
      while ((m.seen.get(sender.peer.peerId) ?? 0) < sender.sent) {
        if (Date.now() > deadline) {
          assert.fail(`control ${label}: got ${m.seen.get(sender.peer.peerId) ?? 0} of ${sender.sent} messages from ${this.partner(label)} ${what}; events ${JSON.stringify(m.events).slice(0, 500)}`);
        }
        await sleep(5);
      }
    }
    // A short grace period lets a late duplicate or stray event show up.
    await sleep(20);
    for (const label of labels) {
      const m = this.members[label];
      assert.deepEqual(m.failures, [], `control ${label} ${what}`);
      assert.deepEqual(m.events, [], `control ${label} received something from the attack ${what}`);
      assert.deepEqual(m.peer.raw, [], `control ${label} received a non-JSON frame`);
      const sender = this.members[this.partner(label)];
      assert.equal(m.seen.get(sender.peer.peerId), sender.sent, `control ${label}: duplicate or missing ${what}`);
    }
  }

  close() {
    clearInterval(this.keepalive);
    for (const m of Object.values(this.members)) m.peer.close();
  }
}

// -------------------------------------------------------------- a test file
// Starts a server with args, builds the control group, and returns { server, ctl,
// attack(name, fn), finish() }. attack() registers one node:test test that checks
// the control group before and after fn and probes that a fresh client can still
// connect and be welcomed.
export function hostileSuite(args = [], { appKey = APP_KEY } = {}) {
  const s = { server: null, ctl: null, appKey, attackers: [] };
  s.setup = async () => {
    const keyArgs = appKey ? ['--app-key', appKey] : [];
    s.server = await startServer([...keyArgs, ...args]);
    s.ctl = await ControlGroup.create(s.server, { appKey });
  };
  // An attacker WebSocket: connected; said hello when hello is true; joined room
  // (when it is CTL_A, the control group's peer_joined events are claimed).
  s.attacker = async ({ hello = true, room = null, label = 'attacker', userData = {} } = {}) => {
    const p = await Peer.connect(s.server.wsUrl, { label });
    s.attackers.push(p);
    if (hello) await p.hello(appKey);
    if (room) {
      await p.join(room, userData);
      if (room === CTL_A) await s.ctl.claimJoined(p.peerId);
    }
    return p;
  };
  // The attacker leaves cleanly (when still connected) or its drop is claimed.
  s.dismiss = async (p, { reasons } = {}) => {
    const inA = p.room === CTL_A;
    if (p.open) {
      if (p.room) await p.leave();
      p.close();
      if (inA) await s.ctl.claimLeft(p.peerId, reasons ?? ['left']);
    } else if (inA) {
      await s.ctl.claimLeft(p.peerId, reasons ?? ['disconnected', 'kicked']);
    }
  };
  s.probe = async () => {
    const p = await Peer.connect(s.server.wsUrl, { label: 'probe' });
    await p.hello(appKey);
    p.close();
  };
  s.attack = (name, fn, opts = {}) => test(name, opts, async () => {
    await s.ctl.check(`before "${name}"`);
    await fn();
    await s.ctl.check(`after "${name}"`);
    await s.probe();
  });
  // Stops the server (once) with SIGTERM while the control group is still
  // connected, so the shutdown path frees live rooms and connections too.
  s.finish = async () => {
    if (!s.server || s.stopped) return;
    s.stopped = true;
    for (const p of s.attackers) p.terminate();
    await sleep(100);
    const t0 = Date.now();
    const code = await s.server.stop();
    const took = Date.now() - t0;
    if (s.ctl) s.ctl.close();
    const out = s.server.output();
    assert.doesNotMatch(out, /ERROR: AddressSanitizer|LeakSanitizer|runtime error|SUMMARY: UndefinedBehaviorSanitizer/,
      `sanitizer report from the server:\n${out.slice(-6000)}`);
    assert.equal(code, 0, `server exit status ${code}:\n${out.slice(-3000)}`);
    assert.ok(took < 5000, `the server took ${took} ms to exit after SIGTERM`);
  };
  // The last test of a file: the shutdown itself is checked (after() repeats it
  // only when an earlier failure skipped this).
  s.finishTest = () => test('shutdown: SIGTERM -> exit 0 within 5 s, no sanitizer report, no leak', s.finish);
  return s;
}

// --------------------------------------------------------- raw TCP and frames
// A raw socket for attacks ws cannot express: half-open handshakes, silent
// clients that never answer pings, broken frames.
export function rawConnect(port) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port }, () => resolve(sock));
    sock.once('error', reject);
  });
}

export function upgradeRequest(port, { path = '/signaling', version = 13, key } = {}) {
  key ??= crypto.randomBytes(16).toString('base64');
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
    `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: ${version}\r\n\r\n`;
}

// Connects and completes the WebSocket upgrade on a raw socket; resolves to
// { sock, rest } where rest is whatever arrived after the 101 response.
export async function rawUpgrade(port) {
  const sock = await rawConnect(port);
  sock.on('error', () => {});
  sock.write(upgradeRequest(port));
  let buf = Buffer.alloc(0);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no 101 response')), DEFAULT_TIMEOUT);
    const onData = (d) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end >= 0) {
        clearTimeout(timer);
        sock.off('data', onData);
        const head = buf.subarray(0, end).toString();
        if (!/^HTTP\/1\.1 101/.test(head)) return reject(new Error(`upgrade refused: ${head}`));
        buf = buf.subarray(end + 4);
        resolve();
      }
    };
    sock.on('data', onData);
  });
  return { sock, rest: buf };
}

// A client frame (always masked, as RFC 6455 requires of clients).
export function wsFrame(opcode, payload, { fin = true, mask = true, declaredLength } = {}) {
  payload = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const len = declaredLength ?? payload.length;
  let head;
  if (len < 126) { head = Buffer.alloc(2); head[1] = len; }
  else if (len < 65536) { head = Buffer.alloc(4); head[1] = 126; head.writeUInt16BE(len, 2); }
  else { head = Buffer.alloc(10); head[1] = 127; head.writeBigUInt64BE(BigInt(len), 2); }
  head[0] = (fin ? 0x80 : 0) | opcode;
  if (!mask) return Buffer.concat([head, payload]);
  head[1] |= 0x80;
  const key = crypto.randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  return Buffer.concat([head, key, body]);
}

// Resolves true when the peer closes the socket within timeoutMs.
export function socketClosed(sock, timeoutMs) {
  return new Promise((resolve) => {
    if (sock.destroyed || sock.readableEnded) return resolve(true);
    sock.resume(); // 'end' only fires on a flowing stream
    const timer = setTimeout(() => resolve(false), timeoutMs);
    const done = () => { clearTimeout(timer); resolve(true); };
    sock.once('close', done);
    sock.once('end', done);
  });
}

// Splits what a server sent into WebSocket frames: [{ opcode, payload }].
export function serverFrames(buf) {
  const out = [];
  let i = 0;
  while (i + 2 <= buf.length) {
    let len = buf[i + 1] & 0x7f;
    let off = i + 2;
    if (len === 126) { if (off + 2 > buf.length) break; len = buf.readUInt16BE(off); off += 2; }
    else if (len === 127) { if (off + 8 > buf.length) break; len = Number(buf.readBigUInt64BE(off)); off += 8; }
    if (off + len > buf.length) break;
    out.push({ opcode: buf[i] & 0x0f, payload: buf.subarray(off, off + len) });
    i = off + len;
  }
  return out;
}

// A random but well-formed peer id nobody has.
export const strangerId = () => crypto.randomBytes(16).toString('hex');

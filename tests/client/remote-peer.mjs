// A skymesh peer in a child process (remote-peer-child.mjs) that a test drives
// like a TestPeer (peers.mjs): same log, events(), received(), remotePeers(),
// openChannels(), id, init(), join(), send() ... so suites treat local and
// remote peers alike, plus what only a process allows: kill('SIGSTOP'),
// kill('SIGCONT'), kill('SIGKILL'), and running under a prefix such as
// ['ip', 'netns', 'exec', ns] (tests/helpers/netns.mjs).
//
//   const p = new RemotePeer('bob', 'node-datachannel', server.url, { spawnPrefix });
//   await p.init(); await p.join('room', { userData: { name: 'bob' } });
//   await p.send('hi');               // sendP2PMessage
//   p.kill('SIGSTOP');                // frozen: its events and replies wait
//   await p.dispose();                // stdin closed, then SIGKILL after 2 s
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { TestPeer } from './peers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(HERE, 'remote-peer-child.mjs');
const ROOT = path.resolve(HERE, '../..');

// JSON-safe copy of a value for the stdio protocol: binary as
// {$bin: base64, type}, errors as plain objects (message, name, own fields),
// undefined as null, cycles cut.
export function encode(value, seen = new Set()) {
  if (value === undefined) return null;
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') return String(value);
    if (typeof value === 'function' || typeof value === 'symbol') return null;
    return value;
  }
  if (value instanceof ArrayBuffer) return { $bin: Buffer.from(value).toString('base64'), type: 'ArrayBuffer' };
  if (ArrayBuffer.isView(value)) {
    return { $bin: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'), type: 'Uint8Array' };
  }
  if (seen.has(value)) return '[cycle]';
  seen.add(value);
  let copy;
  if (Array.isArray(value)) copy = value.map((v) => encode(v, seen));
  else {
    copy = {};
    if (value instanceof Error) {
      copy.message = value.message;
      copy.name = value.name;
    }
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) copy[k] = encode(v, seen);
    }
  }
  seen.delete(value);
  return copy;
}

// The inverse of encode() for binary: {$bin} back to an ArrayBuffer / Uint8Array.
export function decode(value) {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(decode);
  if (typeof value.$bin === 'string') {
    const buf = Buffer.from(value.$bin, 'base64');
    const bytes = new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    return value.type === 'ArrayBuffer' ? bytes.buffer : bytes;
  }
  const copy = {};
  for (const [k, v] of Object.entries(value)) copy[k] = decode(v);
  return copy;
}

// Emits 'event' ({name, args, t}) for each skymesh event, 'exit' ({code, signal}).
export class RemotePeer extends EventEmitter {
  // url: the server's base URL (or a server object with .url). Options:
  // spawnPrefix (a command to run node under), appKey, env (added to
  // process.env), opTimeoutMs (per command, default 15000), echo (copy the
  // child's stderr to ours; default: SKYMESH_DEBUG set).
  constructor(name, stack, url, { spawnPrefix = [], appKey = 'skymesh-test', env = {}, opTimeoutMs = 15000,
    echo = !!process.env.SKYMESH_DEBUG } = {}) {
    super();
    this.name = name;
    this.stack = stack;
    this.url = typeof url === 'string' ? url : url.url;
    this.appKey = appKey;
    this.opTimeoutMs = opTimeoutMs;
    this.log = [];
    this.joined = null;
    this.exitStatus = null;
    this.fatal = null;
    this._stderr = '';
    this._pending = new Map();
    this._nextId = 1;

    const cmd = [...spawnPrefix, process.execPath, CHILD, JSON.stringify({ url: this.url, stack, name, appKey })];
    this.proc = spawn(cmd[0], cmd.slice(1), { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdin.on('error', () => {}); // EPIPE once the child is gone
    this.proc.stderr.on('data', (d) => {
      this._stderr = (this._stderr + d).slice(-64 * 1024);
      if (echo) process.stderr.write(`[${name}] ${d}`);
    });
    readline.createInterface({ input: this.proc.stdout }).on('line', (line) => this._line(line));

    this._ready = new Promise((resolve, reject) => { this._readyCb = { resolve, reject }; });
    this._ready.catch(() => {});
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        const why = new Error(`${name}: child exited (${signal || code})${this.fatal ? `: ${this.fatal}` : ''}\n${this._stderr.slice(-2000)}`);
        this._readyCb.reject(why);
        for (const p of this._pending.values()) { clearTimeout(p.timer); p.reject(why); }
        this._pending.clear();
        this.emit('exit', this.exitStatus);
        resolve(this.exitStatus);
      });
    });
  }

  _line(line) {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      this._stderr += `${line}\n`; // not ours: keep it for diagnostics
      return;
    }
    if (msg.ev) {
      const entry = { name: msg.ev, args: decode(msg.args), t: msg.t };
      this.log.push(entry);
      this.emit('event', entry);
    } else if (msg.reply !== undefined) {
      const p = this._pending.get(msg.reply);
      if (!p) return;
      this._pending.delete(msg.reply);
      clearTimeout(p.timer);
      if (msg.ok) p.resolve(decode(msg.value));
      else p.reject(Object.assign(new Error(`${this.name}: ${p.op}: ${msg.error?.message}`), msg.error));
    } else if (msg.ready) {
      this._readyCb.resolve();
    } else if (msg.fatal) {
      this.fatal = msg.fatal;
    }
  }

  get pid() { return this.proc.pid; }

  get id() { return this.joined && this.joined.peerId; }

  // The child's stderr (its last 64 KiB).
  output() { return this._stderr; }

  // Resolves once the child has loaded the module and reads commands.
  ready() { return this._ready; }

  // Sends one command and resolves to its value (rejects with the child's error,
  // on timeout, or when the child exits first).
  call(op, fields = {}, timeoutMs = this.opTimeoutMs) {
    if (this.exitStatus) return Promise.reject(new Error(`${this.name}: ${op}: child already exited`));
    const id = this._nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pending.delete(id);
        reject(new Error(`${this.name}: ${op} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this._pending.set(id, { op, resolve, reject, timer });
      this.proc.stdin.write(`${JSON.stringify(encode({ id, op, ...fields }))}\n`);
    });
  }

  init(appKey = this.appKey) { return this.call('init', { appKey }); }

  async join(room, options = {}) {
    const ok = await this.call('join', { room, options });
    this.joined = ok;
    return ok;
  }

  leave() { return this.call('leave'); }

  // sendP2PMessage(msg, [to]).
  send(msg, to) { return this.call('send', { msg, to }); }

  // sendMessage(msg, [to]): through the signaling server.
  sendServer(msg, to) { return this.call('sendServer', { msg, to }); }

  setUserData(data) { return this.call('setUserData', { data }); }

  lockRoom() { return this.call('lockRoom'); }

  unlockRoom() { return this.call('unlockRoom'); }

  refreshConnection(to, iceRestart = true) { return this.call('refreshConnection', { to, iceRestart }); }

  getPeerInfo(peerId) { return this.call('getPeerInfo', { peerId }); }

  getPeersInRoom() { return this.call('getPeersInRoom'); }

  // skymesh's close() in the child (the process stays, as a TestPeer's would).
  close() { return this.exitStatus ? Promise.resolve() : this.call('close').catch(() => {}); }

  // Sends a signal: 'SIGSTOP' freezes the peer (nothing is sent, nothing is
  // answered, its sockets stay open), 'SIGCONT' thaws it, 'SIGKILL' is an abrupt
  // death (no leave; the kernel closes its sockets).
  kill(signal = 'SIGKILL') {
    if (!this.exitStatus) this.proc.kill(signal);
  }

  // Ends the child: stdin closed (it closes skymesh and exits), SIGKILL after ms.
  async dispose(ms = 2000) {
    if (this.exitStatus) return this.exitStatus;
    this.proc.kill('SIGCONT');
    this.proc.stdin.end();
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), ms);
    const status = await this.exited;
    clearTimeout(timer);
    return status;
  }
}

// The helpers that only read the log are TestPeer's own, so that a remote peer
// answers exactly as a local one would.
for (const m of ['events', 'received', 'remotePeers', 'openChannels']) {
  RemotePeer.prototype[m] = TestPeer.prototype[m];
}

// A skymesh peer in its own process, driven over stdio with JSON lines by
// RemotePeer (remote-peer.mjs), so that fault tests can freeze it (SIGSTOP),
// kill it (SIGKILL) or put it in another network namespace.
//
// argv[2]: JSON {url, stack, name, appKey}.
// stdin, one command a line: {"id": 1, "op": "join", "room": "r", "options": {...}}
//   ops: init {appKey?}, join {room, options?}, leave, send {msg, to?}
//   (sendP2PMessage), sendServer {msg, to?} (sendMessage), setUserData {data},
//   lockRoom, unlockRoom, refreshConnection {to?, iceRestart?}, getPeerInfo
//   {peerId?}, getPeersInRoom, getConnectionStatus {target?}, close, exit {code?}.
//   Nothing else (no eval).
// stdout, one JSON a line, nothing else:
//   {"ready": true, "pid": N}                      once loaded
//   {"ev": name, "args": [...], "t": ms}            every skymesh event
//   {"reply": id, "ok": true, "value": ...}        or
//   {"reply": id, "ok": false, "error": {message, code, ...}}
//   {"fatal": message}                             before dying of an exception
// Binary values travel as {"$bin": base64, "type": "ArrayBuffer" | "Uint8Array"}.
// The child exits when its stdin closes (the parent is gone).
import readline from 'node:readline';
import { TestPeer } from './peers.mjs';
import { encode, decode } from './remote-peer.mjs';

const out = process.stdout;
// Keep stdout for the protocol: anything printed by the module goes to stderr.
for (const k of ['log', 'info', 'debug']) console[k] = (...a) => console.error(...a);

const write = (obj) => out.write(`${JSON.stringify(encode(obj))}\n`);

// Every event of the API (docs/api.md), streamed as it happens.
const EVENTS = ['readyStateChange', 'peerJoined', 'peerUpdated', 'peerLeft', 'incomingMessage', 'roomLock',
  'dataChannelState', 'peerConnectionState', 'iceConnectionState', 'handshakeProgress', 'systemAction',
  'channelOpen', 'channelClose', 'channelError', 'channelRetry', 'signalingState', 'peerRestart'];

function main() {
  const { url, stack, name, appKey = 'skymesh-test' } = JSON.parse(process.argv[2]);
  const peer = new TestPeer(name, stack, { url });
  const sky = peer.sky;
  for (const ev of EVENTS) sky.on(ev, (...args) => write({ ev, args, t: Date.now() }));

  const withCallback = (fn) => new Promise((resolve, reject) => {
    fn((err, ok) => (err ? reject(err) : resolve(ok)));
  });

  const ops = {
    init: (c) => peer.init(c.appKey || appKey),
    join: (c) => peer.join(c.room, decode(c.options) || {}),
    leave: () => peer.leave(),
    send: (c) => sky.sendP2PMessage(decode(c.msg), c.to ?? undefined),
    sendServer: (c) => sky.sendMessage(decode(c.msg), c.to ?? undefined),
    setUserData: (c) => sky.setUserData(decode(c.data)),
    lockRoom: () => sky.lockRoom(),
    unlockRoom: () => sky.unlockRoom(),
    refreshConnection: (c) => withCallback((cb) => sky.refreshConnection(c.to ?? undefined, c.iceRestart ?? true, cb)),
    getPeerInfo: (c) => sky.getPeerInfo(c.peerId ?? undefined),
    getPeersInRoom: () => sky.getPeersInRoom(),
    getConnectionStatus: (c) => sky.getConnectionStatus(c.target ?? undefined),
    close: () => sky.close(),
    exit: (c) => { sky.close(); setImmediate(() => process.exit(c.code ?? 0)); },
  };

  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', async (line) => {
    if (!line.trim()) return;
    let cmd;
    try {
      cmd = JSON.parse(line);
    } catch {
      write({ reply: null, ok: false, error: { message: `not JSON: ${line.slice(0, 80)}` } });
      return;
    }
    const op = Object.hasOwn(ops, cmd.op) ? ops[cmd.op] : null;
    if (!op) {
      write({ reply: cmd.id, ok: false, error: { message: `unknown op ${cmd.op}`, code: 'unknown_op' } });
      return;
    }
    try {
      const value = await op(cmd);
      write({ reply: cmd.id, ok: true, value });
    } catch (e) {
      write({ reply: cmd.id, ok: false, error: e });
    }
  });
  // The parent went away: leave cleanly, then go.
  rl.on('close', () => {
    try { sky.close(); } catch { /* closing anyway */ }
    setTimeout(() => process.exit(0), 200).unref();
  });

  write({ ready: true, pid: process.pid });
}

process.on('uncaughtException', (e) => {
  try { out.write(`${JSON.stringify({ fatal: String(e && e.stack || e) })}\n`); } catch { /* stdout gone */ }
  process.exit(1);
});

if (process.argv[2]) main();

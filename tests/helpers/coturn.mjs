// A real TURN server for tests: Debian's coturn (`turnserver`), started in a
// network namespace with the TURN REST secret scheme (use-auth-secret), and
// the TURN REST credentials computed here for tests that do not go through
// skymesh-server.
//
//   const turn = await startCoturn({ ns: net.public, listenAddr: net.publicAddr, secret });
//   const { username, credential } = turnCredentials(secret, 3600, 'alice');
//   new RTCPeerConnection({ iceServers: [{ urls: turn.uri('udp'), username, credential }] });
//   await turn.stop();
//
// coturn runs with no config file (-n), no CLI, no TLS/DTLS, plain UDP and TCP
// on one port, relay ports from a small range, its log on stdout (-v: its
// sessions, allocations and refusals are in turn.output()), a pid file and an
// SQLite user db of its own in a temporary folder (nothing under /var). It is
// killed with this process: SIGKILL from an exit hook, and the kernel's
// parent-death signal (setpriv --pdeathsig) when this process is SIGKILLed.
//
// Peers: coturn refuses loopback peers (not allowed here) and, with
// --no-multicast-peers, multicast ones; it has no other built-in denied range,
// so the 203.0.113.x addresses of nat.mjs (its own relay addresses, the
// routers' public legs) are allowed without --allowed-peer-ip.
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// TURN REST credentials (draft-uberti-behave-turn-rest, coturn's
// use-auth-secret): username "EXPIRY:USER" (EXPIRY in Unix seconds, now + ttl;
// a negative ttl gives expired ones), credential base64(HMAC-SHA1(secret, username)).
export function turnCredentials(secret, ttlSeconds = 86400, user = 'skymesh', now = Date.now()) {
  const username = `${Math.floor(now / 1000) + ttlSeconds}:${user}`;
  const credential = crypto.createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}

export function turnserverPath() {
  for (const dir of (process.env.PATH || '').split(':').concat(['/usr/bin', '/usr/sbin'])) {
    const p = path.join(dir || '.', 'turnserver');
    try { fs.accessSync(p, fs.constants.X_OK); return p; } catch { /* next */ }
  }
  return null;
}

// false when coturn can be used, else why not (install: apt-get install coturn).
export function coturnSkip() {
  return turnserverPath() ? false : "coturn's turnserver is not installed (apt-get install coturn)";
}

function nsPrefix(ns) {
  return ns ? ['ip', 'netns', 'exec', ns] : [];
}

// Ports in use (TCP and UDP) in namespace ns, from ss.
function usedPorts(ns) {
  try {
    const cmd = [...nsPrefix(ns), 'ss', '-Hntua'];
    const out = execFileSync(cmd[0], cmd.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return new Set(out.split('\n').map((l) => /:(\d+)\s/.exec(l)?.[1]).filter(Boolean).map(Number));
  } catch {
    return new Set();
  }
}

function randomInt(lo, hi) { return lo + Math.floor(Math.random() * (hi - lo + 1)); }

// STUN Binding request to addr:port over UDP, from inside ns; resolves to the
// XOR-MAPPED-ADDRESS "ip:port" or rejects on timeout.
const STUN_PROBE = `
const dgram = require('dgram'); const crypto = require('crypto');
const [addr, port, ms] = process.argv.slice(1);
const s = dgram.createSocket('udp4');
const tid = crypto.randomBytes(12);
const req = Buffer.concat([Buffer.from([0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42]), tid]);
const t = setTimeout(() => { console.log('timeout'); process.exit(1); }, Number(ms));
s.on('message', (m) => {
  if (m.readUInt16BE(0) !== 0x0101 || !m.subarray(8, 20).equals(tid)) return;
  for (let i = 20; i + 4 <= m.length;) {
    const type = m.readUInt16BE(i), len = m.readUInt16BE(i + 2);
    if (type === 0x20) {
      const p = m.readUInt16BE(i + 6) ^ 0x2112;
      const a = [0, 1, 2, 3].map((k) => m[i + 8 + k] ^ [0x21, 0x12, 0xa4, 0x42][k]).join('.');
      console.log(a + ':' + p); clearTimeout(t); process.exit(0);
    }
    i += 4 + len + ((4 - (len % 4)) % 4);
  }
});
const send = () => s.send(req, Number(port), addr);
send(); setInterval(send, 200);`;

export function stunBinding({ ns, addr, port, timeoutMs = 2000 }) {
  return new Promise((resolve, reject) => {
    const cmd = [...nsPrefix(ns), process.execPath, '-e', STUN_PROBE, addr, String(port), String(timeoutMs)];
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`STUN binding to ${addr}:${port}: ${out.trim()}`))));
  });
}

// The temporary folders of runs that were SIGKILLed (named after their pid).
function removeStaleDirs() {
  for (const name of fs.readdirSync(os.tmpdir())) {
    const m = /^skymesh-coturn-(\d+)-/.exec(name);
    if (!m || Number(m[1]) === process.pid) continue;
    try { process.kill(Number(m[1]), 0); continue; } catch (e) { if (e.code === 'EPERM') continue; }
    fs.rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
  }
}

const running = new Set();
let hooked = false;
function hook() {
  if (hooked) return;
  hooked = true;
  const killAll = () => {
    for (const t of running) {
      try { t.proc.kill('SIGKILL'); } catch { /* gone */ }
      try { fs.rmSync(t.dir, { recursive: true, force: true }); } catch { /* gone */ }
    }
  };
  process.on('exit', killAll);
  process.on('uncaughtExceptionMonitor', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    const onSignal = () => {
      killAll();
      process.off(sig, onSignal);
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

// Starts turnserver in namespace ns (null: this one) listening on
// listenAddr:port (UDP and TCP; port 0 or unset: a free one), relaying from
// relayAddr (default listenAddr) on ports minPort..maxPort (default: a free
// block of 32). Resolves once it answers a STUN binding, to
// { port, minPort, maxPort, listenAddr, proc, uri(transport), stunUri(),
//   output(), stop() }. extraArgs go to turnserver as given.
export async function startCoturn({ ns = null, listenAddr, relayAddr = listenAddr, secret, port = 0,
  minPort, maxPort, realm = 'skymesh.test', extraArgs = [], timeoutMs = 10000 } = {}) {
  if (!listenAddr) throw new Error('startCoturn: listenAddr is required');
  if (!secret) throw new Error('startCoturn: secret is required');
  const bin = turnserverPath();
  if (!bin) throw new Error(coturnSkip());
  const used = usedPorts(ns);
  if (!port) {
    do port = randomInt(20000, 39999); while (used.has(port));
  }
  if (!minPort) {
    do minPort = randomInt(49152, 65000) & ~31; while ([...used].some((p) => p >= minPort && p < minPort + 32));
    maxPort = minPort + 31;
  } else if (!maxPort) {
    maxPort = minPort + 31;
  }
  removeStaleDirs();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `skymesh-coturn-${process.pid}-`));
  const args = ['-n', '--no-cli', '-v',
    '--use-auth-secret', `--static-auth-secret=${secret}`, `--realm=${realm}`,
    '--listening-ip', listenAddr, '--listening-port', String(port), '--relay-ip', relayAddr,
    '--min-port', String(minPort), '--max-port', String(maxPort),
    '--no-tls', '--no-dtls', '--log-file=stdout', '--simple-log', '--no-multicast-peers',
    '--pidfile', path.join(dir, 'turnserver.pid'), '--userdb', path.join(dir, 'turndb'),
    ...extraArgs];
  // setpriv --pdeathsig: the kernel kills turnserver if this process dies
  // without running its exit hooks (SIGKILL).
  const cmd = [...nsPrefix(ns), 'setpriv', '--pdeathsig', 'KILL', bin, ...args];
  const proc = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d) => { out += d; if (out.length > 1 << 20) out = out.slice(-(1 << 19)); };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  const entry = { proc, dir };
  running.add(entry);
  hook();
  const exited = new Promise((resolve) => proc.on('exit', (code, sig) => {
    running.delete(entry);
    fs.rmSync(dir, { recursive: true, force: true });
    resolve(code ?? sig);
  }));

  const stop = async (graceMs = 2000) => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    return exited;
  };

  // Ready: its log says the UDP listener is open, then a STUN binding answers.
  const deadline = Date.now() + timeoutMs;
  try {
    await new Promise((resolve, reject) => {
      const timer = setInterval(() => {
        if (/UDP listener opened/.test(out)) { clearInterval(timer); resolve(); }
        else if (Date.now() > deadline) { clearInterval(timer); reject(new Error('no "UDP listener opened" in its log')); }
      }, 20);
      proc.once('exit', (code, sig) => { clearInterval(timer); reject(new Error(`exited (${code ?? sig})`)); });
    });
    for (;;) {
      try {
        await stunBinding({ ns, addr: listenAddr, port, timeoutMs: 1000 });
        break;
      } catch (e) {
        if (Date.now() > deadline) throw e;
      }
    }
  } catch (e) {
    await stop(500);
    throw new Error(`turnserver did not start: ${e.message}\n${out.slice(-4000)}`);
  }

  return {
    port, minPort, maxPort, listenAddr, proc,
    // turn:ADDR:PORT?transport=udp|tcp
    uri: (transport = 'udp') => `turn:${listenAddr}:${port}?transport=${transport}`,
    stunUri: () => `stun:${listenAddr}:${port}`,
    output: () => out,
    // SIGTERM, SIGKILL after graceMs; resolves to the exit code or signal.
    stop,
  };
}

// Starting and stopping the two signaling servers under test: skymesh-server (native
// C, release build) and the PeerJS server (node), each a child process whose pid the
// benchmarks read memory and CPU from.
import { spawn } from 'node:child_process';
import path from 'node:path';
import fs from 'node:fs';
import { ROOT, BENCH, WORK, withTimeout, sleep } from './util.mjs';

// The release binary bench/run builds, else whatever the environment points at.
export function skymeshServerBinary() {
  const cands = [process.env.SKYMESH_BENCH_SERVER,
    path.join(WORK, 'build-release/src/server/skymesh-server'),
    path.join(ROOT, 'build/native/src/server/skymesh-server')].filter(Boolean);
  for (const c of cands) if (fs.existsSync(c)) return c;
  return null;
}

function waitForLine(proc, re, label, timeoutMs) {
  let out = '';
  return withTimeout(new Promise((resolve, reject) => {
    const onData = (d) => {
      out += d;
      const m = re.exec(out);
      if (m) { proc.stdout.off('data', onData); resolve(m); }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', (d) => { out += d; });
    proc.once('exit', (code) => reject(new Error(`${label} exited ${code}: ${out.slice(-2000)}`)));
  }), timeoutMs, label);
}

function stopper(proc) {
  return () => new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    const t = setTimeout(() => { try { proc.kill('SIGKILL'); } catch {} }, 3000);
    proc.once('exit', () => { clearTimeout(t); resolve(); });
    proc.kill('SIGTERM');
  });
}

// Options: maxConnections, rate, burst, maxRooms, maxPeers; port (default 0: a free
// one; a fixed one to restart a server where its clients expect it) and secretFile
// (--secret-file: servers sharing it resume each other's sessions), extraArgs (more
// options as given, e.g. --redis). Resolves to
// { kind, pid, port, wsUrl, httpUrl, stop }.
export async function startSkymeshServer(opts = {}) {
  const bin = skymeshServerBinary();
  if (!bin) throw new Error('skymesh-server not built');
  const args = ['--host', '127.0.0.1', '--port', String(opts.port || 0),
    '--web', path.join(ROOT, 'web'), '--dist', path.join(ROOT, 'dist')];
  if (opts.maxConnections) args.push('--max-connections', String(opts.maxConnections));
  if (opts.rate) args.push('--rate', String(opts.rate));
  if (opts.burst) args.push('--burst', String(opts.burst));
  if (opts.maxRooms) args.push('--max-rooms', String(opts.maxRooms));
  if (opts.maxPeers) args.push('--max-peers', String(opts.maxPeers));
  if (opts.secretFile) args.push('--secret-file', opts.secretFile);
  if (opts.extraArgs) args.push(...opts.extraArgs);
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const m = await waitForLine(proc, /listening on (http:\/\/[^\s]+)/, 'skymesh-server', 10000);
  const port = Number(new URL(m[1]).port);
  // Keep draining its output so a chatty server never blocks on a full pipe.
  proc.stdout.resume(); proc.stderr.resume();
  return {
    kind: 'skymesh', pid: proc.pid, port, proc,
    httpUrl: `http://127.0.0.1:${port}/`,
    wsUrl: `ws://127.0.0.1:${port}/signaling`,
    stop: stopper(proc),
    gc: async () => {},
  };
}

// Options: maxConnections, port (default 0), aliveTimeoutMs (default 600000: the load
// generator's idle peers send no heartbeat; 60000 is the `peer` package's own default).
export async function startPeerjsServer(opts = {}) {
  const proc = spawn(process.execPath, ['--expose-gc', path.join(BENCH, 'peerjs-server.mjs'), String(opts.port || 0),
    String(opts.maxConnections || 20000), String(opts.aliveTimeoutMs || 600000)],
    { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const m = await waitForLine(proc, /listening on (\d+)/, 'peerjs-server', 10000);
  proc.stdout.resume(); proc.stderr.resume();
  const port = Number(m[1]);
  return {
    kind: 'peerjs', pid: proc.pid, port, proc,
    httpUrl: `http://127.0.0.1:${port}/`,
    wsBase: `ws://127.0.0.1:${port}/peerjs`,
    stop: stopper(proc),
    // Full GC inside the server, so RSS is read at node's best.
    gc: () => withTimeout(new Promise((resolve) => {
      proc.once('message', (msg) => resolve(msg));
      proc.send('gc');
    }), 10000, 'peerjs gc').then(() => sleep(200)),
  };
}

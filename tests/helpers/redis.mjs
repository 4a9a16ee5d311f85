// Starts Debian's redis-server for a test: loopback, a free port, no
// persistence (--save '' --appendonly no), so nothing outlives the test.
// Always stop() it (an after() hook): a leftover redis-server would hold
// the port and the memory.
import { spawn } from 'node:child_process';
import net from 'node:net';

// A port the kernel says is free now (bound, then released).
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function launch(port, timeoutMs) {
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no', '--loglevel', 'notice'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), timeoutMs);
    const onData = () => {
      if (/Ready to accept connections/.test(out)) { clearTimeout(timer); proc.stdout.off('data', onData); resolve(); }
    };
    proc.stdout.on('data', onData);
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`redis-server exited ${code}:\n${out}`)); });
  });
  return { proc, ready, output: () => out };
}

function stopProc(proc, signal = 'SIGTERM') {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill(signal);
  });
}

// Resolves to { port, url, output(), stop(), restart(), freeze(), thaw() } once Redis
// accepts connections. restart() stops it (losing every key) and starts a
// fresh one on the same port; port: a given port (to start one later where
// servers already point).
export async function startRedis({ port, timeoutMs = 10000 } = {}) {
  const p = port ?? await freePort();
  let cur = launch(p, timeoutMs);
  await cur.ready;
  const r = {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    output: () => cur.output(),
    stop: () => stopProc(cur.proc, 'SIGKILL'),
    // Freezes it (SIGSTOP): connections stay open, nothing is answered;
    // thaw() (SIGCONT) brings it back with its data.
    freeze: () => cur.proc.kill('SIGSTOP'),
    thaw: () => cur.proc.kill('SIGCONT'),
    async restart() {
      await stopProc(cur.proc, 'SIGKILL');
      cur = launch(p, timeoutMs);
      await cur.ready;
    },
  };
  return r;
}

// Polls pred every 20 ms until it holds (say, a line in a server's output).
export async function waitFor(pred, what, timeoutMs = 8000) {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Starts the real skymesh-server binary on a free loopback port for a test.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function serverBinary() {
  if (process.env.SKYMESH_SERVER) return process.env.SKYMESH_SERVER;
  for (const dir of ['build/native-asan', 'build/native']) {
    const candidate = path.join(ROOT, dir, 'src/server/skymesh-server');
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error('skymesh-server not built: run scripts/test (or set SKYMESH_SERVER)');
}

// Resolves to { url, wsUrl, port, proc, output(), stop() } once the server prints
// its "listening on" line. extraArgs go to the command line as given. host: the
// listen address; spawnPrefix: a command the server runs under, such as
// ['ip', 'netns', 'exec', ns] to start it inside a network namespace.
export async function startServer(extraArgs = [], { timeoutMs = 10000, host = '127.0.0.1', spawnPrefix = [] } = {}) {
  // SKYMESH_TEST_REDIS=redis://HOST:PORT runs every server of a suite on the
  // Redis rooms backend (each its own instance), unless a test names one itself.
  const redis = process.env.SKYMESH_TEST_REDIS && !extraArgs.includes('--redis') ? ['--redis', process.env.SKYMESH_TEST_REDIS] : [];
  const args = ['--host', host, '--port', '0',
    '--web', path.join(ROOT, 'web'), '--dist', path.join(ROOT, 'dist'), ...redis, ...extraArgs];
  const cmd = [...spawnPrefix, serverBinary(), ...args];
  const proc = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), timeoutMs);
    const onData = () => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) { clearTimeout(timer); proc.stdout.off('data', onData); resolve(m[1]); }
    };
    proc.stdout.on('data', onData);
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}:\n${out}`)); });
  });
  const port = Number(new URL(url).port);
  return {
    url, port, proc,
    wsUrl: `ws://${new URL(url).host}/signaling`,
    output: () => out,
    // Stops with SIGTERM and resolves to the exit code (or signal name).
    stop: () => new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve(proc.exitCode ?? proc.signalCode);
      proc.once('exit', (code, sig) => resolve(code ?? sig));
      proc.kill('SIGTERM');
    }),
  };
}

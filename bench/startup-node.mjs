// Start-up in node: a fresh process per repetition (cold module load), measuring from
// just before the first import to init complete:
//   skymesh  import ws + dist/skymesh.node.mjs, new Skyway (the .wasm is read and
//            instantiated), init({appKey, roomServer}) until readyStateChange
//            COMPLETED (2) / the init callback;
//   raw      import ws, open the signaling socket, hello -> welcome: the least any
//            client of this server does before it can join.
// Prints one BENCH_RESULT line.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';
import { startSkymeshServer } from './lib/servers.mjs';
import { ROOT, parseArgs, emit, log, withTimeout } from './lib/util.mjs';
import { summary, pairRatios } from './lib/stats.mjs';

const SELF = fileURLToPath(import.meta.url);
const DIST = path.join(ROOT, 'dist/skymesh.node.mjs');

async function child(mode, url) {
  const t0 = performance.now();
  const { default: WebSocket } = await import('ws');
  if (mode === 'raw') {
    await new Promise((resolve, reject) => {
      const ws = new WebSocket(url.replace(/^http/, 'ws') + 'signaling');
      ws.onopen = () => ws.send(JSON.stringify({ type: 'hello', v: 1, appKey: 'bench' }));
      ws.onmessage = (ev) => { if (JSON.parse(ev.data).type === 'welcome') { resolve(); ws.close(); } };
      ws.onerror = reject;
    });
    process.stdout.write(JSON.stringify({ totalMs: performance.now() - t0 }) + '\n');
    return;
  }
  const { default: Skyway } = await import(DIST);
  const tImport = performance.now();
  const x = new Skyway({ WebSocket });
  if (x.ready) await x.ready;
  const tReady = performance.now();
  await new Promise((resolve, reject) => {
    x.on('readyStateChange', (st, err) => { if (st === 2) resolve(); else if (st === -1) reject(new Error(JSON.stringify(err))); });
    x.init({ appKey: 'bench', roomServer: url });
  });
  const tInit = performance.now();
  process.stdout.write(JSON.stringify({ importMs: tImport - t0, instantiateMs: tReady - tImport, initMs: tInit - tReady, totalMs: tInit - t0 }) + '\n');
  try { x.close?.(); } catch {}
}

function runChild(mode, url) {
  return withTimeout(new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [SELF, '--child', mode, '--url', url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('exit', () => {
      const line = out.trim().split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line)); else reject(new Error(`${mode} child: ${err.slice(-500)}`));
    });
    setTimeout(() => p.kill('SIGKILL'), 10000).unref();
  }), 12000, `startup ${mode}`);
}

async function main(args) {
  const reps = Number(args.reps || (args.quick ? 2 : 5));
  const server = await startSkymeshServer({});
  const res = { reps, skymesh: [], raw: [], errors: [] };
  try {
    for (let i = 0; i < reps; i++) {
      for (const mode of i % 2 ? ['raw', 'skymesh'] : ['skymesh', 'raw']) {
        try {
          if (mode === 'skymesh' && !fs.existsSync(DIST)) throw new Error('dist/skymesh.node.mjs not built');
          res[mode].push(await runChild(mode, server.httpUrl));
        } catch (e) { res[mode].push(null); res.errors.push(`${mode}: ${e.message}`); log(e.message); }
      }
    }
  } finally { await server.stop(); }
  const col = (m, k) => res[m].map((r) => (r ? r[k] : NaN));
  res.summary = {
    skymeshTotalMs: summary(col('skymesh', 'totalMs')),
    skymeshImportMs: summary(col('skymesh', 'importMs')),
    skymeshInstantiateMs: summary(col('skymesh', 'instantiateMs')),
    skymeshInitMs: summary(col('skymesh', 'initMs')),
    rawTotalMs: summary(col('raw', 'totalMs')),
    ratio: pairRatios(col('skymesh', 'totalMs'), col('raw', 'totalMs')),
  };
  log(`node start-up: skymesh ${res.summary.skymeshTotalMs.median?.toFixed(1)} ms (import ${res.summary.skymeshImportMs.median?.toFixed(1)}, ` +
    `instantiate ${res.summary.skymeshInstantiateMs.median?.toFixed(1)}, init ${res.summary.skymeshInitMs.median?.toFixed(1)}), raw ws hello ${res.summary.rawTotalMs.median?.toFixed(1)} ms`);
  emit(res);
}

const args = parseArgs();
if (args.child) child(args.child, args.url).then(() => setTimeout(() => process.exit(0), 50), (e) => { console.error(e); process.exit(1); });
else main(args).then(() => process.exit(0), (e) => { log(e.stack || e); process.exit(1); });

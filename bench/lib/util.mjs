// Process, timing and file helpers shared by the benchmarks.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = path.resolve(BENCH, '..');
export const WORK = path.join(BENCH, 'work');

export const now = () => performance.now();
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Rejects after ms with a labelled error; always clears its timer.
export function withTimeout(promise, ms, label) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${label}: timed out after ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

// Resident and peak memory of a process, in KiB, from /proc/PID/status.
export function procMemKiB(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const get = (k) => { const m = new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s); return m ? Number(m[1]) : null; };
    return { rss: get('VmRSS'), hwm: get('VmHWM') };
  } catch { return { rss: null, hwm: null }; }
}

// CPU time (user+sys, ms) a process has used, from /proc/PID/stat.
export function procCpuMs(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    const tick = 100; // USER_HZ on Linux
    return ((Number(f[11]) + Number(f[12])) * 1000) / tick;
  } catch { return null; }
}

export function parseArgs(argv = process.argv.slice(2)) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split('=');
      if (v !== undefined) out[k] = v;
      else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out[k] = argv[++i];
      else out[k] = true;
    } else out._.push(a);
  }
  return out;
}

// Each section script prints exactly one line "BENCH_RESULT <json>" to stdout.
export function emit(result) {
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
}

export function log(...args) {
  process.stderr.write(`[${path.basename(process.argv[1] || 'bench')}] ${args.join(' ')}\n`);
}

export function fileExists(p) {
  try { return fs.statSync(p).isFile(); } catch { return false; }
}

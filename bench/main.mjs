// Runs every benchmark section as its own child process (bounded in time), gathers
// their results, and writes bench/results.json and bench/RESULTS.md (or, with
// --quick, bench/work/results-quick.json and bench/work/RESULTS-quick.md, so a smoke
// run never overwrites the real results). Benchmarks report; nothing here asserts:
// the exit status is 0 whenever the report was written.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH, ROOT, WORK, parseArgs, log } from './lib/util.mjs';
import { writeReport, scaleSvg, SCALE_SVG } from './report.mjs';

const args = parseArgs();
const QUICK = !!args.quick;
const only = args.only ? String(args.only).split(',') : null;
const q = QUICK ? ['--quick'] : [];

// name, script, args, time limit (ms) full / quick
const SECTIONS = [
  ['weight', 'weight.mjs', [], 60000, 15000],
  ['startupNode', 'startup-node.mjs', [], 90000, 10000],
  ['nodeNdc', 'client-node.mjs', ['--stack', 'ndc'], 300000, 25000],
  ['nodeWrtc', 'client-node.mjs', ['--stack', 'wrtc'], 300000, 0],
  ['chromium', 'chromium.mjs', [], 240000, 25000],
  ['server', 'server-load.mjs', [], 420000, 25000],
  ['serverScale', 'server-scale.mjs', [], 600000, 30000],
  ['resilience', 'resilience.mjs', [], 150000, 32000],
  ['transferNdc', 'transfer-node.mjs', ['--stack', 'ndc'], 180000, 20000],
  ['transferWrtc', 'transfer-node.mjs', ['--stack', 'wrtc'], 180000, 0],
  ['transferChromium', 'transfer-chromium.mjs', [], 180000, 25000],
  ['transferMemory', 'transfer-memory.mjs', [], 150000, 20000],
  ['instances', 'instances.mjs', [], 180000, 30000],
  ['media', 'media-chromium.mjs', [], 240000, 25000],
];

function runSection([name, script, extra, fullMs, quickMs]) {
  const limit = QUICK ? quickMs : fullMs;
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [path.join(BENCH, script), ...extra, ...q, '--timeout', String(limit - 2000)],
      { stdio: ['ignore', 'pipe', 'inherit'], cwd: ROOT });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    const timer = setTimeout(() => { log(`${name}: over its ${limit} ms limit, killed`); child.kill('SIGKILL'); }, limit);
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
      const seconds = (Date.now() - t0) / 1000;
      if (line) resolve({ ok: true, seconds, ...JSON.parse(line.slice('BENCH_RESULT '.length)) });
      else resolve({ ok: false, seconds, error: `exited ${code ?? sig} without a result` });
    });
  });
}

function machine() {
  const cpus = os.cpus();
  let git = null;
  try { git = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim(); } catch {}
  let chromium = null;
  try { chromium = execFileSync('/usr/bin/chromium', ['--version'], { timeout: 10000 }).toString().trim(); } catch {}
  return {
    date: new Date().toISOString(),
    cpuModel: cpus[0]?.model || 'unknown',
    cores: cpus.length,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    kernel: os.release(),
    node: process.version,
    chromium,
    fdLimit: (() => { try { return execFileSync('sh', ['-c', 'ulimit -n']).toString().trim(); } catch { return null; } })(),
    gitCommit: git,
    mode: QUICK ? 'quick' : 'full',
  };
}

async function main() {
  fs.mkdirSync(WORK, { recursive: true });
  // --report: rebuild RESULTS.md from an existing results.json, running nothing.
  if (args.report) {
    const src = typeof args.report === 'string' ? args.report : path.join(BENCH, 'results.json');
    const results = JSON.parse(fs.readFileSync(src, 'utf8'));
    const md = results.machine.mode === 'quick' ? path.join(WORK, 'RESULTS-quick.md') : path.join(BENCH, 'RESULTS.md');
    fs.writeFileSync(md, writeReport(results));
    const svg = scaleSvg(results.sections.serverScale);
    if (svg) fs.writeFileSync(path.join(path.dirname(md), SCALE_SVG), svg);
    log(`wrote ${path.relative(ROOT, md)} from ${path.relative(ROOT, src)}`);
    return;
  }
  const t0 = Date.now();
  const jsonPath = QUICK ? path.join(WORK, 'results-quick.json') : path.join(BENCH, 'results.json');
  const mdPath = QUICK ? path.join(WORK, 'RESULTS-quick.md') : path.join(BENCH, 'RESULTS.md');
  // A full run with --only updates those sections in bench/results.json and keeps
  // the others (and the header of the run that measured them), noting what was re-run.
  let previous = null;
  if (only && !QUICK) {
    try { previous = JSON.parse(fs.readFileSync(jsonPath, 'utf8')); } catch {}
    if (previous?.machine?.mode !== 'full') previous = null;
  }
  const results = { machine: machine(), sections: {} };
  for (const s of SECTIONS) {
    const [name, , , , quickMs] = s;
    if (only && !only.includes(name)) continue;
    if (QUICK && !quickMs) { results.sections[name] = { ok: false, skipped: 'not in --quick' }; continue; }
    log(`== ${name}`);
    results.sections[name] = await runSection(s);
    log(`== ${name} done in ${results.sections[name].seconds.toFixed(1)} s${results.sections[name].ok ? '' : `: ${results.sections[name].error}`}`);
  }
  results.machine.totalSeconds = (Date.now() - t0) / 1000;
  if (previous) {
    const update = { sections: Object.keys(results.sections), date: results.machine.date, gitCommit: results.machine.gitCommit, seconds: results.machine.totalSeconds };
    const merged = { machine: { ...previous.machine, updates: [...(previous.machine.updates || []).filter((u) => !u.sections.every((x) => update.sections.includes(x))), update] }, sections: {} };
    for (const [name] of SECTIONS) {
      if (results.sections[name]) merged.sections[name] = results.sections[name];
      else if (previous.sections[name]) merged.sections[name] = previous.sections[name];
    }
    results.machine = merged.machine;
    results.sections = merged.sections;
  }
  fs.writeFileSync(jsonPath, JSON.stringify(results, null, 1) + '\n');
  fs.writeFileSync(mdPath, writeReport(results));
  const svg = scaleSvg(results.sections.serverScale);
  if (svg) fs.writeFileSync(path.join(path.dirname(mdPath), SCALE_SVG), svg);
  log(`wrote ${path.relative(ROOT, jsonPath)} and ${path.relative(ROOT, mdPath)} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

main().then(() => process.exit(0), (e) => { log(e.stack || e); process.exit(1); });

// Signaling-server load generator: skymesh-server and the PeerJS server (peer 1.0.2)
// driven by the same code, each in a fresh process per repetition.
//
//   idle   N WebSocket peers connect (at most `concurrency` handshakes in flight),
//          authenticate and join (skymesh: hello + join into rooms of `roomSize`;
//          PeerJS: connect with id/token until OPEN), then sit idle. Reports how many
//          are held, the connect+join rate, the server's CPU per join and its VmRSS
//          growth per peer. The peers come from bench/joingen.c (C, epoll) when
//          bench/run built it, else (or with --join-generator node) from node `ws`.
//   relay  P sender -> receiver pairs relay ICE-candidate messages through the server
//          (skymesh `candidate{to}`, PeerJS `CANDIDATE{dst}`), W messages in flight per
//          pair ("as fast as acks allow": the receiver seeing message k lets the
//          sender send k+W). Reports relayed messages/s and one-way relay latency
//          p50/p99 at saturation; then a paced phase at a fixed offered rate reports
//          latency under moderate load.
//
// Everything is bounded: counts, per-phase deadlines, and a hard process timeout.
// Usage: node bench/server-load.mjs [--quick] [--servers skymesh,peerjs] [--join-generator c|node]
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { skymeshServerBinary } from './lib/servers.mjs';
import { procMemKiB, procCpuMs, parseArgs, emit, log, sleep, now, withTimeout, WORK } from './lib/util.mjs';

const execFileP = promisify(execFile);
import { summary, pairRatios, latencySummary } from './lib/stats.mjs';

const args = parseArgs();
const QUICK = !!args.quick;
const CFG = {
  reps: Number(args.reps || (QUICK ? 1 : 5)),
  idlePeers: Number(args.peers || (QUICK ? 500 : 10000)),
  roomSize: Number(args['room-size'] || 10),
  concurrency: Number(args.concurrency || 200),
  idleDeadlineMs: Number(args['idle-deadline'] || (QUICK ? 10000 : 40000)),
  holdMs: QUICK ? 500 : 2000,
  pairs: Number(args.pairs || 4),
  window: Number(args.window || 64),
  relayMs: Number(args['relay-ms'] || (QUICK ? 1000 : 3000)),
  pacedRate: Number(args['paced-rate'] || (QUICK ? 1000 : 5000)),
  pacedMs: Number(args['paced-ms'] || (QUICK ? 1000 : 2000)),
};
const SERVERS = String(args.servers || 'skymesh,peerjs').split(',').filter(Boolean);
const HARD_TIMEOUT_MS = Number(args.timeout || (QUICK ? 45000 : 420000));
setTimeout(() => { log('hard timeout reached, exiting'); process.exit(3); }, HARD_TIMEOUT_MS).unref();

import { ADAPTERS, rampPeers, joinGenerator, JOIN_GENERATOR_TEXT } from './lib/signaling.mjs';
const JOIN_GENERATOR = joinGenerator(args);


// The relayed message's sequence number, without a full JSON parse.
function seqOf(buf) {
  const s = buf.toString('latin1');
  const i = s.indexOf('"candidate:');
  if (i < 0) return -1;
  return parseInt(s.slice(i + 11, i + 24), 10);
}

function closeAll(peers) {
  for (const p of peers) { try { p.ws.terminate ? p.ws.terminate() : p.ws.close(); } catch {} }
}

// ---- idle: hold N peers ----

async function idleRun(adapter) {
  const server = await adapter.start();
  let ramp = null;
  try {
    await sleep(300);
    await server.gc();
    const before = procMemKiB(server.pid);
    ramp = await rampPeers(JOIN_GENERATOR, adapter, server,
      { n: CFG.idlePeers, concurrency: CFG.concurrency, deadlineMs: CFG.idleDeadlineMs, roomSize: CFG.roomSize, roomPrefix: 'idle' });
    const { ready, failures, firstError, rampMs } = ramp;
    await sleep(CFG.holdMs);
    await server.gc();
    const after = procMemKiB(server.pid);
    const held = await ramp.held();
    const r = {
      target: CFG.idlePeers,
      held,
      failures,
      firstError,
      rampMs,
      joinsPerSec: ready / (rampMs / 1000),
      serverCpuMsPerJoin: ready ? ramp.serverCpuMs / ready : null,
      serverCpuShare: ramp.serverCpuMs / rampMs,
      generatorCpuShare: ramp.generatorCpuMs / rampMs,
      rssBeforeKiB: before.rss,
      rssAfterKiB: after.rss,
      rssPerPeerKiB: held ? (after.rss - before.rss) / held : null,
    };
    log(`${adapter.name} idle (${JOIN_GENERATOR} generator): held ${held}/${CFG.idlePeers} (${failures} failed) in ${rampMs.toFixed(0)} ms, ` +
      `${r.joinsPerSec.toFixed(0)} joins/s, ${(r.serverCpuMsPerJoin * 1000).toFixed(0)} us server CPU per join ` +
      `(cpu server ${(r.serverCpuShare * 100).toFixed(0)}% generator ${(r.generatorCpuShare * 100).toFixed(0)}%), RSS ${before.rss} -> ${after.rss} KiB, ${r.rssPerPeerKiB?.toFixed(2)} KiB/peer`);
    return r;
  } finally {
    await ramp?.close();
    await server.stop();
  }
}

// ---- relay: P pairs, W in flight, then paced ----

const RELAYGEN = path.join(WORK, 'relaygen');
const GENERATOR = args.generator || (fs.existsSync(RELAYGEN) ? 'c' : 'node');

// The C generator (bench/relaygen.c, built by bench/run): same phases, same messages.
async function relayRunC(adapter) {
  const server = await adapter.start();
  try {
    await sleep(200);
    const warm = Math.min(500, CFG.relayMs / 4);
    const { stdout } = await execFileP(RELAYGEN, [adapter.name, '127.0.0.1', String(server.port), String(CFG.pairs),
      String(CFG.window), String(warm), String(CFG.relayMs), String(CFG.pacedRate), String(CFG.pacedMs), String(server.pid)],
    { timeout: CFG.relayMs + CFG.pacedMs + 20000 });
    const g = JSON.parse(stdout.trim().split('\n').pop());
    if (g.error) throw new Error(`relaygen: ${g.error}`);
    const mem = procMemKiB(server.pid);
    const r = {
      pairs: g.pairs, window: g.window,
      relayedPerSec: g.saturated.perSec,
      saturatedLatencyMs: { n: g.saturated.n, p50: g.saturated.p50, p99: g.saturated.p99, max: g.saturated.max },
      serverCpuShare: g.serverCpuShare,
      generatorCpuShare: g.generatorCpuShare,
      undeliveredAfterDrain: g.undelivered,
      errors: g.errors, errorSample: g.errorSample || null,
      rssKiB: mem.rss,
      paced: { offeredPerSec: g.offeredPerSec, achievedPerSec: g.paced.perSec, latencyMs: { n: g.paced.n, p50: g.paced.p50, p99: g.paced.p99, max: g.paced.max } },
    };
    log(`${adapter.name} relay (C generator): ${r.relayedPerSec.toFixed(0)} msg/s (cpu server ${(g.serverCpuShare * 100).toFixed(0)}% generator ${(g.generatorCpuShare * 100).toFixed(0)}%), sat p50 ${g.saturated.p50} p99 ${g.saturated.p99} ms; ` +
      `paced ${g.offeredPerSec}/s p50 ${g.paced.p50} p99 ${g.paced.p99} ms` + (g.errors ? `; ${g.errors} errors e.g. ${g.errorSample}` : ''));
    return r;
  } finally {
    await server.stop();
  }
}

async function relayRun(adapter) {
  if (GENERATOR === 'c') return relayRunC(adapter);
  const server = await adapter.start();
  const senders = [];
  const receivers = [];
  try {
    for (let k = 0; k < CFG.pairs; k++) {
      const room = `relay-${k}`;
      senders.push(await withTimeout(adapter.connectRaw(server, room), 10000, 'connect'));
      receivers.push(await withTimeout(adapter.connectRaw(server, room), 10000, 'connect'));
    }
    await sleep(200);
    const RING = 1 << 16;
    const pairs = senders.map((s, k) => ({
      s, r: receivers[k], sent: 0, recv: 0, sendAt: new Float64Array(RING), lat: [],
    }));
    let mode = 'idle';
    let windowOpen = false;
    let countFrom = 0;
    let countTo = 0;
    let counted = 0;
    const errors = { count: 0, sample: null };
    const noteError = (f) => {
      const str = f.toString();
      if (/"error"|"ERROR"/.test(str)) { errors.count++; errors.sample ??= str.slice(0, 200); }
    };
    const sendOne = (p) => {
      const seq = p.sent++;
      p.sendAt[seq % RING] = now();
      p.s.ws.send(adapter.relay(p.r.id, seq));
    };
    for (const p of pairs) {
      p.s.ws.onBatch = (frames) => frames.forEach(noteError);
      p.r.ws.onBatch = (frames) => {
        const t = now();
        let k = 0;
        for (const f of frames) {
          const seq = seqOf(f);
          if (seq < 0) { noteError(f); continue; }
          p.recv++; k++;
          if (t >= countFrom && t <= countTo) { counted++; p.lat.push(t - p.sendAt[seq % RING]); }
        }
        // As fast as acks allow: one new message per message seen, in one write.
        if (mode === 'saturate' && windowOpen && k) {
          const out = [];
          for (let i = 0; i < k; i++) {
            const seq = p.sent++;
            p.sendAt[seq % RING] = t;
            out.push(adapter.relay(p.r.id, seq));
          }
          p.s.ws.sendMany(out);
        }
      };
    }
    const drain = async () => {
      const until = now() + 5000;
      while (now() < until && pairs.some((p) => p.recv < p.sent)) await sleep(20);
    };

    // Saturation: W in flight per pair; count messages that arrive after a warm-up.
    const cpu0 = procCpuMs(server.pid);
    const gen0 = process.cpuUsage();
    mode = 'saturate'; windowOpen = true;
    const warm = Math.min(500, CFG.relayMs / 4);
    const t0 = now();
    countFrom = t0 + warm; countTo = t0 + warm + CFG.relayMs;
    for (const p of pairs) for (let i = 0; i < CFG.window; i++) sendOne(p);
    await sleep(warm + CFG.relayMs);
    windowOpen = false;
    const cpuSat = procCpuMs(server.pid) - cpu0;
    const genCpu = process.cpuUsage(gen0);
    const genSat = (genCpu.user + genCpu.system) / 1000;
    const satLat = latencySummary(pairs.flatMap((p) => p.lat));
    const satRate = counted / (CFG.relayMs / 1000);
    const lost = pairs.reduce((a, p) => a + p.sent - p.recv, 0);
    await drain();
    const undelivered = pairs.reduce((a, p) => a + p.sent - p.recv, 0);
    const mem = procMemKiB(server.pid);

    // Paced: a fixed offered rate by the wall clock, checked every 2 ms (a late timer
    // catches up), round-robin over the pairs.
    for (const p of pairs) p.lat = [];
    counted = 0;
    mode = 'paced';
    let pk = 0;
    const p0 = now();
    countFrom = p0 + 200; countTo = p0 + 200 + CFG.pacedMs;
    const pacedSent0 = pairs.reduce((a, p) => a + p.sent, 0);
    await new Promise((resolve) => {
      const tick = setInterval(() => {
        const t = now();
        if (t > countTo) { clearInterval(tick); resolve(); return; }
        const due = Math.floor(((t - p0) / 1000) * CFG.pacedRate) - (pairs.reduce((a, p) => a + p.sent, 0) - pacedSent0);
        for (let i = 0; i < due; i++) { sendOne(pairs[pk]); pk = (pk + 1) % pairs.length; }
      }, 2);
    });
    await drain();
    const pacedLat = latencySummary(pairs.flatMap((p) => p.lat));
    const pacedAchieved = counted / (CFG.pacedMs / 1000);
    const r = {
      pairs: CFG.pairs, window: CFG.window,
      relayedPerSec: satRate,
      saturatedLatencyMs: satLat,
      serverCpuShare: cpuSat / (warm + CFG.relayMs),
      generatorCpuShare: genSat / (warm + CFG.relayMs),
      inFlightAtStop: lost,
      undeliveredAfterDrain: undelivered,
      errors: errors.count, errorSample: errors.sample,
      rssKiB: mem.rss,
      paced: { offeredPerSec: CFG.pacedRate, achievedPerSec: pacedAchieved, latencyMs: pacedLat },
    };
    log(`${adapter.name} relay: ${satRate.toFixed(0)} msg/s, sat p50 ${satLat.p50?.toFixed(2)} p99 ${satLat.p99?.toFixed(2)} ms, ` +
      `cpu server ${(r.serverCpuShare * 100).toFixed(0)}% generator ${(r.generatorCpuShare * 100).toFixed(0)}%; paced ${CFG.pacedRate}/s p50 ${pacedLat.p50?.toFixed(3)} p99 ${pacedLat.p99?.toFixed(3)} ms` +
      (errors.count ? `; ${errors.count} errors e.g. ${errors.sample}` : ''));
    return r;
  } finally {
    closeAll(senders); closeAll(receivers);
    await server.stop();
  }
}

// ---- main: interleave the servers, repetition by repetition ----

async function main() {
  const result = { config: CFG, servers: {}, generator: null, cores: os.cpus().length, notes: [] };
  result.generator = {
    idle: JOIN_GENERATOR_TEXT[JOIN_GENERATOR],
    relay: GENERATOR === 'c' ? 'bench/relaygen.c: one C thread, epoll, raw WebSocket frames, batched writes'
      : 'node, raw-socket WebSocket client (bench/lib/rawws.mjs), batched writes',
  };
  const avail = SERVERS.filter((s) => s !== 'skymesh' || skymeshServerBinary());
  if (!avail.includes('skymesh') && SERVERS.includes('skymesh')) result.notes.push('skymesh-server binary not built: skymesh side skipped');
  for (const s of avail) result.servers[s] = { idle: [], relay: [], errors: [] };
  for (let rep = 0; rep < CFG.reps; rep++) {
    for (const s of avail) {
      try { result.servers[s].idle.push(await idleRun(ADAPTERS[s])); }
      catch (e) { log(`${s} idle rep ${rep} failed: ${e.stack || e}`); result.servers[s].idle.push(null); result.servers[s].errors.push(`idle: ${e.message}`); }
      await sleep(300);
    }
    for (const s of avail) {
      try { result.servers[s].relay.push(await relayRun(ADAPTERS[s])); }
      catch (e) { log(`${s} relay rep ${rep} failed: ${e.stack || e}`); result.servers[s].relay.push(null); result.servers[s].errors.push(`relay: ${e.message}`); }
      await sleep(300);
    }
  }
  // Summaries and pair-by-pair ratios.
  const col = (s, phase, f) => (result.servers[s]?.[phase] || []).map((r) => (r ? f(r) : NaN));
  const metrics = {
    held: ['idle', (r) => r.held],
    joinsPerSec: ['idle', (r) => r.joinsPerSec],
    serverCpuUsPerJoin: ['idle', (r) => r.serverCpuMsPerJoin * 1000],
    rssPerPeerKiB: ['idle', (r) => r.rssPerPeerKiB],
    relayedPerSec: ['relay', (r) => r.relayedPerSec],
    satP50Ms: ['relay', (r) => r.saturatedLatencyMs.p50],
    satP99Ms: ['relay', (r) => r.saturatedLatencyMs.p99],
    pacedP50Ms: ['relay', (r) => r.paced.latencyMs.p50],
    pacedP99Ms: ['relay', (r) => r.paced.latencyMs.p99],
  };
  result.summary = {};
  for (const s of avail) {
    result.summary[s] = {};
    for (const [k, [phase, f]] of Object.entries(metrics)) result.summary[s][k] = summary(col(s, phase, f));
  }
  if (avail.includes('skymesh') && avail.includes('peerjs')) {
    result.ratios = {};
    for (const [k, [phase, f]] of Object.entries(metrics)) result.ratios[k] = pairRatios(col('skymesh', phase, f), col('peerjs', phase, f));
  }
  emit(result);
}

main().then(() => process.exit(0), (e) => { log(e.stack || e); process.exit(1); });

// How each signaling server scales with the number of peers it holds: for N peers
// (1,000, 10,000, 50,000 in the full run), a fresh server, N WebSocket peers
// connect and join (rooms of 10), then, with all N still held, the C relay
// generator (bench/relaygen.c) measures relayed messages/s between 4 extra pairs.
// Reports joins/s, memory per held peer and relay rate against N, for skymesh-server
// and the PeerJS server, one repetition per N (the 10,000 point of server-load.mjs
// has the repetitions). report.mjs draws these curves as bench/scale.svg.
//
// Past ~28,000 peers one loopback source address runs out of ephemeral ports, so
// peers connect from 127.0.0.1, 127.0.0.2, ... in turn. Each process needs N file
// descriptors: bench/run raises the limit; a size the limit cannot hold is skipped
// and said so.
// The peers come from the C join generator (bench/joingen.c) when bench/run built it,
// else (or with --join-generator node) from node `ws`; they stay held, by that
// process, through the memory reading and the relay run.
// Usage: node bench/server-scale.mjs [--quick] [--sizes 1000,10000] [--servers skymesh,peerjs] [--join-generator c|node]
import path from 'node:path';
import fs from 'node:fs';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { ADAPTERS, rampPeers, joinGenerator, JOIN_GENERATOR_TEXT } from './lib/signaling.mjs';
import { skymeshServerBinary } from './lib/servers.mjs';
import { procMemKiB, parseArgs, emit, log, sleep, WORK } from './lib/util.mjs';

const execFileP = promisify(execFile);
const args = parseArgs();
const QUICK = !!args.quick;
const SIZES = String(args.sizes || (QUICK ? '200,1000' : '1000,10000,50000')).split(',').map(Number);
const SERVERS = String(args.servers || 'skymesh,peerjs').split(',').filter(Boolean);
const CFG = { roomSize: 10, concurrency: 200, pairs: 4, window: 64, relayMs: QUICK ? 500 : 2000, rampLimitMs: QUICK ? 15000 : 60000 };
const HARD_TIMEOUT_MS = Number(args.timeout || (QUICK ? 45000 : 600000));
setTimeout(() => { log('hard timeout reached, exiting'); process.exit(3); }, HARD_TIMEOUT_MS).unref();
const RELAYGEN = path.join(WORK, 'relaygen');
const JOIN_GENERATOR = joinGenerator(args);

function fdLimit() {
  try { return Number(execFileSync('sh', ['-c', 'ulimit -n']).toString().trim()) || Infinity; } catch { return Infinity; }
}

// Sockets the last point (or section) closed sit in TIME_WAIT for 60 s, each
// holding a loopback port: wait until N more peers and the relay pairs fit.
async function portsFor(n) {
  const tw = () => Number(/TCP:.*\btw (\d+)/.exec(fs.readFileSync('/proc/net/sockstat', 'utf8'))?.[1] || 0);
  const until = Date.now() + 70000;
  while (tw() + n > 26000 && Date.now() < until) await sleep(1000);
}

async function point(adapter, n) {
  await portsFor(n);
  const server = await adapter.start(n + 1000);
  let ramp = null;
  try {
    await sleep(300);
    await server.gc();
    const before = procMemKiB(server.pid).rss;
    ramp = await rampPeers(JOIN_GENERATOR, adapter, server,
      { n, concurrency: CFG.concurrency, deadlineMs: CFG.rampLimitMs, roomSize: CFG.roomSize, roomPrefix: 'scale', spreadAddresses: true });
    const { ready, failures, firstError, rampMs } = ramp;
    const cpuMsPerJoin = ready ? ramp.serverCpuMs / ready : null;
    await sleep(500);
    await server.gc();
    const held = await ramp.held();
    const after = procMemKiB(server.pid).rss;
    let relay = null;
    if (fs.existsSync(RELAYGEN)) {
      const { stdout } = await execFileP(RELAYGEN, [adapter.name, '127.0.0.1', String(server.port), String(CFG.pairs),
        String(CFG.window), '200', String(CFG.relayMs), '1000', '200', String(server.pid)], { timeout: CFG.relayMs + 20000 });
      const g = JSON.parse(stdout.trim().split('\n').pop());
      if (g.error) throw new Error(`relaygen: ${g.error}`);
      relay = { relayedPerSec: g.saturated.perSec, p50: g.saturated.p50, p99: g.saturated.p99, serverCpuShare: g.serverCpuShare };
    }
    const r = {
      n, held, failures, firstError, rampMs,
      joinsPerSec: ready / (rampMs / 1000),
      serverCpuMsPerJoin: cpuMsPerJoin,
      generatorCpuShare: ramp.generatorCpuMs / rampMs,
      serverCpuShare: ramp.serverCpuMs / rampMs,
      rssPerPeerKiB: held ? (after - before) / held : null,
      relayedPerSec: relay?.relayedPerSec ?? null,
      relay,
    };
    log(`${adapter.name} N=${n} (${JOIN_GENERATOR} generator): held ${held} (${failures} failed), ${r.joinsPerSec.toFixed(0)} joins/s, ` +
      `${cpuMsPerJoin?.toFixed(3)} ms server CPU per join (cpu server ${(r.serverCpuShare * 100).toFixed(0)}% generator ${(r.generatorCpuShare * 100).toFixed(0)}%), ` +
      `${r.rssPerPeerKiB?.toFixed(2)} KiB/peer, relay ${relay ? relay.relayedPerSec.toFixed(0) : 'n/a'} msg/s`);
    return r;
  } finally {
    await ramp?.close();
    await server.stop();
  }
}

async function main() {
  const limit = fdLimit();
  const result = { config: { ...CFG, sizes: SIZES, fdLimit: limit, joinGenerator: JOIN_GENERATOR_TEXT[JOIN_GENERATOR] }, servers: {}, notes: [] };
  const avail = SERVERS.filter((s) => s !== 'skymesh' || skymeshServerBinary());
  for (const s of avail) result.servers[s] = [];
  for (const [k, n] of SIZES.entries()) {
    if (n + 1000 > limit) {
      result.notes.push(`N=${n} skipped: the fd limit is ${limit}`);
      log(`N=${n} skipped: fd limit ${limit}`);
      continue;
    }
    // Alternate which server goes first, as the other sections do.
    const order = k % 2 ? [...avail].reverse() : avail;
    for (const s of order) {
      try { result.servers[s].push(await point(ADAPTERS[s], n)); }
      catch (e) { log(`${s} N=${n} failed: ${e.stack || e}`); result.servers[s].push({ n, error: String(e.message || e) }); }
      await sleep(500);
    }
  }
  emit(result);
}

main().then(() => process.exit(0), (e) => { log(e.stack || e); process.exit(1); });

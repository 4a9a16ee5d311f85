// Several skymesh-server instances on one Redis (--redis) against one server
// without it: how fast peers connect and join, how many relayed messages per
// second pass between peers on different instances, and how long one takes.
//
//   joins  N peers (round robin over the instances) say hello and join rooms of
//          `roomSize`, `concurrency` at a time: joins/s until every one is in.
//   relay  P sender -> receiver pairs, the receiver on the next instance (so with
//          two or more instances every message crosses Redis), W candidates in
//          flight per pair: relayed msgs/s at saturation, then one-way latency
//          p50/p99 at a paced `pacedRate`/s.
//
// Configurations: memory (1 instance, no Redis), redis-1, redis-2, redis-3; a
// fresh redis-server (no persistence) and fresh instances for each.
// Usage: node bench/instances.mjs [--quick]
import { RawWs, nextMessage } from './lib/rawws.mjs';
import { startSkymeshServer, skymeshServerBinary } from './lib/servers.mjs';
import { parseArgs, emit, log, sleep, now, withTimeout } from './lib/util.mjs';
import { latencySummary } from './lib/stats.mjs';
import { startRedis } from '../tests/helpers/redis.mjs';

const args = parseArgs();
const QUICK = !!args.quick;
const CFG = {
  peers: Number(args.peers || (QUICK ? 200 : 2000)),
  roomSize: 10,
  concurrency: 50,
  pairs: 4,
  window: 32,
  relayMs: QUICK ? 1000 : 3000,
  pacedRate: QUICK ? 500 : 2000,
  pacedMs: QUICK ? 1000 : 3000,
};
const CONFIGS = [['memory', 1, false], ['redis-1', 1, true], ['redis-2', 2, true], ['redis-3', 3, true]];
setTimeout(() => { log('hard timeout reached, exiting'); process.exit(3); }, Number(args.timeout || 300000)).unref();

// One peer on the raw client, in `room`: { ws, id }.
async function joinPeer(server, room) {
  const ws = await RawWs.connect(server.wsUrl);
  const reply = (type) => nextMessage(ws, (m) => m.type === type || m.type === 'error');
  let p = reply('welcome');
  ws.send(JSON.stringify({ type: 'hello', v: 1, appKey: 'bench' }));
  const w = await p;
  p = reply('joined');
  ws.send(JSON.stringify({ type: 'join', room, userData: {} }));
  const j = await p;
  if (w.type !== 'welcome' || j.type !== 'joined') throw new Error(`refused: ${JSON.stringify(j)}`);
  return { ws, id: w.peerId };
}

async function joinsPerSec(servers, count) {
  const peers = [];
  let next = 0;
  const t0 = now();
  await Promise.all(Array.from({ length: CFG.concurrency }, async () => {
    while (next < count) {
      const i = next++;
      peers.push(await withTimeout(joinPeer(servers[i % servers.length], `j-${Math.floor(i / CFG.roomSize)}`), 15000, 'join'));
    }
  }));
  const rate = peers.length / ((now() - t0) / 1000);
  for (const p of peers) p.ws.socket.destroy();
  return rate;
}

const candidate = (to, seq) => JSON.stringify({ type: 'candidate', to, candidate: `candidate:${seq} 1 udp 1 127.0.0.1 9 typ host`, sdpMid: '0', sdpMLineIndex: 0 });
const seqOf = (buf) => { const s = buf.toString('latin1'); const i = s.indexOf('"candidate:'); return i < 0 ? -1 : parseInt(s.slice(i + 11, i + 24), 10); };

async function relay(servers) {
  const pairs = [];
  for (let k = 0; k < CFG.pairs; k++) {
    const s = await joinPeer(servers[k % servers.length], `r-${k}`);
    const r = await joinPeer(servers[(k + 1) % servers.length], `r-${k}`);
    pairs.push({ s, r, sent: 0, sentAt: new Map(), lat: [] });
  }
  await sleep(200);
  let saturate = true, count = false, counted = 0;
  const send = (p, t) => { const seq = p.sent++; p.sentAt.set(seq, t); return candidate(p.r.id, seq); };
  for (const p of pairs) {
    p.r.ws.onBatch = (frames) => {
      const t = now();
      const more = [];
      for (const f of frames) {
        const seq = seqOf(f);
        if (seq < 0) continue;
        if (count) { counted++; p.lat.push(t - p.sentAt.get(seq)); }
        p.sentAt.delete(seq);
        if (saturate) more.push(send(p, t));
      }
      if (more.length) p.s.ws.sendMany(more);
    };
    p.s.ws.sendMany(Array.from({ length: CFG.window }, () => send(p, now())));
  }
  await sleep(300);
  count = true;
  await sleep(CFG.relayMs);
  count = false;
  const perSec = counted / (CFG.relayMs / 1000);
  const saturated = latencySummary(pairs.flatMap((p) => p.lat));
  saturate = false;
  await sleep(500);
  for (const p of pairs) p.lat = [];
  count = true;
  const t0 = now();
  let k = 0, sent = 0;
  await new Promise((resolve) => {
    const tick = setInterval(() => {
      const t = now();
      if (t - t0 > CFG.pacedMs) { clearInterval(tick); resolve(); return; }
      for (const due = Math.floor(((t - t0) / 1000) * CFG.pacedRate); sent < due; sent++, k = (k + 1) % pairs.length) {
        pairs[k].s.ws.send(send(pairs[k], now()));
      }
    }, 2);
  });
  await sleep(300);
  const paced = latencySummary(pairs.flatMap((p) => p.lat));
  for (const p of pairs) { p.s.ws.socket.destroy(); p.r.ws.socket.destroy(); }
  return { perSec, saturated, paced };
}

async function runConfig([name, n, withRedis]) {
  const redis = withRedis ? await startRedis() : null;
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      servers.push(await startSkymeshServer({ maxConnections: 20000, rate: 1000000, burst: 1000000, maxRooms: 20000,
        extraArgs: redis ? ['--redis', redis.url, '--instance-id', `bench-${i + 1}`] : [] }));
    }
    await sleep(500); // connected to Redis
    await joinsPerSec(servers, 200); // warm-up: the generator's JIT, the servers' allocators
    const joins = await joinsPerSec(servers, CFG.peers);
    const r = await relay(servers);
    log(`${name}: ${joins.toFixed(0)} joins/s, ${r.perSec.toFixed(0)} relayed msg/s (p50 ${r.saturated.p50?.toFixed(2)} p99 ${r.saturated.p99?.toFixed(2)} ms), ` +
      `paced ${CFG.pacedRate}/s p50 ${r.paced.p50?.toFixed(2)} p99 ${r.paced.p99?.toFixed(2)} ms`);
    return { instances: n, redis: withRedis, joinsPerSec: joins, relayedPerSec: r.perSec, saturatedLatencyMs: r.saturated, pacedLatencyMs: r.paced };
  } finally {
    for (const s of servers) await s.stop();
    await redis?.stop();
  }
}

async function main() {
  const result = { config: CFG, runs: {}, errors: [] };
  if (!skymeshServerBinary()) throw new Error('skymesh-server not built');
  for (const c of CONFIGS) {
    try { result.runs[c[0]] = await runConfig(c); } catch (e) { log(`${c[0]} failed: ${e.stack || e}`); result.errors.push(`${c[0]}: ${e.message}`); }
  }
  emit(result);
}

main().then(() => process.exit(0), (e) => { log(e.stack || e); process.exit(1); });

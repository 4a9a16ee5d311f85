// The network-namespace helper (tests/helpers/netns.mjs) builds a real network:
// peers reach each other and the hub through the bridge and nothing else;
// linkDown/linkUp, loss and netem really change what gets through; nothing is
// left behind, even by a process that dies. Skipped when namespaces cannot be
// made (not root), except under CI or SKYMESH_REQUIRE_NETNS=1, where it fails.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { pathToFileURL, fileURLToPath } from 'node:url';
import net from 'node:net';
import path from 'node:path';
import { createNetwork, netnsSkip, canUseNetem, ourNamespaces } from './netns.mjs';

const skip = netnsSkip();
const HERE = path.dirname(fileURLToPath(import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Run inside a namespace: connects to addr:port, then `rounds` one-byte echoes;
// prints {ok, rtt (the smallest, ms)} or {ok: false, error} (a code, or 'timeout').
const PROBE = `
const [addr, port, timeout, rounds] = process.argv.slice(1);
const done = (r) => { console.log(JSON.stringify(r)); process.exit(0); };
setTimeout(() => done({ ok: false, error: 'timeout' }), Number(timeout));
const s = require('net').connect(Number(port), addr);
s.on('error', (e) => done({ ok: false, error: e.code }));
s.on('connect', () => {
  const rtts = [];
  let sent;
  const ping = () => { sent = process.hrtime.bigint(); s.write('x'); };
  s.on('data', () => {
    rtts.push(Number(process.hrtime.bigint() - sent) / 1e6);
    if (rtts.length >= Number(rounds)) done({ ok: true, rtt: Math.min(...rtts) }); else ping();
  });
  ping();
});`;

const ECHO = `
const [addr, port] = process.argv.slice(1);
require('net').createServer((c) => { c.on('error', () => {}); c.pipe(c); })
  .listen(Number(port), addr, () => console.log('up'));`;

let nw;
function probe(ns, addr, port, { timeout = 1000, rounds = 1 } = {}) {
  return new Promise((resolve, reject) => {
    const child = nw.exec(ns, process.execPath, ['-e', PROBE, addr, String(port), String(timeout), String(rounds)],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', () => {
      try { resolve(JSON.parse(out)); } catch { reject(new Error(`probe printed: ${out}`)); }
    });
  });
}

function startEcho(ns, addr, port) {
  const child = nw.exec(ns, process.execPath, ['-e', ECHO, addr, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', () => resolve(child));
    child.on('exit', (code) => reject(new Error(`echo server in ${ns} exited ${code}`)));
  });
}

// Waits until probe() answers ok (a link coming up takes a moment).
async function reachable(ns, addr, port, ms = 5000) {
  const start = Date.now();
  for (;;) {
    const r = await probe(ns, addr, port, { timeout: 500 });
    if (r.ok) return r;
    if (Date.now() - start > ms) return r;
  }
}

const P0 = 7000; // echo server on peer 0
const HUB = 7001; // echo server on the hub

before(async () => {
  if (skip) return;
  nw = createNetwork(2);
  await startEcho(0, nw.peerAddr(0), P0);
  await startEcho(nw.hub, nw.hubAddr, HUB);
});
after(() => nw?.destroy());

test('the layout: names, addresses, a bridge in the hub, eth0 in each peer', { skip }, () => {
  assert.equal(nw.peers.length, 2);
  assert.equal(nw.hubAddr, '10.231.0.1');
  assert.deepEqual([nw.peerAddr(0), nw.peerAddr(1)], ['10.231.0.10', '10.231.0.11']);
  for (const ns of [nw.hub, ...nw.peers]) assert.ok(ns.startsWith(`sm${process.pid}-`), ns);
  assert.deepEqual(ourNamespaces().sort(), [nw.hub, ...nw.peers].sort());
  assert.match(nw.run(nw.hub, 'ip', ['-br', 'addr', 'show', 'br0']), /10\.231\.0\.1\/24/);
  assert.match(nw.run(nw.hub, 'ip', ['-br', 'link', 'show', 'master', 'br0']), /veth0.*\n.*veth1/s);
  assert.match(nw.run(1, 'ip', ['-br', 'addr', 'show', 'eth0']), /10\.231\.0\.11\/24/);
  assert.match(nw.run(1, 'ip', ['-br', 'link', 'show', 'lo']), /UP|UNKNOWN/);
});

test('peers reach each other and the hub through the bridge, and nothing of the machine', { skip }, async () => {
  assert.equal((await probe(1, nw.peerAddr(0), P0)).ok, true, 'peer 1 -> peer 0');
  assert.equal((await probe(1, nw.hubAddr, HUB)).ok, true, 'peer 1 -> hub');
  assert.equal((await probe(0, nw.hubAddr, HUB)).ok, true, 'peer 0 -> hub');
  // A server on the machine's loopback is not the peer's loopback.
  const outside = net.createServer(() => {});
  await new Promise((r) => outside.listen(0, '127.0.0.1', r));
  try {
    const r = await probe(1, '127.0.0.1', outside.address().port);
    assert.deepEqual(r, { ok: false, error: 'ECONNREFUSED' });
  } finally {
    outside.close();
  }
});

test('linkDown breaks the peer\'s path, linkUp restores it', { skip }, async () => {
  nw.linkDown(1);
  try {
    assert.equal((await probe(1, nw.peerAddr(0), P0)).ok, false, 'peer 1 -> peer 0 while down');
    assert.equal((await probe(0, nw.peerAddr(1), P0)).ok, false, 'peer 0 -> peer 1 while down');
    assert.equal((await probe(1, nw.hubAddr, HUB)).ok, false, 'peer 1 -> hub while down');
    assert.equal((await probe(0, nw.hubAddr, HUB)).ok, true, 'peer 0 is not affected');
  } finally {
    nw.linkUp(1);
  }
  assert.equal((await reachable(1, nw.peerAddr(0), P0)).ok, true, 'peer 1 -> peer 0 after linkUp');
  assert.equal((await reachable(1, nw.hubAddr, HUB)).ok, true, 'peer 1 -> hub after linkUp');
});

test('loss(i, 100) drops silently both ways (a timeout, not a refusal); clearLoss restores', { skip }, async () => {
  // An established connection stalls too: write, and nothing comes back.
  nw.loss(1, 100);
  try {
    assert.deepEqual(await probe(1, nw.peerAddr(0), P0), { ok: false, error: 'timeout' });
    assert.deepEqual(await probe(1, nw.hubAddr, HUB), { ok: false, error: 'timeout' });
    assert.deepEqual(await probe(0, nw.peerAddr(1), 9), { ok: false, error: 'timeout' }, 'not even a RST from a closed port');
    assert.equal((await probe(0, nw.hubAddr, HUB)).ok, true, 'peer 0 is not affected');
  } finally {
    nw.clearLoss(1);
  }
  assert.equal((await probe(1, nw.peerAddr(0), P0)).ok, true, 'restored');
  assert.deepEqual(await probe(0, nw.peerAddr(1), 9), { ok: false, error: 'ECONNREFUSED' }, 'the closed port answers again');
  // One direction only: what peer 1 receives is dropped, what it sends is not.
  nw.loss(1, 100, { dir: 'to' });
  try {
    assert.deepEqual(await probe(1, nw.hubAddr, HUB), { ok: false, error: 'timeout' });
    const hubRules = nw.run(nw.hub, 'iptables', ['-t', 'raw', '-S', 'PREROUTING']);
    assert.doesNotMatch(hubRules, /DROP/, 'nothing dropped at the hub');
  } finally {
    nw.clearLoss(1);
  }
  assert.equal((await probe(1, nw.hubAddr, HUB)).ok, true);
});

const netem = canUseNetem();
test('netem delay 200ms shows up in the round-trip time; clearNetem removes it', { skip: skip || (!netem.ok && netem.reason) }, async () => {
  const base = await probe(1, nw.peerAddr(0), P0, { rounds: 3 });
  assert.equal(base.ok, true);
  assert.ok(base.rtt < 50, `base rtt ${base.rtt} ms`);
  nw.netem(1, 'delay 200ms');
  try {
    const slow = await probe(1, nw.peerAddr(0), P0, { rounds: 3, timeout: 4000 });
    assert.equal(slow.ok, true);
    assert.ok(slow.rtt >= 195 && slow.rtt < 400, `rtt with delay ${slow.rtt} ms`);
  } finally {
    nw.clearNetem(1);
  }
  const back = await probe(1, nw.peerAddr(0), P0, { rounds: 3 });
  assert.ok(back.rtt < 50, `rtt after clearNetem ${back.rtt} ms`);
});

test('destroy() removes every namespace, kills exec() children, and can be called again', { skip }, async () => {
  const extra = createNetwork(1);
  const names = [extra.hub, ...extra.peers];
  const sleeper = extra.exec(0, process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  const exited = new Promise((r) => sleeper.on('exit', (code, sig) => r(sig)));
  const listed = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const n of names) assert.match(listed, new RegExp(`^${n}\\b`, 'm'));
  extra.destroy();
  extra.destroy();
  assert.equal(await exited, 'SIGKILL');
  const after = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const n of names) assert.doesNotMatch(after, new RegExp(`^${n}\\b`, 'm'));
  assert.ok(!ourNamespaces().some((n) => names.includes(n)));
});

// A process that makes a network and then dies in one of three ways.
function childNamespaces(how) {
  const script = `
    import { createNetwork } from ${JSON.stringify(pathToFileURL(path.join(HERE, 'netns.mjs')).href)};
    const nw = createNetwork(2);
    console.log(JSON.stringify([nw.hub, ...nw.peers]));
    if (${JSON.stringify(how)} === 'throw') setTimeout(() => { throw new Error('boom'); }, 50);
    else setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let names;
    child.stdout.on('data', (d) => {
      out += d;
      if (!names && out.includes('\n')) {
        names = JSON.parse(out);
        if (how !== 'throw') child.kill(how);
      }
    });
    child.stderr.on('data', () => {});
    child.on('exit', (code, sig) => (names ? resolve({ names, code, sig, pid: child.pid }) : reject(new Error(`child: ${out}`))));
  });
}

for (const how of ['throw', 'SIGTERM', 'SIGINT']) {
  test(`a process that ends by ${how} leaves no namespace behind`, { skip }, async () => {
    const r = await childNamespaces(how);
    if (how === 'throw') assert.equal(r.code, 1);
    else assert.equal(r.sig, how, 'it still dies of the signal');
    const listed = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    for (const n of r.names) assert.doesNotMatch(listed, new RegExp(`^${n}\\b`, 'm'));
  });
}

test('what a SIGKILLed process left is removed by the next createNetwork', { skip }, async () => {
  const r = await childNamespaces('SIGKILL');
  let listed = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  assert.match(listed, new RegExp(`^${r.names[0]}\\b`, 'm'), 'SIGKILL leaves them');
  const next = createNetwork(1);
  next.destroy();
  listed = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const n of r.names) assert.doesNotMatch(listed, new RegExp(`^${n}\\b`, 'm'));
});

test('nothing of ours is left once the suite\'s network is destroyed', { skip }, async () => {
  nw.destroy();
  await sleep(10);
  assert.deepEqual(ourNamespaces(), []);
});

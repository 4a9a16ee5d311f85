// RemotePeer (remote-peer.mjs): a skymesh peer in a child process that a test
// drives like a local TestPeer. Two remote peers and a local one chat through a
// real server; the child obeys only its explicit ops; SIGSTOP freezes it and
// SIGKILL kills it for real; under `ip netns exec` it lives in another network.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestPeer, startTestServer, waitUntil, waitMesh, exitWhenDone, sleep } from './peers.mjs';
import { RemotePeer } from './remote-peer.mjs';
import { startServer } from '../helpers/server.mjs';
import { createNetwork, netnsSkip } from '../helpers/netns.mjs';

const STACK = 'node-datachannel';
const ROOM = 'remote-room';

let server;
let local;
let r1;
let r2;
const remotes = [];
const remote = (...a) => { const p = new RemotePeer(...a); remotes.push(p); return p; };

before(async () => {
  server = await startTestServer();
});

after(async () => {
  await Promise.all(remotes.map((p) => p.dispose()));
  local?.close();
  await server?.stop();
  exitWhenDone();
});

test('two remote peers and a local one chat through the server', async () => {
  local = new TestPeer('local', STACK, server);
  r1 = remote('r1', STACK, server.url);
  r2 = remote('r2', STACK, server);
  await Promise.all([r1.ready(), r2.ready()]);
  assert.notEqual(r1.pid, process.pid);
  assert.notEqual(r1.pid, r2.pid);
  await Promise.all([local.init(), r1.init(), r2.init()]);
  const peers = [local, r1, r2];
  for (const p of peers) await p.join(ROOM, { userData: { name: p.name } });
  await waitMesh(peers);
  for (const p of peers) {
    assert.deepEqual([...p.remotePeers()].sort(), peers.filter((q) => q !== p).map((q) => q.id).sort(), p.name);
    assert.equal(p.openChannels().size, 2, p.name);
  }
  assert.ok(r1.events('peerJoined').every((e) => typeof e.t === 'number'), 'remote events carry a time');

  await r1.send({ text: 'hello from r1' });
  await r2.send('r2 to local only', local.id);
  local.sky.sendP2PMessage('local to r1 only', r1.id);
  await r2.sendServer('r2 to r1 via the server', r1.id);
  await waitUntil(() => local.received().length >= 2 && r1.received().length >= 2 && r2.received().length >= 1,
    'every message', 10000, peers);

  assert.deepEqual(local.received().sort(), [
    [{ text: 'hello from r1' }, r1.id, false, true],
    ['r2 to local only', r2.id, true, true],
  ].sort());
  assert.deepEqual(r1.received().sort(), [
    ['local to r1 only', local.id, true, true],
    ['r2 to r1 via the server', r2.id, true, false],
  ].sort());
  assert.deepEqual(r2.received(), [[{ text: 'hello from r1' }, r1.id, false, true]]);
  // Own messages are recorded too, as by a local peer (isSelf true).
  assert.ok(r1.events('incomingMessage').some((e) => e.args[3] === true));

  const info = await r1.getPeersInRoom();
  assert.deepEqual(Object.keys(info).sort(), peers.map((p) => p.id).sort());
  assert.equal(info[r2.id].userData.name, 'r2');
});

test('only explicit ops: anything else is refused, errors come back with their code', async () => {
  await assert.rejects(r1.call('eval', { code: 'process.exit(3)' }), { code: 'unknown_op' });
  await assert.rejects(r1.call('constructor'), { code: 'unknown_op' });
  await assert.rejects(r1.call('__proto__'), { code: 'unknown_op' });
  const bad = remote('bad', STACK, server.url);
  await bad.init();
  await assert.rejects(bad.join('no/slashes/allowed'), (e) => typeof e.code === 'string' && e.code.length > 0);
  assert.equal(bad.exitStatus, null, 'still alive');
  await bad.dispose();
  assert.deepEqual(bad.exitStatus, { code: 0, signal: null }, 'closing stdin ends it cleanly');
});

test('SIGSTOP freezes a remote peer (its replies wait) and SIGCONT thaws it', async () => {
  r1.kill('SIGSTOP');
  let answered = false;
  const pending = r1.getPeerInfo().then((v) => { answered = true; return v; });
  await sleep(500);
  assert.equal(answered, false, 'a stopped process answers nothing');
  r1.kill('SIGCONT');
  const info = await pending;
  assert.equal(info.userData.name, 'r1');
  await r1.send('after the thaw', local.id);
  await waitUntil(() => local.received().some((m) => m[0] === 'after the thaw'), 'message after SIGCONT', 10000, [local, r1]);
});

test('SIGKILL: the process dies for real and the others see the peer leave', async () => {
  const id = r2.id;
  r2.kill('SIGKILL');
  assert.deepEqual(await r2.exited, { code: null, signal: 'SIGKILL' });
  await assert.rejects(r2.send('from the dead'), /already exited/);
  await waitUntil(() => !local.remotePeers().has(id) && !r1.remotePeers().has(id), 'peerLeft for the killed peer',
    10000, [local, r1]);
  assert.ok(local.events('peerLeft').some((e) => e.args[0] === id));
});

const skipNetns = netnsSkip();
test('remote peers in their own network namespaces, the server in the hub', { skip: skipNetns }, async () => {
  const nw = createNetwork(2);
  let hubServer;
  const peers = [];
  try {
    hubServer = await startServer([], { host: nw.hubAddr, spawnPrefix: ['ip', 'netns', 'exec', nw.hub] });
    assert.equal(hubServer.url, `http://${nw.hubAddr}:${hubServer.port}/`);
    for (let i = 0; i < 2; i++) {
      peers.push(remote(`ns${i}`, STACK, hubServer.url, { spawnPrefix: ['ip', 'netns', 'exec', nw.peers[i]] }));
    }
    await Promise.all(peers.map((p) => p.init()));
    for (const p of peers) await p.join('netns-room', { userData: { name: p.name } });
    await waitMesh(peers);
    // Count the UDP packets that reach peer 1 from peer 0's address: the data
    // channel really runs between the namespaces, not through the server.
    const rule = ['-t', 'raw', 'PREROUTING', '-p', 'udp', '-s', nw.peerAddr(0), '-d', nw.peerAddr(1)];
    nw.run(1, 'iptables', [rule[0], rule[1], '-A', ...rule.slice(2)]);
    await peers[0].send('across the bridge');
    await waitUntil(() => peers[1].received().length === 1, 'the message', 10000, peers);
    assert.deepEqual(peers[1].received(), [['across the bridge', peers[0].id, false, true]]);
    const counters = nw.run(1, 'iptables', ['-t', 'raw', '-v', '-n', '-x', '-L', 'PREROUTING']);
    const line = counters.split('\n').find((l) => l.includes(nw.peerAddr(0)) && l.includes(nw.peerAddr(1)));
    const packets = Number(line?.trim().split(/\s+/)[0]);
    assert.ok(packets > 0, `UDP packets from peer 0 to peer 1:\n${counters}`);
  } finally {
    await Promise.all(peers.map((p) => p.dispose()));
    if (hubServer) {
      const code = await Promise.race([hubServer.stop(), sleep(3000).then(() => { hubServer.proc.kill('SIGKILL'); return 'SIGKILL'; })]);
      nw.destroy();
      assert.equal(code, 0, `the server in the hub exits cleanly:\n${hubServer.output().slice(-3000)}`);
    }
    nw.destroy();
  }
});

test('the server exits cleanly (no sanitizer report)', async () => {
  await Promise.all(remotes.map((p) => p.dispose()));
  local.close();
  const code = await server.stop();
  assert.equal(code, 0, server.output().slice(-3000));
});

// skymesh across NATs: two peers, each behind its own NAT router (namespaces,
// iptables MASQUERADE, no route between the private sides), the server and a
// real coturn on the public side. Without TURN they never connect (so the
// topology is proven); with the server issuing TURN REST credentials they chat
// both ways through a relay, with the app doing nothing.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { waitUntil, sleep, stackNames, exitWhenDone } from './peers.mjs';
import { RemotePeer } from './remote-peer.mjs';
import { startServer } from '../helpers/server.mjs';
import { netnsSkip } from '../helpers/netns.mjs';
import { createNatNetwork } from '../helpers/nat.mjs';
import { startCoturn, coturnSkip } from '../helpers/coturn.mjs';

after(exitWhenDone);

const required = process.env.SKYMESH_REQUIRE_NETNS === '1'
  || (!!process.env.CI && !['0', 'false'].includes(process.env.CI.toLowerCase()));
let skip = netnsSkip();
if (!skip && coturnSkip()) {
  if (required) throw new Error(`the NAT test is required here: ${coturnSkip()}`);
  skip = coturnSkip();
}

const texts = (p, from, re) => p.received().filter((m) => m[1] === from.id && re.test(m[0])).map((m) => m[0]);

describe('two peers behind two NATs', { skip, timeout: 240000 }, () => {
  let net;
  let turn;
  let dir;
  let secretFile;
  const servers = [];
  let peers = [];

  before(async () => {
    net = createNatNetwork();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skymesh-nat-'));
    secretFile = path.join(dir, 'turn-secret');
    const secret = crypto.randomBytes(24).toString('hex');
    fs.writeFileSync(secretFile, secret);
    turn = await startCoturn({ ns: net.public, listenAddr: net.publicAddr, secret });
  });
  after(async () => {
    await Promise.all(peers.map((p) => p.dispose()));
    for (const s of servers) await Promise.race([s.stop(), sleep(3000).then(() => s.proc.kill('SIGKILL'))]);
    await turn?.stop();
    net?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const serve = async (args) => {
    const s = await startServer(args, { host: net.publicAddr, spawnPrefix: net.spawnPrefix(net.public) });
    servers.push(s);
    return s;
  };

  async function pairIn(server, stack, room) {
    await Promise.all(peers.map((p) => p.dispose()));
    peers = [0, 1].map((i) => new RemotePeer(`nat${i}`, stack, server.url, { spawnPrefix: net.spawnPrefix(i) }));
    await Promise.all(peers.map((p) => p.init()));
    for (const p of peers) await p.join(room, { userData: { name: p.name } });
    return peers;
  }

  it('without TURN the peers are in the room but never connect (the NATs are real)', async () => {
    const server = await serve([]);
    const stack = stackNames()[0];
    const [a, b] = await pairIn(server, stack, 'no-turn');
    await waitUntil(() => a.remotePeers().has(b.id) && b.remotePeers().has(a.id), 'both in the room', 10000, [a, b]);
    await sleep(10000);
    assert.equal(a.openChannels().size, 0, 'no data channel without a relay');
    assert.equal(b.openChannels().size, 0);
    await a.sendServer('via the server');
    await waitUntil(() => texts(b, a, /^via the server$/).length === 1, 'server relay still works', 5000, [a, b]);
  });

  for (const stack of stackNames()) {
    it(`${stack}: with server-issued TURN credentials they chat both ways through a relay`, async () => {
      const server = await serve(['--turn-uri', turn.uri('udp'), '--turn-uri', turn.uri('tcp'),
        '--turn-secret-file', secretFile, '--turn-ttl', '600']);
      const t0 = Date.now();
      const [a, b] = await pairIn(server, stack, `turn-${stack}`);
      await waitUntil(() => a.openChannels().has(b.id) && b.openChannels().has(a.id), 'a channel through the relay',
        40000, [a, b]);
      const connectMs = Date.now() - t0;
      await a.send('hello through two NATs');
      await b.send('and back');
      await waitUntil(() => texts(b, a, /^hello through two NATs$/).length === 1 &&
        texts(a, b, /^and back$/).length === 1, 'a message each way', 10000, [a, b]);
      const status = await a.call('getConnectionStatus', { target: b.id });
      const sel = status.connectionStats[b.id].selectedCandidate;
      console.log(`# ${stack}: channel open ${connectMs} ms after init, path ${sel?.local?.candidateType} -> ` +
        `${sel?.remote?.candidateType}`);
      assert.ok(sel, JSON.stringify(status));
      assert.ok(sel.local.candidateType === 'relay' || sel.remote.candidateType === 'relay',
        `the selected pair goes through the relay: ${JSON.stringify(sel)}`);
      assert.equal(a.events('peerLeft').length, 0);
    });
  }
});

// The case DESIGN.md saw: a TURN host with no route to private addresses. Paths
// through every candidate then never form (node-datachannel stays checking) or
// form and drop (wrtc); the client's relay-only retry is what connects them.
describe('two NATs, a TURN host that cannot reach private addresses', { skip, timeout: 240000 }, () => {
  let net;
  let turn;
  let dir;
  let server;
  let peers = [];
  before(async () => {
    net = createNatNetwork({ upstream: false });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skymesh-nat-'));
    const secretFile = path.join(dir, 'turn-secret');
    fs.writeFileSync(secretFile, crypto.randomBytes(24).toString('hex'));
    turn = await startCoturn({ ns: net.public, listenAddr: net.publicAddr, secret: fs.readFileSync(secretFile, 'utf8') });
    server = await startServer(['--turn-uri', turn.uri('udp'), '--turn-secret-file', secretFile],
      { host: net.publicAddr, spawnPrefix: net.spawnPrefix(net.public) });
  });
  after(async () => {
    await Promise.all(peers.map((p) => p.dispose()));
    if (server) await Promise.race([server.stop(), sleep(3000).then(() => server.proc.kill('SIGKILL'))]);
    await turn?.stop();
    net?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const stack of stackNames()) {
    it(`${stack}: the relay-only retry connects them, and the chat holds`, async () => {
      await Promise.all(peers.map((p) => p.dispose()));
      peers = [0, 1].map((i) => new RemotePeer(`nr${i}`, stack, server.url, { spawnPrefix: net.spawnPrefix(i) }));
      const [a, b] = peers;
      await Promise.all(peers.map((p) => p.init()));
      const t0 = Date.now();
      for (const p of peers) await p.join(`retry-${stack}`, { userData: { name: p.name } });
      await waitUntil(() => a.openChannels().has(b.id) && b.openChannels().has(a.id), 'a channel', 60000, peers);
      const connected = Date.now() - t0;
      // A path may form and then break (wrtc): chat must go on for 20 s regardless.
      const N = 10;
      for (let i = 0; i < N; i++) {
        await a.send(`relayed-${i}`);
        await sleep(2000);
      }
      await waitUntil(() => texts(b, a, /^relayed-/).length === N, 'every message', 20000, peers);
      assert.deepEqual(texts(b, a, /^relayed-/), Array.from({ length: N }, (_, i) => `relayed-${i}`));
      const status = await a.call('getConnectionStatus', { target: b.id });
      const sel = status.connectionStats[b.id].selectedCandidate;
      const restarts = a.events('peerRestart').length + b.events('peerRestart').length;
      console.log(`# ${stack}: connected ${connected} ms after joining; after 20 s the path is ` +
        `${sel?.local?.candidateType} -> ${sel?.remote?.candidateType}, ${restarts} restart(s)`);
      assert.ok(sel?.local?.candidateType === 'relay' || sel?.remote?.candidateType === 'relay',
        `through the relay: ${JSON.stringify(sel)}`);
      assert.equal(a.events('peerLeft').length + b.events('peerLeft').length, 0, 'nobody was given up on');
    });
  }
});

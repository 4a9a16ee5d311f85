// Resilience with real peers, the real server and real WebRTC stacks: the chat
// survives a server restart and cut sockets with the same ids and no churn;
// vanished peers are seen within seconds; refreshConnection restarts a
// connection without losing a message. docs/resilience.md is the design.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import {
  makePeers, joinAll, waitUntil, sleep, spawnPeer, stackNames, exitWhenDone, TestPeer,
} from './peers.mjs';
import { startServer } from '../helpers/server.mjs';
import { startProxy } from '../helpers/proxy.mjs';

after(exitWhenDone);

const secretDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skymesh-secret-'));
const secretFile = path.join(secretDir, 'secret');
fs.writeFileSync(secretFile, crypto.randomBytes(32).toString('hex'));
after(() => fs.rmSync(secretDir, { recursive: true, force: true }));

const CHURN = ['peerJoined', 'peerLeft'];

// Churn events a peer saw after `mark` (an index into its log).
function churnSince(p, mark) {
  return p.log.slice(mark).filter((e) => CHURN.includes(e.name));
}

// Kills the server (SIGKILL: no goodbye) and resolves once it is gone.
function kill(server) {
  return new Promise((resolve) => {
    if (server.proc.exitCode !== null || server.proc.signalCode !== null) return resolve();
    server.proc.once('exit', () => resolve());
    server.proc.kill('SIGKILL');
  });
}

// Every peer received `text` from `from` exactly once.
function receivedOnce(peers, from, text) {
  return peers.filter((p) => p !== from)
    .every((p) => p.received().filter((m) => m[0] === text && m[1] === from.id).length === 1);
}

// Each peer sends one message to the room; resolves when every other peer has each exactly once.
async function chatRound(peers, tag) {
  for (const p of peers) p.sky.sendP2PMessage(`${tag} from ${p.name}`);
  await waitUntil(() => peers.every((p) => receivedOnce(peers, p, `${tag} from ${p.name}`)),
    `every "${tag}" message once`, 15000, peers);
}

for (const stack of stackNames()) {
  describe(`resilience over ${stack}`, { timeout: 180000 }, () => {
    let live = [];
    let servers = [];
    let proxies = [];
    afterEach(async () => {
      for (const p of live) p.close();
      live = [];
      for (const x of proxies) await x.close();
      proxies = [];
      for (const s of servers) await kill(s);
      servers = [];
    });
    const serve = async (args) => { const s = await startServer(args); servers.push(s); return s; };

    it('server SIGKILLed and restarted on the same port: same ids, no churn, chat throughout', async () => {
      const server = await serve(['--secret-file', secretFile]);
      const ps = await makePeers(3, stack, server);
      live.push(...ps);
      await joinAll(ps, 'restart');
      const ids = ps.map((p) => p.id).sort();
      const mark = ps.map((p) => p.log.length);
      await kill(server);
      // While the server is down: p2p chat still flows, server-relayed sends say why not.
      await waitUntil(() => ps.every((p) => p.events('signalingState').some((e) => e.args[0] === 'reconnecting')),
        'every peer reconnecting', 5000, ps);
      await chatRound(ps, 'during');
      assert.throws(() => ps[0].sky.sendMessage('via server'), { code: 'signaling_offline' });
      await sleep(3000);
      const again = await serve(['--secret-file', secretFile, '--port', String(server.port)]);
      const back = Date.now();
      await waitUntil(() => ps.every((p) => p.events('signalingState').some((e) => e.args[0] === 'resumed')),
        'every peer resumed', 20000, ps);
      await waitUntil(() => ps.every((p) => { try { p.sky.sendMessage('ping'); return true; } catch { return false; } }),
        'the server relays again', 20000, ps);
      console.log(`# ${stack}: room re-formed ${Date.now() - back} ms after the server was back`);
      for (const p of ps) {
        assert.equal(p.sky.getPeerInfo().room, 'restart');
        assert.deepEqual(Object.keys(p.sky.getPeersInRoom()).sort(), ids, `${p.name} sees the same ids`);
        assert.deepEqual(churnSince(p, mark[ps.indexOf(p)]), [], `${p.name} saw no peerJoined/peerLeft`);
        assert.ok(p.events('channelRetry').length >= 1, `${p.name} reported its retries`);
      }
      await chatRound(ps, 'after');
      await waitUntil(() => ps.every((p) => p.received().filter((m) => m[0] === 'ping' && !m[3]).length === 2),
        'server-relayed messages after the restart', 10000, ps);
      assert.equal(again.proc.exitCode, null);
    });

    it('a socket reset by a proxy resumes with no churn', async () => {
      const server = await serve(['--secret-file', secretFile]);
      const proxy = await startProxy(server.port);
      proxies.push(proxy);
      const [a, b] = await makePeers(2, stack, server);
      const c = new TestPeer('c', stack, { url: proxy.url });
      live.push(a, b, c);
      await c.init();
      const ps = [a, b, c];
      await joinAll(ps, 'reset');
      const mark = ps.map((p) => p.log.length);
      proxy.reset();
      await waitUntil(() => c.events('signalingState').some((e) => e.args[0] === 'resumed'), 'c resumed', 15000, ps);
      await sleep(2500); // longer than the server-word grace: nobody may drop c
      for (const p of ps) assert.deepEqual(churnSince(p, mark[ps.indexOf(p)]), [], `${p.name} saw no churn`);
      assert.ok(c.events('channelClose').length >= 1);
      await chatRound(ps, 'after reset');
    });

    it('a socket silently dropped (no FIN) is detected and resumed with no churn', async () => {
      const server = await serve(['--secret-file', secretFile]);
      const proxy = await startProxy(server.port);
      proxies.push(proxy);
      const [a] = await makePeers(1, stack, server);
      const c = new TestPeer('c', stack, { url: proxy.url });
      live.push(a, c);
      await c.init();
      await joinAll([a, c], 'silent');
      const mark = [a.log.length, c.log.length];
      proxy.silence();
      a.sky.sendP2PMessage('while c is cut off');
      await waitUntil(() => c.events('signalingState').some((e) => e.args[0] === 'resumed'), 'c resumed', 25000, [a, c]);
      assert.deepEqual(churnSince(a, mark[0]), []);
      assert.deepEqual(churnSince(c, mark[1]), []);
      assert.equal(c.received().filter((m) => m[0] === 'while c is cut off').length, 1);
      await chatRound([a, c], 'after silence');
      a.sky.sendMessage('server works');
      await waitUntil(() => c.received().some((m) => m[0] === 'server works' && !m[3]), 'relay after takeover', 10000, [a, c]);
    });

    it('without a secret file a restart means new ids, reported once', async () => {
      const server = await serve([]);
      const ps = await makePeers(2, stack, server);
      live.push(...ps);
      await joinAll(ps, 'nosecret');
      const old = ps.map((p) => p.id);
      await kill(server);
      await serve(['--port', String(server.port)]);
      await waitUntil(() => ps.every((p) => p.events('signalingState').some((e) => e.args[0] === 'restarted')),
        'every peer restarted', 20000, ps);
      await waitUntil(() => ps.every((p) => {
        const ids = Object.keys(p.sky.getPeersInRoom());
        return ids.length === 2 && ids.every((id) => !old.includes(id));
      }), 'the room re-formed with new ids', 20000, ps);
      const [a, b] = ps;
      const fresh = Object.keys(a.sky.getPeersInRoom());
      assert.ok(fresh.every((id) => !old.includes(id)), 'new ids');
      // the old ids left once each, the new ones joined
      assert.equal(a.events('peerLeft').filter((e) => e.args[0] === old[1]).length, 1);
      await waitUntil(() => a.openChannels().size === 1 && b.openChannels().size === 1, 'channels again', 20000, ps);
    });

    it('a frozen peer (SIGSTOP) is reported left within 5 s, a killed one at once', async () => {
      const server = await serve([]);
      const [a, b] = await makePeers(2, stack, server);
      live.push(a, b);
      await joinAll([a, b], 'vanish');
      const frozen = await spawnPeer({ server, stack, room: 'vanish', name: 'frozen', expect: 2 });
      const killed = await spawnPeer({ server, stack, room: 'vanish', name: 'killed', expect: 3 });
      try {
        await waitUntil(() => [a, b].every((p) => p.openChannels().has(frozen.id) && p.openChannels().has(killed.id)),
          'channels to both children', 20000, [a, b]);
        let t0 = Date.now();
        frozen.kill('SIGSTOP');
        await waitUntil(() => [a, b].every((p) => p.events('peerLeft').some((e) => e.args[0] === frozen.id)),
          'peerLeft for the frozen peer', 8000, [a, b]);
        const frozenMs = Date.now() - t0;
        t0 = Date.now();
        killed.kill('SIGKILL');
        await waitUntil(() => [a, b].every((p) => p.events('peerLeft').some((e) => e.args[0] === killed.id)),
          'peerLeft for the killed peer', 8000, [a, b]);
        const killedMs = Date.now() - t0;
        console.log(`# ${stack}: frozen peer seen left after ${frozenMs} ms, killed peer after ${killedMs} ms`);
        assert.ok(frozenMs <= 5000, `frozen peer reported after ${frozenMs} ms`);
        assert.ok(killedMs <= 5000, `killed peer reported after ${killedMs} ms`);
        for (const p of [a, b]) {
          assert.equal(p.events('peerLeft').filter((e) => e.args[0] === frozen.id).length, 1);
          assert.equal(p.events('peerLeft').filter((e) => e.args[0] === killed.id).length, 1);
        }
        assert.deepEqual([...a.remotePeers()], [b.id]);
      } finally {
        frozen.kill('SIGKILL');
        killed.kill('SIGKILL');
      }
    });

    it('refreshConnection restarts the connection without losing or repeating a message', async () => {
      const server = await serve([]);
      const [a, b] = await makePeers(2, stack, server);
      live.push(a, b);
      await joinAll([a, b], 'refresh');
      const mark = [a.log.length, b.log.length];
      const N = 30;
      for (let i = 0; i < N / 2; i++) a.sky.sendP2PMessage(`m${i}`);
      await new Promise((resolve, reject) => a.sky.refreshConnection(b.id, true, (err) => (err ? reject(err) : resolve())));
      for (let i = N / 2; i < N; i++) a.sky.sendP2PMessage(`m${i}`);
      await waitUntil(() => b.received().filter((m) => /^m\d+$/.test(m[0])).length >= N, 'all messages', 20000, [a, b]);
      await sleep(500);
      assert.deepEqual(b.received().filter((m) => /^m\d+$/.test(m[0])).map((m) => m[0]),
        Array.from({ length: N }, (_, i) => `m${i}`), 'every message once, in order');
      await waitUntil(() => a.events('peerRestart').length >= 1, 'peerRestart at a', 5000, [a, b]);
      const own = a.events('peerRestart')[0].args;
      assert.equal(own[0], b.id);
      assert.equal(own[2], true, 'isSelfInitiateRestart');
      assert.deepEqual(churnSince(a, mark[0]), []);
      assert.deepEqual(churnSince(b, mark[1]), []);
      const closed = (p, i) => p.log.slice(mark[i]).filter((e) => e.name === 'dataChannelState' && e.args[0] === 'closed');
      if (stack === 'wrtc') {
        // A real ICE restart: the same connection, the same channel, never closed.
        assert.deepEqual(closed(a, 0), [], 'a: the channel stayed open');
        assert.deepEqual(closed(b, 1), [], 'b: the channel stayed open');
        assert.ok(b.events('peerRestart').some((e) => e.args[0] === a.id && e.args[2] === false && e.args[3] === true),
          'b saw the restart offer as an ICE restart');
      } else {
        // node-datachannel cannot restart ICE: a fresh connection, the channel reopened.
        assert.ok(closed(b, 1).length >= 1);
      }
      await chatRound([a, b], 'after refresh');
    });
  });
}

// The skymesh client with several servers sharing rooms through Redis
// (skymesh-server --redis): two peers on two instances find each other and
// chat peer to peer; when one's instance is killed, it rotates to the next
// roomServer URL and resumes there with its id, and nobody sees churn.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestPeer, joinAll, waitUntil, exitWhenDone } from './peers.mjs';
import { startServer } from '../helpers/server.mjs';
import { startRedis, waitFor } from '../helpers/redis.mjs';

after(exitWhenDone);
const STACK = 'node-datachannel';

describe(`two instances on one Redis, over ${STACK}`, { timeout: 60000 }, () => {
  let redis, s1, s2, dir;
  const live = [];
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skymesh-instances-'));
    const secret = path.join(dir, 'secret');
    fs.writeFileSync(secret, crypto.randomBytes(32));
    redis = await startRedis();
    const args = (id) => ['--redis', redis.url, '--instance-id', id, '--secret-file', secret, '--redis-grace', '2'];
    [s1, s2] = [await startServer(args('c1')), await startServer(args('c2'))];
    for (const s of [s1, s2]) await waitFor(() => /redis: connected/.test(s.output()), 'Redis');
  });
  after(async () => {
    for (const p of live) p.close();
    for (const s of [s1, s2]) if (s.proc.exitCode === null && s.proc.signalCode === null) await s.stop();
    await redis.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // A peer whose roomServer is the given list of instances.
  async function peer(name, servers) {
    const p = new TestPeer(name, STACK, { url: servers.map((s) => s.url) });
    live.push(p);
    await p.init();
    return p;
  }

  it('peers on different instances connect and chat, peer to peer and through the servers', async () => {
    const a = await peer('a', [s1]);
    const b = await peer('b', [s2]);
    await joinAll([a, b], 'across');
    a.sky.sendP2PMessage('p2p hello');
    b.sky.sendMessage('relayed hello');
    await waitUntil(() => b.received().some((m) => m[0] === 'p2p hello' && m[1] === a.id && m[3] === true) &&
      a.received().some((m) => m[0] === 'relayed hello' && m[1] === b.id && m[3] === false), 'both messages', 10000, [a, b]);
    a.close(); b.close();
  });

  it('its instance killed, a peer rotates to the next URL and resumes: same id, no churn, chat goes on', async () => {
    const a = await peer('rot-a', [s1, s2]); // starts on s1
    const b = await peer('rot-b', [s2]);
    await joinAll([a, b], 'rotation');
    const [aId, mark] = [a.id, b.log.length];
    s1.proc.kill('SIGKILL');
    await waitUntil(() => a.events('signalingState').some((e) => e.args[0] === 'resumed'), 'a resumed on s2', 15000, [a, b]);
    assert.equal(a.sky.getPeerInfo().room, 'rotation');
    a.sky.sendMessage('via the other instance');
    await waitUntil(() => b.received().some((m) => m[0] === 'via the other instance' && m[1] === aId), 'relayed', 10000, [a, b]);
    await new Promise((r) => setTimeout(r, 6000)); // past s1's heartbeat TTL and the grace
    assert.deepEqual(b.log.slice(mark).filter((e) => ['peerJoined', 'peerLeft'].includes(e.name)), [], 'b saw no churn');
    assert.deepEqual(Object.keys(b.sky.getPeersInRoom()).sort(), [aId, b.id].sort());
    a.sky.sendP2PMessage('still p2p');
    await waitUntil(() => b.received().some((m) => m[0] === 'still p2p'), 'p2p after', 10000, [a, b]);
  });
});

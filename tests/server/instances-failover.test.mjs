// Several instances when something dies: an instance killed with SIGKILL (its
// peers resume on another with the same ids; the room sees no churn; a peer
// that never comes back is reported left once, after --redis-grace), Redis
// restarted under running instances, and Redis not there at start.
import test, { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../helpers/server.mjs';
import { freePort, startRedis, waitFor } from '../helpers/redis.mjs';
import { Client, closeAll, stopClean } from './signaling-client.mjs';

let tmp, secret;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skymesh-failover-'));
  secret = path.join(tmp, 'secret');
  fs.writeFileSync(secret, crypto.randomBytes(32));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// --redis-grace 2 unless extra says otherwise (a later option wins).
const instance = (redis, id, extra = []) =>
  startServer(['--redis', typeof redis === 'string' ? redis : redis.url, '--instance-id', id,
    '--secret-file', secret, '--redis-grace', '2', ...extra]);

const connected = (s, n = 1) =>
  waitFor(() => (s.output().match(/redis: connected/g) ?? []).length >= n, `${s.url} to reach Redis`);

// A fresh Redis and one instance per id, each connected: [redis, ...servers].
async function cluster(ids, extra = []) {
  const redis = await startRedis();
  const servers = [];
  for (const id of ids) servers.push(await instance(redis, id, extra));
  for (const s of servers) await connected(s);
  return [redis, ...servers];
}

async function dissolve(redis, ...servers) {
  for (const s of servers) await stopClean(s);
  await redis.stop();
}

describe('an instance dies (SIGKILL)', () => {
  let redis, s1, s2, s3;
  before(async () => { [redis, s1, s2, s3] = await cluster(['one', 'two', 'three']); });
  after(() => dissolve(redis, s2, s3)); // s1 is killed

  test('its peers resume elsewhere with their ids; the others see no churn; one that never returns is left once', async () => {
    const ann = await Client.joined(s1.wsUrl, 'crash', { name: 'ann' });
    const gone = await Client.joined(s1.wsUrl, 'crash', { name: 'gone' });
    const bob = await Client.joined(s2.wsUrl, 'crash', { name: 'bob' });
    const cat = await Client.joined(s3.wsUrl, 'crash', { name: 'cat' });
    await ann.nextToken(); await ann.nextToken(); // welcome's, joined's
    await bob.next('peer_joined');
    for (const x of [bob, cat]) await x.sync();
    bob.inbox.length = 0; cat.inbox.length = 0;

    const killedAt = Date.now();
    s1.proc.kill('SIGKILL');
    await Promise.all([ann.closed, gone.closed]);

    // ann comes back through another instance with her token: same id, same room
    const ann2 = await Client.hello(s2.wsUrl, { resume: ann.token });
    assert.equal(ann2.peerId, ann.peerId);
    assert.equal(ann2.welcome.resumed, true);
    const j = await ann2.next('joined');
    assert.equal(j.ref, 'resume');
    // everyone still counts: gone is within its grace
    assert.deepEqual(j.peers.map((p) => p.userData.name), ['gone', 'bob', 'cat']);

    // relay to and from the resumed peer works across instances
    ann2.send({ type: 'message', to: cat.peerId, content: 'still here' });
    assert.equal((await cat.next('message')).from, ann.peerId);

    // gone never returns: reported once, to every instance's peers, after the grace
    for (const x of [bob, cat, ann2]) {
      const left = await x.next((m) => m.type === 'peer_left', 10000);
      assert.deepEqual(left, { type: 'peer_left', peerId: gone.peerId, reason: 'disconnected' });
    }
    const after = Date.now() - killedAt;
    assert.ok(after >= 2000, `reported after ${after} ms, before the 2 s grace`);
    assert.ok(after < 8000, `reported after ${after} ms`);
    await new Promise((r) => setTimeout(r, 1500)); // two more reaper rounds on each instance
    for (const x of [bob, cat, ann2]) {
      await x.sync();
      const extra = await x.collect((m) => m.type === 'peer_left', 0);
      assert.deepEqual(extra, [], 'peer_left only once');
    }
    // ann never left anyone's room: the only news about her is the resume's peer_joined
    for (const x of [bob, cat]) {
      assert.deepEqual(x.inbox.filter((m) => m.peerId === ann.peerId).map((m) => m.type), ['peer_joined']);
    }
    await closeAll(ann2, bob, cat);
  });
});

describe('Redis restarts under running instances', () => {
  let redis, s1, s2;
  before(async () => { [redis, s1, s2] = await cluster(['r1', 'r2']); });
  after(() => dissolve(redis, s1, s2));

  test('local peers carry on meanwhile; afterwards the rooms are back and shared', async () => {
    const a = await Client.joined(s1.wsUrl, 'phoenix', { name: 'a' });
    const b = await Client.joined(s2.wsUrl, 'phoenix', { name: 'b' });
    await a.next('peer_joined');

    await redis.stop();
    await waitFor(() => /redis: .* failed/.test(s1.output()), 'the outage to be logged');
    // while Redis is gone an instance still serves its own peers
    const a2 = await Client.joined(s1.wsUrl, 'phoenix', { name: 'a2' });
    assert.deepEqual(a2.joinedMsg.peers.map((p) => p.userData.name), ['a']);
    assert.equal((await a.next('peer_joined')).peerId, a2.peerId);

    await redis.restart(); // empty: everything was in memory
    for (const s of [s1, s2]) await waitFor(() => /redis: connected again/.test(s.output()), 'reconnection');
    await new Promise((r) => setTimeout(r, 300)); // the republish
    const c = await Client.joined(s2.wsUrl, 'phoenix', { name: 'c' });
    assert.deepEqual(c.joinedMsg.peers.map((p) => p.userData.name).sort(), ['a', 'a2', 'b']);
    a.send({ type: 'message', content: 'after the storm' });
    for (const x of [b, c, a2]) assert.equal((await x.next('message')).content, 'after the storm');
    // nobody was reported gone: a restarted Redis knows nothing, which proves nothing
    for (const x of [a, a2, b]) {
      await x.sync();
      assert.deepEqual(await x.collect('peer_left', 0), []);
    }
    await closeAll(a, a2, b, c);
  });
});

describe('Redis stops answering (SIGSTOP), then comes back with its data', () => {
  let redis, s1, s2;
  // a grace longer than the freeze: nobody is reaped for the heartbeats it missed
  before(async () => { [redis, s1, s2] = await cluster(['z1', 'z2'], ['--redis-grace', '20']); });
  after(async () => { redis.thaw(); await dissolve(redis, s1, s2); });

  test('silence is an outage after 3 s; who left meanwhile is reported once Redis answers again', async () => {
    const a = await Client.joined(s1.wsUrl, 'frozen', { name: 'a' });
    const stay = await Client.joined(s1.wsUrl, 'frozen', { name: 'stay' });
    const b = await Client.joined(s2.wsUrl, 'frozen', { name: 'b' });
    await a.next('peer_joined'); await a.next('peer_joined'); await stay.next('peer_joined');

    redis.freeze();
    for (const s of [s1, s2]) await waitFor(() => /failed \(no answer for 3 s\)/.test(s.output()), 'the silence to count as an outage');
    a.send({ type: 'leave' }); // Redis cannot be told now
    await a.next('left');
    assert.deepEqual(await stay.next('peer_left'), { type: 'peer_left', peerId: a.peerId, reason: 'left' });

    redis.thaw();
    for (const s of [s1, s2]) await waitFor(() => /redis: connected again/.test(s.output()), 'reconnection');
    // b, on the other instance, hears of a now (whichever instance was back first), once
    assert.deepEqual(await b.next('peer_left', 5000), { type: 'peer_left', peerId: a.peerId, reason: 'disconnected' });
    // and Redis forgot a: no ghost for newcomers
    const c = await Client.joined(s2.wsUrl, 'frozen', { name: 'c' });
    assert.deepEqual(c.joinedMsg.peers.map((p) => p.userData.name), ['stay', 'b']);
    await b.sync();
    assert.deepEqual(await b.collect('peer_left', 500), []);
    // nobody else was reported gone for the heartbeats missed meanwhile
    await stay.sync();
    assert.deepEqual((await stay.collect('peer_left', 0)), []);
    await closeAll(a, stay, b, c);
  });

  test('a join asked while Redis hangs is decided locally; afterwards both sides learn of each other', async () => {
    const local = await Client.joined(s1.wsUrl, 'hang', { name: 'local' });
    const far = await Client.joined(s2.wsUrl, 'hang', { name: 'far' });
    await local.next('peer_joined');
    const late = await Client.hello(s1.wsUrl);
    redis.freeze();
    late.send({ type: 'join', room: 'hang', userData: { name: 'late' }, ref: 'j' });
    const j = await late.next('joined', 8000); // its script got no answer: decided here
    assert.deepEqual(j.peers.map((p) => p.userData.name), ['local']);
    assert.equal((await local.next('peer_joined')).peerId, late.peerId);

    redis.thaw();
    assert.equal((await far.next('peer_joined', 8000)).peerId, late.peerId); // written back to Redis
    const met = await late.next('peer_joined', 5000); // the snapshot: far, whom it was not told of
    assert.deepEqual(met, { type: 'peer_joined', peerId: far.peerId, userData: { name: 'far' } });
    await closeAll(local, far, late);
  });
});

describe('Redis unreachable at start', () => {
  test('a clear error, no exit, local service; shared once Redis is up', async () => {
    const port = await freePort();
    const s1 = await instance(`redis://127.0.0.1:${port}`, 'early');
    let redis, s2;
    try {
      await waitFor(() => /redis: .*connection to 127\.0\.0\.1:\d+ failed \(.*\): serving this instance's peers alone, retrying/.test(s1.output()),
        'the error');
      const a = await Client.joined(s1.wsUrl, 'dawn', { name: 'a' });
      assert.deepEqual(a.joinedMsg.peers, []);

      redis = await startRedis({ port });
      await waitFor(() => /redis: connected again/.test(s1.output()), 'the retry to succeed', 8000);
      s2 = await instance(redis, 'late');
      await connected(s2);
      const b = await Client.joined(s2.wsUrl, 'dawn', { name: 'b' });
      assert.deepEqual(b.joinedMsg.peers, [{ peerId: a.peerId, userData: { name: 'a' } }]);
      assert.equal((await a.next('peer_joined')).peerId, b.peerId);
      assert.equal(s1.proc.exitCode, null);
      await closeAll(a, b);
    } finally {
      await stopClean(s1);
      if (s2) await stopClean(s2);
      await redis?.stop();
    }
  });
});

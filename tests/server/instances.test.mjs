// Several instances sharing rooms through Redis (--redis, docs/server.md
// "Several instances"): presence, relay, lock, caps and server messages across
// two and three instances, with a real redis-server per describe block.
import test, { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../helpers/server.mjs';
import { startRedis, waitFor } from '../helpers/redis.mjs';
import { Client, closeAll, stopClean } from './signaling-client.mjs';

// n instances on one Redis, each with its own name; extra args for all.
async function instances(redis, n, extra = []) {
  const out = [];
  for (let i = 0; i < n; i++) {
    out.push(await startServer(['--redis', redis.url, '--instance-id', `inst-${i + 1}`, ...extra]));
  }
  // each says it is connected before a test leans on Redis
  for (const s of out) await waitFor(() => /redis: connected/.test(s.output()), `${s.url} to reach Redis`);
  return out;
}

// p, or a rejection after ms: a test never hangs on a socket that stays open.
function within(p, ms, what) {
  let t;
  return Promise.race([p, new Promise((_, reject) => { t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms); })])
    .finally(() => clearTimeout(t));
}

// A join c expects refused: [code, ref] of the error.
async function refusal(c, room) {
  c.send({ type: 'join', room, ref: 'j' });
  const e = await c.next('error');
  return [e.code, e.ref];
}

describe('two and three instances on one Redis', () => {
  let redis, s1, s2, s3, dir;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skymesh-instances-'));
    const secret = path.join(dir, 'secret');
    fs.writeFileSync(secret, crypto.randomBytes(32));
    redis = await startRedis();
    [s1, s2, s3] = await instances(redis, 3, ['--max-peers', '3', '--secret-file', secret]);
  });
  after(async () => {
    for (const s of [s1, s2, s3]) if (s) await stopClean(s);
    await redis?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('presence: joined lists everyone in join order, peer_joined / peer_updated / peer_left reach every instance', async () => {
    const a = await Client.joined(s1.wsUrl, 'lobby', { name: 'ann' });
    assert.deepEqual(a.joinedMsg.peers, []);
    const b = await Client.joined(s2.wsUrl, 'lobby', { name: 'bob' });
    assert.deepEqual(b.joinedMsg.peers, [{ peerId: a.peerId, userData: { name: 'ann' } }]);
    assert.deepEqual(await a.next('peer_joined'), { type: 'peer_joined', peerId: b.peerId, userData: { name: 'bob' } });

    const c = await Client.joined(s3.wsUrl, 'lobby', { name: 'cat' });
    assert.deepEqual(c.joinedMsg.peers.map((p) => p.userData.name), ['ann', 'bob']);
    for (const x of [a, b]) assert.equal((await x.next('peer_joined')).peerId, c.peerId);

    b.send({ type: 'update', userData: { name: 'bobby' } });
    for (const x of [a, c]) {
      assert.deepEqual(await x.next('peer_updated'), { type: 'peer_updated', peerId: b.peerId, userData: { name: 'bobby' } });
    }
    await b.sync();
    assert.deepEqual(await b.collect('peer_updated', 100), []); // no echo

    a.send({ type: 'leave', ref: 'l' });
    assert.equal((await a.next('left')).room, 'lobby');
    for (const x of [b, c]) assert.deepEqual(await x.next('peer_left'), { type: 'peer_left', peerId: a.peerId, reason: 'left' });

    // a newcomer on the first instance sees the stored update
    const d = await Client.joined(s1.wsUrl, 'lobby', { name: 'dan' });
    assert.deepEqual(d.joinedMsg.peers.map((p) => p.userData.name), ['bobby', 'cat']);

    await closeAll(c);
    for (const x of [b, d]) assert.deepEqual(await x.next('peer_left'), { type: 'peer_left', peerId: c.peerId, reason: 'disconnected' });
    await closeAll(a, b, d);
  });

  test('relay: offer / candidate / message reach a peer of the room on another instance, never one of another room', async () => {
    const a = await Client.joined(s1.wsUrl, 'relay-x');
    const b = await Client.joined(s2.wsUrl, 'relay-x');
    const c = await Client.joined(s3.wsUrl, 'relay-x');
    const other = await Client.joined(s2.wsUrl, 'relay-y');
    await a.next('peer_joined'); await a.next('peer_joined'); await b.next('peer_joined');

    a.send({ type: 'offer', to: b.peerId, from: other.peerId, sdp: 'v=0 offer', ref: 'o1' });
    assert.deepEqual(await b.next('offer'), { type: 'offer', from: a.peerId, sdp: 'v=0 offer' });
    b.send({ type: 'candidate', to: a.peerId, candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 });
    assert.equal((await a.next('candidate')).from, b.peerId);

    // a peer of another room, on the same instance as a member: unknown_peer, nothing delivered
    a.send({ type: 'offer', to: other.peerId, sdp: 'v=0 x', ref: 'o2' });
    const err = await a.next('error');
    assert.equal(err.code, 'unknown_peer');
    assert.equal(err.ref, 'o2');
    a.send({ type: 'message', to: other.peerId, content: 'psst', ref: 'm0' });
    assert.equal((await a.next('error')).code, 'unknown_peer');
    await other.sync();
    assert.deepEqual(await other.collect(() => true, 200), []);

    // server message: to the room (every instance), or privately to one peer
    a.send({ type: 'message', content: { text: 'hi all' } });
    for (const x of [b, c]) assert.deepEqual(await x.next('message'), { type: 'message', from: a.peerId, content: { text: 'hi all' } });
    c.send({ type: 'message', to: b.peerId, content: 'just you' });
    assert.deepEqual(await b.next('message'), { type: 'message', from: c.peerId, to: b.peerId, content: 'just you' });
    await a.sync();
    assert.deepEqual(await a.collect('message', 200), []);
    await closeAll(a, b, c, other);
  });

  test('joins at the same moment on two instances: each peer learns of the other, once', async () => {
    const pairs = [];
    for (let i = 0; i < 20; i++) pairs.push([await Client.hello(s1.wsUrl), await Client.hello(s2.wsUrl)]);
    pairs.forEach(([x, y], i) => { x.send({ type: 'join', room: `race ${i}` }); y.send({ type: 'join', room: `race ${i}` }); });
    for (const [x, y] of pairs) {
      for (const [me, other] of [[x, y], [y, x]]) {
        const joined = await me.next('joined');
        await me.sync();
        const told = joined.peers.filter((p) => p.peerId === other.peerId).length +
          (await me.collect((m) => m.type === 'peer_joined' && m.peerId === other.peerId, 100)).length;
        assert.equal(told, 1, `${joined.room}: ${me.peerId} told of ${other.peerId} ${told} times`);
      }
    }
    await closeAll(...pairs.flat());
  });

  test('lock and cap hold across instances', async () => {
    const a = await Client.joined(s1.wsUrl, 'locked room');
    const b = await Client.joined(s2.wsUrl, 'locked room');
    a.send({ type: 'lock', locked: true, ref: 'lk' });
    assert.deepEqual(await a.next('room_lock'), { type: 'room_lock', locked: true, peerId: a.peerId, ref: 'lk' });
    assert.deepEqual(await b.next('room_lock'), { type: 'room_lock', locked: true, peerId: a.peerId });

    const late = await Client.hello(s3.wsUrl);
    assert.deepEqual(await refusal(late, 'locked room'), ['room_locked', 'j']);

    b.send({ type: 'lock', locked: false });
    await a.next('room_lock');
    late.send({ type: 'join', room: 'locked room', ref: 'j2' });
    const j = await late.next('joined');
    assert.equal(j.locked, false);
    assert.equal(j.peers.length, 2);

    // --max-peers 3, counted over every instance
    const fourth = await Client.hello(s1.wsUrl);
    assert.deepEqual(await refusal(fourth, 'locked room'), ['room_full', 'j']);
    await closeAll(a, b, late, fourth);
  });

  test('room names that look like keys or other rooms stay apart', async () => {
    const long = 'L'.repeat(64);
    const names = ['r', 'r:lock', 'r:inst', 'r 1', 'sky:room:72', 'a@b.c-d_e', long];
    const members = [];
    for (const [i, name] of names.entries()) {
      members.push(await Client.joined([s1, s2, s3][i % 3].wsUrl, name));
      members.push(await Client.joined([s2, s3, s1][i % 3].wsUrl, name));
    }
    for (let i = 0; i < names.length; i++) {
      const [x, y] = [members[2 * i], members[2 * i + 1]];
      assert.deepEqual(y.joinedMsg.peers.map((p) => p.peerId), [x.peerId], `room ${names[i]}`);
      x.send({ type: 'message', content: `in ${names[i]}` });
    }
    for (let i = 0; i < names.length; i++) {
      const y = members[2 * i + 1];
      assert.equal((await y.next('message')).content, `in ${names[i]}`);
    }
    for (const m of members) await m.sync();
    for (const m of members) assert.deepEqual(await m.collect('message', 0), [], 'one message per room');
    // names a pattern could match, newlines that would split a bus message, and
    // targets that are not peer ids never get that far
    const x = members[0];
    for (const room of ['r*', 'r?', '[r]', 'r\nSKY1 r', 'L'.repeat(65)]) {
      x.send({ type: 'leave' });
      await x.next('left');
      x.send({ type: 'join', room, ref: 'bad' });
      const e = await x.next('error');
      assert.ok(['bad_room_name', 'bad_message'].includes(e.code), `${JSON.stringify(room)}: ${e.code}`);
      x.send({ type: 'join', room: names[0] });
      await x.next('joined');
    }
    for (const to of ['*', `${members[1].peerId}\n`, 'sky:bus:inst-2']) {
      x.send({ type: 'message', to, content: 'x', ref: 'bad-to' });
      assert.equal((await x.next('error')).code, 'bad_message');
    }
    await closeAll(...members);
  });

  test('resume on another instance while the old socket is still open: the old one goes quietly', async () => {
    const a = await Client.joined(s1.wsUrl, 'takeover', { name: 'ann' });
    const b = await Client.joined(s2.wsUrl, 'takeover', { name: 'bob' });
    await a.next('peer_joined');
    await a.nextToken(); await a.nextToken(); // welcome's, joined's
    const a2 = await Client.hello(s3.wsUrl, { resume: a.token });
    assert.equal(a2.peerId, a.peerId);
    assert.equal(a2.welcome.resumed, true);
    assert.deepEqual((await a2.next('joined')).peers, [{ peerId: b.peerId, userData: { name: 'bob' } }]);
    await within(a.closed, 3000, 'the stale socket to be dropped');
    b.send({ type: 'message', to: a.peerId, content: 'found you' });
    assert.equal((await a2.next('message')).content, 'found you');
    await b.sync();
    assert.deepEqual((await b.collect(() => true, 300)).map((m) => m.type), ['peer_joined'], 'no peer_left, only the resume');
    await closeAll(a2, b);
  });

  test('an old token resumed elsewhere while its socket moved on to another room: that room hears it leave', async () => {
    const c = await Client.joined(s2.wsUrl, 'first room');
    const a = await Client.joined(s1.wsUrl, 'first room');
    await a.nextToken(); const old = (await a.nextToken()).token; // the token naming 'first room'
    const b = await Client.joined(s2.wsUrl, 'second room');
    a.send({ type: 'leave' }); await a.next('left');
    a.send({ type: 'join', room: 'second room' }); await a.next('joined');
    await b.next('peer_joined');
    assert.equal((await c.next('peer_joined')).peerId, a.peerId);
    assert.equal((await c.next('peer_left')).peerId, a.peerId); // it left 'first room' for real

    const a2 = await Client.hello(s3.wsUrl, { resume: old });
    assert.equal((await a2.next('joined')).room, 'first room');
    await within(a.closed, 3000, 'the old socket to be dropped');
    assert.deepEqual(await b.next('peer_left'), { type: 'peer_left', peerId: a.peerId, reason: 'disconnected' });
    assert.equal((await c.next('peer_joined')).peerId, a.peerId);
    await closeAll(a2, b, c);
  });

  test('scripts flushed from Redis (SCRIPT FLUSH) are loaded again', async () => {
    execFileSync('redis-cli', ['-p', String(redis.port), 'SCRIPT', 'FLUSH']);
    // the next heartbeat of some instance meets NOSCRIPT, says so, and loads
    // them again (for all: Redis keeps scripts for every connection)
    await waitFor(() => [s1, s2, s3].some((x) => /NOSCRIPT/.test(x.output())), 'the NOSCRIPT error in a log', 3000);
    await new Promise((r) => setTimeout(r, 300));
    const a = await Client.joined(s1.wsUrl, 'flushed');
    const b = await Client.joined(s2.wsUrl, 'flushed');
    assert.deepEqual(b.joinedMsg.peers.map((p) => p.peerId), [a.peerId]);
    await closeAll(a, b);
  });

  test('a client naming the bus protocol cannot upgrade to it', async () => {
    const c = new Client(s1.wsUrl, { protocols: ['skymesh-redis-bus'] });
    await assert.rejects(c.opened);
  });
});

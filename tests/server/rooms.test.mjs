// Rooms: join / leave / update notifications, lock / unlock, room limits.
import test, { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.mjs';
import { Client, closeAll, stopClean } from './signaling-client.mjs';

describe('rooms', () => {
  let server;
  before(async () => { server = await startServer(); });
  after(() => stopClean(server));

  test('three peers join: each sees the others with their userData', async () => {
    const alice = await Client.joined(server.wsUrl, 'lobby', { name: 'alice' });
    assert.equal(alice.joinedMsg.room, 'lobby');
    assert.equal(alice.joinedMsg.peerId, alice.peerId);
    assert.equal(alice.joinedMsg.locked, false);
    assert.deepEqual(alice.joinedMsg.peers, []);

    const bob = await Client.joined(server.wsUrl, 'lobby', { name: 'bob' });
    assert.deepEqual(bob.joinedMsg.peers, [{ peerId: alice.peerId, userData: { name: 'alice' } }]);
    assert.deepEqual(await alice.next('peer_joined'), { type: 'peer_joined', peerId: bob.peerId, userData: { name: 'bob' } });

    const carol = await Client.joined(server.wsUrl, 'lobby', { name: 'carol', tags: [1, 2] });
    assert.deepEqual(carol.joinedMsg.peers.map((p) => p.userData.name).sort(), ['alice', 'bob']);
    for (const c of [alice, bob]) {
      const pj = await c.next('peer_joined');
      assert.equal(pj.peerId, carol.peerId);
      assert.deepEqual(pj.userData, { name: 'carol', tags: [1, 2] });
    }

    // update: the others hear it, the sender gets no echo
    bob.send({ type: 'update', userData: { name: 'bobby' } });
    for (const c of [alice, carol]) {
      assert.deepEqual(await c.next('peer_updated'), { type: 'peer_updated', peerId: bob.peerId, userData: { name: 'bobby' } });
    }
    await bob.sync();
    assert.deepEqual(await bob.collect('peer_updated', 50), []);

    // leave: left for the leaver, peer_left "left" for the others
    carol.send({ type: 'leave', ref: 'bye' });
    const left = await carol.next('left');
    assert.equal(left.room, 'lobby');
    assert.equal(left.ref, 'bye');
    for (const c of [alice, bob]) {
      assert.deepEqual(await c.next('peer_left'), { type: 'peer_left', peerId: carol.peerId, reason: 'left' });
    }

    // a newcomer sees the updated userData, not carol
    const dave = await Client.joined(server.wsUrl, 'lobby', { name: 'dave' });
    assert.deepEqual(dave.joinedMsg.peers.map((p) => p.userData.name).sort(), ['alice', 'bobby']);
    await closeAll(alice, bob, carol, dave);
  });

  test('rooms are separate: nobody hears about peers of another room', async () => {
    const a = await Client.joined(server.wsUrl, 'room-a');
    const b = await Client.joined(server.wsUrl, 'room-b');
    assert.deepEqual(b.joinedMsg.peers, []);
    await a.sync();
    assert.deepEqual(await a.collect('peer_joined', 50), []);
    await closeAll(a, b);
  });

  test('userData set before joining is what the room sees; join without userData keeps it', async () => {
    const a = await Client.joined(server.wsUrl, 'pre-update');
    const b = await Client.hello(server.wsUrl);
    b.send({ type: 'update', userData: { name: 'early' } });
    await b.sync(); // no reply to an update outside a room
    assert.deepEqual(b.inbox, []);
    b.send({ type: 'join', room: 'pre-update' });
    await b.next('joined');
    assert.deepEqual((await a.next('peer_joined')).userData, { name: 'early' });
    await closeAll(a, b);
  });

  test('a room peer without userData is shown with {}', async () => {
    const a = await Client.hello(server.wsUrl);
    a.send({ type: 'join', room: 'plain' });
    await a.next('joined');
    const b = await Client.joined(server.wsUrl, 'plain');
    assert.deepEqual(b.joinedMsg.peers, [{ peerId: a.peerId, userData: {} }]);
    await closeAll(a, b);
  });

  test('join while in a room is already_in_room; leave/lock outside one is not_in_room', async () => {
    const a = await Client.joined(server.wsUrl, 'once');
    a.send({ type: 'join', room: 'twice', ref: 'j2' });
    const e = await a.next('error');
    assert.equal(e.code, 'already_in_room');
    assert.equal(e.ref, 'j2');
    const b = await Client.hello(server.wsUrl);
    b.send({ type: 'leave', ref: 'l' });
    assert.deepEqual([(await b.next('error')).code], ['not_in_room']);
    b.send({ type: 'lock', locked: true, ref: 'k' });
    const e2 = await b.next('error');
    assert.equal(e2.code, 'not_in_room');
    assert.equal(e2.ref, 'k');
    await closeAll(a, b);
  });

  test('bad room names are refused with bad_room_name', async () => {
    const a = await Client.hello(server.wsUrl);
    for (const room of ['', 'x'.repeat(65), 'no/slash', '<script>', ' lead', 'tab\there']) {
      a.send({ type: 'join', room, ref: 'r' });
      const e = await a.next('error');
      assert.ok(['bad_room_name', 'bad_message'].includes(e.code), `${JSON.stringify(room)} -> ${e.code}`);
      assert.equal(e.fatal, false);
    }
    a.send({ type: 'join', room: 'Ok room_1.2:3@x-y' });
    assert.equal((await a.next('joined')).room, 'Ok room_1.2:3@x-y');
    await closeAll(a);
  });

  test('lock: everyone hears room_lock; a locked room refuses joins; unlock lets them in', async () => {
    const a = await Client.joined(server.wsUrl, 'vault');
    const b = await Client.joined(server.wsUrl, 'vault');
    await a.next('peer_joined');
    a.send({ type: 'lock', locked: true, ref: 'lk' });
    const mine = await a.next('room_lock');
    assert.deepEqual(mine, { type: 'room_lock', ref: 'lk', locked: true, peerId: a.peerId });
    assert.deepEqual(await b.next('room_lock'), { type: 'room_lock', locked: true, peerId: a.peerId });

    const c = await Client.hello(server.wsUrl);
    c.send({ type: 'join', room: 'vault', ref: 'try' });
    const e = await c.next('error');
    assert.equal(e.code, 'room_locked');
    assert.equal(e.ref, 'try');
    assert.equal(e.fatal, false);

    b.send({ type: 'lock', locked: false });
    assert.equal((await a.next('room_lock')).locked, false);
    assert.equal((await b.next('room_lock')).peerId, b.peerId);
    c.send({ type: 'join', room: 'vault' });
    const j = await c.next('joined');
    assert.equal(j.locked, false);
    assert.equal(j.peers.length, 2);
    await closeAll(a, b, c);
  });

  test('a room that empties is gone: its lock goes with it', async () => {
    const a = await Client.joined(server.wsUrl, 'ephemeral');
    a.send({ type: 'lock', locked: true });
    await a.next('room_lock');
    a.send({ type: 'leave' });
    await a.next('left');
    const b = await Client.joined(server.wsUrl, 'ephemeral');
    assert.equal(b.joinedMsg.locked, false);
    await closeAll(a, b);
  });
});

describe('room limits', () => {
  let server;
  before(async () => { server = await startServer(['--max-peers', '2', '--max-rooms', '2']); });
  after(() => stopClean(server));

  test('--max-peers 2: the third joiner gets room_full, the room is untouched', async () => {
    const a = await Client.joined(server.wsUrl, 'pair');
    const b = await Client.joined(server.wsUrl, 'pair');
    const c = await Client.hello(server.wsUrl);
    c.send({ type: 'join', room: 'pair', ref: 'third' });
    const e = await c.next('error');
    assert.equal(e.code, 'room_full');
    assert.equal(e.ref, 'third');
    assert.equal(e.fatal, false);
    await a.sync();
    assert.deepEqual(await a.collect('peer_joined', 50), [{ type: 'peer_joined', peerId: b.peerId, userData: {} }]);
    // when one leaves there is room again
    b.send({ type: 'leave' });
    await b.next('left');
    c.send({ type: 'join', room: 'pair' });
    assert.equal((await c.next('joined')).peers.length, 1);
    await closeAll(a, b, c);
  });

  test('--max-rooms 2: a third room is too_many_rooms until one empties', async () => {
    const a = await Client.joined(server.wsUrl, 'one');
    const b = await Client.joined(server.wsUrl, 'two');
    const c = await Client.hello(server.wsUrl);
    c.send({ type: 'join', room: 'three', ref: 'r3' });
    const e = await c.next('error');
    assert.equal(e.code, 'too_many_rooms');
    assert.equal(e.ref, 'r3');
    c.send({ type: 'join', room: 'one' }); // existing rooms still take joins
    await c.next('joined');
    c.send({ type: 'leave' });
    await c.next('left');
    await closeAll(b);
    // b's socket closing frees room "two"
    for (let i = 0; ; i++) {
      c.send({ type: 'join', room: 'three' });
      const m = await c.next((x) => x.type === 'joined' || x.type === 'error');
      if (m.type === 'joined') break;
      assert.ok(i < 20, 'room two was never freed');
      await new Promise((r) => setTimeout(r, 50));
    }
    await closeAll(a, c);
  });
});

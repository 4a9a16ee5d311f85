// Relay: offer / answer / candidate between peers of one room only, the sender
// always stamped by the server; server-relayed messages to the room or a peer.
import test, { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.mjs';
import { Client, closeAll, stopClean } from './signaling-client.mjs';

describe('relay', () => {
  let server;
  let a; let b; let c; let stranger;
  before(async () => {
    server = await startServer();
    a = await Client.joined(server.wsUrl, 'relay', { name: 'a' });
    b = await Client.joined(server.wsUrl, 'relay', { name: 'b' });
    c = await Client.joined(server.wsUrl, 'relay', { name: 'c' });
    stranger = await Client.joined(server.wsUrl, 'elsewhere', { name: 'stranger' });
    await a.collect('peer_joined', 50);
    await b.collect('peer_joined', 0);
  });
  after(async () => {
    await closeAll(a, b, c, stranger);
    await stopClean(server);
  });

  test('offer and answer reach only the addressed peer, stamped with the sender', async () => {
    a.send({ type: 'offer', to: b.peerId, sdp: 'v=0 offer-sdp', ref: 'o1' });
    assert.deepEqual(await b.next('offer'), { type: 'offer', from: a.peerId, sdp: 'v=0 offer-sdp' });
    b.send({ type: 'answer', to: a.peerId, sdp: 'v=0 answer-sdp' });
    assert.deepEqual(await a.next('answer'), { type: 'answer', from: b.peerId, sdp: 'v=0 answer-sdp' });
    await c.sync();
    assert.deepEqual(await c.collect((m) => m.type === 'offer' || m.type === 'answer', 50), []);
  });

  test('candidates keep sdpMid / sdpMLineIndex; the end-of-candidates marker too', async () => {
    const cand = 'candidate:1 1 udp 2122260223 127.0.0.1 54321 typ host';
    a.send({ type: 'candidate', to: c.peerId, candidate: cand, sdpMid: '0', sdpMLineIndex: 0 });
    const got = await c.next('candidate');
    assert.equal(got.from, a.peerId);
    assert.equal(got.candidate, cand);
    assert.equal(got.sdpMid, '0');
    assert.equal(got.sdpMLineIndex, 0);
    a.send({ type: 'candidate', to: c.peerId, candidate: '' });
    assert.equal((await c.next('candidate')).candidate, '');
  });

  test('a forged "from" is overwritten with the real sender', async () => {
    a.send({ type: 'offer', to: b.peerId, from: c.peerId, sdp: 'forged' });
    const o = await b.next('offer');
    assert.equal(o.from, a.peerId);
    a.send({ type: 'message', to: b.peerId, from: c.peerId, content: 'hi' });
    assert.equal((await b.next('message')).from, a.peerId);
    a.send({ type: 'message', from: stranger.peerId, content: 'all' });
    assert.equal((await c.next('message')).from, a.peerId);
    assert.equal((await b.next('message')).from, a.peerId);
  });

  test('a peer of another room cannot be reached: unknown_peer, and it hears nothing', async () => {
    stranger.send({ type: 'offer', to: a.peerId, sdp: 'x', ref: 'cross' });
    const e = await stranger.next('error');
    assert.equal(e.code, 'unknown_peer');
    assert.equal(e.ref, 'cross');
    assert.equal(e.fatal, false);
    a.send({ type: 'candidate', to: stranger.peerId, candidate: 'c' });
    assert.equal((await a.next('error')).code, 'unknown_peer');
    a.send({ type: 'message', to: stranger.peerId, content: 'psst' });
    assert.equal((await a.next('error')).code, 'unknown_peer');
    // an id nobody has, and yourself, are unknown too
    a.send({ type: 'answer', to: 'f'.repeat(32), sdp: 'x' });
    assert.equal((await a.next('error')).code, 'unknown_peer');
    a.send({ type: 'offer', to: a.peerId, sdp: 'x' });
    assert.equal((await a.next('error')).code, 'unknown_peer');
    await Promise.all([a.sync(), stranger.sync()]);
    assert.deepEqual(await stranger.collect((m) => m.type !== 'pong', 50), []);
  });

  test('message without "to" goes to everyone else in the room, not back, not outside', async () => {
    b.send({ type: 'message', content: { text: 'hello room', n: 1 }, ref: 'm1' });
    for (const peer of [a, c]) {
      assert.deepEqual(await peer.next('message'), { type: 'message', from: b.peerId, content: { text: 'hello room', n: 1 } });
    }
    await Promise.all([b.sync(), stranger.sync()]);
    assert.deepEqual(await b.collect('message', 50), []);
    assert.deepEqual(await stranger.collect('message', 0), []);
  });

  test('message with "to" goes to that peer only, which sees it was private', async () => {
    c.send({ type: 'message', to: a.peerId, content: 'just you' });
    assert.deepEqual(await a.next('message'), { type: 'message', to: a.peerId, from: c.peerId, content: 'just you' });
    await b.sync();
    assert.deepEqual(await b.collect('message', 50), []);
  });

  test('content larger than --max-content is content_too_large', async () => {
    a.send({ type: 'message', content: 'x'.repeat(20000), ref: 'big' });
    const e = await a.next('error');
    assert.equal(e.code, 'content_too_large');
    assert.equal(e.ref, 'big');
    assert.equal(e.fatal, false);
    await b.sync();
    assert.deepEqual(await b.collect('message', 30), []);
  });

  test('nothing is relayed before joining: not_in_room', async () => {
    const lone = await Client.hello(server.wsUrl);
    for (const msg of [
      { type: 'offer', to: a.peerId, sdp: 'x' },
      { type: 'answer', to: a.peerId, sdp: 'x' },
      { type: 'candidate', to: a.peerId, candidate: 'x' },
      { type: 'message', content: 'x' },
    ]) {
      lone.send({ ...msg, ref: msg.type });
      const e = await lone.next('error');
      assert.equal(e.code, 'not_in_room', msg.type);
      assert.equal(e.ref, msg.type);
    }
    await a.sync();
    assert.deepEqual(await a.collect((m) => m.type !== 'pong', 30), []);
    await closeAll(lone);
  });

  test('server-to-client types sent by a client are refused', async () => {
    a.send({ type: 'peer_left', peerId: b.peerId, reason: 'left', ref: 'spoof' });
    const e = await a.next('error');
    assert.equal(e.ref, 'spoof');
    assert.equal(e.code, 'unknown_type');
    await b.sync();
    assert.deepEqual(await b.collect('peer_left', 30), []);
  });

  test('ping is answered with pong carrying the ref', async () => {
    a.send({ type: 'ping', ref: 'abc-123' });
    assert.deepEqual(await a.next('pong'), { type: 'pong', ref: 'abc-123' });
  });
});

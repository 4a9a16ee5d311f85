// Limits: every configured bound, what the offender gets, and that nobody
// else notices.
import test, { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.mjs';
import { Client, closeAll, stopClean } from './signaling-client.mjs';

async function stillChatting(x, y) {
  x.send({ type: 'message', to: y.peerId, content: 'still here?' });
  assert.equal((await y.next('message')).content, 'still here?');
}

describe('frame and field limits (defaults)', () => {
  let server; let x; let y;
  before(async () => {
    server = await startServer();
    // a control pair in another room, checked after every abuse
    x = await Client.joined(server.wsUrl, 'control');
    y = await Client.joined(server.wsUrl, 'control');
  });
  after(async () => { await closeAll(x, y); await stopClean(server); });

  test('a frame over --max-frame: error frame_too_large (fatal), close 1009; the room sees "kicked"', async () => {
    const bad = await Client.joined(server.wsUrl, 'victims');
    const peer = await Client.joined(server.wsUrl, 'victims');
    bad.send({ type: 'message', content: 'x'.repeat(70000) });
    const e = await bad.next('error');
    assert.equal(e.code, 'frame_too_large');
    assert.equal(e.fatal, true);
    assert.equal((await bad.closed).code, 1009);
    assert.deepEqual(await peer.next('peer_left'), { type: 'peer_left', peerId: bad.peerId, reason: 'kicked' });
    await peer.sync();
    await stillChatting(x, y);
    await closeAll(peer);
  });

  test('a message fragmented past --max-frame is refused before it is all sent', async () => {
    const bad = await Client.hello(server.wsUrl);
    const chunk = 'y'.repeat(20000);
    bad.ws.send('{"type":"message","content":"', { fin: false });
    for (let i = 0; i < 5 && bad.ws.readyState === 1; i++) bad.ws.send(chunk, { fin: false });
    const e = await bad.next('error');
    assert.equal(e.code, 'frame_too_large');
    assert.equal((await bad.closed).code, 1009);
    await stillChatting(x, y);
  });

  test('a fragmented message within the limit is reassembled', async () => {
    const a = await Client.hello(server.wsUrl);
    const parts = ['{"type":"pi', 'ng","re', 'f":"frag"}'];
    parts.forEach((p, i) => a.ws.send(p, { fin: i === parts.length - 1 }));
    assert.deepEqual(await a.next('pong'), { type: 'pong', ref: 'frag' });
    await closeAll(a);
  });

  test('userData over --max-user-data: user_data_too_large, nothing changes', async () => {
    const a = await Client.joined(server.wsUrl, 'ud', { name: 'small' });
    const b = await Client.joined(server.wsUrl, 'ud');
    a.send({ type: 'update', userData: { blob: 'z'.repeat(5000) }, ref: 'u' });
    const e = await a.next('error');
    assert.equal(e.code, 'user_data_too_large');
    assert.equal(e.ref, 'u');
    assert.equal(e.fatal, false);
    const c = await Client.hello(server.wsUrl);
    c.send({ type: 'join', room: 'ud', userData: { blob: 'z'.repeat(5000) } });
    assert.equal((await c.next('error')).code, 'user_data_too_large');
    c.send({ type: 'join', room: 'ud', userData: { name: 'c' } });
    const j = await c.next('joined');
    assert.deepEqual(j.peers.find((p) => p.peerId === a.peerId).userData, { name: 'small' });
    await b.sync();
    assert.deepEqual(await b.collect('peer_updated', 30), []);
    await closeAll(a, b, c);
  });

  test('binary frames, invalid UTF-8, non-JSON and deep nesting are errors, not disconnects', async () => {
    const a = await Client.joined(server.wsUrl, 'junk');
    const b = await Client.joined(server.wsUrl, 'junk');
    a.ws.send(Buffer.from([1, 2, 3]));
    assert.equal((await a.next('error')).code, 'bad_json');
    a.ws.send(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { binary: false });
    assert.equal((await a.next('error')).code, 'bad_json');
    a.send('not json at all');
    assert.equal((await a.next('error')).code, 'bad_json');
    a.send('[1,2,3]');
    assert.equal((await a.next('error')).code, 'bad_json');
    a.send({ type: 'message', content: JSON.parse('['.repeat(40) + ']'.repeat(40)) });
    const deep = await a.next('error');
    assert.equal(deep.code, 'bad_message');
    assert.equal(deep.fatal, false);
    a.send({ type: 'no_such_type', ref: 'nt' });
    assert.deepEqual([(await a.next('error')).code], ['unknown_type']);
    a.send({ type: 'offer', to: 42, sdp: 'x', ref: 'wrong' });
    const wrong = await a.next('error');
    assert.equal(wrong.code, 'bad_message');
    assert.equal(wrong.ref, 'wrong');
    // still fully working, and b heard none of it
    await stillChatting(a, b);
    await b.sync();
    assert.deepEqual(b.inbox, []);
    await closeAll(a, b);
  });
});

describe('rate limit (--rate 5 --burst 5)', () => {
  let server;
  before(async () => { server = await startServer(['--rate', '5', '--burst', '5']); });
  after(() => stopClean(server));

  test('past the burst, messages are dropped with rate_limited (not fatal); later ones pass', async () => {
    const a = await Client.hello(server.wsUrl);
    await new Promise((r) => setTimeout(r, 400)); // the hello cost a token: refill
    for (let i = 0; i < 10; i++) a.send({ type: 'ping', ref: `p${i}` });
    await new Promise((r) => setTimeout(r, 300));
    const pongs = a.inbox.filter((m) => m.type === 'pong');
    const errors = a.inbox.filter((m) => m.type === 'error');
    assert.ok(pongs.length >= 5 && pongs.length <= 7, `${pongs.length} pongs`);
    assert.equal(pongs.length + errors.length, 10);
    for (const e of errors) {
      assert.equal(e.code, 'rate_limited');
      assert.equal(e.fatal, false);
      assert.match(e.ref, /^p\d$/);
    }
    await new Promise((r) => setTimeout(r, 1100));
    a.inbox = [];
    a.send({ type: 'ping', ref: 'later' });
    assert.equal((await a.next('pong')).ref, 'later');
    await closeAll(a);
  });

  test('a flood is disconnected: rate_limited (fatal), the room sees "kicked", others unaffected', async () => {
    const flooder = await Client.joined(server.wsUrl, 'flood');
    const peer = await Client.joined(server.wsUrl, 'flood');
    const x = await Client.joined(server.wsUrl, 'calm');
    const y = await Client.joined(server.wsUrl, 'calm');
    for (let i = 0; i < 60 && flooder.ws.readyState === 1; i++) flooder.send({ type: 'message', content: i });
    const fatal = await flooder.next((m) => m.type === 'error' && m.fatal);
    assert.equal(fatal.code, 'rate_limited');
    assert.equal((await flooder.closed).code, 1008);
    const left = await peer.next('peer_left');
    assert.deepEqual(left, { type: 'peer_left', peerId: flooder.peerId, reason: 'kicked' });
    // what got through before the bucket ran dry was delivered, nothing after
    const got = await peer.collect('message', 50);
    assert.ok(got.length >= 1 && got.length <= 7, `${got.length} messages relayed`);
    await new Promise((r) => setTimeout(r, 400));
    x.send({ type: 'message', content: 'calm' });
    assert.equal((await y.next('message')).content, 'calm');
    await closeAll(peer, x, y);
  });
});

describe('connection cap (--max-connections 3)', () => {
  let server;
  before(async () => { server = await startServer(['--max-connections', '3']); });
  after(() => stopClean(server));

  test('the fourth socket gets server_full (fatal) and is closed; a freed slot is reusable', async () => {
    const clients = await Promise.all([1, 2, 3].map(() => Client.hello(server.wsUrl)));
    const extra = await Client.connect(server.wsUrl);
    const e = await extra.next('error');
    assert.equal(e.code, 'server_full');
    assert.equal(e.fatal, true);
    assert.equal((await extra.closed).code, 1013);
    // the others are unaffected
    await Promise.all(clients.map((c) => c.sync()));
    await closeAll(clients[0]);
    for (let i = 0; ; i++) {
      const again = await Client.connect(server.wsUrl);
      again.send({ type: 'hello', v: 1, appKey: 'k' });
      const m = await again.next((x) => x.type === 'welcome' || x.type === 'error');
      if (m.type === 'welcome') { await closeAll(again); break; }
      await again.closed;
      assert.ok(i < 20, 'the freed slot never came back');
      await new Promise((r) => setTimeout(r, 50));
    }
    await closeAll(...clients);
  });
});

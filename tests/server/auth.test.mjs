// Authentication: hello, versions, application keys and origins, peer ids.
import test, { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.mjs';
import { Client, PEER_ID, closeAll, stopClean } from './signaling-client.mjs';

describe('development mode (no --app-key)', () => {
  let server;
  before(async () => { server = await startServer(['--hello-timeout', '1']); });
  after(() => stopClean(server));

  test('says it is in development mode', () => {
    assert.match(server.output(), /development mode/);
  });

  test('any application key is welcomed with a 32-hex peer id and the limits', async () => {
    const c = await Client.connect(server.wsUrl);
    c.send({ type: 'hello', v: 1, appKey: 'Your API key', ref: 'h1' });
    const w = await c.next('welcome');
    assert.equal(w.ref, 'h1');
    assert.equal(w.v, 1);
    assert.match(w.peerId, PEER_ID);
    assert.deepEqual(Object.keys(w.limits).sort(),
      ['burst', 'maxContent', 'maxFrame', 'maxPeers', 'maxUserData', 'pingInterval', 'rate']);
    assert.equal(w.limits.maxFrame, 65536);
    await closeAll(c);
  });

  test('peer ids are distinct across connections', async () => {
    const clients = await Promise.all(Array.from({ length: 8 }, () => Client.hello(server.wsUrl)));
    const ids = new Set(clients.map((c) => c.peerId));
    assert.equal(ids.size, 8);
    for (const id of ids) assert.match(id, PEER_ID);
    await closeAll(...clients);
  });

  test('anything before hello is refused with not_authenticated, and the socket stays usable', async () => {
    const c = await Client.connect(server.wsUrl);
    c.send({ type: 'join', room: 'r', ref: 'early' });
    const e = await c.next('error');
    assert.equal(e.code, 'not_authenticated');
    assert.equal(e.ref, 'early');
    assert.equal(e.fatal, false);
    c.send({ type: 'ping', ref: 'p' });
    assert.equal((await c.next('error')).code, 'not_authenticated');
    c.send({ type: 'hello', v: 1, appKey: 'k' });
    assert.match((await c.next('welcome')).peerId, PEER_ID);
    await closeAll(c);
  });

  test('a second hello is refused with already_authenticated and keeps the peer id', async () => {
    const c = await Client.hello(server.wsUrl);
    c.send({ type: 'hello', v: 1, appKey: 'k', ref: 'again' });
    const e = await c.next('error');
    assert.equal(e.code, 'already_authenticated');
    assert.equal(e.ref, 'again');
    assert.equal(e.fatal, false);
    c.send({ type: 'join', room: 'same-id' });
    assert.equal((await c.next('joined')).peerId, c.peerId);
    await closeAll(c);
  });

  test('an unsupported protocol version is fatal: error then close', async () => {
    const c = await Client.connect(server.wsUrl);
    c.send({ type: 'hello', v: 2, appKey: 'k', ref: 'v2' });
    const e = await c.next('error');
    assert.equal(e.code, 'unsupported_version');
    assert.equal(e.ref, 'v2');
    assert.equal(e.fatal, true);
    await c.closed;
  });

  test('a socket that never says hello is closed after --hello-timeout', async () => {
    const c = await Client.connect(server.wsUrl);
    const t0 = Date.now();
    await c.closed;
    const waited = Date.now() - t0;
    assert.ok(waited >= 500 && waited < 4000, `closed after ${waited} ms`);
  });
});

describe('configured application keys', () => {
  let server;
  before(async () => {
    server = await startServer([
      '--app-key', 'page-key=https://good.example,http://localhost:8080',
      '--app-key', 'open-key',
    ]);
  });
  after(() => stopClean(server));

  test('no development-mode notice', () => {
    assert.doesNotMatch(server.output(), /development mode/);
  });

  test('an unknown key is refused with bad_app_key (fatal) and the socket closes', async () => {
    const c = await Client.connect(server.wsUrl);
    c.send({ type: 'hello', v: 1, appKey: 'Your API key', ref: 'k1' });
    const e = await c.next('error');
    assert.equal(e.code, 'bad_app_key');
    assert.equal(e.fatal, true);
    assert.equal(e.ref, 'k1');
    const { code } = await c.closed;
    assert.equal(code, 1008);
  });

  test('a known key from a disallowed Origin is refused with origin_not_allowed', async () => {
    const c = await Client.connect(server.wsUrl, { origin: 'https://evil.example' });
    c.send({ type: 'hello', v: 1, appKey: 'page-key' });
    const e = await c.next('error');
    assert.equal(e.code, 'origin_not_allowed');
    assert.equal(e.fatal, true);
    await c.closed;
  });

  test('a key bound to origins is refused without an Origin header', async () => {
    const c = await Client.connect(server.wsUrl);
    c.send({ type: 'hello', v: 1, appKey: 'page-key' });
    assert.equal((await c.next('error')).code, 'origin_not_allowed');
    await c.closed;
  });

  test('a known key from an allowed Origin is welcomed', async () => {
    for (const origin of ['https://good.example', 'http://localhost:8080']) {
      const c = await Client.hello(server.wsUrl, { appKey: 'page-key', origin });
      assert.match(c.peerId, PEER_ID);
      await closeAll(c);
    }
  });

  test('a key without origins is welcomed from anywhere', async () => {
    const a = await Client.hello(server.wsUrl, { appKey: 'open-key', origin: 'https://any.example' });
    const b = await Client.hello(server.wsUrl, { appKey: 'open-key' });
    assert.notEqual(a.peerId, b.peerId);
    await closeAll(a, b);
  });
});

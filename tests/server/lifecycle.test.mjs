// Socket lifecycle: drops and dead sockets reported to the room, clean shutdown.
import test, { describe } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.mjs';
import { Client, closeAll, stopClean } from './signaling-client.mjs';

describe('dropped and dead sockets', () => {
  test('a socket dropped without leave: the room hears peer_left "disconnected"', async () => {
    const server = await startServer();
    try {
      const a = await Client.joined(server.wsUrl, 'drop');
      const b = await Client.joined(server.wsUrl, 'drop');
      const c = await Client.joined(server.wsUrl, 'drop');
      b.ws.terminate(); // no close frame: the TCP connection just goes away
      for (const peer of [a, c]) {
        const left = await peer.next((m) => m.type === 'peer_left' && m.peerId === b.peerId);
        assert.equal(left.reason, 'disconnected');
      }
      // a clean close without leave is also "disconnected"
      await c.close();
      assert.equal((await a.next('peer_left')).reason, 'disconnected');
      await closeAll(a);
    } finally {
      await stopClean(server);
    }
  });

  test('a socket that stops answering pings is dropped: peer_left "timeout"', async () => {
    const server = await startServer(['--ping-interval', '1000']);
    try {
      const a = await Client.joined(server.wsUrl, 'dead');
      const idler = await Client.joined(server.wsUrl, 'dead');
      await a.next('peer_joined');
      assert.equal(a.welcome.limits.pingInterval, 1000);
      // autoPong off: this client ignores WebSocket pings like a frozen peer
      const zombie = await Client.joined(server.wsUrl, 'dead', {}, { autoPong: false });
      const t0 = Date.now();
      // the live one keeps answering pings (ws does so automatically)
      const left = await a.next('peer_left', 6000);
      const took = Date.now() - t0;
      assert.deepEqual(left, { type: 'peer_left', peerId: zombie.peerId, reason: 'timeout' });
      assert.ok(took >= 1500 && took < 5000, `dropped after ${took} ms`);
      await a.sync(); // still connected: it answers pings
      // a peer idle that long but answering pings, then dropped, is "disconnected"
      idler.ws.terminate();
      assert.deepEqual(await a.next('peer_left'), { type: 'peer_left', peerId: idler.peerId, reason: 'disconnected' });
      await closeAll(a, zombie);
    } finally {
      await stopClean(server);
    }
  });
});

describe('shutdown', () => {
  test('SIGTERM: every client gets bye "shutdown", the sockets close, exit code 0', async () => {
    const server = await startServer();
    const a = await Client.joined(server.wsUrl, 'end');
    const b = await Client.joined(server.wsUrl, 'end');
    const idle = await Client.connect(server.wsUrl); // not even authenticated
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    const code = await server.stop();
    assert.equal(code, 0);
    assert.ok(Date.now() - t0 < 3000, 'shutdown took too long');
    for (const c of [a, b, idle]) {
      assert.deepEqual(await c.next('bye'), { type: 'bye', reason: 'shutdown' });
      assert.equal((await c.closed).code, 1001);
    }
    // bye is the last word: nobody was told peer_left about the others
    assert.deepEqual(a.inbox.filter((m) => m.type === 'peer_left'), []);
    assert.match(server.output(), /stopped/);
    assert.doesNotMatch(server.output(), /LeakSanitizer|AddressSanitizer|runtime error/);
  });

  test('SIGINT works the same, with no clients', async () => {
    const server = await startServer();
    const exited = new Promise((resolve) => server.proc.once('exit', (c) => resolve(c)));
    server.proc.kill('SIGINT');
    assert.equal(await exited, 0);
    assert.doesNotMatch(server.output(), /LeakSanitizer|AddressSanitizer|runtime error/);
  });
});

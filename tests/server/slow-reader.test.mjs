// A peer that stops reading cannot make the server hold its backlog forever:
// past the outgoing queue bound it is dropped, and the room hears "kicked".
import test from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.mjs';
import { Client, closeAll, stopClean } from './signaling-client.mjs';

test('a reader that stops reading is dropped once its queue passes the bound', async () => {
  const server = await startServer(['--max-frame', '65536', '--max-content', '60000',
    '--rate', '100000', '--burst', '100000']);
  try {
    const sender = await Client.joined(server.wsUrl, 'firehose');
    const watcher = await Client.joined(server.wsUrl, 'firehose');
    const sleeper = await Client.joined(server.wsUrl, 'firehose');
    await Promise.all([sender.collect('peer_joined', 20), watcher.collect('peer_joined', 0)]);
    sleeper.ws._socket.pause(); // stops reading: the kernel buffers fill, then the server's queue
    const chunk = 'w'.repeat(59000);
    let left = null;
    watcher.next((m) => m.type === 'peer_left', 20000).then((m) => { left = m; });
    // the watcher drains as it goes; the sleeper's backlog grows until dropped
    for (let i = 0; i < 600 && !left; i++) {
      sender.send({ type: 'message', content: chunk });
      if (i % 20 === 19) await sender.sync();
    }
    await sender.sync();
    for (let i = 0; i < 100 && !left; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(left, { type: 'peer_left', peerId: sleeper.peerId, reason: 'kicked' });
    // the sender and the watcher are fine
    sender.send({ type: 'message', to: watcher.peerId, content: 'after' });
    assert.equal((await watcher.next((m) => m.type === 'message' && m.content === 'after', 5000)).from, sender.peerId);
    sleeper.ws._socket.resume();
    await closeAll(sender, watcher, sleeper);
  } finally {
    await stopClean(server);
  }
});

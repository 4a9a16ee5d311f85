// A slow reader: a peer that stops reading its socket while another peer floods it
// with directed messages. The server must bound what it queues for it and drop it;
// the flooder and the control group are unaffected. Default ping interval (20 s), so
// the drop comes from the queue bound, not from a ping timeout; a rate limit high
// enough that the flooder is not stopped first.
import assert from 'node:assert/strict';
import { before, after } from 'node:test';
import { hostileSuite, sleep } from './harness.mjs';

const s = hostileSuite(['--rate', '100000', '--burst', '100000']);
before(s.setup);
after(s.finish);

s.attack('a slow reader that never reads is dropped; its queue is bounded', async () => {
    const slow = await s.attacker({ room: 'slow-room', label: 'slow-reader' });
    const flooder = await s.attacker({ room: 'slow-room', label: 'flooder' });
    await slow.nextType('peer_joined');
    slow.ws._socket.pause(); // never reads again; the kernel buffers fill, then the server's queue
    const content = 'q'.repeat(15000);
    let sentBytes = 0;
    let left = null;
    flooder.listeners.push((m) => {
      if (m.type === 'peer_left' && m.peerId === slow.peerId) { left = m; return true; }
      return false;
    });
    const LIMIT = 96 * 1024 * 1024;
    while (!left && sentBytes < LIMIT && flooder.open) {
      if (flooder.ws.bufferedAmount > 1024 * 1024) { await sleep(2); continue; }
      flooder.send({ type: 'message', to: slow.peerId, content });
      sentBytes += content.length;
      if (sentBytes % (20 * 15000) === 0) await sleep(0);
    }
    const deadline = Date.now() + 10000;
    while (!left && Date.now() < deadline) await sleep(20);
    assert.ok(left, `slow reader still in the room after ${(sentBytes / 1048576).toFixed(1)} MiB queued for it`);
    assert.ok(['kicked', 'disconnected', 'timeout'].includes(left.reason), left.reason);
    // The flooder was not punished for a victim that does not read.
    await flooder.expectHealthy().catch(() => {}); // may carry unknown_peer errors for in-flight sends
    assert.ok(flooder.open, 'flooder disconnected');
    flooder.inbox = [];
    await flooder.leave();
    flooder.close();
    slow.terminate();
  }, { timeout: 60000 });

s.finishTest();

// --rx-buffer: a receive buffer far smaller than the messages still carries
// them whole (lws delivers them in pieces; the server reassembles), and a
// value out of range is refused at start.
import test, { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { serverBinary, startServer } from '../helpers/server.mjs';
import { Client, closeAll, stopClean } from './signaling-client.mjs';

describe('--rx-buffer 128', () => {
  let server;
  let a; let b; let bJoined;
  before(async () => {
    server = await startServer(['--rx-buffer', '128']);
    a = await Client.joined(server.wsUrl, 'rx', { name: 'a' });
    b = await Client.joined(server.wsUrl, 'rx', { name: 'b'.repeat(3000) });
    bJoined = await a.next('peer_joined');
  });
  after(async () => {
    await closeAll(a, b);
    await stopClean(server);
  });

  test('an SDP of 20 KB arrives intact, in order with small messages', async () => {
    const sdp = Array.from({ length: 400 }, (_, i) => `a=line-${i}-${'x'.repeat(40)}`).join('\r\n');
    a.send({ type: 'offer', to: b.peerId, sdp });
    a.send({ type: 'candidate', to: b.peerId, candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0' });
    assert.equal((await b.next('offer')).sdp, sdp);
    assert.equal((await b.next('candidate')).from, a.peerId);
  });

  test('userData larger than the buffer reaches the room whole', async () => {
    assert.equal(bJoined.userData.name, 'b'.repeat(3000));
    b.send({ type: 'update', userData: { name: 'c'.repeat(3500) } });
    assert.equal((await a.next('peer_updated')).userData.name, 'c'.repeat(3500));
  });
});

test('--rx-buffer out of range is refused with exit 2', () => {
  const r = spawnSync(serverBinary(), ['--port', '0', '--rx-buffer', '64'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--rx-buffer expects an integer from 128 to 65536/);
});

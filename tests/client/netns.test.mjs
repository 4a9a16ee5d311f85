// Real network faults: every peer in its own network namespace (veth to a hub
// bridge where the server runs), the link really taken down, packets really
// dropped. A 2 s cut costs nothing; a 10 s cut is a departure and a return; a
// lossy link delivers every message once, in order. (tc netem is not in this
// machine's kernel: loss comes from iptables' statistic match instead.)
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil, waitMesh, sleep, stackNames, exitWhenDone } from './peers.mjs';
import { RemotePeer } from './remote-peer.mjs';
import { startServer } from '../helpers/server.mjs';
import { createNetwork, netnsSkip } from '../helpers/netns.mjs';

after(exitWhenDone);

const skip = netnsSkip();
const CHURN = ['peerJoined', 'peerLeft'];
const churnSince = (p, mark) => p.log.slice(mark).filter((e) => CHURN.includes(e.name) && e.args[2] === false);
const texts = (p, from, re) => p.received().filter((m) => m[1] === from.id && re.test(m[0])).map((m) => m[0]);

for (const stack of stackNames()) {
  describe(`network faults over ${stack}`, { skip, timeout: 180000 }, () => {
    let nw;
    let server;
    let peers = [];
    let seq = 0;

    before(async () => {
      nw = createNetwork(2);
      server = await startServer([], { host: nw.hubAddr, spawnPrefix: ['ip', 'netns', 'exec', nw.hub] });
    });
    after(async () => {
      await Promise.all(peers.map((p) => p.dispose()));
      if (server) await Promise.race([server.stop(), sleep(3000).then(() => server.proc.kill('SIGKILL'))]);
      nw?.destroy();
    });

    // Two peers, one per namespace, in a fresh room with open channels.
    async function pair() {
      await Promise.all(peers.map((p) => p.dispose()));
      const room = `${stack}-faults-${++seq}`;
      peers = [0, 1].map((i) => new RemotePeer(`n${i}`, stack, server.url,
        { spawnPrefix: ['ip', 'netns', 'exec', nw.peers[i]] }));
      await Promise.all(peers.map((p) => p.init()));
      for (const p of peers) await p.join(room, { userData: { name: p.name } });
      await waitMesh(peers);
      return peers;
    }

    it('the link down for 2 s: no churn, messages sent meanwhile arrive once, in order', async () => {
      const [a, b] = await pair();
      const mark = [a.log.length, b.log.length];
      nw.linkDown(1);
      const down = Date.now();
      for (let i = 0; i < 5; i++) await a.send(`cut-${i}`);
      await sleep(1500);
      // The fault is real: nothing crossed while the link was down.
      assert.deepEqual(texts(b, a, /^cut-/), [], 'b received nothing while its link was down');
      await sleep(Math.max(0, 2000 - (Date.now() - down)));
      nw.linkUp(1);
      const up = Date.now();
      await waitUntil(() => texts(b, a, /^cut-/).length === 5, 'the messages sent during the cut', 15000, [a, b]);
      console.log(`# ${stack}: chat flowed again ${Date.now() - up} ms after a 2 s cut`);
      await sleep(2000);
      assert.deepEqual(texts(b, a, /^cut-/), [0, 1, 2, 3, 4].map((i) => `cut-${i}`));
      assert.deepEqual(churnSince(a, mark[0]), [], 'a saw no peerJoined/peerLeft');
      assert.deepEqual(churnSince(b, mark[1]), [], 'b saw no peerJoined/peerLeft');
      await b.send('after the cut');
      await waitUntil(() => texts(a, b, /^after the cut$/).length === 1, 'chat after the cut', 10000, [a, b]);
    });

    it('the link down for 10 s: peerLeft within 5 s, then peerJoined again when it returns', async () => {
      const [a, b] = await pair();
      const bId = b.id;
      nw.linkDown(1);
      const down = Date.now();
      await waitUntil(() => a.events('peerLeft').some((e) => e.args[0] === bId), 'a reports b left', 8000, [a, b]);
      const seen = Date.now() - down;
      console.log(`# ${stack}: a peer cut off was reported left after ${seen} ms`);
      assert.ok(seen <= 5000, `peerLeft after ${seen} ms`);
      await sleep(Math.max(0, 10000 - (Date.now() - down)));
      nw.linkUp(1);
      const up = Date.now();
      await waitUntil(() => a.openChannels().has(bId) && b.openChannels().has(a.id) &&
        a.events('peerJoined').filter((e) => e.args[0] === bId).length === 2, 'b back in a\'s room', 40000, [a, b]);
      console.log(`# ${stack}: back in the room ${Date.now() - up} ms after the link returned`);
      assert.equal(b.id, bId, 'b kept its peer id');
      assert.equal(a.events('peerLeft').filter((e) => e.args[0] === bId).length, 1, 'reported left once');
      await a.send('welcome back');
      await waitUntil(() => texts(b, a, /^welcome back$/).length === 1, 'chat after the return', 10000, [a, b]);
    });

    it('UDP blocked for 6 s, signaling untouched: left, then joined again once the path returns', async () => {
      const [a, b] = await pair();
      const block = (op) => {
        nw.run(1, 'iptables', [op, 'OUTPUT', '-p', 'udp', '-j', 'DROP']);
        nw.run(1, 'iptables', [op, 'INPUT', '-p', 'udp', '-j', 'DROP']);
      };
      block('-A');
      const t0 = Date.now();
      try {
        await waitUntil(() => a.events('peerLeft').some((e) => e.args[0] === b.id), 'a reports b left', 8000, [a, b]);
        console.log(`# ${stack}: peer behind a UDP block reported left after ${Date.now() - t0} ms`);
        await sleep(Math.max(0, 6000 - (Date.now() - t0)));
      } finally {
        block('-D');
      }
      const open = Date.now();
      // Nobody reconnects to the server here: the peers find each other again themselves.
      await waitUntil(() => a.events('peerJoined').filter((e) => e.args[0] === b.id).length === 2 &&
        b.events('peerJoined').filter((e) => e.args[0] === a.id).length === 2, 'joined again on both sides', 20000, [a, b]);
      console.log(`# ${stack}: joined again ${Date.now() - open} ms after UDP was unblocked`);
      assert.equal(a.events('signalingState').filter((e) => e.args[0] === 'reconnecting').length, 0);
      assert.equal(a.events('peerLeft').filter((e) => e.args[0] === b.id).length, 1);
      assert.equal(b.events('peerLeft').filter((e) => e.args[0] === a.id).length, 1);
      await a.send('found you');
      await waitUntil(() => texts(b, a, /^found you$/).length === 1, 'chat after', 10000, [a, b]);
    });

    it('a lossy link (20% of packets dropped): every message once, in order, no churn', async () => {
      const [a, b] = await pair();
      const mark = [a.log.length, b.log.length];
      nw.loss(1, 20);
      try {
        for (let i = 0; i < 40; i++) {
          await a.send(`lossy-${i}`);
          await sleep(100);
        }
        await waitUntil(() => texts(b, a, /^lossy-/).length === 40, 'every message over the lossy link', 30000, [a, b]);
      } finally {
        nw.clearLoss(1);
      }
      assert.deepEqual(texts(b, a, /^lossy-/), Array.from({ length: 40 }, (_, i) => `lossy-${i}`));
      assert.deepEqual(churnSince(a, mark[0]), []);
      assert.deepEqual(churnSince(b, mark[1]), []);
    });
  });
}

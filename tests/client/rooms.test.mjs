// Real peers (the built WASM module) in node, the real server, a real WebRTC
// stack over loopback: the same suite against node-datachannel and @roamhq/wrtc.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  TestPeer, makePeers, joinAll, waitMesh, waitUntil, sleep, spawnPeer, stackNames, startTestServer, exitWhenDone,
} from './peers.mjs';

after(exitWhenDone);

for (const stack of stackNames()) {
  describe(`rooms over ${stack}`, { timeout: 120000 }, () => {
    let server;
    let live = [];
    let roomSeq = 0;
    const room = () => `${stack}-room-${++roomSeq}`;
    const peers = async (n, prefix) => {
      const ps = await makePeers(n, stack, server, prefix);
      live.push(...ps);
      return ps;
    };

    before(async () => { server = await startTestServer(); });
    afterEach(() => { for (const p of live) p.close(); live = []; });
    after(async () => { await server.stop(); });

    it('3 peers join one room and all see each other with their names', async () => {
      const ps = await peers(3);
      await joinAll(ps, room());
      for (const p of ps) {
        const self = p.events('peerJoined').filter((e) => e.args[2]);
        assert.equal(self.length, 1, `${p.name} gets peerJoined for itself once`);
        assert.equal(self[0].args[0], p.id);
        for (const q of ps) {
          if (q === p) continue;
          const seen = p.events('peerJoined').filter((e) => e.args[0] === q.id);
          assert.equal(seen.length, 1, `${p.name} sees ${q.name} join once`);
          assert.equal(seen[0].args[2], false);
          // the name arrives with the join, or right after with peerUpdated
          await waitUntil(() => p.sky.getPeerInfo(q.id)?.userData.name === q.name, `${p.name} knows ${q.name}'s name`);
        }
        assert.deepEqual(Object.keys(p.sky.getPeersInRoom()).sort(), ps.map((q) => q.id).sort());
      }
    });

    it('broadcast and targeted messages arrive exactly once, in order, at the right peers', async () => {
      const [a, b, c] = await peers(3);
      await joinAll([a, b, c], room());
      const N = 25;
      for (let i = 0; i < N; i++) a.sky.sendP2PMessage(`a-${i}`);
      for (let i = 0; i < 5; i++) b.sky.sendP2PMessage({ secret: i }, c.id);
      a.sky.sendMessage('via server');
      c.sky.sendMessage('server dm', a.id);
      const want = (p) => p.received().length;
      await waitUntil(() => want(b) === N + 1 && want(c) === N + 6 && want(a) === 1, 'all messages', 15000, [a, b, c]);
      await sleep(300); // nothing more may arrive
      const p2p = (p, from) => p.received().filter((m) => m[1] === from.id && m[3]);
      assert.deepEqual(p2p(b, a).map((m) => m[0]), Array.from({ length: N }, (_, i) => `a-${i}`));
      assert.deepEqual(p2p(c, a).map((m) => m[0]), Array.from({ length: N }, (_, i) => `a-${i}`));
      assert.ok(p2p(b, a).every((m) => m[2] === false), 'broadcast is not private');
      assert.deepEqual(p2p(c, b), [0, 1, 2, 3, 4].map((i) => [{ secret: i }, b.id, true, true]));
      assert.equal(p2p(a, b).length, 0, 'a private message reaches only its target');
      assert.deepEqual(b.received().filter((m) => !m[3]), [['via server', a.id, false, false]]);
      assert.deepEqual(c.received().filter((m) => !m[3]), [['via server', a.id, false, false]]);
      assert.deepEqual(a.received(), [['server dm', c.id, true, false]]);
      // the receiver's view of a private message
      const priv = c.events('incomingMessage').find((e) => e.args[0].isPrivate && e.args[0].isDataChannel);
      assert.equal(priv.args[0].senderPeerId, b.id);
      assert.equal(priv.args[0].targetPeerId, c.id);
      assert.equal(priv.args[2].userData.name, b.name);
      // own sends are echoed once, isSelf true
      const echoes = a.events('incomingMessage').filter((e) => e.args[3]);
      assert.equal(echoes.length, N + 1);
      assert.equal(echoes[0].args[0].content, 'a-0');
      assert.equal(echoes[0].args[1], a.id);
      const bEcho = b.events('incomingMessage').filter((e) => e.args[3]);
      assert.equal(bEcho.length, 5);
      assert.ok(bEcho.every((e) => e.args[0].isPrivate && e.args[0].targetPeerId === c.id));
    });

    it('a name change reaches everyone', async () => {
      const ps = await peers(3);
      await joinAll(ps, room());
      const [a, b, c] = ps;
      b.sky.setUserData({ name: 'Bea' });
      for (const p of [a, c]) {
        await waitUntil(() => p.events('peerUpdated').some((e) => e.args[0] === b.id && e.args[1].userData.name === 'Bea'),
          `${p.name} sees the new name`, 10000, ps);
        assert.equal(p.sky.getPeerInfo(b.id).userData.name, 'Bea');
      }
      const self = b.events('peerUpdated').filter((e) => e.args[2]);
      assert.equal(self.at(-1).args[1].userData.name, 'Bea');
      assert.deepEqual(b.sky.getUserData(), { name: 'Bea' });
    });

    it('leaving is seen by the others as peerLeft, and by yourself', async () => {
      const ps = await peers(3);
      await joinAll(ps, room());
      const [a, b, c] = ps;
      const res = await c.leave();
      assert.equal(res.peerId, c.id);
      for (const p of [a, b]) {
        await waitUntil(() => p.events('peerLeft').some((e) => e.args[0] === c.id), `${p.name} sees c leave`, 10000, ps);
        await sleep(200);
        assert.equal(p.events('peerLeft').filter((e) => e.args[0] === c.id).length, 1, 'peerLeft exactly once');
        assert.equal(p.events('peerLeft').find((e) => e.args[0] === c.id).args[1].userData.name, c.name);
      }
      assert.equal(c.events('peerLeft').filter((e) => e.args[2] && e.args[0] === c.id).length, 1);
      assert.throws(() => c.sky.sendP2PMessage('after leaving'), { code: 'wrong_state' });
      a.sky.sendP2PMessage('still here');
      await waitUntil(() => b.received().some((m) => m[0] === 'still here'), 'the room still works');
    });

    it('an abrupt exit (SIGKILL) is seen by the others as peerLeft', async () => {
      const r = room();
      const ps = await peers(2);
      await joinAll(ps, r);
      const child = await spawnPeer({ server, stack, room: r, name: 'doomed', expect: 2 });
      for (const p of ps) await waitUntil(() => p.openChannels().has(child.id), `${p.name} connected to the child`, 15000, ps);
      child.kill('SIGKILL');
      for (const p of ps) {
        await waitUntil(() => p.events('peerLeft').some((e) => e.args[0] === child.id), `${p.name} sees the child vanish`, 10000, ps);
      }
      await sleep(200);
      for (const p of ps) assert.equal(p.events('peerLeft').filter((e) => e.args[0] === child.id).length, 1);
    });

    it('joining another room moves you cleanly', async () => {
      const r1 = room(), r2 = room();
      const [a, b, c] = await peers(3);
      await joinAll([a, b, c], r1);
      const d = (await peers(1, 'd'))[0];
      await joinAll([d], r2);
      await c.join(r2, { userData: { name: c.name } }); // no leaveRoom first
      await waitMesh([c, d]);
      for (const p of [a, b]) {
        await waitUntil(() => p.events('peerLeft').some((e) => e.args[0] === c.id), `${p.name} sees c go`, 10000);
      }
      assert.equal(c.events('peerLeft').filter((e) => e.args[2]).length, 1, 'c left r1 (self peerLeft)');
      assert.equal(c.events('peerJoined').filter((e) => e.args[2]).length, 2, 'c joined twice (self peerJoined)');
      assert.equal(c.sky.getPeerInfo().room, r2);
      assert.deepEqual(Object.keys(c.sky.getPeersInRoom()).sort(), [c.id, d.id].sort());
      a.sky.sendP2PMessage('r1 only');
      d.sky.sendP2PMessage('r2 only');
      await waitUntil(() => b.received().length === 1 && c.received().length === 1, 'room messages');
      await sleep(300);
      assert.deepEqual(b.received().map((m) => m[0]), ['r1 only']);
      assert.deepEqual(c.received().map((m) => m[0]), ['r2 only']);
    });

    it('unicode survives: emoji, CJK, RTL in names and messages', async () => {
      const text = 'héllo 👋🏽 你好，世界 مرحبا بالعالم שלום 🇯🇵 \u202Eabc\u202C end';
      const [a, b] = await peers(2);
      await joinAll([a, b], room());
      a.sky.setUserData({ name: '名前 👩‍💻 עברית' });
      a.sky.sendP2PMessage(text);
      a.sky.sendP2PMessage({ nested: [text, { k: text }] }, b.id);
      a.sky.sendMessage(text);
      await waitUntil(() => b.received().length === 3, 'three messages', 10000, [a, b]);
      // data channel and server are two paths: ordered within each, not across
      assert.deepEqual(b.received().filter((m) => m[3]).map((m) => m[0]), [text, { nested: [text, { k: text }] }]);
      assert.deepEqual(b.received().filter((m) => !m[3]).map((m) => m[0]), [text]);
      await waitUntil(() => b.sky.getPeerInfo(a.id).userData.name === '名前 👩‍💻 עברית', 'unicode name');
    });

    it('a large message is chunked and reassembled', async () => {
      const [a, b] = await peers(2);
      await joinAll([a, b], room());
      const big = 'x👋'.repeat(40000); // ~200 KB of UTF-8, > 16 KiB frames
      a.sky.sendP2PMessage(big);
      a.sky.sendP2PMessage('after');
      await waitUntil(() => b.received().length === 2, 'big message', 15000, [a, b]);
      assert.equal(b.received()[0][0], big);
      assert.equal(b.received()[1][0], 'after');
    });

    it('two peers joining at the same instant still connect', async () => {
      for (let round = 0; round < 3; round++) {
        const ps = await peers(2, `g${round}-`);
        await joinAll(ps, room(), { together: true });
        ps[0].sky.sendP2PMessage('hi');
        ps[1].sky.sendP2PMessage('hi');
        await waitUntil(() => ps.every((p) => p.received().length === 1), 'messages both ways', 10000, ps);
        for (const p of ps) p.close();
      }
    });
  });
}

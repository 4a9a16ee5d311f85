// SkywayJS behaviours users rely on, and wrong-time / bad-argument calls.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  Skyway, WebSocket, STACKS, TestPeer, makePeers, joinAll, waitUntil, sleep, stackNames, startTestServer, exitWhenDone,
} from './peers.mjs';

after(exitWhenDone);

for (const stack of stackNames()) {
  describe(`API over ${stack}`, { timeout: 90000 }, () => {
    let server;
    let live = [];
    let roomSeq = 0;
    const room = () => `${stack}-api-${++roomSeq}`;
    const track = (...ps) => { live.push(...ps); return ps; };
    const raw = () => {
      const s = new Skyway({ WebSocket, RTCPeerConnection: STACKS[stack]() });
      live.push({ close: () => s.close() });
      return s;
    };

    before(async () => { server = await startTestServer(); });
    afterEach(() => { for (const p of live) p.close(); live = []; });
    after(async () => { await server.stop(); });

    it('joinRoom() right after construction waits for the module and init, then joins the default room', async () => {
      const s = raw();
      const events = [];
      s.on('peerJoined', (id, info, self) => events.push([id, info.room, self]));
      s.init({ apiKey: 'my-app', roomServer: server.url }); // no callback, not awaited
      const res = await new Promise((resolve, reject) => {
        setTimeout(() => reject(new Error('join timed out')), 10000);
        s.joinRoom((err, ok) => (err ? reject(err) : resolve(ok)));
      });
      assert.equal(res.room, 'my-app', 'defaultRoom defaults to the app key');
      assert.deepEqual(events, [[res.peerId, 'my-app', true]]);
      assert.deepEqual(s.getPeerInfo().userData, {});
    });

    it('defaultRoom, roomServer forms and init callback', async () => {
      const base = server.url.replace(/\/$/, '');
      for (const roomServer of [server.url, base, base.replace('http:', 'ws:'), `${base.replace('http:', 'ws:')}/signaling`]) {
        const s = raw();
        const ok = await new Promise((resolve, reject) => {
          setTimeout(() => reject(new Error(`init timed out for ${roomServer}`)), 10000);
          s.init({ appKey: 'k', defaultRoom: 'lobby', roomServer }, (err, r) => (err ? reject(err) : resolve(r)));
        });
        assert.match(ok.serverUrl, /^ws:\/\/127\.0\.0\.1:\d+\/signaling$/);
        const joined = await new Promise((resolve, reject) => s.joinRoom((e, r) => (e ? reject(e) : resolve(r))));
        assert.equal(joined.room, 'lobby');
        s.close();
      }
    });

    it('init against a dead server reports readyStateChange ERROR and calls back with an error', async () => {
      const s = raw();
      const states = [];
      s.on('readyStateChange', (st, err) => states.push([st, err && err.code]));
      const err = await new Promise((resolve) => {
        s.init({ appKey: 'k', roomServer: 'http://127.0.0.1:1/' }, (e) => resolve(e));
      });
      assert.ok(err && err.code, 'callback(error)');
      assert.deepEqual(states.map((x) => x[0]), [0, 1, -1]);
      // and the instance can be initialised again
      await new Promise((resolve, reject) => s.init({ appKey: 'k', roomServer: server.url }, (e) => (e ? reject(e) : resolve())));
    });

    it('bad arguments throw synchronously; wrong-time calls fail clearly and corrupt nothing', async () => {
      const s = raw();
      assert.throws(() => s.init(), TypeError);
      assert.throws(() => s.init({ roomServer: server.url }), TypeError);
      assert.throws(() => s.on('peerJoined', 5), TypeError);
      assert.throws(() => s.sendP2PMessage(undefined), TypeError);
      assert.throws(() => s.setUserData(() => 1), TypeError);
      assert.throws(() => s.joinRoom(5), TypeError);
      assert.throws(() => s.joinRoom('r'), { code: 'not_initialised' });
      const early = await new Promise((resolve) => s.joinRoom('r', (e) => resolve(e)));
      assert.equal(early.code, 'not_initialised');
      await s.ready;
      assert.throws(() => s.sendP2PMessage('x'), { code: 'wrong_state' });
      assert.throws(() => s.sendMessage('x'), { code: 'wrong_state' });
      assert.throws(() => s.lockRoom(), { code: 'wrong_state' });
      const notIn = await new Promise((resolve) => s.leaveRoom((e) => resolve(e)));
      assert.equal(notIn.code, 'not_in_room');
      await new Promise((resolve, reject) => s.init({ appKey: 'k', roomServer: server.url }, (e) => (e ? reject(e) : resolve())));
      const bad = await new Promise((resolve) => s.joinRoom('no/slashes allowed', (e) => resolve(e)));
      assert.equal(bad.code, 'invalid_room');
      const r = room();
      const ok = await new Promise((resolve, reject) => s.joinRoom(r, (e, v) => (e ? reject(e) : resolve(v))));
      assert.equal(ok.room, r);
      assert.throws(() => s.sendP2PMessage('x', 'f'.repeat(32)), { code: 'unknown_peer' });
      s.sendP2PMessage('alone is fine'); // no peers: only the echo
      assert.equal(s.getPeerInfo('0'.repeat(32)), null);
    });

    it('a listener that throws does not break the library or the other listeners', async () => {
      const [a, b] = track(...await makePeers(2, stack, server));
      const seen = [];
      const errors = [];
      const origError = console.error;
      console.error = (...args) => errors.push(args);
      try {
        b.sky.on('incomingMessage', () => { throw new Error('listener bug'); });
        b.sky.on('incomingMessage', (m) => seen.push(m.content));
        await joinAll([a, b], room());
        a.sky.sendP2PMessage('one');
        a.sky.sendP2PMessage('two');
        await waitUntil(() => seen.length === 2, 'both listeners keep running');
      } finally {
        console.error = origError;
      }
      assert.deepEqual(seen, ['one', 'two']);
      assert.ok(errors.length >= 2, 'the throw is reported');
    });

    it('on / once / off', async () => {
      const s = raw();
      const got = [];
      const f = (st) => got.push(['f', st]);
      s.on('readyStateChange', f);
      s.once('readyStateChange', (st) => got.push(['once', st]));
      const g = (st) => got.push(['g', st]);
      s.on('readyStateChange', g);
      s.off('readyStateChange', g);
      await new Promise((resolve) => s.init({ appKey: 'k', roomServer: server.url }, resolve));
      assert.deepEqual(got, [['f', 0], ['once', 0], ['f', 1], ['f', 2]]);
      s.off('readyStateChange');
    });

    it('userData set before joining reaches every peer; {} when never set', async () => {
      const [a, b] = track(...await makePeers(2, stack, server));
      a.sky.setUserData({ name: 'Early' });
      const r = room();
      await a.join(r);
      await b.join(r); // b sets nothing
      await waitUntil(() => a.openChannels().has(b.id) && b.openChannels().has(a.id), 'connected', 15000, [a, b]);
      assert.equal(b.sky.getPeerInfo(a.id).userData.name, 'Early');
      assert.deepEqual(a.sky.getPeerInfo(b.id).userData, {});
      const joinedB = a.events('peerJoined').find((e) => e.args[0] === b.id);
      assert.deepEqual(joinedB.args[1].userData, {});
      assert.ok(a.events('peerUpdated').some((e) => e.args[2] && e.args[1].userData.name === 'Early'), 'peerUpdated for self');
    });

    it('lockRoom / unlockRoom: everyone sees roomLock; a locked room rejects newcomers', async () => {
      const [a, b, c] = track(...await makePeers(3, stack, server));
      const r = room();
      await joinAll([a, b], r);
      a.sky.lockRoom();
      for (const p of [a, b]) {
        await waitUntil(() => p.events('roomLock').some((e) => e.args[0] === true), `${p.name} sees the lock`);
      }
      const lockA = a.events('roomLock')[0].args;
      assert.deepEqual([lockA[0], lockA[1], lockA[3]], [true, a.id, true]);
      const lockB = b.events('roomLock')[0].args;
      assert.deepEqual([lockB[0], lockB[1], lockB[3]], [true, a.id, false]);
      await assert.rejects(c.join(r), /lock/);
      assert.ok(c.events('systemAction').some((e) => e.args[0] === 'reject'));
      a.sky.unlockRoom();
      await waitUntil(() => b.events('roomLock').some((e) => e.args[0] === false), 'unlock seen');
      await c.join(r);
      await waitUntil(() => a.remotePeers().has(c.id), 'c got in');
    });

    it('leaveRoom then joinRoom again, and close()', async () => {
      const [a, b] = track(...await makePeers(2, stack, server));
      const r = room();
      await joinAll([a, b], r);
      await a.leave();
      await waitUntil(() => b.remotePeers().size === 0, 'b alone');
      await a.join(r);
      await waitUntil(() => a.openChannels().has(b.id) && b.openChannels().has(a.id), 'reconnected', 15000, [a, b]);
      a.sky.sendP2PMessage('back');
      await waitUntil(() => b.received().some((m) => m[0] === 'back'), 'message after rejoin');
      a.close();
      await waitUntil(() => b.events('peerLeft').filter((e) => e.args[0] === a.id).length === 2, 'close() leaves');
      assert.ok(a.events('channelClose').length >= 1);
    });
  });
}

// ICE options and the path in use, on loopback with both node stacks: the
// selected candidate pair is visible through getConnectionStatus, SkylinkJS's
// options reach the connection, bad ones are refused at init.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { TestPeer, makePeers, joinAll, stackNames, startTestServer, exitWhenDone } from './peers.mjs';

after(exitWhenDone);

for (const stack of stackNames()) {
  describe(`ICE over ${stack}`, { timeout: 60000 }, () => {
    let server;
    let live = [];
    before(async () => { server = await startTestServer(); });
    afterEach(() => { for (const p of live) p.close(); live = []; });
    after(async () => { await server.stop(); });

    it('getConnectionStatus names the selected pair: host to host on loopback', async () => {
      const [a, b] = await makePeers(2, stack, server);
      live.push(a, b);
      await joinAll([a, b], `${stack}-ice-1`);
      const viaCallback = await new Promise((resolve, reject) =>
        a.sky.getConnectionStatus(b.id, (err, res) => (err ? reject(err) : resolve(res))));
      assert.deepEqual(viaCallback.listOfPeers, [b.id]);
      const st = viaCallback.connectionStats[b.id];
      assert.ok(['connected', 'completed'].includes(st.iceConnectionState), JSON.stringify(st));
      assert.ok(st.selectedCandidate, `a selected pair is reported: ${JSON.stringify(st)}`);
      assert.equal(st.selectedCandidate.local.candidateType, 'host');
      assert.equal(st.selectedCandidate.remote.candidateType, 'host');
      // everyone, as a promise
      const all = await b.sky.getConnectionStatus();
      assert.deepEqual(all.listOfPeers, [a.id]);
      assert.equal(all.connectionStats[a.id].selectedCandidate.local.candidateType, 'host');
      // an unknown peer has no connection
      const none = await a.sky.getConnectionStatus('f'.repeat(32));
      assert.equal(none.connectionStats['f'.repeat(32)], null);
    });

    it('init refuses ICE options of the wrong type, and TURN-less forceTURN still joins the room', async () => {
      const bad = new TestPeer('bad', stack, server);
      live.push(bad);
      await assert.rejects(new Promise((resolve, reject) => {
        bad.sky.init({ appKey: 'k', roomServer: server.url, TURNServerTransport: 'pigeon' },
          (err, ok) => (err ? reject(err) : resolve(ok)));
      }), /init failed/);
      assert.throws(() => bad.sky.init({ appKey: 'k', roomServer: server.url, credentials: { duration: 1 } }), TypeError);
      assert.throws(() => bad.sky.init({ appKey: 'k', roomServer: server.url,
        credentials: { startDateTime: new Date().toISOString(), duration: 1, credentials: 'x' } }), /defaultRoom/);
      // forceTURN with no TURN server anywhere: in the room, but no path (relay only)
      const p = new TestPeer('relayonly', stack, server);
      live.push(p);
      await new Promise((resolve, reject) => p.sky.init({ appKey: 'k', roomServer: server.url, forceTURN: true },
        (err) => (err ? reject(err) : resolve())));
      await p.join(`${stack}-ice-2`);
      assert.equal(p.sky.getPeerInfo().room, `${stack}-ice-2`);
    });
  });
}

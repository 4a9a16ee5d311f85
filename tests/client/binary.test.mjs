// Binary messages (sendP2PMessage with bytes) between real peers, on both
// stacks: every binary type in, an ArrayBuffer out with isBinary, exact bytes,
// private delivery, order with text; and `Skylink` as the same class.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import {
  Skyway, makePeers, joinAll, waitUntil, sleep, stackNames, startTestServer, exitWhenDone,
} from './peers.mjs';

const require = createRequire(import.meta.url);
after(exitWhenDone);

const bytes = (n, seed = 0) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed + (i >> 9)) & 255);
const same = (buf, want) => {
  assert.ok(buf instanceof ArrayBuffer, `content is an ArrayBuffer (${Object.prototype.toString.call(buf)})`);
  assert.equal(buf.byteLength, want.length);
  assert.ok(Buffer.from(buf).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength)), 'exact bytes');
};
// Every incomingMessage from `from`, as its message object.
const from = (p, q) => p.events('incomingMessage').filter((e) => e.args[1] === q.id && !e.args[3]).map((e) => e.args[0]);
const echoes = (p) => p.events('incomingMessage').filter((e) => e.args[3]).map((e) => e.args[0]);

describe('Skylink is Skyway', () => {
  it('require(dist).Skylink, new Skylink() works', async () => {
    assert.equal(Skyway.Skylink, Skyway);
    if (!process.env.SKYMESH_CLIENT) { // the package's entry is the full build
      assert.equal(require('skymesh').Skylink, Skyway);
      const { Skylink, default: Default } = await import('skymesh');
      assert.equal(Skylink, Default);
    }
    const Sk = Skyway.Skylink;
    const s = new Sk();
    assert.ok(s instanceof Skyway);
    await s.ready;
    s.close();
  });
});

for (const stack of stackNames()) {
  describe(`binary messages over ${stack}`, { timeout: 120000 }, () => {
    let server;
    let live = [];
    let roomSeq = 0;
    const room = () => `${stack}-bin-${++roomSeq}`;
    const peers = async (n, prefix) => {
      const ps = await makePeers(n, stack, server, prefix);
      live.push(...ps);
      return ps;
    };
    before(async () => { server = await startTestServer(); });
    afterEach(() => { for (const p of live) p.close(); live = []; });
    after(async () => { await server.stop(); });

    it('every binary type arrives as an ArrayBuffer with exact bytes; text says isBinary false', async () => {
      const [a, b] = await peers(2);
      await joinAll([a, b], room());
      const u8 = bytes(1000, 1);
      const ab = bytes(77, 2).buffer;
      const buf = Buffer.from(bytes(300, 3));
      const big = new Float64Array(8);
      big.set([1.5, -2, 3e300, NaN, 0, -0, Infinity, 42]);
      const dv = new DataView(big.buffer, 8, 40); // a view into the middle of a buffer
      const sub = bytes(500, 4).subarray(100, 350);
      const sent = [u8, new Uint8Array(ab), buf, new Uint8Array(dv.buffer, 8, 40), new Uint8Array(0), sub,
        new Uint8Array(new Int16Array([1, -1, 300]).buffer)];
      a.sky.sendP2PMessage(u8);
      a.sky.sendP2PMessage(ab);
      a.sky.sendP2PMessage(buf);
      a.sky.sendP2PMessage(dv);
      a.sky.sendP2PMessage(new ArrayBuffer(0));
      a.sky.sendP2PMessage(sub);
      a.sky.sendP2PMessage(new Int16Array([1, -1, 300]));
      a.sky.sendP2PMessage('text after');
      await waitUntil(() => from(b, a).length === sent.length + 1, 'all messages', 15000, [a, b]);
      const got = from(b, a);
      sent.forEach((want, i) => {
        assert.equal(got[i].isBinary, true);
        assert.equal(got[i].isPrivate, false);
        assert.equal(got[i].isDataChannel, true);
        same(got[i].content, want);
      });
      assert.equal(got[sent.length].content, 'text after');
      assert.equal(got[sent.length].isBinary, false);
      // the echo has the same bytes
      const mine = echoes(a);
      assert.equal(mine.length, sent.length + 1);
      sent.forEach((want, i) => { assert.equal(mine[i].isBinary, true); same(mine[i].content, want); });
      assert.equal(mine[sent.length].isBinary, false);
    });

    it('200 KB binary exact, 256 KiB accepted, one byte more refused', async () => {
      const [a, b] = await peers(2);
      await joinAll([a, b], room());
      const data = bytes(200 * 1000, 9);
      a.sky.sendP2PMessage(data);
      const max = bytes(256 * 1024, 5);
      a.sky.sendP2PMessage(max.buffer);
      assert.throws(() => a.sky.sendP2PMessage(new Uint8Array(256 * 1024 + 1)), { code: 'too_large' });
      await waitUntil(() => from(b, a).length === 2, 'the two big messages', 20000, [a, b]);
      same(from(b, a)[0].content, data);
      same(from(b, a)[1].content, max);
      await sleep(200);
      assert.equal(from(b, a).length, 2);
    });

    it('private binary reaches only its target; text and binary interleaved stay in order', async () => {
      const [a, b, c] = await peers(3);
      await joinAll([a, b, c], room());
      const secret = bytes(5000, 7);
      a.sky.sendP2PMessage(secret, c.id);
      const N = 20;
      const want = [];
      for (let i = 0; i < N; i++) {
        if (i % 2) {
          const d = bytes(i * 1500, i);
          a.sky.sendP2PMessage(d, [b.id]);
          want.push(d);
        } else {
          a.sky.sendP2PMessage(`t${i}`, [b.id]);
          want.push(`t${i}`);
        }
      }
      await waitUntil(() => from(c, a).length === 1 && from(b, a).length === N, 'private messages', 15000, [a, b, c]);
      const atC = from(c, a)[0];
      assert.equal(atC.isPrivate, true);
      assert.equal(atC.targetPeerId, c.id);
      assert.equal(atC.isBinary, true);
      same(atC.content, secret);
      const atB = from(b, a);
      want.forEach((w, i) => {
        assert.equal(atB[i].isPrivate, true);
        if (typeof w == 'string') {
          assert.equal(atB[i].isBinary, false);
          assert.equal(atB[i].content, w);
        } else {
          assert.equal(atB[i].isBinary, true);
          same(atB[i].content, w);
        }
      });
      const echo = echoes(a)[0];
      assert.equal(echo.targetPeerId, c.id);
      same(echo.content, secret);
      await sleep(200);
      assert.equal(from(c, a).length, 1, 'c got nothing meant for b');
    });
  });
}

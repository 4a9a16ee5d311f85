// Data transfers (sendBlobData / sendURLData / acceptDataTransfer /
// cancelDataTransfer) between real peers on both stacks, through the real
// server: byte-exact (SHA-256 at both ends) at the chunk boundaries and at
// 10 MiB + 1, reject, cancel by either side, timeout, a receiver that leaves
// or crashes mid-way, three at once, a group transfer with one refusal, a
// file-backed Blob read by slices (and one that can no longer be read), and a
// chat line that does not wait behind a big file.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  Skyway, makePeers, joinAll, waitUntil, sleep, stackNames, startTestServer, exitWhenDone, spawnPeer,
} from './peers.mjs';

after(exitWhenDone);

const CHUNK = 65536 - 14; // both stacks negotiate 256 KiB messages: a 64 KiB frame less its header
const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');
const bytes = (n, seed = 1) => { // deterministic, every byte different from its neighbours
  const b = Buffer.allocUnsafe(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  let i = 0;
  for (; i + 4 <= n; i += 4) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; b.writeUInt32LE(x >>> 0, i); }
  for (; i < n; i++) b[i] = (i * 31 + seed) & 255;
  return b;
};
// dataTransferState events of p as [state, transferId, peerId, info, error].
const states = (p, tid) => p.events('dataTransferState').map((e) => e.args).filter((a) => !tid || a[1] === tid);
const stateNames = (p, tid, peerId) => states(p, tid).filter((a) => !peerId || a[2] === peerId).map((a) => a[0])
  .filter((s, i, all) => !/ing$/.test(s) || all[i - 1] !== s); // progress once per run
// The transferId of the upload p started last (its own incomingDataRequest).
const lastUpload = (p) => p.events('incomingDataRequest').filter((e) => e.args[3]).map((e) => e.args[0]).pop();
const autoAccept = (p, accept = true) => p.sky.on('incomingDataRequest', (tid, from, info, self) => {
  if (!self) p.sky.acceptDataTransfer(from, tid, accept);
});
const received = (p, tid) => p.events('incomingData').filter((e) => e.args[1] === tid && !e.args[4]).map((e) => e.args);

for (const stack of stackNames()) {
  describe(`data transfers over ${stack}`, { timeout: 120000 }, () => {
    let server;
    let live = [];
    let roomSeq = 0;
    const room = () => `${stack}-xfer-${++roomSeq}`;
    const peers = async (n) => {
      const ps = await makePeers(n, stack, server);
      live.push(...ps);
      await joinAll(ps, room());
      return ps;
    };
    before(async () => { server = await startTestServer(); });
    afterEach(() => { for (const p of live) p.close(); live = []; });
    after(async () => { await server.stop(); });

    it('byte-exact at 0, 1, chunk-1, chunk, chunk+1, 2 chunks+1 and 10 MiB+1, with every state', async () => {
      const [a, b] = await peers(2);
      autoAccept(b);
      const sizes = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 1, 10 * 1024 * 1024 + 1];
      for (const [i, size] of sizes.entries()) {
        const data = bytes(size, i + 1);
        let done;
        const cb = new Promise((resolve) => { done = resolve; });
        const t0 = Date.now();
        a.sky.sendBlobData(data, 30, b.id, true, (err, ok) => done([err, ok]));
        const tid = lastUpload(a);
        assert.match(tid, new RegExp(`^${a.id}-\\d+$`));
        const [err, ok] = await cb;
        assert.equal(err, null);
        assert.equal(ok.transferId, tid);
        assert.deepEqual(ok.listOfPeers, [b.id]);
        await waitUntil(() => received(b, tid).length === 1, `transfer of ${size} bytes`, 30000, [a, b]);
        const [got, gotTid, from, info, isSelf] = received(b, tid)[0];
        assert.ok(Buffer.isBuffer(got), 'node receives a Buffer');
        assert.equal(got.length, size);
        assert.equal(sha(got), sha(data), `SHA-256 of ${size} bytes`);
        assert.equal(gotTid, tid);
        assert.equal(from, a.id);
        assert.equal(isSelf, false);
        assert.equal(info.size, size);
        assert.equal(info.percentage, 100);
        assert.equal(info.dataType, 'blob');
        assert.equal(info.dataType, b.sky.DATA_TRANSFER_SESSION_TYPE.BLOB);
        assert.equal(info.chunkType, b.sky.DATA_TRANSFER_DATA_TYPE.ARRAY_BUFFER); // binary chunks, as SkylinkJS says it
        assert.equal(info.isPrivate, true);
        assert.equal(info.timeout, 30);
        assert.equal(info.chunkSize, CHUNK);
        assert.equal(info.data, got);
        if (size > 1e6) console.log(`# ${stack}: ${size} bytes in ${Date.now() - t0} ms`);
        const upl = stateNames(a, tid, b.id);
        assert.deepEqual(upl.filter((s) => s !== 'uploading'), ['userRequest', 'uploadStarted', 'uploadCompleted']);
        const dl = stateNames(b, tid, a.id);
        assert.deepEqual(dl.filter((s) => s !== 'downloading'), ['request', 'downloadStarted', 'downloadCompleted']);
        if (size > 4 * CHUNK) assert.ok(dl.includes('downloading') && upl.includes('uploading'), 'progress reported');
        // the sender's own incomingData gives back what it sent
        const mine = a.events('incomingData').find((e) => e.args[1] === tid);
        assert.equal(mine.args[0], data);
        assert.equal(mine.args[4], true);
      }
      assert.deepEqual(a.sky.getCurrentDataTransfers(), {});
      assert.deepEqual(b.sky.getCurrentDataTransfers(), {});
    });

    if (stack === 'node-datachannel') {
      it('200 MiB byte-exact in well under 30 s', async () => {
        const [a, b] = await peers(2);
        autoAccept(b);
        const data = bytes(200 * 1024 * 1024, 5);
        const want = sha(data);
        const t0 = Date.now();
        a.sky.sendBlobData(data, b.id);
        const tid = lastUpload(a);
        await waitUntil(() => received(b, tid).length === 1, '200 MiB', 30000, [a, b]);
        const ms = Date.now() - t0;
        console.log(`# ${stack}: 200 MiB in ${ms} ms (${(200 / (ms / 1000)).toFixed(1)} MiB/s)`);
        assert.equal(sha(received(b, tid)[0][0]), want);
      });
    }

    it('sendURLData arrives as the same data URL; a Blob keeps its type; DATA_TRANSFER_STATE on the class and instances', async () => {
      const [a, b] = await peers(2);
      autoAccept(b);
      assert.equal(Skyway.DATA_TRANSFER_STATE.USER_UPLOAD_REQUEST, 'userRequest');
      assert.equal(a.sky.DATA_TRANSFER_STATE.START_ERROR, 'startError');
      const url = `data:image/png;base64,${bytes(3000, 9).toString('base64')}`;
      a.sky.sendURLData(url, b.id);
      const tid = lastUpload(a);
      await waitUntil(() => received(b, tid).length === 1, 'the data URL', 15000, [a, b]);
      const [got, , , info] = received(b, tid)[0];
      assert.equal(got, url);
      assert.equal(info.dataType, 'dataURL');
      assert.equal(info.dataType, b.sky.DATA_TRANSFER_SESSION_TYPE.DATA_URL);
      assert.equal(info.chunkType, 'arrayBuffer'); // its bytes go as binary chunks too
      assert.equal(info.mimeType, 'image/png');
      // a Blob (node has them too): read by slices, its type travels as mimeType;
      // sendChunksAsBinary (either way) changes nothing
      const blobBytes = bytes(70000, 3);
      a.sky.sendBlobData(new Blob([blobBytes], { type: 'text/csv' }), [b.id], false);
      await waitUntil(() => lastUpload(a) !== tid && received(b, lastUpload(a)).length === 1, 'the Blob', 15000, [a, b]);
      const [gotBlob, , , blobInfo] = received(b, lastUpload(a))[0];
      assert.equal(blobInfo.mimeType, 'text/csv');
      assert.equal(blobInfo.dataType, 'blob');
      assert.equal(sha(gotBlob), sha(blobBytes));
    });

    // fs.openAsBlob: a Blob backed by a file, as a browser's File is: read by
    // 1 MiB slices (at most four held), here for two peers at different paces,
    // and unreadable once the file changes under it, as a File whose file did.
    it('a file on disk (a Blob read by slices) to two peers at once; one changed under it fails', async () => {
      const [a, b, c] = await peers(3);
      autoAccept(b);
      autoAccept(c);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skymesh-xfer-'));
      try {
        const data = bytes(9 * 1024 * 1024 + 3, 31);
        fs.writeFileSync(path.join(dir, 'big.bin'), data);
        let result;
        a.sky.sendBlobData(await fs.openAsBlob(path.join(dir, 'big.bin')), (err, ok) => { result = [err, ok]; });
        const tid = lastUpload(a);
        await waitUntil(() => result, 'both peers done', 60000, [a, b, c]);
        assert.equal(result[0], null);
        for (const p of [b, c]) assert.equal(sha(received(p, tid)[0][0]), sha(data));

        fs.writeFileSync(path.join(dir, 'gone.bin'), bytes(3 * 1024 * 1024, 32));
        let failed;
        a.sky.sendBlobData(await fs.openAsBlob(path.join(dir, 'gone.bin')), b.id, (err) => { failed = err; });
        fs.writeFileSync(path.join(dir, 'gone.bin'), 'changed'); // before the first slice is read
        const gone = lastUpload(a);
        await waitUntil(() => failed && stateNames(b, gone).includes('error'), 'the error at both ends', 15000, [a, b]);
        assert.equal(failed.transferErrors[b.id].code, 'send_failed');
        assert.equal(received(b, gone).length, 0);
        assert.deepEqual(a.sky.getCurrentDataTransfers(), {});
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('reject: the sender hears rejected and its callback an error', async () => {
      const [a, b] = await peers(2);
      autoAccept(b, false);
      let result;
      a.sky.sendBlobData(bytes(100000), b.id, (err, ok) => { result = [err, ok]; });
      const tid = lastUpload(a);
      await waitUntil(() => result, 'the callback', 10000, [a, b]);
      assert.equal(result[1], null);
      assert.equal(result[0].transferErrors[b.id].state, 'rejected');
      assert.deepEqual(stateNames(a, tid, b.id), ['userRequest', 'rejected']);
      assert.deepEqual(stateNames(b, tid, a.id), ['request', 'userRejected']);
      assert.equal(received(b, tid).length, 0);
    });

    for (const who of ['sender', 'receiver']) {
      it(`cancel by the ${who} mid-way: both sides hear cancel, nothing is left`, async () => {
        const [a, b] = await peers(2);
        autoAccept(b);
        a.sky.sendBlobData(bytes(40 * 1024 * 1024), b.id);
        const tid = lastUpload(a);
        await waitUntil(() => stateNames(b, tid).includes('downloading'), 'some progress', 15000, [a, b]);
        if (who === 'sender') a.sky.cancelDataTransfer(b.id, tid);
        else b.sky.cancelDataTransfer(a.id, tid);
        await waitUntil(() => stateNames(a, tid).includes('cancel') && stateNames(b, tid).includes('cancel'),
          'cancel at both ends', 10000, [a, b]);
        await sleep(300);
        assert.equal(received(b, tid).length, 0);
        assert.ok(!stateNames(a, tid).includes('uploadCompleted'));
        assert.deepEqual(a.sky.getCurrentDataTransfers(), {});
        assert.deepEqual(b.sky.getCurrentDataTransfers(), {});
        // the channel still carries chat
        a.sky.sendP2PMessage('still here');
        await waitUntil(() => b.received().some((m) => m[0] === 'still here'), 'chat after cancel', 5000, [a, b]);
      });
    }

    it('timeout: a request nobody answers ends with error at both ends', async () => {
      const [a, b] = await peers(2);
      a.sky.sendBlobData(bytes(1000), 1, b.id);
      const tid = lastUpload(a);
      await waitUntil(() => stateNames(a, tid).includes('error') && stateNames(b, tid).includes('error'),
        'timeout errors', 5000, [a, b]);
      assert.equal(states(a, tid).find((s) => s[0] === 'error')[4].code, 'timeout');
      assert.equal(states(b, tid).find((s) => s[0] === 'error')[4].code, 'timeout');
      assert.throws(() => b.sky.acceptDataTransfer(a.id, tid, true), { code: 'invalid_argument' });
    });

    it('the receiver leaves mid-way: the sender hears error, nothing is stuck', async () => {
      const [a, b] = await peers(2);
      autoAccept(b);
      a.sky.sendBlobData(bytes(40 * 1024 * 1024), b.id);
      const tid = lastUpload(a);
      await waitUntil(() => stateNames(b, tid).includes('downloading'), 'some progress', 15000, [a, b]);
      b.close();
      await waitUntil(() => stateNames(a, tid).includes('error'), 'error at the sender', 10000, [a]);
      assert.deepEqual(a.sky.getCurrentDataTransfers(), {});
    });

    it('the receiver crashes mid-way: the sender hears error within seconds', async () => {
      const [a] = await makePeers(1, stack, server);
      live.push(a);
      const r = room();
      await a.join(r, { userData: { name: 'a' } });
      const child = await spawnPeer({ server, stack, room: r, name: 'crasher', expect: 1, accept: true });
      try {
        await waitUntil(() => a.openChannels().has(child.id), 'channel to the child', 20000, [a]);
        a.sky.sendBlobData(bytes(60 * 1024 * 1024), child.id);
        const tid = lastUpload(a);
        await waitUntil(() => stateNames(a, tid).includes('uploading'), 'some progress', 15000, [a]);
        child.kill('SIGKILL');
        const t0 = Date.now();
        await waitUntil(() => stateNames(a, tid).includes('error'), 'error at the sender', 15000, [a]);
        console.log(`# ${stack}: crash seen after ${Date.now() - t0} ms`);
        assert.deepEqual(a.sky.getCurrentDataTransfers(), {});
      } finally {
        child.kill('SIGKILL');
      }
    });

    it('three at once, and a chat line during a big transfer arrives promptly', async () => {
      const [a, b] = await peers(2);
      autoAccept(b);
      const datas = [bytes(3 * 1024 * 1024 + 7, 11), bytes(30 * 1024 * 1024, 12), bytes(200001, 13)];
      const tids = datas.map((d) => { a.sky.sendBlobData(d, b.id); return lastUpload(a); });
      assert.equal(Object.keys(a.sky.getCurrentDataTransfers()).length, 3);
      await waitUntil(() => stateNames(b, tids[1]).includes('downloading'), 'the big one under way', 15000, [a, b]);
      const sent = Date.now();
      a.sky.sendP2PMessage('quick');
      await waitUntil(() => b.received().some((m) => m[0] === 'quick'), 'the chat line', 5000, [a, b]);
      const latency = Date.now() - sent;
      const bigDone = received(b, tids[1]).length === 1;
      console.log(`# ${stack}: chat line during a transfer: ${latency} ms`);
      assert.ok(!bigDone, 'the chat line did not wait for the big transfer');
      assert.ok(latency < 1000, `chat latency ${latency} ms`);
      await waitUntil(() => tids.every((t) => received(b, t).length === 1), 'all three', 60000, [a, b]);
      tids.forEach((t, i) => assert.equal(sha(received(b, t)[0][0]), sha(datas[i])));
    });

    it('a group transfer where one peer rejects', async () => {
      const [a, b, c] = await peers(3);
      autoAccept(b);
      autoAccept(c, false);
      let result;
      const data = bytes(500000, 21);
      a.sky.sendBlobData(data, (err, ok) => { result = [err, ok]; });
      const tid = lastUpload(a);
      await waitUntil(() => result, 'the callback', 15000, [a, b, c]);
      assert.equal(result[0].transferErrors[c.id].state, 'rejected');
      assert.equal(result[0].transferErrors[b.id], undefined);
      assert.deepEqual(result[0].listOfPeers.sort(), [b.id, c.id].sort());
      assert.equal(sha(received(b, tid)[0][0]), sha(data));
      assert.equal(received(b, tid)[0][3].isPrivate, false);
      assert.equal(received(c, tid).length, 0);
      assert.deepEqual(stateNames(a, tid, c.id), ['userRequest', 'rejected']);
      assert.ok(stateNames(a, tid, b.id).includes('uploadCompleted'));
    });
  });
}

// A malicious peer against the real client: the WASM module (dist/) in this node
// process, over real WebRTC (node-datachannel). The attacker M speaks the
// signaling protocol by hand, opens the data channel to the victim V, and sends
// malformed frames, lying chunk headers, oversized frames, impersonation attempts
// and a flood. V must deliver exactly the well-formed messages, attributed to M,
// and keep chatting with the honest peer H throughout.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test, before, after } from 'node:test';
import WebSocket from 'ws';
import { startServer } from '../helpers/server.mjs';
import { Peer, sleep } from './harness.mjs';

const require = createRequire(import.meta.url);
const ROOM = 'dc-hostile';
let Skyway;
let RTCPeerConnection;
let server;
let V;
let H;
let M;
let mpc;
let dc;

// A real skymesh peer recording its incoming messages.
function skyPeer(name) {
  const sky = new Skyway({ WebSocket, RTCPeerConnection });
  const p = { name, sky, got: [], open: new Set() };
  sky.on('incomingMessage', (msg, from, info, self) => { if (!self) p.got.push({ content: msg.content, from, dc: msg.isDataChannel }); });
  sky.on('dataChannelState', (state, id) => { if (state === 'open') p.open.add(id); if (state === 'closed') p.open.delete(id); });
  return p;
}
function call(fn) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timed out')), 10000);
    fn((err, ok) => { clearTimeout(t); if (err) reject(Object.assign(new Error(err.message), err)); else resolve(ok); });
  });
}
async function until(pred, what, ms = 10000) {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
const chat = (content) => JSON.stringify({ t: 'chat', content, private: false });
// A binary part frame (docs/protocol.md, data-channel framing): kind, then id,
// total length and offset (u32 little-endian), then a slice of the whole frame.
const part = (id, total, off, slice, kind = 1) => {
  const d = Buffer.from(slice);
  const b = Buffer.alloc(13 + d.length);
  b[0] = kind;
  b.writeUInt32LE(id, 1);
  b.writeUInt32LE(total, 5);
  b.writeUInt32LE(off, 9);
  d.copy(b, 13);
  return b;
};
// A binary chat frame (kind 2): seq, total length, offset (u32 little-endian),
// a flags byte (bit 0 private, bit 1 JSON chat content), then a slice. Long
// chats travel so, their JSON content in the slices (src/core/dc_frame.h).
const bchat = (seq, total, off, slice, flags = 2) => {
  const d = Buffer.from(slice);
  const b = Buffer.alloc(14 + d.length);
  b[0] = 2;
  b.writeUInt32LE(seq, 1);
  b.writeUInt32LE(total, 5);
  b.writeUInt32LE(off, 9);
  b[13] = flags;
  d.copy(b, 14);
  return b;
};
const jchat = (seq, text) => bchat(seq, Buffer.byteLength(text), 0, text);
const SLICE = 16384 - 13; // legacy parts (no longer sent, still accepted): any size up to a frame

const parts = (id, whole) => {
  const w = Buffer.from(whole);
  const out = [];
  for (let off = 0; off < w.length; off += SLICE) out.push(part(id, w.length, off, w.subarray(off, off + SLICE)));
  return out;
};

before(async () => {
  Skyway = require('../../dist/skymesh.js');
  RTCPeerConnection = require('node-datachannel/polyfill').RTCPeerConnection;
  server = await startServer([]);
  V = skyPeer('V');
  H = skyPeer('H');
  for (const p of [V, H]) {
    await call((cb) => p.sky.init({ appKey: 'hostile', roomServer: server.url }, cb));
    p.joined = await call((cb) => p.sky.joinRoom(ROOM, { userData: { name: p.name } }, cb));
  }
  await until(() => V.open.has(H.joined.peerId) && H.open.has(V.joined.peerId), 'V and H connected');

  // M: signaling by hand; as the newcomer it offers to V (and ignores H).
  M = await Peer.connect(server.wsUrl, { label: 'M' });
  await M.hello('hostile');
  await M.join(ROOM, { name: 'mallory' });
  mpc = new RTCPeerConnection({ iceServers: [] });
  dc = mpc.createDataChannel('skymesh', { negotiated: true, id: 0, ordered: true });
  const vid = V.joined.peerId;
  mpc.onicecandidate = (e) => {
    if (e.candidate && e.candidate.candidate) {
      M.send({ type: 'candidate', to: vid, candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid ?? '0', sdpMLineIndex: e.candidate.sdpMLineIndex ?? 0 });
    }
  };
  M.listeners.push((m) => {
    if (m.type === 'answer' && m.from === vid) { mpc.setRemoteDescription({ type: 'answer', sdp: m.sdp }); return true; }
    if (m.type === 'candidate' && m.from === vid) {
      if (m.candidate) mpc.addIceCandidate({ candidate: m.candidate, sdpMid: m.sdpMid, sdpMLineIndex: m.sdpMLineIndex }).catch(() => {});
      return true;
    }
    return false;
  });
  const offer = await mpc.createOffer();
  await mpc.setLocalDescription(offer);
  M.send({ type: 'offer', to: vid, sdp: mpc.localDescription.sdp });
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('the data channel to V did not open')), 15000);
    if (dc.readyState === 'open') { clearTimeout(t); resolve(); }
    dc.onopen = () => { clearTimeout(t); resolve(); };
  });
  await until(() => V.open.has(M.peerId), 'V sees the channel to M open');
}, { timeout: 60000 });

after(async () => {
  try { dc?.close(); mpc?.close(); } catch { /* closing anyway */ }
  M?.close();
  for (const p of [V, H]) p?.sky.close();
  await sleep(200);
  if (!server) return;
  const code = await server.stop();
  assert.doesNotMatch(server.output(), /ERROR: AddressSanitizer|LeakSanitizer|runtime error/);
  assert.equal(code, 0);
  // node-datachannel keeps native threads alive; let the runner exit.
  setTimeout(() => process.exit(process.exitCode ?? 0), 500).unref();
});

// V and H still chat both ways (over their own data channel) after each attack.
let rounds = 0;
async function honestStillChat() {
  rounds++;
  const hFrom = V.got.filter((g) => g.from === H.joined.peerId).length;
  const vFrom = H.got.filter((g) => g.from === V.joined.peerId).length;
  H.sky.sendP2PMessage({ round: rounds, from: 'H' });
  V.sky.sendP2PMessage({ round: rounds, from: 'V' });
  await until(() => V.got.filter((g) => g.from === H.joined.peerId).length === hFrom + 1
    && H.got.filter((g) => g.from === V.joined.peerId).length === vFrom + 1, 'the honest pair to chat', 5000);
  assert.deepEqual(V.got.filter((g) => g.from === H.joined.peerId).at(-1).content, { round: rounds, from: 'H' });
}
// What V delivered from M since the last call.
let seenFromM = 0;
function newFromM() {
  const all = V.got.filter((g) => g.from === M.peerId);
  const fresh = all.slice(seenFromM);
  seenFromM = all.length;
  return fresh;
}
// Sends frames from M, then a marker chat; resolves to what V delivered before the marker.
async function sendFromM(frames, marker) {
  for (const f of frames) {
    try { dc.send(f); } catch { /* the stack refused it (e.g. empty): fine */ }
  }
  dc.send(chat({ marker }));
  await until(() => V.got.some((g) => g.from === M.peerId && g.content && g.content.marker === marker), `marker ${marker}`);
  const fresh = newFromM();
  assert.deepEqual(fresh.at(-1).content, { marker });
  return fresh.slice(0, -1);
}

test('the channel from M works: a well-formed chat is delivered, attributed to M', async () => {
  await honestStillChat();
  const got = await sendFromM([chat({ hello: 'V' })], 'm0');
  assert.deepEqual(got.map((g) => g.content), [{ hello: 'V' }]);
  assert.ok(got.every((g) => g.dc));
});

const BAD = [
  ['not JSON', ['hello V', '{"t":"chat","content":', '', '\u0000\u0001']],
  ['JSON that is not a frame object', ['[1,2]', '"chat"', 'null', '{"t":5,"content":1}', '{"content":"no t"}']],
  ['a chat without content', ['{"t":"chat"}']],
  ['binary frames of unknown kinds', [Buffer.from(chat('binary')), Buffer.from([0xff, 0, 1]), part(1, 24, 0, '{"t":"chat","content":1}', 2)]],
  ['content nested 40 levels', [`{"t":"chat","content":${'['.repeat(40)}${']'.repeat(40)},"private":false}`]],
  ['a frame over 64 KiB', [chat('z'.repeat(70000)), Buffer.concat([part(12, 70000, 0, ''), Buffer.alloc(70000, 0x7a)]),
    Buffer.concat([bchat(13, 70000, 0, ''), Buffer.alloc(70000, 0x22)])]],
  ['JSON chat frames whose content is no JSON, too deep, or has a raw control byte', [
    jchat(20, '{"a":'), jchat(21, '['.repeat(40) + ']'.repeat(40)), jchat(22, '"ctl\u0001"'), jchat(23, ''),
    jchat(24, '[1] [2]'), bchat(25, 10, 0, '"abc', 2), bchat(25, 10, 4, 'defgh"', 0)]],
  ['parts whose total lies (claims 256 KiB)', [part(1, 262144, 0, '{"t":"chat",'), part(1, 262144, 12, '"content":1}')]],
  ['parts whose total is past the 256 KiB limit, or zero', [
    part(2, 262145, 0, 'x'), part(4, 0xffffffff, 0, 'x'), part(5, 0, 0, 'x'), part(6, 24, 0xffffffff, 'x')]],
  ['parts out of order, duplicated, or interleaved with another message', (() => {
    const p = parts(7, chat('p'.repeat(40000)));
    const other = part(8, 10, 0, '01234');
    return [p[0], p[2], p[1], p[0], p[1], p[1], p[2], p[0], other, p[1], p[2]];
  })()],
  ['a part slice past what the total has left', [part(9, 10, 0, 'q'.repeat(9000))]],
  ['truncated part headers and empty slices', [Buffer.from([1]), Buffer.from([1, 0, 0, 0, 0, 24, 0, 0]), part(3, 24, 0, '')]],
  ['parts that reassemble into another part', (() => {
    const inner = part(3, 24, 0, '{"t":"chat","content":1}');
    const innerText = JSON.stringify({ t: 'part', id: 3, i: 0, n: 1, len: 24, d: '{"t":"chat","content":1}' });
    return [part(10, inner.length, 0, inner), part(11, innerText.length, 0, innerText)];
  })()],
  ['text part frames (the old framing: an unknown type now)', (() => {
    const whole = chat('old');
    return [JSON.stringify({ t: 'part', id: 1, i: 0, n: 1, len: whole.length, d: whole })];
  })()],
  ['unknown frame types', ['{"t":"evil","content":"x"}', '{"t":"bulk"}']],
];
for (const [name, frames] of BAD) {
  test(`malformed from M: ${name} (dropped, nothing delivered)`, async () => {
    const got = await sendFromM(frames, `bad-${name}`);
    assert.deepEqual(got, [], `V delivered ${JSON.stringify(got).slice(0, 300)}`);
    await honestStillChat();
  });
}

test('impersonation: a chat claiming to come from H is attributed to M', async () => {
  const forged = JSON.stringify({ t: 'chat', content: 'from H, honest', private: false, from: H.joined.peerId, senderPeerId: H.joined.peerId });
  const got = await sendFromM([forged], 'forge');
  assert.equal(got.length, 1);
  assert.equal(got[0].from, M.peerId);
  await honestStillChat();
});

test('a correctly chunked 100 KB message is delivered once', async () => {
  const got = await sendFromM(parts(11, chat({ big: 'b'.repeat(100000) })), 'chunked');
  assert.equal(got.length, 1);
  assert.equal(got[0].content.big.length, 100000);
  await honestStillChat();
});

test('a 200 KB chat in JSON chat frames, as skymesh sends it, is delivered once', async () => {
  const text = JSON.stringify({ big: 'j'.repeat(200000) });
  const w = Buffer.from(text);
  const frames = [];
  for (let off = 0; off < w.length; off += 65522) frames.push(bchat(100, w.length, off, w.subarray(off, off + 65522)));
  const got = await sendFromM([...frames, ...frames], 'json-frames'); // the second copy: a duplicate seq, dropped
  assert.equal(got.length, 1);
  assert.equal(got[0].content.big.length, 200000);
  await honestStillChat();
});

test('a chunked message in several small parts, then one restarted midway, is delivered once each', async () => {
  const whole = Buffer.from(chat({ small: 'parts' }));
  const a = [part(12, whole.length, 0, whole.subarray(0, 5)), part(12, whole.length, 5, whole.subarray(5, 9)), part(12, whole.length, 9, whole.subarray(9))];
  const got = await sendFromM([a[0], a[1], ...a], 'small-parts');
  assert.deepEqual(got.map((g) => g.content), [{ small: 'parts' }]);
  await honestStillChat();
});

test('a flood of 3000 chats: each delivered once, in order, and V stays responsive', async () => {
  const frames = [];
  for (let i = 0; i < 3000; i++) frames.push(chat({ n: i }));
  const t0 = Date.now();
  const got = await sendFromM(frames, 'flood');
  assert.deepEqual(got.map((g) => g.content.n), frames.map((_, i) => i));
  await honestStillChat();
  assert.ok(Date.now() - t0 < 15000, `the flood took ${Date.now() - t0} ms`);
});

test('M disappears without a word: V reports peerLeft for M only, H unaffected', async () => {
  const left = [];
  V.sky.on('peerLeft', (id) => left.push(id));
  dc.close();
  mpc.close();
  M.terminate();
  await until(() => left.includes(M.peerId), 'peerLeft for M');
  assert.deepEqual(left, [M.peerId]);
  await honestStillChat();
});

test('joining a room whose peer list is over 64 KiB (17 peers x 4 KB of userData)', async () => {
  // maxFrame bounds what clients send; the server's joined may be larger (up to
  // maxPeers - 1 peers of maxUserData each: docs/protocol.md). A client that
  // decodes it with maxFrame drops it and stays "joining" forever.
  // tests/unit/test_regress_client_large_joined.c is the same bug in C.
  const crowd = [];
  for (let i = 0; i < 17; i++) {
    const p = await Peer.connect(server.wsUrl, { label: `crowd${i}` });
    await p.hello('hostile');
    await p.join('big-room', { bio: 'b'.repeat(3980), i });
    crowd.push(p);
  }
  const late = skyPeer('late');
  try {
    await call((cb) => late.sky.init({ appKey: 'hostile', roomServer: server.url }, cb));
    const joined = await call((cb) => late.sky.joinRoom('big-room', { userData: { name: 'late' } }, cb));
    assert.equal(joined.room, 'big-room');
    assert.equal(Object.keys(late.sky.getPeersInRoom()).length, 18);
  } finally {
    late.sky.close();
    for (const p of crowd) p.close();
  }
  await honestStillChat();
});

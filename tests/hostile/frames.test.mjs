// Hostile frames: bytes that are not a valid signaling message. The attacker sits in
// the control group's room CTL_A; every bad frame gets its documented error (with
// the request's ref echoed when the ref could be read) and the attacker's connection
// stays usable, except where docs/hostile.md says the offender is disconnected.
import assert from 'node:assert/strict';
import { before, after, describe } from 'node:test';
import { hostileSuite, CTL_A, sleep } from './harness.mjs';

const s = hostileSuite([]);
before(s.setup);
after(s.finish);

// One attacker in CTL_A reused by the non-fatal attacks of this file.
let a;
async function attacker() {
  if (!a || !a.open) a = await s.attacker({ room: CTL_A, label: 'frames-attacker' });
  return a;
}
// Sends a bad frame and expects a non-fatal error; then the attacker still works.
async function rejects(frame, code, { ref, binary = false } = {}) {
  const p = await attacker();
  if (typeof frame === 'object' && !Buffer.isBuffer(frame)) frame = JSON.stringify(frame);
  await p.sendRaw(typeof frame === 'string' ? Buffer.from(frame) : frame, { binary });
  await p.expectError(code, { ref, fatal: false });
  await p.expectHealthy();
}

describe('not JSON', () => {
  s.attack('plain text', () => rejects('hello server, how are you', 'bad_json'));
  s.attack('truncated JSON object', () => rejects('{"type":"message","content":{"a":', 'bad_json'));
  s.attack('truncated after a key', () => rejects('{"type"', 'bad_json'));
  s.attack('empty text frame', () => rejects('', 'bad_json'));
  s.attack('whitespace only', () => rejects(' \n\t ', 'bad_json'));
  s.attack('trailing garbage after the object', () => rejects('{"type":"ping"} {"type":"leave"}', 'bad_json'));
  s.attack('raw NUL byte after the object', () => rejects(Buffer.from('{"type":"ping"}\0{"type":"leave"}'), 'bad_json'));
  s.attack('single quotes', () => rejects("{'type':'ping'}", 'bad_json'));
  s.attack('NaN and Infinity literals', () => rejects('{"type":"hello","v":NaN,"appKey":"x"}', 'bad_json'));
  s.attack('a JSON array instead of an object', () => rejects('[{"type":"ping"}]', 'bad_json'));
  s.attack('a JSON string instead of an object', () => rejects('"ping"', 'bad_json'));
  s.attack('a JSON number instead of an object', () => rejects('42', 'bad_json'));
  s.attack('JSON null', () => rejects('null', 'bad_json'));
  // Nesting is measured before cJSON parses (no deep recursion): valid JSON that
  // nests too deep is bad_message, whether or not it is well-formed further on.
  s.attack('deeply nested arrays (10,000 levels)', () => rejects('['.repeat(10000) + ']'.repeat(10000), 'bad_message'));
  s.attack('deeply nested content (10,000 levels, inside a message)', () =>
    rejects(`{"type":"message","ref":"deep","content":${'{"a":'.repeat(10000)}1${'}'.repeat(10000)}}`, 'bad_message'));
  s.attack('10,000 unclosed brackets', () => rejects('{"type":"message","content":' + '['.repeat(10000), 'bad_message'));
  s.attack('100,000 closing brackets', () => rejects(']'.repeat(60000), 'bad_json'));
});

describe('not UTF-8, not text', () => {
  s.attack('binary frame holding a valid message', () => rejects(Buffer.from('{"type":"ping","ref":"bin"}'), 'bad_json', { binary: true }));
  s.attack('binary frame of random bytes', () => rejects(Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 0x7b]), 'bad_json', { binary: true }));
  for (const [name, bytes] of [
    ['invalid UTF-8 byte 0xFF', [0xff, 0xfe]],
    ['a lone continuation byte', [0x80]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['a UTF-16 surrogate encoded in UTF-8', [0xed, 0xa0, 0x80]],
    ['a truncated 4-byte sequence', [0xf0, 0x9f, 0x98]],
  ]) {
    // Invalid UTF-8 in a text frame: the server either answers bad_json or fails
    // the connection with close code 1007 as RFC 6455 allows (docs/hostile.md).
    s.attack(`invalid UTF-8 in a text frame: ${name}`, async () => {
      const p = await attacker();
      const frame = Buffer.concat([Buffer.from('{"type":"message","ref":"utf","content":"'), Buffer.from(bytes), Buffer.from('"}')]);
      await p.sendRaw(frame);
      const res = await Promise.race([p.next((m) => m.type === 'error').then((m) => ({ m })), p.closedPromise.then((c) => ({ c }))]);
      if (res.m) {
        assert.equal(res.m.code, 'bad_json', JSON.stringify(res.m));
        await p.expectHealthy();
      } else {
        assert.equal(res.c.code, 1007, `closed with ${res.c.code}, expected 1007`);
        await s.dismiss(p, { reasons: ['disconnected', 'kicked'] });
      }
    });
  }
});

describe('strange but valid JSON', () => {
  s.attack('duplicate "type" keys', async () => {
    // cJSON reads the first of duplicate keys; the server must treat the frame as
    // one message (the first "type"), never as two. Here: ping, not leave.
    const p = await attacker();
    p.send('{"type":"ping","ref":"dup","type":"leave"}');
    const m = await p.next((x) => x.type === 'pong' || x.type === 'error' || x.type === 'left');
    assert.ok(m.type === 'pong' || (m.type === 'error' && m.code === 'bad_message'), JSON.stringify(m));
    await p.expectHealthy();
  });
  // Any NUL, raw or escaped as \u0000, makes the frame bad_json: C strings would
  // silently cut it ("ping\u0000leave" read as "ping").
  s.attack('escaped NUL inside "type"', () => rejects({ type: 'ping\u0000leave', ref: 'nul-type' }, 'bad_json'));
  s.attack('type is a number', () => rejects({ type: 5, ref: 't5' }, 'bad_message', { ref: 't5' }));
  s.attack('type is missing', () => rejects({ ref: 'no-type', room: 'x' }, 'bad_message', { ref: 'no-type' }));
  s.attack('type is an object', () => rejects({ type: { type: 'ping' }, ref: 'tobj' }, 'bad_message', { ref: 'tobj' }));
  s.attack('unknown type', () => rejects({ type: 'teleport', ref: 'r-teleport' }, 'unknown_type', { ref: 'r-teleport' }));
  s.attack('unknown type with a very long name', () => rejects({ type: 'x'.repeat(30000), ref: 'longtype' }, 'unknown_type', { ref: 'longtype' }));
  s.attack('client sends a server-only "peer_joined"', () =>
    rejects({ type: 'peer_joined', ref: 'forge-pj', peerId: 'a'.repeat(32), userData: { name: 'ghost' } }, 'unknown_type', { ref: 'forge-pj' }));
  s.attack('client sends a server-only "error"', () =>
    rejects({ type: 'error', ref: 'forge-err', code: 'internal', message: 'x', fatal: true }, 'unknown_type', { ref: 'forge-err' }));
  s.attack('client sends a server-only "bye"', () =>
    rejects({ type: 'bye', ref: 'forge-bye', reason: 'kicked' }, 'unknown_type', { ref: 'forge-bye' }));
  s.attack('ref longer than 64 bytes is not echoed', async () => {
    const p = await attacker();
    p.send({ type: 'teleport', ref: 'r'.repeat(65) });
    const m = await p.nextType('error');
    assert.equal(m.code, 'bad_message', JSON.stringify(m)); // the ref is checked before the type
    assert.ok(m.ref === undefined || m.ref === '' || m.ref.length <= 64, `overlong ref echoed: ${JSON.stringify(m)}`);
    await p.expectHealthy();
  });
  s.attack('ref with control characters is not echoed raw', async () => {
    const p = await attacker();
    p.send({ type: 'teleport', ref: 'a\u0001\u001b[31m\nb' });
    const m = await p.nextType('error');
    assert.equal(m.code, 'bad_message');
    assert.ok(!/[\u0000-\u001f]/.test(m.ref ?? ''), `control characters echoed: ${JSON.stringify(m)}`);
    await p.expectHealthy();
  });
  s.attack('ref of the wrong type', () => rejects({ type: 'ping', ref: { evil: 1 } }, 'bad_message'));
  s.attack('5,000 unknown keys are ignored', async () => {
    const p = await attacker();
    const msg = { type: 'ping', ref: 'keys' };
    for (let i = 0; i < 5000; i++) msg[`k${i}`] = i;
    p.send(msg);
    await p.nextType('pong');
    await p.expectHealthy();
  });
  s.attack('a 60 KB string in an unknown field is ignored', async () => {
    const p = await attacker();
    p.send({ type: 'ping', ref: 'junk', junk: 'j'.repeat(60000) });
    await p.nextType('pong');
    await p.expectHealthy();
  });
});

describe('the hello handshake', () => {
  s.attack('messages before hello', async () => {
    const p = await s.attacker({ hello: false, label: 'no-hello' });
    for (const [i, msg] of [{ type: 'join', room: CTL_A }, { type: 'message', content: 'x' }, { type: 'leave' }, { type: 'offer', to: s.ctl.id('A1'), sdp: 'v=0' }].entries()) {
      p.send({ ...msg, ref: `pre${i}` });
      await p.expectError('not_authenticated', { ref: `pre${i}` });
    }
    p.close();
  });
  s.attack('hello twice', async () => {
    const p = await s.attacker({ label: 'hello-twice' });
    const first = p.peerId;
    p.send({ type: 'hello', v: 1, appKey: s.appKey, ref: 'again' });
    await p.expectError('already_authenticated', { ref: 'again', fatal: false });
    await p.join('hello-twice-room');
    assert.equal(p.peerId, first);
    await p.leave();
    p.close();
  });
  s.attack('hello with a wrong app key', async () => {
    const p = await s.attacker({ hello: false, label: 'bad-key' });
    p.send({ type: 'hello', v: 1, appKey: 'not-the-key', ref: 'k' });
    await p.expectError('bad_app_key', { ref: 'k' });
    p.send({ type: 'join', room: CTL_A, ref: 'k2' });
    const m = await Promise.race([p.next((x) => x.type === 'error' || x.type === 'joined'), p.closedPromise.then(() => null)]);
    assert.ok(m === null || (m.type === 'error' && m.code === 'not_authenticated'), `after a bad key: ${JSON.stringify(m)}`);
    p.close();
  });
  s.attack('hello with an app key over 128 bytes', async () => {
    const p = await s.attacker({ hello: false, label: 'long-key' });
    p.send({ type: 'hello', v: 1, appKey: 'k'.repeat(5000), ref: 'lk' });
    await p.expectError('bad_message', { ref: 'lk' });
    p.close();
  });
  s.attack('hello with the key and an escaped NUL suffix', async () => {
    const p = await s.attacker({ hello: false, label: 'nul-key' });
    p.send({ type: 'hello', v: 1, appKey: `${s.appKey}\u0000evil`, ref: 'nk' });
    await p.expectError('bad_json');
    p.send({ type: 'join', room: 'nul-key-room', ref: 'nk2' });
    await p.expectError('not_authenticated', { ref: 'nk2' });
    p.close();
  });
  for (const [name, v, codes] of [
    ['version 2', 2, ['unsupported_version']],
    ['version 2^32 + 1 (wraps to 1 in a uint32)', 4294967297, ['bad_message']],
    ['version 1e400 (overflows a double)', '1e400', ['bad_message']],
    ['version -1', -1, ['bad_message']],
    ['version 1.5', 1.5, ['bad_message']],
    ['version as a string', '"1"', ['bad_message']],
    ['version missing', undefined, ['bad_message']],
  ]) {
    s.attack(`hello with ${name}`, async () => {
      const p = await s.attacker({ hello: false, label: 'bad-version' });
      const vpart = v === undefined ? '' : `"v":${v},`;
      p.send(`{"type":"hello",${vpart}"appKey":"${s.appKey}","ref":"ver"}`);
      const m = await p.nextType('error');
      assert.ok(codes.includes(m.code), `expected ${codes}, got ${JSON.stringify(m)}`);
      assert.equal(m.ref, 'ver');
      p.close();
    });
  }
});

describe('frames over the limit (fatal)', () => {
  s.attack('one text frame of 64 KiB + 1', async () => {
    const p = await s.attacker({ room: CTL_A, label: 'big-frame' });
    await p.sendRaw(Buffer.from(JSON.stringify({ type: 'message', ref: 'big', content: 'x'.repeat(65536) })));
    await p.expectError('frame_too_large', { fatal: true });
    assert.equal((await p.waitClosed()).code, 1009);
    await s.dismiss(p, { reasons: ['kicked'] });
  });
  s.attack('a 10 MB frame: the offender is told frame_too_large, then closed', async () => {
    // A browser writes a big message in one go. The error must still reach it:
    // closing the socket with the rest of the frame unread makes the kernel send
    // a TCP reset, which destroys the error and close frames (the client only
    // sees 1006). See docs/hostile.md, "lingering close".
    const p = await s.attacker({ room: CTL_A, label: 'huge-frame' });
    p.sendRaw(Buffer.alloc(10 * 1024 * 1024, 0x20)).catch(() => {});
    await p.waitClosed(8000);
    await s.dismiss(p, { reasons: ['kicked'] });
    const err = p.inbox.find((m) => m.type === 'error');
    assert.equal(err?.code, 'frame_too_large', `closed with ${p.closed.code} and no frame_too_large error`);
  });
  s.attack('a message fragmented into 100 frames of 1 KiB (over the limit in total)', async () => {
    const p = await s.attacker({ room: CTL_A, label: 'fragments' });
    const body = Buffer.from(JSON.stringify({ type: 'message', content: 'y'.repeat(100 * 1024) }));
    const n = Math.ceil(body.length / 1024);
    // Written one fragment at a time, as a client does; the server refuses as soon
    // as the total passes the limit, and the rest is never read.
    for (let i = 0; i < n && p.open && !p.inbox.length; i++) {
      await p.sendRaw(body.subarray(i * 1024, (i + 1) * 1024), { fin: i === n - 1 }).catch(() => {});
      await sleep(2);
    }
    await p.expectError('frame_too_large', { fatal: true });
    assert.equal((await p.waitClosed()).code, 1009);
    await s.dismiss(p, { reasons: ['kicked'] });
  });
  s.attack('100 KiB of fragments blasted without waiting: disconnected', async () => {
    // The client keeps writing after the server closed: the error frame may be
    // lost to a TCP reset (no lingering close); the disconnect is what counts.
    const p = await s.attacker({ room: CTL_A, label: 'fragment-blast' });
    const body = Buffer.from(JSON.stringify({ type: 'message', content: 'y'.repeat(100 * 1024) }));
    const n = Math.ceil(body.length / 1024);
    for (let i = 0; i < n; i++) p.sendRaw(body.subarray(i * 1024, (i + 1) * 1024), { fin: i === n - 1 }).catch(() => {});
    await p.waitClosed();
    const errs = p.inbox.filter((m) => m.type === 'error');
    assert.ok(errs.every((m) => m.code === 'frame_too_large'), JSON.stringify(errs));
    await s.dismiss(p, { reasons: ['kicked'] });
  });
  s.attack('a fragmented message under the limit is one message', async () => {
    const p = await s.attacker({ room: CTL_A, label: 'small-fragments' });
    const body = Buffer.from(JSON.stringify({ type: 'ping', ref: 'frag', pad: 'z'.repeat(3000) }));
    for (let i = 0; i < 4; i++) await p.sendRaw(body.subarray(i * 1000, (i + 1) * 1000), { fin: i === 3 });
    await p.nextType('pong');
    await p.expectHealthy();
    await s.dismiss(p);
  });
});

s.finishTest();

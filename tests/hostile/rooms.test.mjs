// Hostile requests: well-formed JSON that asks for something it may not have (a room
// name outside the charset, a relay outside its room, a forged sender, fields of the
// wrong type or size). None of them may reach a control peer.
import assert from 'node:assert/strict';
import { before, after, describe } from 'node:test';
import { hostileSuite, CTL_A, CTL_B, strangerId } from './harness.mjs';

const s = hostileSuite([]);
before(s.setup);
after(s.finish);

// An authenticated attacker in no room, and one in CTL_A, reused across tests.
let lone;
let inA;
async function loneAttacker() {
  if (!lone || !lone.open) lone = await s.attacker({ label: 'lone' });
  return lone;
}
async function attackerInA() {
  if (!inA || !inA.open) inA = await s.attacker({ room: CTL_A, label: 'in-a' });
  return inA;
}
async function rejects(p, msg, code, ref = `r${Math.random().toString(36).slice(2, 8)}`) {
  p.send(typeof msg === 'string' ? msg.replace('"REF"', JSON.stringify(ref)) : { ...msg, ref });
  const m = await p.expectError(code, { ref, fatal: false });
  await p.expectHealthy();
  return m;
}

describe('room names', () => {
  for (const [name, room] of [
    ['Cyrillic', 'комната'],
    ['emoji', 'room-😀'],
    ['a right-to-left override', 'ctl-\u202ea'],
    ['65 bytes (one over the limit)', 'r'.repeat(65)],
    ['60,000 bytes', 'r'.repeat(60000)],
    ['empty', ''],
    ['a leading space', ' ctl-a'],
    ['a path', '../../etc/passwd'],
    ['HTML', '<script>alert(1)</script>'],
    ['a newline', 'ctl-a\nctl-b'],
  ]) {
    s.attack(`join a room named with ${name}`, async () => {
      await rejects(await loneAttacker(), { type: 'join', room, userData: {} }, 'bad_room_name');
    });
  }
  s.attack('join a room named with an escaped NUL that would truncate to the control room', async () => {
    const p = await loneAttacker();
    p.send({ type: 'join', room: `${CTL_A}\u0000x`, userData: {} });
    await p.expectError('bad_json', { fatal: false }); // any NUL: see frames.test.mjs
    await p.expectHealthy();
  });
  s.attack('join a room named by a number', async () => {
    await rejects(await loneAttacker(), { type: 'join', room: 42 }, 'bad_message');
  });
  s.attack('join without a room', async () => {
    const p = await loneAttacker();
    // The default room of SkywayJS's joinRoom() is the client's business: the
    // wire always names the room.
    p.send({ type: 'join', ref: 'noroom', userData: {} });
    await p.expectError('bad_message', { ref: 'noroom' });
    await p.expectHealthy();
  });
});

describe('peer ids', () => {
  s.attack('50 peer ids are distinct 128-bit hex, with no shared structure', async () => {
    const ids = [];
    for (let i = 0; i < 50; i++) {
      const p = await s.attacker({ label: `id${i}` });
      ids.push(p.peerId);
      p.close();
    }
    assert.equal(new Set(ids).size, ids.length);
    for (const x of ids) assert.match(x, /^[0-9a-f]{32}$/);
    // Sequential or time-based ids share long prefixes; random ones do not.
    const prefix = (a, b) => { let k = 0; while (k < 32 && a[k] === b[k]) k++; return k; };
    const longest = Math.max(...ids.slice(1).map((x, i) => prefix(x, ids[i])));
    assert.ok(longest < 8, `consecutive ids share ${longest} leading hex digits`);
  });
});

describe('being in a room', () => {
  s.attack('join the same room twice', async () => {
    const p = await attackerInA();
    await rejects(p, { type: 'join', room: CTL_A, userData: { again: 1 } }, 'already_in_room');
  });
  s.attack('join a second room while in one', async () => {
    const p = await attackerInA();
    await rejects(p, { type: 'join', room: CTL_B, userData: {} }, 'already_in_room');
  });
  for (const [name, msg] of [
    ['message', { type: 'message', content: 'hi' }],
    ['directed message', { type: 'message', to: strangerId(), content: 'hi' }],
    ['offer', { type: 'offer', to: strangerId(), sdp: 'v=0\r\n' }],
    ['answer', { type: 'answer', to: strangerId(), sdp: 'v=0\r\n' }],
    ['candidate', { type: 'candidate', to: strangerId(), candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 }],
    ['lock', { type: 'lock', locked: true }],
    ['leave', { type: 'leave' }],
  ]) {
    s.attack(`${name} before joining a room`, async () => {
      await rejects(await loneAttacker(), msg, 'not_in_room');
    });
  }
  s.attack('update before joining a room is kept for the next join, told to no one', async () => {
    // Allowed by the protocol (a client may set its user data before joining).
    const p = await s.attacker({ label: 'early-update' });
    p.send({ type: 'update', userData: { name: 'early' }, ref: 'eu' });
    await p.expectHealthy();
    const joined = await p.join('early-room');
    assert.equal(joined.room, 'early-room');
    await p.leave();
    p.close();
  });
  s.attack('leave twice', async () => {
    const p = await s.attacker({ room: 'leave-twice', label: 'leave-twice' });
    await p.leave();
    await rejects(p, { type: 'leave' }, 'not_in_room');
    p.close();
  });
});

describe('relays across rooms and forged senders', () => {
  for (const [name, make] of [
    ['offer', (to) => ({ type: 'offer', to, sdp: 'v=0\r\n' })],
    ['answer', (to) => ({ type: 'answer', to, sdp: 'v=0\r\n' })],
    ['candidate', (to) => ({ type: 'candidate', to, candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 })],
    ['message', (to) => ({ type: 'message', to, content: { steal: true } })],
  ]) {
    s.attack(`${name} addressed to a peer of another room`, async () => {
      const p = await attackerInA();
      await rejects(p, make(s.ctl.id('B1')), 'unknown_peer');
    });
  }
  s.attack('message and offer addressed to oneself', async () => {
    const p = await attackerInA();
    await rejects(p, { type: 'message', to: p.peerId, content: 'me' }, 'unknown_peer');
    await rejects(p, { type: 'offer', to: p.peerId, sdp: 'v=0' }, 'unknown_peer');
  });
  s.attack('offer to a well-formed id nobody has', async () => {
    await rejects(await attackerInA(), { type: 'offer', to: strangerId(), sdp: 'v=0\r\n' }, 'unknown_peer');
  });
  s.attack('offer to a malformed peer id', async () => {
    const p = await attackerInA();
    p.send({ type: 'offer', ref: 'badto', to: 'ZZZ', sdp: 'v=0' });
    await p.expectError('bad_message', { ref: 'badto' });
    await p.expectHealthy();
  });
  s.attack('offer to a B1 id with an escaped NUL suffix', async () => {
    const p = await attackerInA();
    p.send({ type: 'offer', ref: 'nulto', to: `${s.ctl.id('B1')}\u0000`, sdp: 'v=0' });
    await p.expectError('bad_json');
    await p.expectHealthy();
  });
  s.attack('offer to an uppercase copy of a peer id in the room', async () => {
    const p = await attackerInA();
    p.send({ type: 'offer', ref: 'upper', to: s.ctl.id('A1').toUpperCase(), sdp: 'v=0' });
    await p.expectError('bad_message', { ref: 'upper' }); // ids are lowercase hex
    await p.expectHealthy();
  });
  s.attack('forged "from" on a message and an offer (server stamps the sender)', async () => {
    const p = await s.attacker({ room: 'forge-room', label: 'forger' });
    const accomplice = await s.attacker({ room: 'forge-room', label: 'accomplice' });
    await p.nextType('peer_joined');
    p.send({ type: 'message', to: accomplice.peerId, from: s.ctl.id('A1'), content: 'forged' });
    p.send({ type: 'message', from: s.ctl.id('B1'), content: 'forged broadcast' });
    p.send({ type: 'offer', to: accomplice.peerId, from: s.ctl.id('A2'), sdp: 'v=0\r\n' });
    for (const type of ['message', 'message', 'offer']) {
      const m = await accomplice.nextType(type);
      assert.equal(m.from, p.peerId, `relayed ${type} carries from=${m.from}`);
    }
    await accomplice.leave();
    await p.leave();
    p.close();
    accomplice.close();
  });
});

describe('fields of the wrong type or size', () => {
  s.attack('offer with sdp as a number', async () => {
    await rejects(await attackerInA(), { type: 'offer', to: s.ctl.id('A1'), sdp: 12 }, 'bad_message');
  });
  s.attack('offer without to', async () => {
    await rejects(await attackerInA(), { type: 'offer', sdp: 'v=0' }, 'bad_message');
  });
  s.attack('answer without sdp', async () => {
    await rejects(await attackerInA(), { type: 'answer', to: s.ctl.id('A1') }, 'bad_message');
  });
  s.attack('candidate without candidate', async () => {
    await rejects(await attackerInA(), { type: 'candidate', to: s.ctl.id('A1'), sdpMid: '0', sdpMLineIndex: 0 }, 'bad_message');
  });
  s.attack('candidate with a negative sdpMLineIndex', async () => {
    await rejects(await attackerInA(), { type: 'candidate', to: s.ctl.id('A1'), candidate: 'c', sdpMid: '0', sdpMLineIndex: -5 }, 'bad_message');
  });
  s.attack('candidate with sdpMLineIndex 1e300 (out of int range)', async () => {
    await rejects(await attackerInA(), `{"type":"candidate","ref":"REF","to":"${s.ctl.id('A1')}","candidate":"c","sdpMid":"0","sdpMLineIndex":1e300}`, 'bad_message');
  });
  s.attack('candidate with sdpMLineIndex 2^31 (one past int32)', async () => {
    await rejects(await attackerInA(), { type: 'candidate', to: s.ctl.id('A1'), candidate: 'c', sdpMid: '0', sdpMLineIndex: 2147483648 }, 'bad_message');
  });
  s.attack('candidate with sdpMLineIndex 0.5', async () => {
    await rejects(await attackerInA(), { type: 'candidate', to: s.ctl.id('A1'), candidate: 'c', sdpMid: '0', sdpMLineIndex: 0.5 }, 'bad_message');
  });
  s.attack('candidate string over 1024 bytes', async () => {
    await rejects(await attackerInA(), { type: 'candidate', to: s.ctl.id('A1'), candidate: 'c'.repeat(1025), sdpMid: '0', sdpMLineIndex: 0 }, 'bad_message');
  });
  s.attack('sdpMid over 64 bytes', async () => {
    await rejects(await attackerInA(), { type: 'candidate', to: s.ctl.id('A1'), candidate: 'c', sdpMid: 'm'.repeat(65), sdpMLineIndex: 0 }, 'bad_message');
  });
  s.attack('lock with "locked" as a string', async () => {
    await rejects(await attackerInA(), { type: 'lock', locked: 'yes' }, 'bad_message');
  });
  s.attack('lock without "locked"', async () => {
    await rejects(await attackerInA(), { type: 'lock' }, 'bad_message');
  });
  s.attack('message without content', async () => {
    await rejects(await attackerInA(), { type: 'message', to: s.ctl.id('A1') }, 'bad_message');
  });
  s.attack('message with "to" as an array', async () => {
    await rejects(await attackerInA(), { type: 'message', to: [s.ctl.id('A1'), s.ctl.id('B1')], content: 'x' }, 'bad_message');
  });
  s.attack('userData over 4 KiB on join (the room never sees the join)', async () => {
    const p = await loneAttacker();
    await rejects(p, { type: 'join', room: CTL_A, userData: { blob: 'u'.repeat(4200) } }, 'user_data_too_large');
  });
  s.attack('userData over 4 KiB on update (the room sees no update)', async () => {
    await rejects(await attackerInA(), { type: 'update', userData: { blob: 'u'.repeat(4200) } }, 'user_data_too_large');
  });
  s.attack('userData nested 40 levels deep', async () => {
    // Refused by the nesting pre-scan, before the ref could be read: no ref.
    const p = await attackerInA();
    p.send(`{"type":"update","ref":"deep","userData":${'{"a":'.repeat(40)}1${'}'.repeat(40)}}`);
    await p.expectError('bad_message', { fatal: false });
    await p.expectHealthy();
  });
  s.attack('userData nested 17 levels deep (over SKY_JSON_DEPTH_MAX, under the frame bound)', async () => {
    await rejects(await attackerInA(), `{"type":"update","ref":"REF","userData":${'{"a":'.repeat(17)}1${'}'.repeat(17)}}`, 'bad_message');
  });
  s.attack('userData of 2,000 tiny keys under 4 KiB compact', async () => {
    // Many keys, still small: must be accepted (no quadratic blow-up, no crash).
    const p = await attackerInA();
    const userData = {};
    for (let i = 0; i < 400; i++) userData[`k${i}`] = i;
    p.send({ type: 'update', userData, ref: 'keys' });
    const m = await p.next((x) => x.type === 'error', 300).catch(() => null);
    assert.ok(m === null || m.code === 'user_data_too_large', JSON.stringify(m));
    if (m === null) for (const l of ['A1', 'A2']) await s.ctl.claim(l, (x) => x.type === 'peer_updated' && x.peerId === p.peerId);
  });
  s.attack('content over 16 KiB (directed)', async () => {
    await rejects(await attackerInA(), { type: 'message', to: s.ctl.id('A1'), content: 'c'.repeat(16400) }, 'content_too_large');
  });
  s.attack('content over 16 KiB (broadcast)', async () => {
    await rejects(await attackerInA(), { type: 'message', content: { big: 'c'.repeat(16400) } }, 'content_too_large');
  });
});

s.finishTest();

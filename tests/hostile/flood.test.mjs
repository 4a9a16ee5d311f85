// Floods: more joins than a room holds, more rooms than the server holds, more
// connections than it accepts, more messages than the rate limit allows, and
// connection churn. Small limits so the caps are reached quickly.
import assert from 'node:assert/strict';
import { before, after, describe } from 'node:test';
import { hostileSuite, Peer, CTL_A, sleep } from './harness.mjs';

const MAX_PEERS = 5;
const MAX_ROOMS = 8;
const MAX_CONNECTIONS = 40;
const RATE = 20;
const BURST = 40;
const s = hostileSuite(['--max-peers', String(MAX_PEERS), '--max-rooms', String(MAX_ROOMS),
  '--max-connections', String(MAX_CONNECTIONS), '--rate', String(RATE), '--burst', String(BURST)]);
before(s.setup);
after(s.finish);

describe('room and server caps', () => {
  s.attack('join flood past --max-peers into the control room', async () => {
    // CTL_A holds A1 and A2: three more fit, the rest are refused and unseen.
    const ins = [];
    for (let i = 0; i < MAX_PEERS - 2; i++) ins.push(await s.attacker({ room: CTL_A, label: `fill${i}` }));
    for (let i = 0; i < 5; i++) {
      const p = await s.attacker({ label: `over${i}` });
      p.send({ type: 'join', room: CTL_A, userData: { i }, ref: `full${i}` });
      await p.expectError('room_full', { ref: `full${i}`, fatal: false });
      await p.expectHealthy();
      p.close();
    }
    // The peers inside heard of each other only, never of the refused ones.
    for (const [i, p] of ins.entries()) {
      const later = ins.slice(i + 1).map((x) => x.peerId);
      const joined = p.inbox.filter((m) => m.type === 'peer_joined').map((m) => m.peerId);
      assert.deepEqual(joined.sort(), later.sort());
    }
    for (const p of ins) await s.dismiss(p);
  });

  s.attack('join flood past --max-peers into a fresh room, then the room refills', async () => {
    const ins = [];
    for (let i = 0; i < MAX_PEERS; i++) ins.push(await s.attacker({ room: 'cap-room', label: `cap${i}` }));
    const extra = await s.attacker({ label: 'cap-extra' });
    extra.send({ type: 'join', room: 'cap-room', ref: 'capx' });
    await extra.expectError('room_full', { ref: 'capx' });
    // One leaves: its place is free again (the count is not leaked).
    await ins[0].leave();
    await extra.join('cap-room');
    for (const p of [...ins.slice(1), extra]) { await p.leave(); p.close(); }
    ins[0].close();
  });

  s.attack('room flood past --max-rooms, rooms are freed when empty', async () => {
    for (let round = 0; round < 2; round++) {
      const ps = [];
      // Two rooms are the control group's.
      for (let i = 0; i < MAX_ROOMS - 2; i++) ps.push(await s.attacker({ room: `many-${round}-${i}`, label: `rooms${i}` }));
      const extra = await s.attacker({ label: 'rooms-extra' });
      extra.send({ type: 'join', room: `many-${round}-extra`, ref: 'mr' });
      await extra.expectError('too_many_rooms', { ref: 'mr', fatal: false });
      await extra.expectHealthy();
      extra.close();
      for (const p of ps) { await p.leave(); p.close(); }
    }
  });

  s.attack('connection flood past --max-connections', async () => {
    // All at once (unauthenticated sockets are dropped at the hello timeout, so a
    // slow flood would free its own slots).
    const tries = await Promise.allSettled(Array.from({ length: MAX_CONNECTIONS + 10 },
      (_, i) => Peer.connect(s.server.wsUrl, { label: `conn${i}` })));
    const peers = tries.filter((t) => t.status === 'fulfilled').map((t) => t.value);
    s.attackers.push(...peers);
    for (const t of tries) if (t.status === 'rejected') assert.match(t.reason.message, /HTTP 503/);
    await sleep(500);
    const refused = peers.filter((p) => !p.open);
    const open = peers.filter((p) => p.open);
    for (const p of refused) {
      const [first] = p.inbox;
      assert.equal(first?.code, 'server_full', `refused without server_full: ${JSON.stringify(p.inbox)}`);
      assert.equal(first.fatal, true);
      assert.equal(p.closed.code, 1013);
    }
    for (const p of open) assert.deepEqual(p.inbox, []);
    // The control group holds 4 of the slots.
    assert.equal(open.length, MAX_CONNECTIONS - 4, `${open.length} open`);
    assert.equal(refused.length + tries.length - peers.length, 14);
    // The ones inside still work.
    await open[open.length - 1].hello();
    for (const p of open) p.close();
    await sleep(300);
  });
});

describe('rate limit', () => {
  s.attack('ping flood in the control room: rate_limited, then kicked', async () => {
    const p = await s.attacker({ room: CTL_A, label: 'pinger' });
    let sent = 0;
    const t0 = Date.now();
    while (p.open && sent < 3000 && Date.now() - t0 < 6000) {
      p.send({ type: 'ping', ref: `p${sent}` });
      sent++;
      if (sent % 50 === 0) await sleep(1);
    }
    await p.waitClosed(6000);
    const elapsed = (Date.now() - t0) / 1000;
    const pongs = p.inbox.filter((m) => m.type === 'pong').length;
    const limited = p.inbox.filter((m) => m.type === 'error' && m.code === 'rate_limited');
    assert.ok(pongs <= BURST + RATE * elapsed + 5, `${pongs} pongs for burst ${BURST} rate ${RATE}/s over ${elapsed}s`);
    assert.ok(limited.length >= 1, 'no rate_limited error before the disconnect');
    assert.ok(limited.every((m) => typeof m.ref === 'string' && m.ref.startsWith('p')), 'rate_limited without the ref');
    await s.dismiss(p, { reasons: ['kicked'] });
  });

  s.attack('broadcast flood: excess dropped, the rest arrives once and in order', async () => {
    const p = await s.attacker({ room: 'flood-room', label: 'flooder' });
    const victim = await s.attacker({ room: 'flood-room', label: 'victim' });
    await p.nextType('peer_joined');
    const N = 400;
    for (let i = 1; i <= N && p.open; i++) p.send({ type: 'message', content: { n: i }, ref: `f${i}` });
    // 400 frames in one go is abuse: the flooder is kicked, the victim told so
    // after the messages that got through.
    const left = await victim.nextType('peer_left', 5000);
    assert.equal(left.peerId, p.peerId);
    assert.equal(left.reason, 'kicked');
    const got = victim.inbox.filter((m) => m.type === 'message').map((m) => m.content.n);
    victim.inbox = victim.inbox.filter((m) => m.type !== 'message');
    assert.deepEqual(victim.inbox, []);
    // Exactly the first messages the bucket allowed, each once, in order.
    assert.ok(got.length >= BURST - 5 && got.length <= BURST, `${got.length} of ${N} delivered`);
    assert.deepEqual(got, got.map((_, i) => i + 1), 'duplicates, gaps or reordering');
    // The flooder itself is told why before the close (1008), even though it
    // was still sending: see docs/hostile.md, "lingering close".
    const closed = await p.waitClosed();
    const fatal = p.inbox.find((m) => m.type === 'error' && m.fatal);
    assert.equal(fatal?.code, 'rate_limited', `flooder closed with ${closed.code} and no fatal rate_limited`);
    assert.equal(closed.code, 1008);
    await victim.leave();
    victim.close();
  });

  s.attack('join/leave churn of 30 peers without close frames', async () => {
    const ps = [];
    for (let i = 0; i < 30; i++) {
      const p = await s.attacker({ room: `churn-${i % 3}`, label: `churn${i}` });
      p.terminate();
      ps.push(p);
    }
    await sleep(300);
  });
});

s.finishTest();

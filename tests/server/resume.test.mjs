// Session resume (docs/resilience.md): resume tokens, the same peer id and room
// after a lost socket, a takeover of a stale socket, restarts with and without
// --secret-file, and tokens that must not work.
import test, { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serverBinary, startServer } from '../helpers/server.mjs';
import { Client, PEER_ID, closeAll, stopClean } from './signaling-client.mjs';

const TOKEN = /^1\.[0-9a-f]{32}\.[1-9][0-9]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{43}$/;

// The room a token names (format: src/server/resume.h); '' for none.
const roomOf = (token) => Buffer.from(token.split('.')[3], 'base64url').toString();

function secretFile(dir, name = 'secret', bytes = crypto.randomBytes(32)) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

// hello with a resume token: resolves to the client (welcomed).
const resume = (server, token, opts = {}) => Client.hello(server.wsUrl, { resume: token, ...opts });

// Whatever is still unconsumed in c's inbox after a round trip and `ms` more
// (tokens are kept apart by the client): [] when nothing else arrived.
async function quiet(c, ms = 100) {
  await c.sync();
  return c.collect(() => true, ms);
}

let tmp;
before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skymesh-resume-')); });
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('resume tokens (--secret-file, two app keys)', () => {
  let server;
  before(async () => {
    server = await startServer(['--secret-file', secretFile(tmp, 'shared'), '--app-key', 'test-key',
      '--app-key', 'other-key', '--max-peers', '3']);
  });
  after(() => stopClean(server));

  test('a token right after welcome, after every joined and after every left', async () => {
    const c = await Client.hello(server.wsUrl);
    const t0 = await c.nextToken();
    assert.match(t0.token, TOKEN);
    assert.equal(t0.token.split('.')[1], c.peerId);
    assert.equal(roomOf(t0.token), '');
    const now = Date.now() / 1000;
    assert.ok(Math.abs(t0.expires - (now + 600)) < 5, `expires ${t0.expires}, now ${now}`);
    assert.equal(t0.ref, undefined);

    c.send({ type: 'join', room: 'tok room', ref: 'j' });
    await c.next('joined');
    const t1 = await c.nextToken();
    assert.equal(roomOf(t1.token), 'tok room');

    c.send({ type: 'leave', ref: 'l' });
    await c.next('left');
    const t2 = await c.nextToken();
    assert.equal(roomOf(t2.token), '');
    assert.deepEqual(c.types, ['welcome', 'token', 'joined', 'token', 'left', 'token']);

    // a refused join sends none
    c.send({ type: 'join', room: 'bad room ', ref: 'b' });
    await c.next('error');
    await c.sync();
    assert.equal(c.tokens.length, 3);
    await closeAll(c);
  });

  test('resume after the socket closed: same id, same room; the room sees it leave, then join once', async () => {
    const a = await Client.joined(server.wsUrl, 'comeback', { name: 'ann' });
    const b = await Client.joined(server.wsUrl, 'comeback', { name: 'bob' });
    await a.next('peer_joined');
    await b.nextToken(); await b.nextToken(); // welcome's, joined's
    const token = b.token;
    b.ws.terminate();
    assert.deepEqual(await a.next('peer_left'), { type: 'peer_left', peerId: b.peerId, reason: 'disconnected' });

    const b2 = await resume(server, token, { userData: { name: 'bob' } });
    assert.equal(b2.peerId, b.peerId);
    assert.equal(b2.welcome.resumed, true);
    const joined = await b2.next('joined');
    assert.equal(joined.ref, 'resume');
    assert.equal(joined.room, 'comeback');
    assert.equal(joined.peerId, b.peerId);
    assert.deepEqual(joined.peers, [{ peerId: a.peerId, userData: { name: 'ann' } }]);
    // joined and its token are two frames: they may come in two reads
    assert.equal(roomOf((await b2.nextToken()).token), 'comeback');
    assert.deepEqual(b2.types, ['welcome', 'joined', 'token']);

    assert.deepEqual(await a.next('peer_joined'), { type: 'peer_joined', peerId: b.peerId, userData: { name: 'bob' } });
    assert.deepEqual(await quiet(a), []);
    // and it works: relay between the two
    b2.send({ type: 'message', to: a.peerId, content: 'back' });
    assert.equal((await a.next('message')).from, b.peerId);
    await closeAll(a, b2);
  });

  test('takeover: a second socket with the token while the first is open; the room sees no peer_left', async () => {
    const a = await Client.joined(server.wsUrl, 'takeover', { name: 'ann' });
    const b = await Client.joined(server.wsUrl, 'takeover', { name: 'bob' });
    await a.next('peer_joined');
    await b.nextToken(); await b.nextToken();

    const b2 = await resume(server, b.token); // no userData: it keeps bob's
    assert.equal(b2.peerId, b.peerId);
    assert.equal(b2.welcome.resumed, true);
    const joined = await b2.next('joined');
    assert.equal(joined.ref, 'resume');
    assert.deepEqual(joined.peers, [{ peerId: a.peerId, userData: { name: 'ann' } }]);
    await b.closed; // the old socket is dropped

    // exactly one peer_joined (clients dedupe it) and no peer_left
    assert.deepEqual(await a.next('peer_joined'), { type: 'peer_joined', peerId: b.peerId, userData: { name: 'bob' } });
    await new Promise((r) => setTimeout(r, 200)); // the old socket's close has been processed
    assert.deepEqual(await quiet(a), []);

    // the room holds a and b once: a newcomer sees both, and the room is not over-counted
    const c = await Client.joined(server.wsUrl, 'takeover', { name: 'cy' });
    assert.deepEqual(c.joinedMsg.peers.map((p) => p.peerId).sort(), [a.peerId, b.peerId].sort());
    const d = await Client.hello(server.wsUrl);
    d.send({ type: 'join', room: 'takeover', ref: 'full' });
    assert.equal((await d.next('error')).code, 'room_full'); // --max-peers 3
    await closeAll(a, b2, c, d);
  });

  test('takeover with hello.userData: the room gets the new userData', async () => {
    const a = await Client.joined(server.wsUrl, 'takeover-ud', { name: 'ann' });
    const b = await Client.joined(server.wsUrl, 'takeover-ud', { name: 'bob' });
    await a.next('peer_joined');
    await b.nextToken(); await b.nextToken();
    const b2 = await resume(server, b.token, { userData: { name: 'robert' } });
    await b2.next('joined');
    assert.deepEqual(await a.next('peer_joined'), { type: 'peer_joined', peerId: b.peerId, userData: { name: 'robert' } });
    await b.closed;
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await quiet(a), []);
    await closeAll(a, b2);
  });

  test('takeover with an older token: the room the peer moved on to hears it left', async () => {
    const x = await Client.joined(server.wsUrl, 'old-room');
    const y = await Client.joined(server.wsUrl, 'new-room');
    const b = await Client.joined(server.wsUrl, 'old-room', { name: 'bob' });
    await x.next('peer_joined');
    await b.nextToken(); await b.nextToken();
    const oldToken = b.token;
    b.send({ type: 'leave' });
    await b.next('left');
    b.send({ type: 'join', room: 'new-room' });
    await b.next('joined');
    await x.next('peer_left');
    await y.next('peer_joined');

    const b2 = await resume(server, oldToken);
    assert.equal(b2.peerId, b.peerId);
    assert.equal((await b2.next('joined')).room, 'old-room');
    await b.closed;
    assert.deepEqual(await y.next('peer_left'), { type: 'peer_left', peerId: b.peerId, reason: 'disconnected' });
    assert.deepEqual(await x.next('peer_joined'), { type: 'peer_joined', peerId: b.peerId, userData: { name: 'bob' } });
    await closeAll(x, y, b2);
  });

  test('a locked room is re-entered on resume; a room that is gone is created again', async () => {
    const a = await Client.joined(server.wsUrl, 'locked-resume');
    const b = await Client.joined(server.wsUrl, 'locked-resume');
    await a.next('peer_joined');
    await b.nextToken(); await b.nextToken();
    a.send({ type: 'lock', locked: true, ref: 'lk' });
    await a.next('room_lock');
    await b.next('room_lock');
    b.ws.terminate();
    await a.next('peer_left');
    const stranger = await Client.hello(server.wsUrl);
    stranger.send({ type: 'join', room: 'locked-resume', ref: 's' });
    assert.equal((await stranger.next('error')).code, 'room_locked');

    const b2 = await resume(server, b.token);
    const joined = await b2.next('joined');
    assert.equal(joined.ref, 'resume');
    assert.equal(joined.locked, true);
    assert.equal((await a.next('peer_joined')).peerId, b.peerId);

    // alone in a room: it is freed when the socket goes, and made again on resume
    const solo = await Client.joined(server.wsUrl, 'solo-resume');
    await solo.nextToken(); await solo.nextToken();
    solo.ws.terminate();
    await solo.closed;
    await new Promise((r) => setTimeout(r, 100));
    const solo2 = await resume(server, solo.token);
    const j2 = await solo2.next('joined');
    assert.equal(j2.room, 'solo-resume');
    assert.equal(j2.locked, false);
    assert.deepEqual(j2.peers, []);
    await closeAll(a, b2, stranger, solo2);
  });

  test('a full room refuses the resumer: room_full, ref resume, not fatal; it stays authenticated', async () => {
    const members = [];
    for (let i = 0; i < 3; i++) members.push(await Client.joined(server.wsUrl, 'full-resume'));
    const b = members[2];
    await b.nextToken(); await b.nextToken();
    b.ws.terminate();
    await members[0].next((m) => m.type === 'peer_left' && m.peerId === b.peerId);
    const c = await Client.joined(server.wsUrl, 'full-resume'); // takes the free place
    await members[0].next((m) => m.type === 'peer_joined' && m.peerId === c.peerId);
    await quiet(members[0]); // the others' joins: not what this test is about

    const b2 = await resume(server, b.token);
    assert.equal(b2.peerId, b.peerId);
    assert.equal(b2.welcome.resumed, true);
    const e = await b2.next('error');
    assert.equal(e.code, 'room_full');
    assert.equal(e.ref, 'resume');
    assert.equal(e.fatal, false);
    const t = await b2.nextToken();
    assert.equal(roomOf(t.token), '');
    assert.deepEqual(b2.types, ['welcome', 'error', 'token']);
    // nobody in the room heard of it
    assert.deepEqual(await quiet(members[0]), []);
    // still a working session
    b2.send({ type: 'join', room: 'elsewhere' });
    assert.equal((await b2.next('joined')).peerId, b.peerId);
    await closeAll(members[0], members[1], c, b2);
  });

  test('forged, mangled or hostile tokens are no error: a new peer id, no resumed flag', async () => {
    const b = await Client.joined(server.wsUrl, 'forgery');
    await b.nextToken(); await b.nextToken();
    const good = b.token;
    const flip = (s, i) => s.slice(0, i) + (s[i] === 'A' ? 'B' : s[i] === '1' ? '2' : s[i] === 'a' ? 'b' : 'A') + s.slice(i + 1);
    const dots = [...good].map((ch, i) => (ch === '.' ? i : -1)).filter((i) => i >= 0);
    const bad = [
      flip(good, 0), // version
      flip(good, 5), // peer id
      flip(good, dots[1] + 2), // expires
      flip(good, dots[2] + 1), // room
      flip(good, good.length - 1), // last character of the mac (2 spare bits)
      flip(good, dots[3] + 1), // mac
      good.slice(0, -1), // truncated
      `${good}A`, // extended
      good.replace(/\.[^.]*\./, '..'), // a field emptied
      `${good}.`, // a sixth field
      good.split('.').map((f, i) => (i === 2 ? '99999999999' : f)).join('.'), // huge expiry
      good.split('.').map((f, i) => (i === 2 ? `0${f}` : f)).join('.'), // leading zero
      good.split('.').map((f, i) => (i === 3 ? `${f}==` : f)).join('.'), // padding
      good.split('.').map((f, i) => (i === 3 ? '!!!!' : f)).join('.'), // bad base64
      'x', '.', '....', '1....', '1.' + 'f'.repeat(32) + '.1..' + 'A'.repeat(43),
      '.'.repeat(255), 'A'.repeat(255), `1.${'a'.repeat(32)}.4294967295.${'_'.repeat(86)}.${'A'.repeat(43)}`,
    ];
    for (const token of bad) {
      const c = await resume(server, token);
      assert.notEqual(c.peerId, b.peerId, token);
      assert.match(c.peerId, PEER_ID);
      assert.equal(c.welcome.resumed, undefined, token);
      assert.deepEqual(c.types, ['welcome', 'token'], token);
      await closeAll(c);
    }
    // issued for another application key
    const other = await resume(server, good, { appKey: 'other-key' });
    assert.notEqual(other.peerId, b.peerId);
    assert.equal(other.welcome.resumed, undefined);
    // longer than 255: the hello itself is invalid (bad_message), the socket stays
    const c = await Client.connect(server.wsUrl);
    c.send({ type: 'hello', v: 1, appKey: 'test-key', resume: 'A'.repeat(256), ref: 'long' });
    const e = await c.next('error');
    assert.equal(e.code, 'bad_message');
    assert.equal(e.fatal, false);
    c.send({ type: 'hello', v: 1, appKey: 'test-key', resume: 5, ref: 'num' });
    assert.equal((await c.next('error')).code, 'bad_message');
    // and the original is still good
    const b2 = await resume(server, good);
    assert.equal(b2.peerId, b.peerId);
    await closeAll(b, other, c, b2);
  });

  test('hello.userData without a token sets the userData a later join uses', async () => {
    const a = await Client.joined(server.wsUrl, 'hello-ud');
    const b = await Client.hello(server.wsUrl, { userData: { name: 'early' } });
    b.send({ type: 'join', room: 'hello-ud' });
    await b.next('joined');
    assert.deepEqual((await a.next('peer_joined')).userData, { name: 'early' });
    await closeAll(a, b);
  });
});

describe('tokens over time (--resume-ttl 10)', () => {
  let server;
  before(async () => { server = await startServer(['--resume-ttl', '10']); });
  after(() => stopClean(server));

  test('a token is renewed once it is half its lifetime old, and names the current room', async () => {
    const c = await Client.joined(server.wsUrl, 'ticking');
    await c.nextToken();
    const first = await c.nextToken();
    assert.ok(Math.abs(first.expires - (Date.now() / 1000 + 10)) < 3);
    const t0 = Date.now();
    const renewed = await c.nextToken(9000);
    const took = Date.now() - t0;
    assert.ok(took >= 4500 && took < 8500, `renewed after ${took} ms`);
    assert.ok(renewed.expires > first.expires);
    assert.equal(roomOf(renewed.token), 'ticking');
    await closeAll(c);
  });
});

describe('restarts', () => {
  // SIGKILL: no bye, no peer_left, nothing saved; the clients come back to a new process.
  async function kill(server) {
    const exited = new Promise((resolve) => server.proc.once('exit', resolve));
    server.proc.kill('SIGKILL');
    await exited;
  }

  test('the same --secret-file: the room is formed again with the same ids', async () => {
    const secret = secretFile(tmp, 'restart', Buffer.from(`${crypto.randomBytes(24).toString('hex')}\n`));
    const first = await startServer(['--secret-file', secret]);
    const a = await Client.joined(first.wsUrl, 'phoenix', { name: 'ann' });
    const b = await Client.joined(first.wsUrl, 'phoenix', { name: 'bob' });
    await a.next('peer_joined');
    for (const c of [a, b]) { await c.nextToken(); await c.nextToken(); }
    assert.doesNotMatch(first.output(), /will not survive/);
    await kill(first);
    await Promise.all([a.closed, b.closed]);

    const second = await startServer(['--secret-file', secret, '--port', String(first.port)]);
    try {
      assert.equal(second.port, first.port);
      const a2 = await resume(second, a.token, { userData: { name: 'ann' } });
      assert.equal(a2.peerId, a.peerId);
      assert.equal(a2.welcome.resumed, true);
      const ja = await a2.next('joined');
      assert.equal(ja.room, 'phoenix');
      assert.deepEqual(ja.peers, []);
      const b2 = await resume(second, b.token, { userData: { name: 'bob' } });
      assert.equal(b2.peerId, b.peerId);
      assert.deepEqual((await b2.next('joined')).peers, [{ peerId: a.peerId, userData: { name: 'ann' } }]);
      assert.deepEqual(await a2.next('peer_joined'), { type: 'peer_joined', peerId: b.peerId, userData: { name: 'bob' } });
      await closeAll(a2, b2);
    } finally {
      await stopClean(second);
    }
  });

  test('without --secret-file a restart means new ids (and the server says so at start)', async () => {
    const first = await startServer();
    assert.match(first.output(), /no --secret-file.*will not survive a restart/);
    const a = await Client.joined(first.wsUrl, 'mortal');
    await a.nextToken(); await a.nextToken();
    await kill(first);
    await a.closed;
    const second = await startServer(['--port', String(first.port)]);
    try {
      const a2 = await resume(second, a.token);
      assert.notEqual(a2.peerId, a.peerId);
      assert.equal(a2.welcome.resumed, undefined);
      await a2.sync();
      assert.deepEqual(a2.inbox, []); // no joined: it is a new peer in no room
      await closeAll(a2);
    } finally {
      await stopClean(second);
    }
  });
});

describe('command line: --secret-file and --resume-ttl', () => {
  test('--help lists them', () => {
    const r = spawnSync(serverBinary(), ['--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /--secret-file PATH/);
    assert.match(r.stdout, /--resume-ttl SECS/);
  });

  test('a missing, short or oversized secret file and a ttl out of range: a clear message and exit 2', () => {
    const short = secretFile(tmp, 'short', Buffer.from(`${'s'.repeat(31)}\n`));
    const huge = secretFile(tmp, 'huge', Buffer.alloc(5000, 1));
    const cases = [
      [['--secret-file', path.join(tmp, 'nope')], /cannot open/],
      [['--secret-file', tmp], /cannot read/],
      [['--secret-file', short], /31 bytes, a secret needs at least 32/],
      [['--secret-file', huge], /larger than 4096 bytes/],
      [['--resume-ttl', '9'], /--resume-ttl expects an integer from 10 to 86400/],
      [['--resume-ttl', '86401'], /--resume-ttl/],
      [['--resume-ttl', 'soon'], /--resume-ttl/],
    ];
    for (const [args, message] of cases) {
      const r = spawnSync(serverBinary(), args, { encoding: 'utf8' });
      assert.equal(r.status, 2, args.join(' '));
      assert.match(r.stderr, message, args.join(' '));
    }
  });

  test('32 bytes and a trailing newline are accepted', async () => {
    const ok = secretFile(tmp, 'ok', Buffer.from(`${'k'.repeat(32)}\r\n`));
    const server = await startServer(['--secret-file', ok, '--resume-ttl', '86400']);
    try {
      const c = await Client.hello(server.wsUrl);
      const t = await c.nextToken();
      assert.ok(Math.abs(t.expires - (Date.now() / 1000 + 86400)) < 5);
      await closeAll(c);
    } finally {
      await stopClean(server);
    }
  });
});

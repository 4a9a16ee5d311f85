// TURN REST credentials from the server (--turn-uri, --turn-secret-file,
// --turn-ttl): welcome.iceServers with a username EXPIRY:PEERID and a
// credential node's crypto recomputes, fresh ones in every welcome (resume
// included), renewal by ice_servers at half the ttl, and startup errors.
// tests/server/turn-coturn.test.mjs checks them against a real coturn.
import test, { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serverBinary, startServer } from '../helpers/server.mjs';
import { Client, closeAll, stopClean } from './signaling-client.mjs';

const SECRET = 'turn-static-auth-secret-0123456789';
const USERNAME = /^(\d+):([0-9a-f]{32})$/;
const credentialOf = (username, secret = SECRET) => crypto.createHmac('sha1', secret).update(username).digest('base64');

let tmp;
before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skymesh-turn-')); });
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function file(name, text) {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
}

// Checks one iceServers list for peerId: the STUN entry without credentials,
// the TURN entry with a credential that recomputes; returns the expiry.
function checkIceServers(list, peerId, { stun, turn, ttl }) {
  assert.ok(Array.isArray(list));
  assert.equal(list.length, 2);
  assert.deepEqual(list[0], { urls: stun });
  assert.deepEqual(Object.keys(list[1]).sort(), ['credential', 'urls', 'username']);
  assert.deepEqual(list[1].urls, turn);
  const m = USERNAME.exec(list[1].username);
  assert.ok(m, `username ${list[1].username}`);
  assert.equal(m[2], peerId);
  const expiry = Number(m[1]);
  const now = Date.now() / 1000;
  assert.ok(Math.abs(expiry - (now + ttl)) < 5, `expiry ${expiry}, now ${now}, ttl ${ttl}`);
  assert.equal(list[1].credential, credentialOf(list[1].username));
  return expiry;
}

const STUN = ['stun:127.0.0.1:3478'];
const TURN = ['turn:127.0.0.1:3478?transport=udp', 'turn:127.0.0.1:3478?transport=tcp', 'turns:turn.example.com:5349?transport=tcp'];

describe('iceServers in welcome', () => {
  let server;
  before(async () => {
    server = await startServer(['--turn-uri', STUN[0], ...TURN.flatMap((u) => ['--turn-uri', u]),
      '--turn-secret-file', file('turn.secret', `${SECRET}\n`), '--secret-file', file('resume.secret', 'r'.repeat(32))]);
  });
  after(() => stopClean(server));

  test('every welcome carries STUN without and TURN with credentials for this peer, valid for a day', async () => {
    const clients = await Promise.all([1, 2, 3].map(() => Client.hello(server.wsUrl)));
    const usernames = new Set();
    for (const c of clients) {
      checkIceServers(c.welcome.iceServers, c.peerId, { stun: STUN, turn: TURN, ttl: 86400 });
      usernames.add(c.welcome.iceServers[1].username);
    }
    assert.equal(usernames.size, 3);
    await closeAll(...clients);
  });

  test('the secret never leaves the server', async () => {
    const c = await Client.connect(server.wsUrl);
    const frames = [];
    c.ws.on('message', (d) => frames.push(d.toString()));
    c.send({ type: 'hello', v: 1, appKey: 'k' });
    await c.next('welcome');
    c.send({ type: 'join', room: 'secret check' });
    await c.next('joined');
    await c.sync();
    assert.ok(frames.length >= 3);
    for (const f of frames) assert.ok(!f.includes(SECRET) && !f.includes(Buffer.from(SECRET).toString('base64')), f);
    await closeAll(c);
  });

  test('a resume gets fresh credentials for the same peer id', async () => {
    const a = await Client.hello(server.wsUrl);
    await a.nextToken();
    await new Promise((r) => setTimeout(r, 1100)); // the expiry moves by at least a second
    const b = await Client.hello(server.wsUrl, { resume: a.token });
    assert.equal(b.welcome.resumed, true);
    assert.equal(b.peerId, a.peerId);
    const before = checkIceServers(a.welcome.iceServers, a.peerId, { stun: STUN, turn: TURN, ttl: 86400 });
    const afterResume = checkIceServers(b.welcome.iceServers, a.peerId, { stun: STUN, turn: TURN, ttl: 86400 });
    assert.ok(afterResume > before, `${afterResume} > ${before}`);
    await closeAll(a, b);
  });

  test('no ice_servers message before half the ttl', async () => {
    const c = await Client.hello(server.wsUrl);
    await c.sync();
    assert.deepEqual(await c.collect('ice_servers', 200), []);
    await closeAll(c);
  });
});

describe('without --turn-uri', () => {
  test('welcome has no iceServers', async () => {
    const server = await startServer();
    try {
      const c = await Client.hello(server.wsUrl);
      assert.equal(c.welcome.iceServers, undefined);
      await closeAll(c);
    } finally {
      await stopClean(server);
    }
  });

  test('stun: alone needs no secret and gets no credentials', async () => {
    const server = await startServer(['--turn-uri', 'stun:stun.example.com:3478']);
    try {
      const c = await Client.hello(server.wsUrl);
      assert.deepEqual(c.welcome.iceServers, [{ urls: ['stun:stun.example.com:3478'] }]);
      await closeAll(c);
    } finally {
      await stopClean(server);
    }
  });
});

describe('renewal', () => {
  test('with --turn-ttl 60, ice_servers with fresh credentials arrives after 30 s, not before', { timeout: 60000 }, async () => {
    const server = await startServer(['--turn-uri', 'turn:127.0.0.1:3478', '--turn-secret-file', file('ttl.secret', SECRET),
      '--turn-ttl', '60', '--ping-interval', '1000']);
    try {
      const c = await Client.hello(server.wsUrl);
      const t0 = Date.now();
      const first = c.welcome.iceServers[0];
      assert.deepEqual(first.urls, ['turn:127.0.0.1:3478']);
      const exp0 = Number(USERNAME.exec(first.username)[1]);
      assert.ok(Math.abs(exp0 - (t0 / 1000 + 60)) < 5);
      // the client pings, as clients do: the socket stays up
      const ping = setInterval(() => c.send({ type: 'ping' }), 900);
      try {
        const renewal = await c.next('ice_servers', 40000);
        const elapsed = Date.now() - t0;
        assert.ok(elapsed >= 29000 && elapsed < 36000, `renewed after ${elapsed} ms`);
        assert.equal(renewal.ref, undefined);
        const [entry] = renewal.iceServers;
        const m = USERNAME.exec(entry.username);
        assert.equal(m[2], c.peerId);
        assert.ok(Number(m[1]) >= exp0 + 29, `${m[1]} vs ${exp0}`);
        assert.ok(Number(m[1]) > Date.now() / 1000 + 55);
        assert.equal(entry.credential, credentialOf(entry.username));
        assert.deepEqual(entry.urls, first.urls);
      } finally {
        clearInterval(ping);
      }
      await closeAll(c);
    } finally {
      await stopClean(server);
    }
  });
});

describe('startup errors', () => {
  const run = (...args) => spawnSync(serverBinary(), ['--port', '0', ...args], { encoding: 'utf8', timeout: 5000 });

  test('junk URIs, a turn: without its secret, a secret without a turn:, bad ttl and bad secret files: exit 2', () => {
    const good = file('good.secret', SECRET);
    const cases = [
      [['--turn-uri', 'http://turn.example.com'], /stun:, turn: or turns:/],
      [['--turn-uri', 'turn:'], /host/],
      [['--turn-uri', 'turn:bad_host:3478', '--turn-secret-file', good], /host/],
      [['--turn-uri', 'turn:h:0', '--turn-secret-file', good], /port/],
      [['--turn-uri', 'turn:h:70000', '--turn-secret-file', good], /port/],
      [['--turn-uri', 'turn:h?transport=sctp', '--turn-secret-file', good], /transport/],
      [['--turn-uri', 'stun:h?transport=udp'], /stun: URI has no \?transport/],
      [['--turn-uri', 'turn:user@h', '--turn-secret-file', good], /host/],
      [['--turn-uri', 'turn:h'], /needs --turn-secret-file/],
      [['--turn-uri', 'turns:h:5349'], /needs --turn-secret-file/],
      [['--turn-uri', 'stun:h', '--turn-secret-file', good], /without any turn:/],
      [['--turn-secret-file', good], /without any turn:/],
      [['--turn-uri', 'turn:h', '--turn-uri', 'turn:h', '--turn-secret-file', good], /twice/],
      [['--turn-uri', 'turn:h', '--turn-secret-file', path.join(tmp, 'missing')], /cannot open/],
      [['--turn-uri', 'turn:h', '--turn-secret-file', file('short', 'short\n')], /at least 16/],
      [['--turn-uri', 'turn:h', '--turn-secret-file', file('spaced', 'a secret with spaces\n')], /printable/],
      [['--turn-ttl', '59'], /--turn-ttl/],
      [['--turn-ttl', '604801'], /--turn-ttl/],
      [['--turn-uri', 'turn:h', '--turn-secret-file', good, '--max-content', '64'], /longer than --max-content/],
    ];
    for (const [args, msg] of cases) {
      const r = run(...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, msg, args.join(' '));
    }
  });

  test('the longest list the flags allow fits the default limits', async () => {
    const uris = Array.from({ length: 8 }, (_, i) => `turns:${'a'.repeat(55)}.${'b'.repeat(55)}.${'c'.repeat(54)}.example${i}:5349?transport=tcp`);
    assert.ok(uris.every((u) => u.length === 200));
    const server = await startServer([...uris.flatMap((u) => ['--turn-uri', u]), '--turn-secret-file', file('long.secret', SECRET)]);
    try {
      const c = await Client.hello(server.wsUrl);
      assert.deepEqual(c.welcome.iceServers[0].urls, uris);
      assert.ok(JSON.stringify(c.welcome.iceServers).length < c.welcome.limits.maxContent);
      await closeAll(c);
    } finally {
      await stopClean(server);
    }
  });
});

// SkylinkJS credentials for application keys with a secret (--app-secret-file):
// valid, URI-encoded or not, tampered, expired, future, malformed, the room
// binding (join of another room, replay in another room, resume), keys
// without a secret unaffected, and the mint command.
import test, { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serverBinary, startServer } from '../helpers/server.mjs';
import { Client, PEER_ID, closeAll, stopClean } from './signaling-client.mjs';

const SECRET = 'skylink-app-secret-0123456789';
const HOUR = 3600e3;

// What the app's own server computes (SkylinkJS 0.6 source/room-init.js):
// encodeURIComponent(base64(HMAC-SHA1(secret, room_duration_start))).
function mint(room, duration, start = new Date().toISOString(), secret = SECRET) {
  const b64 = crypto.createHmac('sha1', secret).update(`${room}_${duration}_${start}`).digest('base64');
  return { startDateTime: start, duration, credentials: encodeURIComponent(b64), b64 };
}

// The hello SkylinkJS's init({appKey, defaultRoom, credentials}) becomes.
function helloOf(appKey, room, cred, extra = {}) {
  return {
    type: 'hello', v: 1, appKey, room, ref: 'h',
    credStart: cred.startDateTime, credDuration: String(cred.duration), credentials: cred.credentials, ...extra,
  };
}

// Sends hello; resolves to { c, m } with m the welcome or the error.
async function hello(server, msg) {
  const c = await Client.connect(server.wsUrl);
  c.send(msg);
  const m = await c.next((x) => x.type === 'welcome' || x.type === 'error');
  if (m.type === 'welcome') c.peerId = m.peerId;
  return { c, m };
}

// A refused hello: a fatal error with that code, then the socket closes (1008).
async function refused(server, msg, code, text) {
  const { c, m } = await hello(server, msg);
  assert.equal(m.type, 'error', `expected ${code}, got ${JSON.stringify(m)}`);
  assert.equal(m.code, code);
  assert.equal(m.fatal, true);
  assert.equal(m.ref, 'h');
  if (text) assert.match(m.message, text);
  assert.equal((await c.closed).code, 1008);
  return m;
}

let tmp;
before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skymesh-cred-')); });
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function file(name, text) {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
}

describe('an application key with a secret', () => {
  let server;
  before(async () => {
    server = await startServer(['--app-key', 'open-key', '--app-key', 'sky-key',
      '--app-secret-file', `sky-key=${file('sky.secret', `${SECRET}\n`)}`, '--secret-file', file('resume.secret', 'r'.repeat(32))]);
  });
  after(() => stopClean(server));

  test('valid credentials: welcome, and the room they name can be joined', async () => {
    const cred = mint('lobby', 2);
    const { c, m } = await hello(server, helloOf('sky-key', 'lobby', cred));
    assert.equal(m.type, 'welcome');
    assert.equal(m.ref, 'h');
    assert.match(m.peerId, PEER_ID);
    c.send({ type: 'join', room: 'lobby', ref: 'j' });
    const j = await c.next('joined');
    assert.equal(j.room, 'lobby');
    assert.equal(j.ref, 'j');
    await closeAll(c);
  });

  test('credentials are accepted URI-encoded (as SkylinkJS makes them) or decoded', async () => {
    // a start whose MAC has a '+' or '/', so the two spellings differ
    let cred;
    for (let ms = 0; ; ms++) {
      cred = mint('lobby', 1, new Date(Date.now() - ms).toISOString());
      if (/[+/]/.test(cred.b64)) break;
    }
    assert.notEqual(cred.credentials, cred.b64);
    const a = await hello(server, helloOf('sky-key', 'lobby', cred));
    assert.equal(a.m.type, 'welcome');
    const b = await hello(server, helloOf('sky-key', 'lobby', { ...cred, credentials: cred.b64 }));
    assert.equal(b.m.type, 'welcome');
    await closeAll(a.c, b.c);
  });

  test('fractional hours, written as JS writes the number', async () => {
    const cred = mint('lobby', 0.5);
    assert.equal(String(cred.duration), '0.5');
    const { c, m } = await hello(server, helloOf('sky-key', 'lobby', cred));
    assert.equal(m.type, 'welcome');
    await closeAll(c);
  });

  test('joining another room is refused with room_not_allowed, not fatal', async () => {
    const { c } = await hello(server, helloOf('sky-key', 'bound room', mint('bound room', 1)));
    c.send({ type: 'join', room: 'elsewhere', ref: 'j1' });
    const e = await c.next('error');
    assert.deepEqual([e.code, e.fatal, e.ref], ['room_not_allowed', false, 'j1']);
    assert.match(e.message, /bound room/);
    // the socket is fine: the right room, then out and again not elsewhere
    c.send({ type: 'join', room: 'bound room', ref: 'j2' });
    assert.equal((await c.next('joined')).room, 'bound room');
    c.send({ type: 'leave' });
    await c.next('left');
    c.send({ type: 'join', room: 'elsewhere', ref: 'j3' });
    assert.equal((await c.next('error')).code, 'room_not_allowed');
    c.send({ type: 'join', room: 'bound room', ref: 'j4' });
    assert.equal((await c.next('joined')).room, 'bound room');
    await closeAll(c);
  });

  test('nobody else hears of a refused join', async () => {
    const a = await hello(server, helloOf('sky-key', 'quiet', mint('quiet', 1)));
    a.c.send({ type: 'join', room: 'quiet' });
    await a.c.next('joined');
    const b = await hello(server, helloOf('sky-key', 'noisy', mint('noisy', 1)));
    b.c.send({ type: 'join', room: 'quiet', ref: 'x' });
    assert.equal((await b.c.next('error')).code, 'room_not_allowed');
    await a.c.sync();
    assert.deepEqual(await a.c.collect(() => true, 100), []);
    await closeAll(a.c, b.c);
  });

  test('replay in another room: the HMAC binds the room', async () => {
    const cred = mint('room-a', 2);
    const m = await refused(server, helloOf('sky-key', 'room-b', cred), 'invalid_credentials', /do not match/);
    assert.ok(!m.message.includes(cred.b64) && !m.message.includes(mint('room-b', 2, cred.startDateTime).b64));
    // the same credentials in their own room still work
    const ok = await hello(server, helloOf('sky-key', 'room-a', cred));
    assert.equal(ok.m.type, 'welcome');
    await closeAll(ok.c);
  });

  test('tampered credentials, duration, start or secret: invalid_credentials, fatal', async () => {
    const cred = mint('lobby', 2);
    const flip = (s, i) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    await refused(server, helloOf('sky-key', 'lobby', { ...cred, credentials: flip(cred.credentials, 3) }), 'invalid_credentials', /do not match/);
    await refused(server, helloOf('sky-key', 'lobby', { ...cred, duration: 3 }), 'invalid_credentials', /do not match/);
    await refused(server, helloOf('sky-key', 'lobby', cred, { credDuration: '2.0' }), 'invalid_credentials', /do not match/);
    const later = new Date(Date.parse(cred.startDateTime) + 1).toISOString();
    await refused(server, helloOf('sky-key', 'lobby', { ...cred, startDateTime: later }), 'invalid_credentials', /do not match/);
    await refused(server, helloOf('sky-key', 'lobby', mint('lobby', 2, undefined, 'another-secret-0123456789')), 'invalid_credentials');
  });

  test('expired and future windows: credentials_expired, fatal', async () => {
    const now = Date.now();
    // a window that ended a minute ago
    const old = mint('lobby', 1, new Date(now - HOUR - 60e3).toISOString());
    await refused(server, helloOf('sky-key', 'lobby', old), 'credentials_expired', /expired 6\d s ago/);
    // a window that starts in 5 minutes
    const future = mint('lobby', 1, new Date(now + 5 * 60e3).toISOString());
    await refused(server, helloOf('sky-key', 'lobby', future), 'credentials_expired', /in the future/);
    // 30 s ahead is within the allowed clock difference
    const skew = mint('lobby', 1, new Date(now + 30e3).toISOString());
    const ok = await hello(server, helloOf('sky-key', 'lobby', skew));
    assert.equal(ok.m.type, 'welcome');
    // a forged expired one is invalid, not expired: the HMAC is checked first
    await refused(server, helloOf('sky-key', 'lobby', { ...old, credentials: mint('x', 1).credentials }), 'invalid_credentials');
    await closeAll(ok.c);
  });

  test('missing or malformed fields: invalid_credentials saying which', async () => {
    const cred = mint('lobby', 2);
    await refused(server, { type: 'hello', v: 1, appKey: 'sky-key', ref: 'h' }, 'invalid_credentials', /needs credentials/);
    const full = helloOf('sky-key', 'lobby', cred);
    for (const field of ['room', 'credStart', 'credDuration', 'credentials']) {
      const { [field]: _, ...partial } = full;
      await refused(server, partial, 'invalid_credentials', /needs credentials/);
    }
    await refused(server, { ...full, credStart: '2026-01-01T00:00:00' }, 'invalid_credentials', /credStart/);
    await refused(server, { ...full, credStart: 'yesterday' }, 'invalid_credentials', /credStart/);
    await refused(server, { ...full, credDuration: '-1' }, 'invalid_credentials', /credDuration/);
    await refused(server, { ...full, credDuration: '1e2' }, 'invalid_credentials', /credDuration/);
    await refused(server, { ...full, credentials: 'not base64!' }, 'invalid_credentials', /base64/);
  });

  test('resume keeps the room binding; a token for another room does not carry over', async () => {
    const a = await hello(server, helloOf('sky-key', 'res-a', mint('res-a', 1)));
    a.c.send({ type: 'join', room: 'res-a' });
    await a.c.next('joined');
    await a.c.nextToken(); await a.c.nextToken();
    const token = a.c.token;
    await closeAll(a.c);
    // same credentials, same room: resumed into it
    const back = await hello(server, helloOf('sky-key', 'res-a', mint('res-a', 1), { resume: token }));
    assert.equal(back.m.resumed, true);
    assert.equal(back.m.peerId, a.c.peerId);
    assert.equal((await back.c.next('joined')).room, 'res-a');
    await back.c.nextToken(); // after a resumed welcome: joined, then one token
    const token2 = back.c.token;
    await closeAll(back.c);
    // credentials for another room: a new session, not the token's room
    const other = await hello(server, helloOf('sky-key', 'res-b', mint('res-b', 1), { resume: token2 }));
    assert.equal(other.m.type, 'welcome');
    assert.equal(other.m.resumed, undefined);
    assert.notEqual(other.m.peerId, a.c.peerId);
    await other.c.sync();
    assert.deepEqual(await other.c.collect('joined', 50), []);
    // and no credentials at all cannot resume either
    await refused(server, { type: 'hello', v: 1, appKey: 'sky-key', resume: token2, ref: 'h' }, 'invalid_credentials');
    await closeAll(other.c);
  });

  test('a key without a secret behaves as before: no credentials needed, any room, credentials ignored', async () => {
    const plain = await Client.hello(server.wsUrl, { appKey: 'open-key' });
    plain.send({ type: 'join', room: 'anything', ref: 'j' });
    assert.equal((await plain.next('joined')).room, 'anything');
    const withCred = await hello(server, helloOf('open-key', 'lobby', { startDateTime: 'x', duration: 'y', credentials: 'z' }));
    assert.equal(withCred.m.type, 'welcome');
    withCred.c.send({ type: 'join', room: 'not lobby' });
    assert.equal((await withCred.c.next('joined')).room, 'not lobby');
    await closeAll(plain, withCred.c);
  });
});

describe('development mode ignores credentials', () => {
  test('no --app-key: credentials neither needed nor checked', async () => {
    const server = await startServer();
    try {
      const { c, m } = await hello(server, helloOf('any', 'lobby', { startDateTime: 'x', duration: 1, credentials: 'forged' }));
      assert.equal(m.type, 'welcome');
      c.send({ type: 'join', room: 'other' });
      assert.equal((await c.next('joined')).room, 'other');
      await closeAll(c);
    } finally {
      await stopClean(server);
    }
  });
});

describe('--mint-credentials', () => {
  const run = (...args) => spawnSync(serverBinary(), args, { encoding: 'utf8' });

  test('prints the JSON SkylinkJS init() takes; the server accepts it', async () => {
    const secretFile = file('mint.secret', SECRET);
    const r = run('--mint-credentials', 'sky-key', 'mint room', '2', '--app-secret-file', `sky-key=${secretFile}`);
    assert.equal(r.status, 0, r.stderr);
    const cred = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(cred), ['startDateTime', 'duration', 'credentials']);
    assert.equal(cred.duration, 2);
    assert.ok(Math.abs(Date.parse(cred.startDateTime) - Date.now()) < 5000);
    assert.equal(cred.startDateTime, new Date(Date.parse(cred.startDateTime)).toISOString());
    assert.equal(cred.credentials, mint('mint room', 2, cred.startDateTime).credentials);

    const server = await startServer(['--app-key', 'sky-key', '--app-secret-file', `sky-key=${secretFile}`]);
    try {
      const { c, m } = await hello(server, helloOf('sky-key', 'mint room', cred));
      assert.equal(m.type, 'welcome');
      await closeAll(c);
    } finally {
      await stopClean(server);
    }
  });

  test('a given start, and the duration as JS writes it', () => {
    const secretFile = file('mint2.secret', `${SECRET}\r\n`);
    const start = '2030-01-02T03:04:05.678Z';
    const r = run('--app-secret-file', `k=${secretFile}`, '--mint-credentials', 'k', 'lobby', '0.50', start);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { startDateTime: start, duration: 0.5, credentials: mint('lobby', 0.5, start).credentials });
  });

  test('refuses what would not verify, exit 2', () => {
    const secretFile = file('mint3.secret', SECRET);
    const cases = [
      [['--mint-credentials', 'k', 'lobby', '2'], /--app-secret-file k=PATH/],
      [['--mint-credentials', 'k', 'lobby', '--app-secret-file', `k=${secretFile}`], /KEY ROOM HOURS/],
      [['--mint-credentials', 'k', 'bad room ', '2', '--app-secret-file', `k=${secretFile}`], /bad room/],
      [['--mint-credentials', 'k', 'lobby', '0', '--app-secret-file', `k=${secretFile}`], /bad duration/],
      [['--mint-credentials', 'k', 'lobby', '2', 'tomorrow', '--app-secret-file', `k=${secretFile}`], /bad start/],
    ];
    for (const [args, msg] of cases) {
      const r = run(...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, msg);
    }
  });
});

describe('--app-secret-file at startup', () => {
  const run = (...args) => spawnSync(serverBinary(), ['--port', '0', ...args], { encoding: 'utf8', timeout: 5000 });

  test('bad uses exit with code 2 and say why', () => {
    const good = file('ok.secret', SECRET);
    const cases = [
      [['--app-secret-file', `k=${good}`], /not given with --app-key/],
      [['--app-key', 'k', '--app-secret-file', good], /KEY=PATH/],
      [['--app-key', 'k', '--app-secret-file', 'k='], /KEY=PATH/],
      [['--app-key', 'k', '--app-secret-file', `k=${path.join(tmp, 'missing')}`], /cannot open/],
      [['--app-key', 'k', '--app-secret-file', `k=${file('short.secret', 'short\n')}`], /at least 16/],
      [['--app-key', 'k', '--app-secret-file', `k=${good}`, '--app-secret-file', `k=${good}`], /twice/],
    ];
    for (const [args, msg] of cases) {
      const r = run(...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, msg);
    }
  });

  test('--app-secret-file may come before its --app-key', async () => {
    const server = await startServer(['--app-secret-file', `late=${file('late.secret', SECRET)}`, '--app-key', 'late']);
    try {
      await refused(server, { type: 'hello', v: 1, appKey: 'late', ref: 'h' }, 'invalid_credentials');
      const { c, m } = await hello(server, helloOf('late', 'r', mint('r', 1)));
      assert.equal(m.type, 'welcome');
      await closeAll(c);
    } finally {
      await stopClean(server);
    }
  });
});

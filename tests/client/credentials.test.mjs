// SkylinkJS credentials end to end: the real client (dist/) against the real
// server with an app key that has a secret. Credentials minted by the server's
// own --mint-credentials let init() and joinRoom() in; expired, tampered or
// foreign ones are refused with SkylinkJS's reject reasons; another room is
// refused. No WebRTC is needed: one stack is enough.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { TestPeer, stackNames, exitWhenDone, waitUntil } from './peers.mjs';
import { startServer, serverBinary } from '../helpers/server.mjs';

after(exitWhenDone);

const KEY = 'cred-app';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skymesh-cred-'));
const secretFile = path.join(dir, 'secret');
fs.writeFileSync(secretFile, crypto.randomBytes(24).toString('hex'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function mint(room, hours, start) {
  const args = ['--app-key', KEY, '--app-secret-file', `${KEY}=${secretFile}`, '--mint-credentials', KEY, room, String(hours)];
  if (start) args.push(start);
  return JSON.parse(execFileSync(serverBinary(), args, { encoding: 'utf8' }));
}

// init() with credentials; resolves to {error, events} once init has an outcome.
function initWith(peer, options) {
  return new Promise((resolve) => {
    peer.sky.init({ appKey: KEY, roomServer: peer.server.url, ...options }, (error) => resolve(error));
  });
}

describe('SkylinkJS credentials through the client', { timeout: 60000 }, () => {
  const stack = stackNames()[0];
  let server;
  let live = [];
  before(async () => {
    server = await startServer(['--app-key', KEY, '--app-secret-file', `${KEY}=${secretFile}`]);
  });
  afterEach(() => { for (const p of live) p.close(); live = []; });
  after(async () => { await server.stop(); });
  const peer = (name) => { const p = new TestPeer(name, stack, server); live.push(p); return p; };

  it('minted credentials let init and join in, and bind the socket to their room', async () => {
    const p = peer('ok');
    const err = await initWith(p, { defaultRoom: 'team room', credentials: mint('team room', 0.5) });
    assert.equal(err, null);
    await p.join(undefined);
    assert.equal(p.sky.getPeerInfo().room, 'team room');
    // another room: refused, and the peer says why
    await p.leave();
    await assert.rejects(p.join('elsewhere'), (e) => e.code === 'room_not_allowed');
    await waitUntil(() => p.events('systemAction').some((e) => e.args[0] === 'reject' && e.args[2] === 'roomNotAllowed'),
      'systemAction reject roomNotAllowed', 5000, [p]);
  });

  it('expired, tampered and other-room credentials are refused with SkylinkJS reasons', async () => {
    const cases = [
      ['expired', mint('r1', 1, new Date(Date.now() - 2 * 3600e3).toISOString()), 'r1', 'credentials_expired', 'oldTimeStamp'],
      ['future', mint('r1', 1, new Date(Date.now() + 3600e3).toISOString()), 'r1', 'credentials_expired', 'oldTimeStamp'],
      ['tampered', { ...mint('r1', 1), credentials: 'AAAA' + mint('r1', 1).credentials.slice(4) }, 'r1', 'invalid_credentials', 'credentialError'],
      ['replayed in another room', mint('r1', 1), 'r2', 'invalid_credentials', 'credentialError'],
    ];
    for (const [what, credentials, room, code, reason] of cases) {
      const p = peer(what);
      const err = await initWith(p, { defaultRoom: room, credentials });
      assert.ok(err, `${what}: init fails`);
      assert.equal(err.code, code, `${what}: ${JSON.stringify(err)}`);
      assert.ok(p.events('systemAction').some((e) => e.args[0] === 'reject' && e.args[2] === reason),
        `${what}: systemAction('reject', ..., '${reason}')`);
      assert.ok(p.events('readyStateChange').some((e) => e.args[0] === -1));
      // a refusal retrying cannot fix: no reconnection attempts
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(p.events('channelRetry').length, 0, `${what}: not retried`);
    }
  });

  it('a key with a secret refuses a client without credentials', async () => {
    const p = peer('none');
    const err = await initWith(p, {});
    assert.equal(err?.code, 'invalid_credentials');
  });
});

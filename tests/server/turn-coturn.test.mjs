// The server's TURN credentials against a real TURN server: Debian's coturn
// (`turnserver`), started here on free loopback ports with use-auth-secret
// and the same secret file as skymesh-server, no config file, and always
// stopped at the end. A TURN Allocate from node (ICE gathering with
// iceTransportPolicy 'relay', on @roamhq/wrtc and node-datachannel) yields a
// relay candidate with the credentials from welcome.iceServers; expired ones,
// or ones signed with another secret, yield none.
//
// coturn comes from tests/helpers/coturn.mjs: its own ports (not 3478), pid
// file and user db in a temporary folder, so a coturn service the package may
// have started does not matter.
import test, { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { coturnSkip, startCoturn, turnCredentials } from '../helpers/coturn.mjs';
import { startServer } from '../helpers/server.mjs';
import { Client, closeAll, stopClean } from './signaling-client.mjs';

const require = createRequire(import.meta.url);
const SECRET = `coturn-test-${crypto.randomBytes(12).toString('hex')}`;
const SKIP = coturnSkip();
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

// node-datachannel keeps native threads (and the process) alive until told.
after(() => require('node-datachannel').cleanup());

// ICE gathering with relay only: resolves to the relay candidates seen
// within ms (node-datachannel never reports the end of gathering).
const STACKS = {
  wrtc: {
    PC: () => require('@roamhq/wrtc').RTCPeerConnection,
    server: (s) => s,
  },
  // node-datachannel's polyfill pastes username and credential into a
  // "turn:USER:PASS@host" URL without escaping them, so the ':' of a TURN
  // REST username (and a '/' or '+' of the credential) must be
  // percent-encoded for it; libdatachannel decodes them.
  'node-datachannel': {
    PC: () => require('node-datachannel/polyfill').RTCPeerConnection,
    server: (s) => (s.username ? { ...s, username: encodeURIComponent(s.username), credential: encodeURIComponent(s.credential) } : s),
  },
};

async function relayCandidates(stack, iceServers, ms = 5000) {
  const RTCPeerConnection = STACKS[stack].PC();
  const pc = new RTCPeerConnection({ iceServers: iceServers.map(STACKS[stack].server), iceTransportPolicy: 'relay' });
  const found = [];
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      pc.onicecandidate = (e) => {
        const c = e.candidate?.candidate;
        if (!c) { clearTimeout(timer); resolve(); return; }
        if (/ typ relay/.test(c)) { found.push(c); clearTimeout(timer); resolve(); }
      };
      pc.createDataChannel('probe');
      pc.createOffer().then((o) => pc.setLocalDescription(o)).catch(reject);
    });
  } finally {
    pc.close();
  }
  return found;
}

const turnEntry = (list) => list.find((s) => s.username);

// Resolves once coturn's log matches re (its log reaches the pipe a little
// after its answers reach the client), or rejects after ms.
async function logged(coturn, re, ms = 3000) {
  const deadline = Date.now() + ms;
  while (!re.test(coturn.output())) {
    if (Date.now() > deadline) throw new Error(`coturn never logged ${re}:\n${coturn.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('server-issued TURN credentials against a real coturn', { skip: SKIP }, () => {
  let coturn, server, tmp;
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skymesh-coturn-test-'));
    const secretFile = path.join(tmp, 'turn.secret');
    fs.writeFileSync(secretFile, `${SECRET}\n`);
    coturn = await startCoturn({ listenAddr: '127.0.0.1', secret: SECRET });
    server = await startServer(['--turn-uri', coturn.uri('udp'), '--turn-uri', coturn.uri('tcp'),
      '--turn-secret-file', secretFile]);
  });
  after(async () => {
    if (server) await stopClean(server);
    if (coturn) {
      await coturn.stop();
      assert.ok(coturn.proc.exitCode !== null || coturn.proc.signalCode !== null, 'turnserver stopped');
    }
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  for (const stack of Object.keys(STACKS)) {
    test(`${stack}: the credentials from welcome allocate a relay`, async () => {
      const c = await Client.hello(server.wsUrl);
      const entry = turnEntry(c.welcome.iceServers);
      const relays = await relayCandidates(stack, [entry]);
      assert.ok(relays.length > 0, `no relay candidate; coturn said:\n${coturn.output().slice(-3000)}`);
      const m = / (\d+\.\d+\.\d+\.\d+) (\d+) typ relay/.exec(relays[0]);
      assert.equal(m[1], '127.0.0.1');
      assert.ok(Number(m[2]) >= coturn.minPort && Number(m[2]) <= coturn.maxPort, relays[0]);
      // coturn saw this peer's username and allocated for it
      await logged(coturn, new RegExp(`user <${entry.username}>: incoming packet ALLOCATE processed, success`));
      await closeAll(c);
    });

    test(`${stack}: expired credentials, or another secret, allocate nothing`, async () => {
      const c = await Client.hello(server.wsUrl);
      const entry = turnEntry(c.welcome.iceServers);
      // signed right, expired a minute ago (computed independently of the server)
      const { username, credential } = turnCredentials(SECRET, -60, c.peerId);
      const expired = { urls: entry.urls, username, credential };
      assert.deepEqual(await relayCandidates(stack, [expired], 3000), []);
      // refused by coturn (401), not lost on the way
      await logged(coturn, new RegExp(`user <${username}>: incoming packet \\S+ processed, error 401`));
      const forged = { ...entry, credential: crypto.createHmac('sha1', `${SECRET}x`).update(entry.username).digest('base64') };
      assert.deepEqual(await relayCandidates(stack, [forged], 3000), []);
      // and the genuine ones still work on the same coturn (nothing else broke)
      assert.ok((await relayCandidates(stack, [entry])).length > 0);
      await closeAll(c);
    });
  }
});

// A port free on 127.0.0.1 for both UDP and TCP right now.
async function freePort() {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const ok = await new Promise((resolve) => {
      const tcp = net.createServer();
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => {
        const udp = dgram.createSocket('udp4');
        udp.once('error', () => tcp.close(() => resolve(false)));
        udp.bind(port, '127.0.0.1', () => { udp.close(); tcp.close(() => resolve(true)); });
      });
    });
    if (ok) return port;
  }
}

describe('docs/coturn.conf', { skip: SKIP }, () => {
  test('the sample config, filled in for loopback, takes the server\'s credentials and refuses expired ones', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skymesh-coturn-conf-'));
    const secretFile = path.join(tmp, 'turn.secret');
    fs.writeFileSync(secretFile, `${SECRET}\n`);
    const port = await freePort();
    const minPort = 49152 + 32 * Math.floor(Math.random() * 400);
    // the CHANGE lines and the host's paths, as an operator would fill them
    let conf = fs.readFileSync(path.join(ROOT, 'docs/coturn.conf'), 'utf8');
    const set = (name, value) => {
      const re = new RegExp(`^${name}=.*$`, 'm');
      assert.match(conf, re, `docs/coturn.conf has ${name}=`);
      conf = conf.replace(re, `${name}=${value}`);
    };
    set('listening-port', port);
    set('tls-listening-port', port + 1);
    set('min-port', minPort);
    set('max-port', minPort + 31);
    set('static-auth-secret', SECRET);
    set('log-file', 'stdout');
    set('pidfile', path.join(tmp, 'turnserver.pid'));
    assert.match(conf, /^use-auth-secret$/m);
    conf += `listening-ip=127.0.0.1\nrelay-ip=127.0.0.1\nuserdb=${path.join(tmp, 'turndb')}\n`;
    fs.writeFileSync(path.join(tmp, 'turnserver.conf'), conf);

    const proc = spawn('setpriv', ['--pdeathsig', 'KILL', 'turnserver', '-c', path.join(tmp, 'turnserver.conf'), '-v'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d) => { out += d; });
    proc.stderr.on('data', (d) => { out += d; });
    const exited = new Promise((resolve) => proc.on('exit', resolve));
    let server;
    try {
      const coturn = { output: () => out };
      await logged(coturn, /UDP listener opened on: 127\.0\.0\.1/, 10000);
      assert.doesNotMatch(out, /CONFIG ERROR|Bad configuration/i);
      server = await startServer(['--turn-uri', `turn:127.0.0.1:${port}?transport=udp`, '--turn-secret-file', secretFile]);
      const c = await Client.hello(server.wsUrl);
      const entry = turnEntry(c.welcome.iceServers);
      assert.ok((await relayCandidates('wrtc', [entry])).length > 0, out.slice(-3000));
      await logged(coturn, new RegExp(`user <${entry.username}>: incoming packet ALLOCATE processed, success`));
      const expired = { urls: entry.urls, ...turnCredentials(SECRET, -60, c.peerId) };
      assert.deepEqual(await relayCandidates('wrtc', [expired], 3000), []);
      await closeAll(c);
    } finally {
      if (server) await stopClean(server);
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(t);
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

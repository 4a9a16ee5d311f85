// Hostile connections: clients that never speak, never read, vanish half-way
// through the HTTP upgrade or a frame, thousands of half-open sockets, and frames
// that break RFC 6455. The server runs with a short ping interval so silent
// clients are dropped quickly. The slow reader has its own file (slowreader.test.mjs).
import assert from 'node:assert/strict';
import { before, after, describe } from 'node:test';
import {
  hostileSuite, Peer, CTL_A, sleep, rawConnect, rawUpgrade, upgradeRequest, wsFrame, socketClosed, serverFrames,
} from './harness.mjs';

const PING_MS = 1000; // the server's minimum
const HELLO_S = 2;
const BOUND = 'bound-key';
const GOOD_ORIGIN = 'http://good.example';
const s = hostileSuite(['--ping-interval', String(PING_MS), '--hello-timeout', String(HELLO_S),
  '--app-key', `${BOUND}=${GOOD_ORIGIN}`]);
before(s.setup);
after(s.finish);

// What the server answers on a raw socket before closing it (HTTP head or frames).
function collect(sock) {
  let buf = Buffer.alloc(0);
  sock.on('data', (d) => { buf = Buffer.concat([buf, d]); });
  return () => buf;
}

describe('silent and slow clients', () => {
  s.attack('a raw client that upgrades and never answers pings is dropped', async () => {
    const { sock } = await rawUpgrade(s.server.port);
    sock.on('data', () => {}); // reads, never answers
    const t0 = Date.now();
    assert.ok(await socketClosed(sock, 3 * PING_MS + HELLO_S * 1000 + 2000), 'silent client still connected');
    const held = Date.now() - t0;
    assert.ok(held >= 900, `dropped after ${held} ms, before one ping interval`);
  });

  s.attack('a WebSocket that answers pings but never says hello is dropped at --hello-timeout', async () => {
    const p = await Peer.connect(s.server.wsUrl, { label: 'mute' });
    s.attackers.push(p);
    const t0 = Date.now();
    await p.waitClosed(HELLO_S * 1000 + 3000);
    const held = Date.now() - t0;
    assert.ok(held >= HELLO_S * 1000 - 200, `dropped after ${held} ms`);
  });

  s.attack('a peer that said hello but never joins stays (it answers pings)', async () => {
    const p = await s.attacker({ label: 'lurker' });
    await sleep(HELLO_S * 1000 + 1500);
    await p.expectHealthy();
    p.close();
  });

  s.attack('a silent peer in the control room is dropped and announced as timeout', async () => {
    const p = await s.attacker({ room: CTL_A, label: 'zombie' });
    // Stop reading and answering entirely, as a frozen tab would.
    p.ws._socket.pause();
    await s.ctl.claimLeft(p.peerId, ['timeout', 'disconnected']);
    p.terminate();
  });

  s.attack('a TCP client that never sends its HTTP request does not block others', async () => {
    const socks = [];
    for (let i = 0; i < 20; i++) socks.push(await rawConnect(s.server.port));
    await s.ctl.check('with 20 silent TCP sockets');
    await s.probe();
    for (const x of socks) x.destroy();
  });

});

describe('half-open and vanishing handshakes', () => {
  async function helloFrom(origin, key) {
    const p = await Peer.connect(s.server.wsUrl, { label: 'origin', origin }).catch((e) => e);
    if (p instanceof Error) return p;
    s.attackers.push(p);
    p.send({ type: 'hello', v: 1, appKey: key, ref: 'o' });
    const m = await p.next((x) => x.type === 'welcome' || x.type === 'error');
    if (m.type === 'error' && m.fatal) await p.waitClosed();
    p.close();
    return m;
  }
  s.attack('an origin-bound key from its origin is welcome', async () => {
    assert.equal((await helloFrom(GOOD_ORIGIN, BOUND)).type, 'welcome');
  });
  s.attack('an origin-bound key from another origin', async () => {
    const m = await helloFrom('http://evil.example', BOUND);
    assert.equal(m.code, 'origin_not_allowed');
    assert.equal(m.fatal, true);
  });
  s.attack('an origin-bound key with no Origin header', async () => {
    const m = await helloFrom(undefined, BOUND);
    assert.ok(m.type === 'welcome' || m.code === 'origin_not_allowed', JSON.stringify(m));
  });
  s.attack('an origin-bound key from its origin with a suffix', async () => {
    assert.equal((await helloFrom(`${GOOD_ORIGIN}.evil.example`, BOUND)).code, 'origin_not_allowed');
  });
  s.attack('an origin-bound key with a 2 KB Origin header', async () => {
    assert.equal((await helloFrom(`${GOOD_ORIGIN}${'o'.repeat(2000)}`, BOUND)).code, 'origin_not_allowed');
  });
  s.attack('an upgrade with an 8 KB Origin header (over lws header space)', async () => {
    const m = await helloFrom(`http://${'o'.repeat(8000)}.example`, s.appKey);
    if (m instanceof Error) assert.match(m.message, /HTTP 4\d\d|socket hang up/); // refused at the upgrade
    else assert.equal(m.type, 'welcome'); // this key is not bound to origins
  });
  s.attack('2000 half-open connections stopped half-way through the upgrade', async () => {
    const N = 2000;
    const socks = [];
    const req = upgradeRequest(s.server.port);
    const half = req.slice(0, Math.floor(req.length / 2));
    const t0 = Date.now();
    for (let i = 0; i < N; i += 100) {
      const batch = await Promise.all(Array.from({ length: Math.min(100, N - i) }, () => rawConnect(s.server.port)));
      for (const x of batch) { x.on('error', () => {}); x.on('data', () => {}); x.write(half); socks.push(x); }
    }
    assert.equal(socks.length, N);
    await s.ctl.check(`with ${N} half-open connections`);
    await s.probe();
    const stillOpen = socks.filter((x) => !x.destroyed && !x.readableEnded).length;
    for (const x of socks) x.destroy();
    await sleep(500);
    await s.ctl.check('after closing the half-open connections');
    // For docs/hostile.md: how many the server had already closed by itself.
    console.log(`# half-open: ${N - stillOpen} of ${N} closed by the server within ${Date.now() - t0} ms`);
  }, { timeout: 60000 });

  s.attack('50 clients vanish after half an upgrade request', async () => {
    for (let i = 0; i < 50; i++) {
      const x = await rawConnect(s.server.port);
      x.on('error', () => {});
      const req = upgradeRequest(s.server.port);
      x.write(req.slice(0, 20 + i));
      x.destroy();
    }
    await sleep(200);
  });

  s.attack('50 clients vanish right after a full upgrade request', async () => {
    for (let i = 0; i < 50; i++) {
      const x = await rawConnect(s.server.port);
      x.on('error', () => {});
      x.end(upgradeRequest(s.server.port));
    }
    await sleep(300);
  });

  s.attack('a client vanishes in the middle of a frame', async () => {
    const { sock } = await rawUpgrade(s.server.port);
    const frame = wsFrame(1, JSON.stringify({ type: 'hello', v: 1, appKey: s.appKey, pad: 'p'.repeat(5000) }));
    sock.write(frame.subarray(0, 2000));
    await sleep(50);
    sock.destroy();
    await sleep(100);
  });

  s.attack('a peer in the control room vanishes without a close frame', async () => {
    const p = await s.attacker({ room: CTL_A, label: 'vanisher' });
    p.terminate();
    await s.ctl.claimLeft(p.peerId, ['disconnected']);
  });

  s.attack('a peer in the control room vanishes in the middle of a frame', async () => {
    const p = await s.attacker({ room: CTL_A, label: 'half-frame' });
    p.ws._socket.write(wsFrame(1, JSON.stringify({ type: 'message', content: 'z'.repeat(3000) })).subarray(0, 1500));
    await sleep(30);
    p.terminate();
    await s.ctl.claimLeft(p.peerId, ['disconnected']);
  });
});

describe('not HTTP, not WebSocket', () => {
  s.attack('garbage bytes instead of an HTTP request (a TLS ClientHello)', async () => {
    const x = await rawConnect(s.server.port);
    x.on('error', () => {});
    x.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0xff, 0x00, 0x0d, 0x0a, 0x0d, 0x0a]));
    assert.ok(await socketClosed(x, 3000), 'server kept a garbage connection');
    x.destroy();
  });
  s.attack('an HTTP request line of 100 KB', async () => {
    const x = await rawConnect(s.server.port);
    x.on('error', () => {});
    x.write(`GET /${'a'.repeat(100000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.ok(await socketClosed(x, 3000), 'server kept the connection');
    x.destroy();
  });
  s.attack('GET /signaling without an upgrade', async () => {
    const x = await rawConnect(s.server.port);
    x.on('error', () => {});
    const got = collect(x);
    x.write(`GET /signaling HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    await socketClosed(x, 3000);
    assert.doesNotMatch(got().toString(), /^HTTP\/1\.1 101/);
    x.destroy();
  });
  s.attack('an upgrade with an unknown Sec-WebSocket-Version (99)', async () => {
    // lws 4.1.6 does not check the version (RFC 6455 wants 426): recorded in
    // docs/hostile.md; what matters here is that nothing breaks.
    const x = await rawConnect(s.server.port);
    x.on('error', () => {});
    const got = collect(x);
    x.write(upgradeRequest(s.server.port, { version: 99 }));
    await sleep(200);
    console.log(`# Sec-WebSocket-Version 99: ${got().toString().split('\r\n')[0]}`);
    x.destroy();
  });
  s.attack('an upgrade to a path that is not /signaling', async () => {
    const x = await rawConnect(s.server.port);
    x.on('error', () => {});
    const got = collect(x);
    x.write(upgradeRequest(s.server.port, { path: '/../../signaling/../x' }));
    await socketClosed(x, 3000);
    assert.doesNotMatch(got().toString(), /^HTTP\/1\.1 101/);
    x.destroy();
  });
});

describe('the static files next to the socket', () => {
  // The same process serves web/ and dist/: no request may reach outside them.
  async function get(path) {
    const x = await rawConnect(s.server.port);
    x.on('error', () => {});
    const got = collect(x);
    x.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    await socketClosed(x, 3000);
    x.destroy();
    return got().toString('latin1');
  }
  for (const path of ['/../../../../etc/passwd', '/dist/../../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/dist/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2f..%2f..%2fetc%2fpasswd', '/dist/..%5c..%5c..%5cetc/passwd',
    '//etc/passwd', '/dist//etc/passwd', '/%00/etc/passwd']) {
    s.attack(`path traversal: GET ${path}`, async () => {
      const res = await get(path);
      assert.doesNotMatch(res, /root:.*:0:0:/, 'served /etc/passwd');
    });
  }
  s.attack('a static file read by a client that never reads', async () => {
    const x = await rawConnect(s.server.port);
    x.on('error', () => {});
    x.pause();
    for (let i = 0; i < 50; i++) x.write('GET /dist/skymesh.wasm HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await sleep(300);
    await s.ctl.check('with a stalled static download');
    x.destroy();
  });
});

describe('frames that break RFC 6455', () => {
  // lws fails such a connection with a close frame (1002, "bad opc" ...) and
  // closes the socket when the client answers or after its close-ack timeout.
  async function expectFailed(frames, what) {
    const { sock, rest } = await rawUpgrade(s.server.port);
    let buf = rest;
    sock.on('data', (d) => { buf = Buffer.concat([buf, d]); });
    for (const f of frames) sock.write(f);
    const deadline = Date.now() + 3000;
    let closeFrame = null;
    while (!closeFrame && !sock.destroyed && !sock.readableEnded && Date.now() < deadline) {
      await sleep(20);
      closeFrame = serverFrames(buf).find((f) => f.opcode === 8);
    }
    assert.ok(closeFrame || sock.readableEnded || sock.destroyed, `server neither closed nor failed the connection after ${what}`);
    if (closeFrame && closeFrame.payload.length >= 2) {
      const code = closeFrame.payload.readUInt16BE(0);
      assert.ok([1002, 1003, 1007, 1009].includes(code), `close code ${code} after ${what}`);
    }
    sock.destroy();
  }
  s.attack('an unmasked client frame', async () => {
    // RFC 6455 says fail the connection; lws 4.1.6 reads it like a masked one.
    // Either way the server stays healthy (docs/hostile.md).
    const { sock, rest } = await rawUpgrade(s.server.port);
    let buf = rest;
    sock.on('data', (d) => { buf = Buffer.concat([buf, d]); });
    sock.write(wsFrame(1, '{"type":"ping","ref":"unmasked"}', { mask: false }));
    await sleep(200);
    const frames = serverFrames(buf);
    assert.ok(frames.length >= 1 || sock.readableEnded, 'no answer at all');
    for (const f of frames.filter((x) => x.opcode === 1)) {
      const m = JSON.parse(f.payload.toString());
      assert.equal(m.code, 'not_authenticated');
    }
    sock.destroy();
  });
  s.attack('a reserved opcode', () => expectFailed([wsFrame(3, 'x')], 'opcode 3'));
  s.attack('RSV1 set without an extension', () => {
    const f = wsFrame(1, '{"type":"ping"}');
    f[0] |= 0x40;
    return expectFailed([f], 'RSV1');
  });
  s.attack('a frame declaring 2^62 bytes', async () => {
    const { sock, rest } = await rawUpgrade(s.server.port);
    let buf = rest;
    sock.on('data', (d) => { buf = Buffer.concat([buf, d]); });
    sock.write(wsFrame(1, 'x', { declaredLength: 2 ** 62 }));
    assert.ok(await socketClosed(sock, 4000), 'connection kept');
    const texts = serverFrames(buf).filter((f) => f.opcode === 1).map((f) => JSON.parse(f.payload.toString()));
    assert.equal(texts[0]?.code, 'frame_too_large');
    sock.destroy();
  });
  s.attack('a ping control frame with a 200-byte payload', () =>
    expectFailed([wsFrame(9, 'p'.repeat(200))], 'an oversized control frame'));
  s.attack('a continuation frame with nothing to continue', () =>
    expectFailed([wsFrame(0, '{"type":"ping"}')], 'a lone continuation'));
  s.attack('a fragmented control frame', () =>
    expectFailed([wsFrame(9, 'ab', { fin: false })], 'a fragmented ping'));
  s.attack('a new text frame in the middle of a fragmented one', () =>
    expectFailed([wsFrame(1, '{"type":', { fin: false }), wsFrame(1, '"ping"}')], 'an interleaved data frame'));
  s.attack('1000 WebSocket pings in a burst', async () => {
    const { sock } = await rawUpgrade(s.server.port);
    sock.on('data', () => {});
    const frames = [];
    for (let i = 0; i < 1000; i++) frames.push(wsFrame(9, 'hi'));
    sock.write(Buffer.concat(frames));
    await sleep(300);
    sock.destroy();
  });
  s.attack('a close frame with an invalid code and a 123-byte reason', async () => {
    const { sock } = await rawUpgrade(s.server.port);
    sock.on('data', () => {});
    const payload = Buffer.concat([Buffer.from([0x03, 0xe7]), Buffer.alloc(123, 0xff)]);
    sock.write(wsFrame(8, payload));
    assert.ok(await socketClosed(sock, 5000), 'server kept the connection after close');
    sock.destroy();
  });
});

s.finishTest();

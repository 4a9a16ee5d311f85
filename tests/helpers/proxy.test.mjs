// The fault-test proxy (tests/helpers/proxy.mjs) does what it says, seen from
// raw sockets on both sides: it forwards, its reset() is a real RST, its
// silence() passes nothing and closes nothing, pause() refuses new connections.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startProxy as start } from './proxy.mjs';

// Every proxy is closed at the end even when its test failed half-way.
const proxies = [];
const startProxy = async (...a) => { const p = await start(...a); proxies.push(p); return p; };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The target: an echo server that records its sockets and what happened to them.
let target;
const accepted = [];
before(async () => {
  target = net.createServer({ allowHalfOpen: true }, (s) => {
    const rec = { sock: s, data: '', ended: false, closed: false, error: null };
    accepted.push(rec);
    s.on('data', (d) => { rec.data += d; s.write(d); });
    s.on('end', () => { rec.ended = true; s.end(); });
    s.on('error', (e) => { rec.error = e; });
    s.on('close', () => { rec.closed = true; });
  });
  await new Promise((r) => target.listen(0, '127.0.0.1', r));
});
after(async () => {
  for (const p of proxies) await p.close();
  for (const rec of accepted) rec.sock.destroy();
  return new Promise((r) => target.close(r));
});

// A raw client of the proxy that records everything that happens to it.
function connect(port) {
  const sock = net.connect({ port, host: '127.0.0.1' });
  const rec = { sock, data: '', ended: false, closed: false, error: null };
  sock.on('data', (d) => { rec.data += d; });
  sock.on('end', () => { rec.ended = true; });
  sock.on('error', (e) => { rec.error = e; });
  sock.on('close', () => { rec.closed = true; });
  rec.connected = new Promise((resolve) => sock.once('connect', resolve));
  return rec;
}

async function until(pred, what, ms = 3000) {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

// Echo through the proxy: resolves once `text` came back on c.
async function echo(c, text) {
  const before = c.data.length;
  c.sock.write(text);
  await until(() => c.data.length >= before + text.length, `echo of ${text}`);
  assert.equal(c.data.slice(before), text);
}

test('forwards both ways, and a FIN both ways', async () => {
  const proxy = await startProxy(target.address().port);
  assert.equal(proxy.url, `http://127.0.0.1:${proxy.port}/`);
  const c = connect(proxy.port);
  await c.connected;
  await echo(c, 'hello');
  await echo(c, 'x'.repeat(1 << 20)); // a megabyte, with back-pressure
  assert.equal(proxy.connections(), 1);
  c.sock.end();
  await until(() => c.ended && c.closed, 'client end and close');
  assert.equal(c.error, null);
  await until(() => proxy.connections() === 0, 'connection forgotten');
  await proxy.close();
});

test('reset() gives ECONNRESET at the client and resets the target side', async () => {
  const proxy = await startProxy(target.address().port);
  const a = connect(proxy.port);
  const b = connect(proxy.port);
  await Promise.all([a.connected, b.connected]);
  await echo(a, 'a');
  await echo(b, 'b');
  const up = accepted.slice(-2);
  assert.equal(proxy.connections(), 2);
  proxy.reset();
  await until(() => a.closed && b.closed, 'clients closed');
  assert.equal(a.error?.code, 'ECONNRESET');
  assert.equal(b.error?.code, 'ECONNRESET');
  assert.equal(a.ended, false, 'a RST, not a FIN');
  await until(() => up.every((r) => r.closed), 'target sockets closed');
  for (const r of up) assert.equal(r.error?.code, 'ECONNRESET');
  assert.equal(proxy.connections(), 0);
  // The proxy itself still works.
  const c = connect(proxy.port);
  await c.connected;
  await echo(c, 'after reset');
  await proxy.close();
});

test('silence() passes no byte and no end either way for good; new connections work', async () => {
  const proxy = await startProxy(target.address().port);
  const c = connect(proxy.port);
  await c.connected;
  await echo(c, 'before');
  const up = accepted.at(-1);
  proxy.silence();
  c.sock.write('lost on the way up');
  up.sock.write('lost on the way down');
  await sleep(1000);
  assert.equal(up.data, 'before', 'nothing reached the target');
  assert.equal(c.data, 'before', 'nothing reached the client');
  for (const r of [c, up]) {
    assert.equal(r.ended, false, 'no FIN');
    assert.equal(r.closed, false, 'not closed');
    assert.equal(r.error, null, 'no RST');
  }
  // The client giving up (a FIN of its own) reaches nobody either.
  c.sock.end();
  await sleep(300);
  assert.equal(up.ended, false, 'the target saw no FIN');
  assert.equal(up.closed, false);
  assert.equal(c.ended, false, 'the client got no FIN back');

  // A connection made after silence() is a normal one.
  const d = connect(proxy.port);
  await d.connected;
  await echo(d, 'fresh');
  d.sock.end();
  await until(() => d.ended, 'fresh connection ends normally');

  await proxy.close();
  await until(() => up.closed, 'close() destroys silenced connections');
});

test('pause() refuses new connections with a RST, keeps current ones; resume() accepts again', async () => {
  const proxy = await startProxy(target.address().port);
  const old = connect(proxy.port);
  await old.connected;
  await echo(old, 'old');
  const before = accepted.length;
  proxy.pause();
  const refused = connect(proxy.port);
  refused.sock.write('knock');
  await until(() => refused.closed, 'refused connection closed');
  assert.equal(refused.error?.code, 'ECONNRESET');
  assert.equal(refused.data, '');
  assert.equal(accepted.length, before, 'the target never saw it');
  await echo(old, 'still here');
  proxy.resume();
  const c = connect(proxy.port);
  await c.connected;
  await echo(c, 'back');
  await proxy.close();
});

test('a target that is down: the client gets a RST', async () => {
  const spare = net.createServer();
  await new Promise((r) => spare.listen(0, '127.0.0.1', r));
  const deadPort = spare.address().port;
  await new Promise((r) => spare.close(r));
  const proxy = await startProxy(deadPort);
  const c = connect(proxy.port);
  await until(() => c.closed, 'client closed');
  assert.equal(c.error?.code, 'ECONNRESET');
  await proxy.close();
});

test('close() stops listening and destroys every connection', async () => {
  const proxy = await startProxy(target.address().port);
  const c = connect(proxy.port);
  await c.connected;
  await echo(c, 'x');
  const up = accepted.at(-1);
  await proxy.close();
  await until(() => c.closed && up.closed, 'both sides closed');
  const again = connect(proxy.port);
  await until(() => again.closed, 'connect refused');
  assert.equal(again.error?.code, 'ECONNREFUSED');
});

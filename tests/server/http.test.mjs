// HTTP: the page at /, the module at /dist/, the signaling socket only at
// /signaling; and the command line.
import test, { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { serverBinary, startServer } from '../helpers/server.mjs';
import { Client, PEER_ID, closeAll, stopClean } from './signaling-client.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('HTTP serving', () => {
  let server; let web; let dist;
  before(async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skymesh-http-'));
    web = path.join(tmp, 'web');
    dist = path.join(tmp, 'dist');
    fs.mkdirSync(web);
    fs.mkdirSync(dist);
    fs.writeFileSync(path.join(web, 'index.html'), '<!doctype html><title>skymesh test page</title>');
    fs.writeFileSync(path.join(web, 'app.js'), 'console.log(1);');
    fs.writeFileSync(path.join(dist, 'skymesh.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    fs.writeFileSync(path.join(dist, 'skymesh.js'), 'export default 1;');
    fs.writeFileSync(path.join(dist, 'skymesh.mjs'), 'export default 2;');
    fs.writeFileSync(path.join(dist, 'skymesh.d.ts'), 'export {};');
    fs.writeFileSync(path.join(tmp, 'secret.txt'), 'outside the web root');
    server = await startServer(['--web', web, '--dist', dist]);
  });
  after(async () => {
    await stopClean(server);
    fs.rmSync(path.dirname(web), { recursive: true, force: true });
  });

  test('GET / serves web/index.html as text/html', async () => {
    const res = await fetch(server.url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/html/);
    assert.equal(await res.text(), fs.readFileSync(path.join(web, 'index.html'), 'utf8'));
    const js = await fetch(new URL('/app.js', server.url));
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type'), /^text\/javascript/);
  });

  test('GET /dist/ serves the module: .wasm as application/wasm, .js/.mjs as text/javascript', async () => {
    const wasm = await fetch(new URL('/dist/skymesh.wasm', server.url));
    assert.equal(wasm.status, 200);
    assert.equal(wasm.headers.get('content-type'), 'application/wasm');
    assert.deepEqual(Buffer.from(await wasm.arrayBuffer()), fs.readFileSync(path.join(dist, 'skymesh.wasm')));
    for (const file of ['skymesh.js', 'skymesh.mjs']) {
      const res = await fetch(new URL(`/dist/${file}`, server.url));
      assert.equal(res.status, 200, file);
      assert.match(res.headers.get('content-type'), /^text\/javascript/, file);
    }
    const dts = await fetch(new URL('/dist/skymesh.d.ts', server.url));
    assert.equal(dts.status, 200);
  });

  test('missing files are 404; nothing outside the two directories is served', async () => {
    assert.equal((await fetch(new URL('/nope.html', server.url))).status, 404);
    assert.equal((await fetch(new URL('/dist/nope.wasm', server.url))).status, 404);
    // a raw request, so the client does not normalise the ../ away
    const raw = await new Promise((resolve, reject) => {
      const sock = net.connect(server.port, '127.0.0.1', () => {
        sock.write('GET /../secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      });
      let data = '';
      sock.on('data', (d) => { data += d; });
      sock.on('end', () => resolve(data));
      sock.on('error', reject);
    });
    assert.doesNotMatch(raw, /outside the web root/);
  });

  test('the WebSocket upgrade works at /signaling only, with or without the "skymesh" subprotocol', async () => {
    const plain = await Client.hello(server.wsUrl);
    assert.match(plain.peerId, PEER_ID);
    const named = await Client.hello(server.wsUrl, { protocols: ['skymesh'] });
    assert.equal(named.ws.protocol, 'skymesh');
    await closeAll(plain, named);
    for (const p of ['/', '/dist/', '/signaling/x', '/other']) {
      const c = new Client(`ws://127.0.0.1:${server.port}${p}`);
      await assert.rejects(c.opened, undefined, p);
    }
  });
});

describe('command line', () => {
  test('--help prints the options and exits 0', () => {
    const r = spawnSync(serverBinary(), ['--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    for (const opt of ['--host', '--port', '--web', '--dist', '--app-key', '--max-frame', '--max-user-data',
      '--max-content', '--max-peers', '--max-rooms', '--max-connections', '--rate', '--burst', '--ping-interval']) {
      assert.ok(r.stdout.includes(opt), opt);
    }
  });

  test('bad arguments: a clear message and exit 2', () => {
    for (const args of [['--port', 'x'], ['--port', '70000'], ['--max-peers', '0'], ['--rate', '-1'],
      ['--bogus', '1'], ['--port'], ['stray'], ['--app-key', 'k=not-an-origin'], ['--app-key', ''],
      ['--max-frame', '1000', '--max-user-data', '4096']]) {
      const r = spawnSync(serverBinary(), args, { encoding: 'utf8' });
      assert.equal(r.status, 2, args.join(' '));
      assert.match(r.stderr, /skymesh-server: /, args.join(' '));
    }
  });

  test('a port already in use is an error, not a hang', async () => {
    const server = await startServer();
    try {
      const r = spawnSync(serverBinary(), ['--host', '127.0.0.1', '--port', String(server.port)],
        { encoding: 'utf8', timeout: 5000 });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /cannot listen/);
    } finally {
      await stopClean(server);
    }
  });

  test('the repository web/ page is what / serves by default', async () => {
    const server = await startServer();
    try {
      const res = await fetch(server.url);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), fs.readFileSync(path.join(ROOT, 'web/index.html'), 'utf8'));
    } finally {
      await stopClean(server);
    }
  });
});

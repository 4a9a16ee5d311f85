// The package loads from its entry with both import and require, and each
// instance gets its own WASM module.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import SkywayImported, { Skyway as NamedImport, Skylink as SkylinkImported } from 'skymesh';

const require = createRequire(import.meta.url);

it('import and require give the same working Skyway class', async () => {
  const SkywayRequired = require('skymesh');
  assert.equal(typeof SkywayImported, 'function');
  assert.equal(SkywayImported, SkywayRequired);
  assert.equal(NamedImport, SkywayRequired);
  assert.equal(SkywayRequired.Skyway, SkywayRequired);
  assert.equal(SkywayRequired.default, SkywayRequired, 'TypeScript require() without esModuleInterop');
  assert.equal(SkywayRequired.Skylink, SkywayRequired, 'SkylinkJS 0.6 name: the same class');
  assert.equal(SkylinkImported, SkywayRequired);
  const a = new SkywayImported();
  const b = SkywayRequired(); // callable without new, like SkywayJS
  await Promise.all([a.ready, b.ready]);
  a.setUserData({ name: 'a' });
  assert.deepEqual(a.getUserData(), { name: 'a' });
  assert.deepEqual(b.getUserData(), {}, 'instances do not share state');
  assert.equal(a.READY_STATE_CHANGE.COMPLETED, 2);
});

it('the package points at built files that exist', () => {
  const pkg = require('skymesh/package.json');
  for (const f of [pkg.main, pkg.module, pkg.types, pkg.exports['.'].node.import, pkg.exports['./skymesh.wasm']]) {
    assert.ok(fs.existsSync(new URL(`../../${f}`, import.meta.url)), f);
  }
  assert.ok(require.resolve('skymesh/skymesh.wasm').endsWith('dist/skymesh.wasm'));
  for (const f of [pkg.exports['./chat'].node.import, pkg.exports['./chat'].import, pkg.exports['./skymesh-chat.wasm']]) {
    assert.ok(fs.existsSync(new URL(`../../${f}`, import.meta.url)), f);
  }
});

it("'skymesh/chat' is the chat build: the same class without transfers and media", async () => {
  const Chat = require('skymesh/chat');
  assert.equal((await import('skymesh/chat')).Skylink, Chat);
  const Full = require('skymesh');
  assert.notEqual(Chat, Full);
  assert.equal(typeof Chat.prototype.sendP2PMessage, 'function');
  for (const m of ['sendBlobData', 'getUserMedia', 'shareScreen']) {
    assert.equal(Chat.prototype[m], undefined, m);
    assert.equal(typeof Full.prototype[m], 'function', m);
  }
  const s = new Chat();
  await s.ready;
  s.setUserData({ name: 'c' });
  assert.deepEqual(s.getUserData(), { name: 'c' });
  s.close();
});

// The WASM build formats and parses numbers through JS (src/wasm/tiny_libc.c).
it('numbers and strings survive the C core exactly', async () => {
  const s = new SkywayImported();
  await s.ready;
  const numbers = [0, 1, -1, 42, 1.5, 0.1, -0.25, 1e21, 1e-7, 123456789012345680000, Math.PI, 2 ** 53 + 2,
    -1234.5e-10, Number.MAX_VALUE, Number.MIN_VALUE, 1e-6, 4294967295, 4294967296, -2147483649];
  for (const v of numbers) {
    s.setUserData({ v, a: [v, { v }] });
    assert.deepEqual(s.getUserData(), { v, a: [v, { v }] }, String(v));
  }
  const text = 'é你好👋 שלום \u0001\u001f"\\/\u2028';
  s.setUserData({ [text]: text });
  assert.deepEqual(s.getUserData(), { [text]: text });
  assert.throws(() => s.setUserData({ big: 'x'.repeat(5000) }), { code: 'too_large' });
  assert.deepEqual(s.getUserData(), { [text]: text }, 'a refused call changes nothing');
});

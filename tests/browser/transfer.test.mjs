// Files between two browsers on the demo page: Alice picks a file with the
// "Send file" button, Bob gets an inline Accept / Reject (never a dialog),
// both see a progress bar, Bob gets a download link whose bytes are exactly
// Alice's (SHA-256), a chat line still goes while a file is under way, and a
// rejected file says so on Alice's page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  openPage, waitForLine, trackDataChannels, waitForOpenChannels, setName, join, send, assertCleanPage,
  useBrowserAndServers, LAPTOP, PHONE, diagnostics, ensureArtifacts,
} from './helpers.mjs';

const suite = useBrowserAndServers();
const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');

// The transfer lines of a page: [{ text, progress, actions: [button / link texts] }].
const transfers = (rec) => rec.page.$$eval('#transfers .transfer', (els) => els.map((el) => ({
  text: el.querySelector('.transfer-label').textContent,
  progress: el.querySelector('progress').value,
  actions: [...el.querySelectorAll('.transfer-actions > *')].map((a) => a.textContent),
})));

async function waitForTransfer(rec, pred, what) {
  const t0 = Date.now();
  for (;;) {
    const all = await transfers(rec);
    const hit = all.find(pred);
    if (hit) return hit;
    if (Date.now() - t0 > 20000) throw new Error(`${rec.label}: no transfer line ${what}: ${JSON.stringify(all)}\n${diagnostics(rec)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a file from one page to another: accept inline, progress, an exact download; a rejected one', { timeout: 90000 }, async () => {
  const alice = await openPage(suite.browser, suite.servers[0].url, { viewport: LAPTOP, label: 'Alice' });
  const bob = await openPage(suite.browser, suite.servers[0].url, { viewport: PHONE, label: 'Bob' });
  for (const rec of [alice, bob]) await trackDataChannels(rec);
  await setName(alice, 'Alice');
  await join(alice);
  await waitForLine(alice, 'You joined the room');
  await setName(bob, 'Bob');
  await join(bob);
  await waitForLine(alice, 'Bob joined the room');
  await Promise.all([alice, bob].map((rec) => waitForOpenChannels(rec, 1)));
  assert.equal((await alice.page.textContent('#send-file')).trim(), 'Send file');

  // Larger than the sender's read-ahead (4 slices of 1 MiB held at most): the
  // File is read by slices as the chunks go, never whole.
  const data = crypto.randomBytes(9 * 1024 * 1024 + 1);
  await alice.page.setInputFiles('#file', { name: 'photo.bin', mimeType: 'application/octet-stream', buffer: data });
  const offer = await waitForTransfer(bob, (t) => t.text.includes('offers photo.bin'), 'offering photo.bin');
  assert.equal(offer.text, `Alice offers photo.bin (${data.length} bytes)`);
  assert.deepEqual(offer.actions, ['Accept', 'Reject']);
  await waitForTransfer(alice, (t) => t.text.startsWith('Offering photo.bin'), 'offering');

  // Alice's page samples what the bridge holds of her File while it goes.
  await alice.page.evaluate(() => {
    window.heldMax = 0; window.heldSeen = 0;
    window.heldTimer = setInterval(() => {
      for (const s of Object.values(window.skyway._m.skyXfer.src)) {
        if (!s.blob) continue;
        const held = Object.values(s.blocks || {}).reduce((n, b) => n + (b.bytes ? b.bytes.length : 0), 0);
        window.heldMax = Math.max(window.heldMax, held);
        window.heldSeen++;
      }
    }, 2);
  });
  await bob.page.click('#transfers .transfer button:text("Accept")');
  // a chat line while the file may still be on its way
  await send(bob, 'got it?');
  await waitForLine(alice, 'Bob: got it?');
  const done = await waitForTransfer(bob, (t) => t.actions.includes('Download'), 'with a download link');
  assert.equal(done.text, `Received photo.bin (${data.length} bytes) from Alice`);
  assert.equal(done.progress, 100);
  const sent = await waitForTransfer(alice, (t) => t.text.startsWith('Sent photo.bin'), 'sent');
  assert.equal(sent.progress, 100);
  const held = await alice.page.evaluate(() => { clearInterval(window.heldTimer); return [window.heldSeen, window.heldMax]; });
  assert.ok(held[0] > 0, 'the File was sent from slices');
  assert.ok(held[1] > 0 && held[1] <= 4 * 1024 * 1024, `at most 4 MiB of the File held at once (saw ${held[1]})`);
  // Bob clicks the link, as a person does: the browser saves exactly Alice's bytes.
  const [download] = await Promise.all([bob.page.waitForEvent('download'), bob.page.click('#transfers a:text("Download")')]);
  assert.equal(download.suggestedFilename(), 'photo.bin');
  const saved = fs.readFileSync(await download.path());
  assert.equal(saved.length, data.length);
  assert.equal(sha(saved), sha(data));

  // a file Bob rejects
  await alice.page.setInputFiles('#file', { name: 'spam.txt', mimeType: 'text/plain', buffer: Buffer.from('no thanks') });
  await waitForTransfer(bob, (t) => t.text.includes('offers spam.txt'), 'offering spam.txt');
  await bob.page.click('#transfers .transfer:has-text("spam.txt") button:text("Reject")');
  await waitForTransfer(alice, (t) => t.text === 'spam.txt (9 bytes): Rejected by Bob', 'rejected');
  await waitForTransfer(bob, (t) => t.text === 'spam.txt (9 bytes): You rejected it', 'you rejected');

  // photographs for a look (tests/artifacts/), and nothing sticks out sideways
  const dir = ensureArtifacts();
  for (const rec of [alice, bob]) {
    await rec.page.screenshot({ path: path.join(dir, `transfer-${rec.label.toLowerCase()}.png`) });
    const width = await rec.page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    assert.ok(width[0] <= width[1], `${rec.label}: the page scrolls sideways (${width})`);
    assertCleanPage(assert, rec);
  }
  await alice.context.close();
  await bob.context.close();
});

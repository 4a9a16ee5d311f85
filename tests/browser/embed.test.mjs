// Embedding: a minimal page of someone else's (tests/browser/fixtures/embed/) that
// includes only dist/ with one <script> tag chats with the demo page.
//
// The embedding page is served by a second skymesh-server, so it has its own
// origin, loads the module and its .wasm from there (found next to the script
// without configuration), and points init({roomServer}) at the first server, where
// the demo page lives: the way a site embeds skymesh against a signaling server
// elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  launchBrowser, startServerFor, openPage, chatTexts, waitForLine, trackDataChannels,
  waitForOpenChannels, setName, join, send, settle, diagnostics, assertCleanPage, useBrowserAndServers, FIXTURES, PHONE,
} from './helpers.mjs';

// servers[0] serves the demo page and the signaling socket; servers[1] only the
// embedding page (and dist/).
const suite = useBrowserAndServers([{}, { web: path.join(FIXTURES, 'embed') }]);

test('a page that includes only dist/ chats with the demo page', { timeout: 60000 }, async () => {
  const [signaling, elsewhere] = suite.servers;
  const demo = await openPage(suite.browser, signaling.url, { label: 'demo' });
  await trackDataChannels(demo);
  await setName(demo, 'Dana');
  await join(demo);
  await waitForLine(demo, 'You joined the room');

  const embedUrl = `${elsewhere.url}?roomServer=${encodeURIComponent(signaling.url)}&name=Eve`;
  const embed = await openPage(suite.browser, embedUrl, { viewport: PHONE, label: 'embed' });
  const log = { selector: '#log' };

  // The embedding page is what it says: one script tag for the library, no demo code.
  const scripts = await embed.page.$$eval('script[src]', (els) => els.map((el) => new URL(el.src).pathname));
  assert.deepEqual(scripts, ['/dist/skymesh-chat.js']); // the chat build: a chat page needs no more
  assert.equal(new URL(embed.page.url()).origin === new URL(signaling.url).origin, false, 'the two pages have different origins');

  await waitForLine(embed, 'You joined the room', log);
  await waitForLine(embed, 'Dana joined the room', log);
  await waitForLine(demo, 'Eve joined the room');
  await waitForOpenChannels(demo, 1);

  await send(demo, 'Hello from the demo page');
  await waitForLine(demo, 'You: Hello from the demo page');
  await waitForLine(embed, 'Dana: Hello from the demo page', log);

  await embed.page.fill('#text', 'Hello from an embedding page');
  await embed.page.press('#text', 'Enter');
  await waitForLine(embed, 'You: Hello from an embedding page', log);
  await waitForLine(demo, 'Eve: Hello from an embedding page');

  await settle();
  assert.deepEqual(await chatTexts(embed.page, '#log'), [
    'You joined the room',
    'Dana joined the room',
    'Dana: Hello from the demo page',
    'You: Hello from an embedding page',
  ], `embedding page's lines\n${diagnostics(embed)}`);
  assertCleanPage(assert, embed);

  // The embedding page's tab closes without leaving: the demo page still hears of it.
  await embed.context.close();
  await waitForLine(demo, 'Eve left the room');
  await settle();

  assert.deepEqual(await chatTexts(demo.page), [
    "You're now known as Dana",
    'You joined the room',
    'Eve joined the room',
    'You: Hello from the demo page',
    'Eve: Hello from an embedding page',
    'Eve left the room',
  ], `demo page's lines\n${diagnostics(demo)}`);
  assertCleanPage(assert, demo);
  await demo.context.close();
});

// Hostile text: names and messages that are HTML or script must show as text on
// every page. No element may be created from them and no script may run: the
// chatbox holds only the page's own <p> lines, window.pwned stays undefined and
// no alert/confirm/prompt dialog opens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  launchBrowser, startServerFor, openPage, chatLines, chatTexts, waitForLine,
  trackDataChannels, waitForOpenChannels, setName, join, leave, send, settle, diagnostics, assertCleanPage, useBrowserAndServers,
} from './helpers.mjs';

const suite = useBrowserAndServers();

const IMG_NAME = '<img src=x onerror=alert(1)>';
const SCRIPT_NAME = '<script>window.pwned=1</script>';
const SVG_NAME = '"><svg onload="window.pwned=3">';
const MESSAGES = [
  '<img src=x onerror="window.pwned=2;alert(2)">',
  '<script>window.pwned=1</script>',
  '<b>bold</b> &amp; &lt;i&gt; <a href="javascript:alert(4)">link</a>',
  '<iframe srcdoc="<script>parent.pwned=5</script>"></iframe>',
  '👋 你好 مرحبا &nbsp; \u202eevil\u202c',
];

test('names and messages made of HTML and script show as text, create nothing, run nothing', { timeout: 60000 }, async () => {
  const a = await openPage(suite.browser, suite.servers[0].url, { label: 'A' });
  const b = await openPage(suite.browser, suite.servers[0].url, { label: 'B' });
  for (const rec of [a, b]) await trackDataChannels(rec);

  await setName(a, IMG_NAME);
  await join(a);
  await waitForLine(a, 'You joined the room');
  await setName(b, SCRIPT_NAME);
  await join(b);
  await waitForLine(b, `${IMG_NAME} joined the room`);
  await waitForLine(a, `${SCRIPT_NAME} joined the room`);
  await Promise.all([a, b].map((rec) => waitForOpenChannels(rec, 1)));

  // Messages both ways, in turn.
  for (let i = 0; i < MESSAGES.length; i++) {
    const [from, to, fromName] = i % 2 === 0 ? [a, b, IMG_NAME] : [b, a, SCRIPT_NAME];
    await send(from, MESSAGES[i]);
    await waitForLine(from, `You: ${MESSAGES[i]}`);
    await waitForLine(to, `${fromName}: ${MESSAGES[i]}`);
  }

  // A hostile rename, seen by both.
  await setName(b, SVG_NAME);
  await waitForLine(b, `You're now known as ${SVG_NAME}`);
  await waitForLine(a, `${SCRIPT_NAME} is now known as ${SVG_NAME}`);

  await leave(b);
  await waitForLine(a, `${SVG_NAME} left the room`);
  await waitForLine(b, 'You left the room');
  await settle();

  const linesA = await chatTexts(a.page);
  const linesB = await chatTexts(b.page);
  assert.deepEqual(linesA, [
    `You're now known as ${IMG_NAME}`,
    'You joined the room',
    `${SCRIPT_NAME} joined the room`,
    ...MESSAGES.map((m, i) => (i % 2 === 0 ? `You: ${m}` : `${SCRIPT_NAME}: ${m}`)),
    `${SCRIPT_NAME} is now known as ${SVG_NAME}`,
    `${SVG_NAME} left the room`,
  ], `A's lines\n${diagnostics(a)}`);
  assert.deepEqual(linesB, [
    `You're now known as ${SCRIPT_NAME}`,
    'You joined the room',
    `${IMG_NAME} joined the room`,
    ...MESSAGES.map((m, i) => (i % 2 === 0 ? `${IMG_NAME}: ${m}` : `You: ${m}`)),
    `You're now known as ${SVG_NAME}`,
    `${IMG_NAME} left the room`,
    'You left the room',
  ], `B's lines\n${diagnostics(b)}`);

  for (const rec of [a, b]) {
    const facts = await rec.page.evaluate(() => {
      const box = document.getElementById('chatbox');
      return {
        pwned: typeof window.pwned,
        // Every element inside the chatbox, by tag: only the page's own <p> lines.
        tags: Array.from(box.querySelectorAll('*'), (el) => el.tagName),
        lines: box.children.length,
        dangerous: box.querySelectorAll('img, script, svg, iframe, b, a').length,
        // Outside the chatbox too: the page's own two scripts, no image, frame or svg.
        pageScripts: document.querySelectorAll('script').length,
        pageOthers: document.querySelectorAll('img, svg, iframe').length,
      };
    });
    assert.equal(facts.pwned, 'undefined', `${rec.label}: a script ran`);
    assert.equal(facts.dangerous, 0, `${rec.label}: elements were created from text`);
    assert.deepEqual(facts.tags, Array(facts.lines).fill('P'), `${rec.label}: chatbox holds only <p> lines`);
    assert.equal(facts.pageScripts, 2, `${rec.label}: script elements on the page`);
    assert.equal(facts.pageOthers, 0, `${rec.label}: img/svg/iframe elements on the page`);
    assertCleanPage(assert, rec); // no dialog opened, nothing threw
    for (const { className, text } of await chatLines(rec.page)) {
      assert.ok(['you', 'message', 'action'].includes(className), `${rec.label}: class ${className} on ${text}`);
    }
  }
  for (const rec of [a, b]) await rec.context.close();
});

// The tutorial's chat in a real browser: three people (three browser contexts in
// one Chromium) open the demo page served by the real skymesh-server, set names,
// join, see each other join, chat, one renames, two leave. Every page must show
// exactly the right lines, in the right order, with the right styling classes.
// Afterwards the chat is photographed at laptop and phone size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  launchBrowser, startServerFor, openPage, chatLines, chatTexts, waitForLine, waitForLineCount,
  trackDataChannels, waitForOpenChannels, setName, join, leave, send, settle, matchLines,
  ensureArtifacts, layoutReport, diagnostics, assertCleanPage, useBrowserAndServers, LAPTOP, PHONE,
} from './helpers.mjs';

const suite = useBrowserAndServers();

function assertLines(rec, actual, expected) {
  assert.deepEqual(actual, matchLines(actual, expected), `${rec.label}'s chat lines\n${diagnostics(rec)}`);
}

function assertLayout(label, report, viewport) {
  assert.ok(report.scrollWidth <= viewport.width, `${label}: page scrolls sideways (${report.scrollWidth} > ${viewport.width})`);
  for (const [sel, box] of Object.entries(report.controls)) {
    assert.ok(box, `${label}: ${sel} missing`);
    assert.ok(box.left >= 0 && box.right <= viewport.width + 0.5, `${label}: ${sel} sticks out sideways ${JSON.stringify(box)}`);
    assert.ok(box.top >= 0 && box.bottom <= viewport.height + 0.5, `${label}: ${sel} is off screen ${JSON.stringify(box)}`);
    assert.ok(box.height >= 32 && box.width >= 44, `${label}: ${sel} too small to tap ${JSON.stringify(box)}`);
  }
  assert.ok(report.chatbox.height >= 200, `${label}: chatbox only ${report.chatbox.height}px high`);
  assert.ok(report.chatbox.width >= viewport.width * 0.8 || report.chatbox.width >= 600,
    `${label}: chatbox only ${report.chatbox.width}px wide`);
  assert.ok(report.fontSize >= 14, `${label}: body font ${report.fontSize}px`);
}

test('three pages: join, chat, rename, leave; every page shows exactly the right lines', { timeout: 90000 }, async () => {
  const alice = await openPage(suite.browser, suite.servers[0].url, { viewport: LAPTOP, label: 'Alice' });
  const bob = await openPage(suite.browser, suite.servers[0].url, { viewport: LAPTOP, label: 'Bob' });
  const carol = await openPage(suite.browser, suite.servers[0].url, { viewport: PHONE, label: 'Carol' });
  const all = [alice, bob, carol];

  // The tutorial's page: its inputs and buttons, as a reader of the tutorial knows them.
  for (const rec of all) {
    const page = rec.page;
    assert.equal(await page.getAttribute('#name', 'placeholder'), 'My name');
    assert.equal(await page.getAttribute('#message', 'placeholder'), 'My message');
    assert.equal((await page.textContent('#set-name')).trim(), 'Set my name');
    assert.equal((await page.textContent('#join-room')).trim(), 'Join room');
    assert.equal((await page.textContent('#leave-room')).trim(), 'Leave room');
    assert.equal((await page.textContent('#send-message')).trim(), 'Send message');
    assert.deepEqual(await chatTexts(page), []);
    await trackDataChannels(rec);
  }

  // Alice arrives first, then Bob, then Carol: each waits to be in before the next.
  await setName(alice, 'Alice');
  await join(alice);
  await waitForLine(alice, 'You joined the room');

  await setName(bob, 'Bob');
  await join(bob);
  await waitForLine(bob, 'Alice joined the room');
  await waitForLine(alice, 'Bob joined the room');

  await setName(carol, 'Carol');
  await join(carol);
  await waitForLine(carol, 'Alice joined the room');
  await waitForLine(carol, 'Bob joined the room');
  await waitForLine(alice, 'Carol joined the room');
  await waitForLine(bob, 'Carol joined the room');

  // Chat goes over the data channels: wait for them (bounded) before the first send.
  await Promise.all(all.map((rec) => waitForOpenChannels(rec, 2)));

  // One message at a time, each seen everywhere before the next, so the order is fixed.
  await send(alice, 'Hi everyone');
  for (const rec of all) await waitForLine(rec, rec === alice ? 'You: Hi everyone' : 'Alice: Hi everyone');
  assert.equal(await alice.page.inputValue('#message'), '', 'the message box is cleared after sending');

  await send(bob, 'Hello Alice', { withEnter: true }); // Enter in the message box sends
  for (const rec of all) await waitForLine(rec, rec === bob ? 'You: Hello Alice' : 'Bob: Hello Alice');

  await send(carol, 'Hey both — ça va? Привет ✓');
  for (const rec of all) await waitForLine(rec, rec === carol ? 'You: Hey both — ça va? Привет ✓' : 'Carol: Hey both — ça va? Привет ✓');

  // Bob renames while in the room.
  await setName(bob, 'Robert');
  await waitForLine(bob, "You're now known as Robert");
  await waitForLine(alice, 'Bob is now known as Robert');
  await waitForLine(carol, 'Bob is now known as Robert');

  await send(bob, 'Call me Robert');
  for (const rec of all) await waitForLine(rec, rec === bob ? 'You: Call me Robert' : 'Robert: Call me Robert');

  // Carol leaves, then Alice.
  await leave(carol);
  await waitForLine(carol, 'You left the room');
  await waitForLine(carol, 'Robert left the room');
  await waitForLine(alice, 'Carol left the room');
  await waitForLine(bob, 'Carol left the room');

  await leave(alice);
  await waitForLine(alice, 'You left the room');
  await waitForLine(bob, 'Alice left the room');

  await settle(); // a duplicate or late line would land now
  const lines = {
    alice: await chatTexts(alice.page), bob: await chatTexts(bob.page), carol: await chatTexts(carol.page),
  };
  console.log(`chat lines: ${JSON.stringify(lines, null, 1)}`);

  // setUserData fires peerUpdated for yourself at once, even before joining, so
  // "You're now known as X" comes first. Leaving fires peerLeft for every peer
  // still in the room, then for yourself (as SkywayJS does).
  assertLines(alice, lines.alice, [
    "You're now known as Alice",
    'You joined the room',
    'Bob joined the room',
    'Carol joined the room',
    'You: Hi everyone',
    'Bob: Hello Alice',
    'Carol: Hey both — ça va? Привет ✓',
    'Bob is now known as Robert',
    'Robert: Call me Robert',
    'Carol left the room',
    'Robert left the room',
    'You left the room',
  ]);
  assertLines(bob, lines.bob, [
    "You're now known as Bob",
    'You joined the room',
    'Alice joined the room',
    'Carol joined the room',
    'Alice: Hi everyone',
    'You: Hello Alice',
    'Carol: Hey both — ça va? Привет ✓',
    "You're now known as Robert",
    'You: Call me Robert',
    'Carol left the room',
    'Alice left the room',
  ]);
  assertLines(carol, lines.carol, [
    "You're now known as Carol",
    'You joined the room',
    { anyOrder: ['Alice joined the room', 'Bob joined the room'] }, // two independent connections
    'Alice: Hi everyone',
    'Bob: Hello Alice',
    'You: Hey both — ça va? Привет ✓',
    'Bob is now known as Robert',
    'Robert: Call me Robert',
    { anyOrder: ['Alice left the room', 'Robert left the room'] },
    'You left the room',
  ]);

  // Styling classes: your own messages, others' messages and actions apart.
  for (const rec of all) {
    for (const { text, className } of await chatLines(rec.page)) {
      const expected = text.startsWith('You: ') ? 'you' : /^[^:]+: /.test(text) && !/ (joined|left) the room$|now known as/.test(text) ? 'message' : 'action';
      assert.equal(className, expected, `${rec.label}: class of ${JSON.stringify(text)}`);
    }
  }

  // Nothing went wrong on the pages themselves.
  for (const rec of all) {
    assertCleanPage(assert, rec);
  }

  // Looks decent: laptop (Bob, still in the room, sees the whole story) and phone (Carol).
  assertLayout('laptop', await layoutReport(bob.page), LAPTOP);
  assertLayout('phone', await layoutReport(carol.page), PHONE);

  const dir = ensureArtifacts();
  const laptopShot = path.join(dir, 'chat.png');
  const phoneShot = path.join(dir, 'chat-phone.png');
  for (const rec of all) await rec.page.mouse.move(0, 0); // no hover look on the last-clicked button
  await bob.page.screenshot({ path: laptopShot, timeout: 10000 });
  await carol.page.screenshot({ path: phoneShot, timeout: 10000 });
  console.log(`screenshot of the chat (laptop, Bob's page): ${laptopShot}`);
  console.log(`screenshot of the chat (phone, Carol's page): ${phoneShot}`);

  for (const rec of all) await rec.context.close();
});

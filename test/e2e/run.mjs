// The real-VS-Code end-to-end test: installs the built .vsix into code-server (VS Code 1.100.3),
// drives it with Chromium through playwright-core, runs examples/zombie.py from the command
// palette and finds the zombie badge and its explanation inside the panel's webview, then runs
// examples/queue_producer_consumer.py and finds the queue's items, its shared Value and the timeline.
// Screenshots go to test-results/e2e/.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { extensionHostLogs } from '../../scripts/code-server.mjs';
import { openVsCode, panelFrame as findPanel, runCommand as paletteCommand } from './lib/harness.mjs';

let vscode;
let server;
let page;
const shot = (name) => vscode.shot(name);
const panelFrame = (timeout) => findPanel(page, timeout);
const runCommand = (title) => paletteCommand(page, title);

before(async () => {
  vscode = await openVsCode();
  ({ server, page } = vscode);
}, { timeout: 600_000 });

after(async () => {
  await vscode?.close();
});

test('runs the zombie example from the command palette and shows the zombie in the panel', { timeout: 240_000 }, async () => {
  try {
    await page.goto(server.url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    const activity = page.locator('.activitybar [aria-label^="IPC Scope"]').first();
    await activity.waitFor({ timeout: 60_000 });
    await shot('01-workbench.png');

    // Open the example in the editor.
    await page.keyboard.press('Control+P');
    const quick = page.locator('.quick-input-widget input');
    await quick.waitFor({ state: 'visible' });
    await quick.fill('zombie.py');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'zombie.py' }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.tab.active', { hasText: 'zombie.py' }).waitFor({ timeout: 20_000 });
    await page.locator('.monaco-editor .view-lines', { hasText: 'os.fork()' }).first().waitFor({ timeout: 20_000 });

    await runCommand('IPC Scope: Run Python File with IPC Scope');

    // The program runs in a terminal of its own.
    await page.locator('.terminal-tabs-entry, .single-terminal-tab, .terminal-tab', { hasText: 'IPC Scope: zombie.py' }).first().waitFor({ timeout: 30_000 }).catch(() => {});

    const frame = await panelFrame();
    const zombieBadge = frame.locator('[role="treeitem"] .badge-zombie').first();
    await zombieBadge.waitFor({ timeout: 30_000 });
    await shot('02-zombie-badge.png');
    const row = frame.locator('[role="treeitem"]', { has: frame.locator('.badge-zombie') }).first();
    assert.match(await row.locator('.stat-badge').textContent(), /^Z/);
    assert.match((await row.getAttribute('aria-label')) ?? '', /zombie/);
    await row.click();
    const explanation = frame.locator('#details .zombie-explanation');
    await explanation.waitFor({ timeout: 10_000 });
    const text = await explanation.textContent();
    assert.match(text, /exited with code 7/);
    assert.match(text, /has not called wait\(\)/);
    assert.match(text, /os\.wait\(\)/);
    // The parent is the sleeping program, under the launcher.
    const tree = await frame.locator('[role="tree"]').textContent();
    assert.match(tree, /zombie\.py/);
    assert.match(await frame.locator('.status-counts').textContent(), /1 zombie\b/);
    // Give the sidebar room, as a user would, for the screenshot.
    const sash = page.locator('.monaco-sash.vertical').first();
    const box = await page.locator('.part.sidebar').boundingBox();
    if (box) {
      await page.mouse.move(box.x + box.width + 1, box.y + 200);
      await page.mouse.down();
      await page.mouse.move(box.x + 620, box.y + 200, { steps: 8 });
      await page.mouse.up();
    }
    void sash;
    await shot('03-details.png');
    // The status bar tells it too.
    await page.locator('.statusbar-item', { hasText: /zombie/ }).first().waitFor({ timeout: 10_000 });
    await frame.locator('.stat-badge').first().hover();
    await shot('04-final.png');
  } catch (e) {
    await shot('failure.png').catch(() => {});
    for (const log of extensionHostLogs(server.userDataDir)) {
      console.log(`--- ${log}\n${readFileSync(log, 'utf8').split('\n').slice(-40).join('\n')}`);
    }
    throw e;
  }
});

test('runs the queue example and shows the queue, its items, the shared Value and the timeline in the panel', { timeout: 180_000 }, async () => {
  try {
    await page.keyboard.press('Control+P');
    const quick = page.locator('.quick-input-widget input');
    await quick.waitFor({ state: 'visible' });
    await quick.fill('queue_producer_consumer.py');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'queue_producer_consumer.py' }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.tab.active', { hasText: 'queue_producer_consumer.py' }).waitFor({ timeout: 20_000 });
    await runCommand('IPC Scope: Run Python File with IPC Scope');
    const frame = await panelFrame();
    const queue = frame.locator('#channels .channel-queue', { has: frame.locator('.channel-depth', { hasText: '/ 3' }) }).first();
    await queue.waitFor({ timeout: 30_000 });
    await queue.locator('.message-get .message-preview', { hasText: "{'seq': 9, 'text': 'item 9'}" }).waitFor({ timeout: 30_000 });
    // The last get (the None sentinel) may come in the consumer's next batch, a refresh later.
    await queue.locator('summary', { hasText: /11 put · 11 got/ }).waitFor({ timeout: 15_000 }).catch(() => undefined);
    const summary = await queue.locator('summary').textContent();
    assert.match(summary, /Queue/);
    assert.match(summary, /11 put · 11 got/);
    const previews = await queue.locator('.message-get .message-preview').allTextContents();
    assert.deepEqual(previews.slice(-2), ["{'seq': 9, 'text': 'item 9'}", 'None']);
    assert.match(await queue.locator('.channel-meta').first().textContent(), /created at queue_producer_consumer\.py:\d+/);
    await frame.locator('#channels').scrollIntoViewIfNeeded();
    await shot('05-queue-channel.png');

    // The shared Value the consumer increments: its channel, its final value (10 items consumed).
    const value = frame.locator('#channels .channel-shared', { has: frame.locator('.channel-type', { hasText: "Value('i')" }) }).first();
    await value.waitFor({ timeout: 30_000 });
    await value.locator('.shared-value-text', { hasText: /^10$/ }).waitFor({ timeout: 30_000 });
    assert.match(await value.locator('summary').textContent(), /Value\('i'\).*= 10.*10 writes/);
    assert.match(await value.locator('.channel-meta').first().textContent(), /last write pid \d+ at queue_producer_consumer\.py:\d+/);
    assert.equal(await value.locator('.hex-bytes .byte').allTextContents().then((b) => b.join(' ')), '0a 00 00 00');
    await value.scrollIntoViewIfNeeded();
    await shot('06-shared-value.png');

    // The timeline joins each put to its get.
    const timeline = frame.locator('#channels .timeline');
    await timeline.locator('line.tl-link').first().waitFor({ timeout: 10_000 });
    assert.ok((await timeline.locator('line.tl-link').count()) >= 11, 'an arrow per item delivered');
    await timeline.locator('.timeline-plot').focus();
    await page.keyboard.press('Home');
    assert.match(await timeline.locator('.timeline-detail').textContent(), /^put #1 by pid \d+ on queue:\d+: \{'seq': 0, 'text': 'item 0'\} → get by pid \d+/);
    await timeline.scrollIntoViewIfNeeded();
    await shot('07-timeline.png');

    // The processes gain their channels: the consumer's details list the queue and the Value.
    const lastWriter = Number((await value.locator('.channel-meta').first().textContent()).match(/last write pid (\d+)/)[1]);
    const consumerRow = frame.locator('[role="treeitem"]', { has: frame.locator('.pid', { hasText: new RegExp(`^${lastWriter}$`) }) }).first();
    await consumerRow.click();
    const held = frame.locator('#details .details-channels');
    await held.waitFor({ timeout: 10_000 });
    const heldText = await held.textContent();
    assert.match(heldText, /Queue/);
    assert.match(heldText, /Value/);
    await held.locator('.channel-link', { hasText: /Value/ }).first().click();
    await value.locator('summary:focus').waitFor({ timeout: 5_000 });
    await shot('09-process-channels.png');

    // A narrow sidebar, as most people have it.
    const box = await page.locator('.part.sidebar').boundingBox();
    if (box) {
      await page.mouse.move(box.x + box.width + 1, box.y + 200);
      await page.mouse.down();
      await page.mouse.move(box.x + 330, box.y + 200, { steps: 8 });
      await page.mouse.up();
    }
    await value.scrollIntoViewIfNeeded();
    await shot('08-narrow-sidebar.png');
  } catch (e) {
    await shot('failure-queue.png').catch(() => {});
    throw e;
  }
});

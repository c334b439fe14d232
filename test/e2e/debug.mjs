// Real-VS-Code test of breakpoints on send/receive: sets a breakpoint on the producer's q.put line of
// examples/queue_producer_consumer.py, starts "Debug Python File with IPC Scope", and finds the paused
// process in the Call Stack, the line in the editor, the message in Variables, and the paused process
// with its Continue button in the IPC Scope panel. Screenshots go to test-results/e2e/debug-*.png.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { extensionHostLogs } from '../../scripts/code-server.mjs';
import { openVsCode, root } from './lib/harness.mjs';

let vscode;
let page;

before(async () => {
  vscode = await openVsCode();
  page = vscode.page;
}, { timeout: 600_000 });

after(async () => {
  await vscode?.close();
});

const example = join(root, 'examples', 'queue_producer_consumer.py');
const putLine = readFileSync(example, 'utf8').split('\n').findIndex((l) => l.includes('q.put({"seq": i')) + 1;

test('a breakpoint on a put line stops the producer: Call Stack, line, message and the panel show it', { timeout: 300_000 }, async () => {
  try {
    await page.goto(vscode.server.url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.locator('.activitybar [aria-label^="IPC Scope"]').first().waitFor({ timeout: 60_000 });
    await vscode.openFile('queue_producer_consumer.py');
    await page.locator('.monaco-editor .view-lines', { hasText: 'q.put(' }).first().waitFor({ timeout: 20_000 });

    // Go to the put line and toggle a breakpoint there (F9), as a keyboard user would.
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+G');
    await page.keyboard.type(String(putLine));
    await page.keyboard.press('Enter');
    await page.keyboard.press('F9');
    await page.locator('.codicon-debug-breakpoint').first().waitFor({ timeout: 10_000 });

    await vscode.runCommand('IPC Scope: Debug Python File with IPC Scope');

    // The Run and Debug view: the producer process is paused on the breakpoint.
    const thread = page.locator('.debug-call-stack .monaco-list-row', { hasText: /\d+ producer/ }).first();
    await thread.waitFor({ timeout: 60_000 });
    assert.match(await thread.textContent(), /Paused before sending on queue/i);
    const frame = page.locator('.debug-call-stack .monaco-list-row', { hasText: /producer.*queue_producer_consumer\.py/ }).first();
    await frame.waitFor({ timeout: 30_000 });
    assert.match(await frame.textContent(), new RegExp(`queue_producer_consumer\\.py\\s*${putLine}`));
    // The editor marks the paused line.
    await page.locator('.debug-top-stack-frame-line, .debug-top-stack-frame').first().waitFor({ timeout: 20_000 });
    // Variables: the Message scope holds the item about to be put.
    const variables = page.locator('.debug-variables');
    await variables.locator('.monaco-list-row', { hasText: 'Message' }).first().waitFor({ timeout: 20_000 });
    await variables.locator('.monaco-list-row', { hasText: "{'seq': 0, 'text': 'item 0'}" }).first().waitFor({ timeout: 20_000 });
    await vscode.shot('debug-01-paused-on-put.png');

    // The IPC Scope panel lists the paused process, where and on what, with Continue.
    await page.locator('.activitybar [aria-label^="IPC Scope"]').first().click();
    const panel = await vscode.panelFrame();
    const paused = panel.locator('#paused .paused-item').first();
    await paused.waitFor({ timeout: 30_000 });
    const text = await paused.textContent();
    assert.match(text, /producer/);
    assert.match(text, new RegExp(`at queue_producer_consumer\\.py:${putLine}`));
    assert.match(text, /\{'seq': 0, 'text': 'item 0'\}/);
    await vscode.shot('debug-02-panel-paused.png');

    // Remove the breakpoint, then Continue from the panel: the run completes.
    await vscode.openFile('queue_producer_consumer.py');
    await page.keyboard.press('Control+G');
    await page.keyboard.type(String(putLine));
    await page.keyboard.press('Enter');
    await page.keyboard.press('F9');
    await paused.locator('vscode-button, button', { hasText: 'Continue' }).first().click();
    await panel.locator('#paused').waitFor({ state: 'hidden', timeout: 30_000 });
    await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 60_000 });
    await vscode.shot('debug-03-finished.png');
  } catch (e) {
    await vscode.shot('debug-failure.png').catch(() => {});
    for (const log of extensionHostLogs(vscode.server.userDataDir)) {
      console.log(`--- ${log}\n${readFileSync(log, 'utf8').split('\n').slice(-40).join('\n')}`);
    }
    throw e;
  }
});

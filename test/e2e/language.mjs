// The language features in a real VS Code (code-server 4.100.3 driven by Chromium): opens
// examples/value_race.py, finds the unlocked `money.value += 1` race in the Problems view, applies
// the quick fix from the editor (and undoes it), sees the Run/Debug lenses above the main guard,
// runs the example with IPC Scope and hovers the shared Value for its live value.
// Screenshots go to test-results/e2e/language-*.png.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { extensionHostLogs } from '../../scripts/code-server.mjs';
import { openVsCode, root } from './lib/harness.mjs';

let vscode;
let page;
let workspace;
const shot = (name) => vscode.shot(`language-${name}`);
const source = readFileSync(join(root, 'examples', 'value_race.py'), 'utf8').replace('default=20000', 'default=200000').split('\n');
const raceLine = source.findIndex((l) => l.trim() === 'money.value += 1  # read, then write: another process may write in between') + 1;
const valueLine = source.findIndex((l) => l.includes('money = ctx.Value(')) + 1;
const guardLine = source.findIndex((l) => l.startsWith('if __name__ == "__main__":')) + 1;

before(async () => {
  assert.ok(raceLine > 0 && valueLine > 0 && guardLine > 0, 'value_race.py has the race and the Value');
  // A copy of the example in a folder of its own: the test edits it (the quick fix).
  workspace = mkdtempSync(join(tmpdir(), 'ipc-scope-lang-e2e-'));
  // Ten times the default increments, so the run lasts long enough to hover while it runs.
  const example = readFileSync(join(root, 'examples', 'value_race.py'), 'utf8');
  assert.ok(example.includes('default=20000'));
  writeFileSync(join(workspace, 'value_race.py'), example.replace('default=20000', 'default=200000'));
  vscode = await openVsCode({ folder: workspace, settings: { 'files.autoSave': 'off' } });
  page = vscode.page;
}, { timeout: 600_000 });

after(async () => {
  await vscode?.close();
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

/** Puts the cursor at line:column (1-based) with Go to Line. */
async function goTo(line, column) {
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`:${line}:${column}`); // fill replaces the ":" Go to Line starts with
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden' });
}

// Monaco renders spaces as no-break spaces.
const editorText = async () => (await page.locator('.editor-instance .view-lines').first().innerText()).replace(/\u00a0/g, ' ');

test('the race is in the Problems view, its quick fix wraps it in the lock, and a hover during a run shows the live Value', { timeout: 300_000 }, async () => {
  try {
    await page.goto(vscode.server.url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    // From the Explorer (the workspace holds only this file; quick open's file search can lag under load).
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'value_race.py' }).first().click({ timeout: 60_000 });
    await page.locator('.tab.active', { hasText: 'value_race.py' }).waitFor({ timeout: 30_000 });
    await page.locator('.monaco-editor .view-lines', { hasText: 'money.value += 1' }).first().waitFor({ timeout: 20_000 });

    // The diagnostic, in the Problems view (the language server starts with the Python file).
    await vscode.runCommand('View: Focus Problems');
    const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'is read and then written' }).first();
    await problem.waitFor({ timeout: 60_000 });
    const label = (await problem.getAttribute('aria-label')) ?? (await problem.innerText());
    assert.match(label, /money\.value/);
    assert.match(await problem.innerText(), new RegExp(`\\[Ln ${raceLine}, Col \\d+\\]`));
    assert.equal(await page.locator('.markers-panel .monaco-list-row', { hasText: 'IPC Scope' }).count() >= 1, true);
    await shot('01-problems.png');

    // The code lenses above the main guard (rendered once it is in view).
    await goTo(guardLine, 1);
    await page.locator('.codelens-decoration', { hasText: 'Run with IPC Scope' }).first().waitFor({ timeout: 30_000 });
    await page.locator('.codelens-decoration', { hasText: 'Debug with IPC Scope' }).first().waitFor({ timeout: 30_000 });
    await shot('02-code-lenses.png');

    // The quick fix, from the editor: Ctrl+. on the race.
    await problem.click();
    await goTo(raceLine, 20);
    await page.keyboard.press('Control+.');
    const fix = page.locator('.action-widget .monaco-list-row', { hasText: 'Hold money.get_lock() around it' }).first();
    await fix.waitFor({ timeout: 20_000 });
    await shot('03-quick-fix.png');
    await page.keyboard.press('Enter'); // the menu's first (preferred) fix; a click meets its pointer block
    await page.locator('.monaco-editor .view-lines', { hasText: 'with money.get_lock():' }).first().waitFor({ timeout: 10_000 });
    const fixedText = await editorText();
    assert.equal(fixedText.split('with money.get_lock():').length - 1, 2, 'the example now holds the lock in both branches');
    await page.locator('.markers-panel .monaco-list-row', { hasText: 'is read and then written' }).first().waitFor({ state: 'detached', timeout: 30_000 });
    await shot('04-fixed.png');
    // Back to the example as it was (the run below runs it without the lock).
    await page.keyboard.press('Control+Z');
    await page.keyboard.press('Control+S');
    await problem.waitFor({ timeout: 30_000 });
    assert.equal(readFileSync(join(workspace, 'value_race.py'), 'utf8'), source.join('\n'));

    // Run it with IPC Scope and hover the Value at once, again and again, until the hover is live.
    await goTo(valueLine, 6);
    await vscode.runCommand('IPC Scope: Run Python File with IPC Scope');
    const frame = await vscode.panelFrame();
    await page.locator('.tab', { hasText: 'value_race.py' }).first().click();
    await goTo(valueLine, 6);
    const hover = page.locator('.monaco-hover', { hasText: 'Live' }).first();
    let text = '';
    let duringRun = false;
    for (let attempt = 0; attempt < 40 && !text; attempt++) {
      await vscode.runCommand('Show or Focus Hover');
      try {
        await hover.waitFor({ state: 'visible', timeout: 1_500 });
        text = await hover.innerText();
        duringRun = !/Program ended/.test((await frame.locator('#ipc-scope-root').innerText()) ?? '');
      } catch {
        await page.keyboard.press('Escape');
      }
    }
    console.log(`hovered ${duringRun ? 'while the program ran' : 'after the program ended'}: ${JSON.stringify(text)}`);
    assert.ok(duringRun, 'the hover was live while the program ran');
    assert.match(text, new RegExp(`Value money — created at line ${valueLine}`));
    assert.match(text, /Live Value — = \d+ · \d+ writes — used by pids? [\d, ]+/);
    assert.match(text, /write by pid \d+: \d+/);
    await shot('05-hover-live-value.png');
    // The same Value in the panel, and the inlay hint after its creation line.
    await frame.locator('#channels .channel-shared', { has: frame.locator('.channel-type', { hasText: "Value('i')" }) }).first().waitFor({ timeout: 60_000 });
    await page.keyboard.press('Escape');
    await shot('06-inlay-hint.png'); // (inlay hints are drawn by CSS, not text: the LSP test checks their labels)
    // Let the run finish before code-server goes.
    await frame.locator('#ipc-scope-root', { hasText: 'Program ended' }).waitFor({ timeout: 180_000 });
  } catch (e) {
    await shot('failure.png').catch(() => {});
    for (const log of extensionHostLogs(vscode.server.userDataDir)) {
      console.log(`--- ${log}\n${readFileSync(log, 'utf8').split('\n').slice(-40).join('\n')}`);
    }
    throw e;
  }
});

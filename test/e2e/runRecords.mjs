// Run records in a real VS Code (code-server + Chromium): a program that leaks runs from the
// palette and its leak report appears in the panel and as a notification; the run is exported as a
// Chrome trace and as a saved run through the save dialogs (code-server's simple file dialog, a
// quick input), the trace is checked against the trace schema, the saved run opens read-only; a
// hostile saved run is refused with a clear error. Screenshots go to test-results/e2e/.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as esbuild from 'esbuild';
import { extensionHostLogs } from '../../scripts/code-server.mjs';
import { openVsCode, root } from './lib/harness.mjs';

let vscode;
let page;
const workspace = mkdtempSync(join(tmpdir(), 'ipc-scope-e2e-records-'));
copyFileSync(join(root, 'test/programs/leaky.py'), join(workspace, 'leaky.py'));
const leftovers = { pids: [], files: [] };

/** The trace checker the unit tests use (TypeScript), bundled on the fly. */
async function loadTraceChecker() {
  const r = await esbuild.build({ entryPoints: [join(root, 'test/unit/traceSchema.ts')], bundle: true, format: 'esm', platform: 'node', write: false });
  return (await import(`data:text/javascript;base64,${Buffer.from(r.outputFiles[0].text).toString('base64')}`)).checkChromeTrace;
}

before(async () => {
  vscode = await openVsCode({ folder: workspace });
  ({ page } = vscode);
}, { timeout: 600_000 });

after(async () => {
  for (const pid of leftovers.pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const f of leftovers.files) rmSync(f, { force: true });
  await vscode?.close();
  rmSync(workspace, { recursive: true, force: true });
});

/** Answers code-server's simple file dialog (a quick input holding a path) with `file`. */
async function answerFileDialog(file) {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  // The palette's own input goes first: wait for the dialog's (it holds a path).
  await page.waitForFunction(() => document.querySelector('.quick-input-widget input')?.value.startsWith('/'), null, { timeout: 15_000 });
  // The dialog may set its value again while it lists the folder: type, check it stuck, accept; again if it did not close.
  for (let attempt = 0; attempt < 5; attempt++) {
    await input.fill(file);
    await page.waitForTimeout(400);
    if ((await input.inputValue()) !== file) continue;
    await input.press('Enter');
    if (await widget.waitFor({ state: 'hidden', timeout: 3_000 }).then(() => true, () => false)) return;
  }
  throw new Error(`the file dialog did not take ${file}`);
}

const toast = (text) => page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();

test('leak report in the panel, trace and saved run exported, saved run opened read-only, hostile file refused', { timeout: 300_000 }, async () => {
  try {
    await page.goto(vscode.server.url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.locator('.activitybar [aria-label^="IPC Scope"]').first().waitFor({ timeout: 60_000 });
    // Give the sidebar room, as a user would, for the screenshots.
    const box = await page.locator('.part.sidebar').boundingBox();
    if (box) {
      await page.mouse.move(box.x + box.width + 1, box.y + 200);
      await page.mouse.down();
      await page.mouse.move(box.x + 560, box.y + 200, { steps: 8 });
      await page.mouse.up();
    }
    await vscode.openFile('leaky.py');
    await vscode.runCommand('IPC Scope: Run Python File with IPC Scope');

    // The report: when the main process has ended and the rest settled.
    const frame = await vscode.panelFrame(120_000);
    const leaks = frame.locator('.leaks');
    await leaks.locator('.leak-item[data-kind="running"]').waitFor({ timeout: 90_000 });
    const title = await leaks.locator('.leaks-title').textContent();
    assert.equal(title, 'leaky.py left 4 things behind');
    const src = readFileSync(join(workspace, 'leaky.py'), 'utf8').split('\n');
    const lineOf = (text) => `leaky.py:${src.findIndex((l) => l.includes(text)) + 1}`;
    const item = (kind) => leaks.locator(`.leak-item[data-kind="${kind}"]`);
    assert.equal(await item('shm').locator('.leak-created').textContent(), `created at ${lineOf('SharedMemory(create=True')}`);
    assert.match(await item('shm').locator('.leak-name').textContent(), /^psm_/);
    assert.equal(await item('fifo').locator('.leak-created').textContent(), `created at ${lineOf('os.mkfifo(fifo)')}`);
    assert.match(await item('fifo').locator('.leak-name').textContent(), /leaky\.fifo$/);
    assert.equal(await item('zombie').locator('.leak-created').textContent(), `created at ${lineOf('if os.fork() == 0')}`);
    assert.equal(await item('running').locator('.leak-created').textContent(), `created at ${lineOf('sleeper = os.fork()')}`);
    const running = (await item('running').locator('.leak-name').textContent()).match(/^pid (\d+)/);
    if (running) leftovers.pids.push(Number(running[1]));
    const shmName = await item('shm').locator('.leak-name').textContent();
    leftovers.files.push(join('/dev/shm', shmName), (await item('fifo').locator('.leak-name').textContent()));
    await toast('leaky.py left 4 things behind').waitFor({ timeout: 20_000 });
    await page.locator('.notifications-toasts .notification-fade-in-done').first().waitFor({ timeout: 5_000 }).catch(() => {});
    await leaks.scrollIntoViewIfNeeded();
    await vscode.shot('records-01-leak-report.png');

    // Export as a Chrome trace through the save dialog, and check the file.
    const traceFile = join(workspace, 'leaky.trace.json');
    await vscode.runCommand('IPC Scope: Export Run as Trace…');
    await answerFileDialog(traceFile);
    await toast('as a Chrome trace').waitFor({ timeout: 30_000 });
    assert.ok(existsSync(traceFile), 'the trace file was written');
    const trace = JSON.parse(readFileSync(traceFile, 'utf8'));
    const checkChromeTrace = await loadTraceChecker();
    assert.deepEqual(checkChromeTrace(trace), []);
    const names = trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => e.args.name);
    assert.ok(names.some((n) => /^python/.test(n)), `process names: ${names}`);
    assert.ok(trace.traceEvents.some((e) => e.ph === 'X' && e.cat === 'process'), 'process lifetimes');
    await vscode.shot('records-02-trace-exported.png');

    // Export as JSON, then open it back: read-only, labelled, with its leak report.
    const savedFile = join(workspace, 'leaky.ipcscope.json');
    await vscode.runCommand('IPC Scope: Export Run as JSON…');
    await answerFileDialog(savedFile);
    await toast('as a saved run').waitFor({ timeout: 30_000 });
    const saved = JSON.parse(readFileSync(savedFile, 'utf8'));
    assert.equal(saved.format, 'ipc-scope-run');
    assert.equal(saved.leaks.items.length, 4);
    await vscode.runCommand('IPC Scope: Open Saved Run…');
    await answerFileDialog(savedFile);
    const banner = frame.locator('.saved-run-banner');
    await banner.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await banner.locator('.saved-run-title').textContent(), /^Saved run \(read-only\): leaky\.ipcscope\.json — leaky\.py, saved /);
    assert.equal(await frame.locator('.toolbar').isVisible(), false, 'no live controls on a saved run');
    assert.equal(await leaks.locator('.leak-item').count(), 4);
    assert.match(await frame.locator('[role="tree"]').textContent(), /leaky\.py/);
    await banner.scrollIntoViewIfNeeded();
    await vscode.shot('records-03-saved-run.png');

    // A hostile saved run: its strings are shown as text, never as HTML.
    const evil = '<img src=x onerror="document.title=\'pwned\'">';
    const hostileFile = join(workspace, 'hostile.ipcscope.json');
    writeFileSync(hostileFile, JSON.stringify({ ...saved, label: evil, leaks: { ...saved.leaks, program: evil, items: [{ ...saved.leaks.items[0], name: evil }] } }));
    await vscode.runCommand('IPC Scope: Open Saved Run…');
    await answerFileDialog(hostileFile);
    await banner.locator('.saved-run-title', { hasText: 'hostile.ipcscope.json' }).waitFor({ timeout: 30_000 });
    assert.match(await banner.locator('.saved-run-title').textContent(), /<img src=x onerror=/);
    assert.equal(await leaks.locator('.leak-name').first().textContent(), evil);
    assert.equal(await frame.locator('.leaks img, .saved-run-banner img').count(), 0, 'no element made from the strings');
    assert.notEqual(await frame.evaluate(() => document.title), 'pwned');
    await banner.scrollIntoViewIfNeeded();
    await vscode.shot('records-04-hostile-saved-run.png');

    // A malformed one: a clear error, the panel keeps what it showed.
    const brokenFile = join(workspace, 'broken.ipcscope.json');
    writeFileSync(brokenFile, '{"format": "ipc-scope-run", "version": 1, "processes": [');
    await vscode.runCommand('IPC Scope: Open Saved Run…');
    await answerFileDialog(brokenFile);
    await page.locator('.notifications-toasts .notification-toast.notification-fade-in-done', { hasText: 'Could not open the saved run: it is not JSON' }).waitFor({ timeout: 30_000 });
    await vscode.shot('records-05-malformed-error.png');

    // Back to live.
    await vscode.runCommand('IPC Scope: Back to Live');
    await banner.waitFor({ state: 'hidden', timeout: 15_000 });
    assert.equal(await frame.locator('.toolbar').isVisible(), true);
  } catch (e) {
    await vscode.shot('records-failure.png').catch(() => {});
    for (const log of extensionHostLogs(vscode.server.userDataDir)) {
      console.log(`--- ${log}\n${readFileSync(log, 'utf8').split('\n').slice(-40).join('\n')}`);
    }
    throw e;
  }
});

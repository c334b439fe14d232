// Real VS Code: runs examples/join_deadlock.py from the command palette and finds, in the panel,
// the deadlock alert (naming both processes, the queue's pipe and the fix), the kernel's edges
// between the processes, the row badges, the Kernel IPC details of the child, and VS Code's
// warning notification. Screenshots go to test-results/e2e/.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, test } from 'node:test';
import { extensionHostLogs } from '../../scripts/code-server.mjs';
import { openVsCode } from './lib/harness.mjs';

let vscode;
let page;
/** Pids of the deadlocked program, killed at the end (it never ends by itself). */
const stuck = new Set();

before(async () => {
  vscode = await openVsCode();
  ({ page } = vscode);
}, { timeout: 600_000 });

after(async () => {
  // The program runs in code-server's terminal (its own session): end every process that inherited
  // this code-server's throwaway home (XDG_DATA_HOME), i.e. the program and its launcher.
  const home = vscode ? dirname(vscode.server.userDataDir) : null;
  for (const e of home ? readdirSync('/proc') : []) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${e}/environ`, 'latin1');
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'latin1');
      if (env.includes(`XDG_DATA_HOME=${home}/data\0`) && cmd.includes('join_deadlock.py')) stuck.add(Number(e));
    } catch {
      /* gone or not ours */
    }
  }
  for (const pid of stuck) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('join_deadlock.py')) process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await vscode?.close();
});

test('join_deadlock.py: the panel and a notification flag the deadlock, with the edges between the processes', { timeout: 300_000 }, async () => {
  try {
    await page.goto(vscode.server.url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.locator('.activitybar [aria-label^="IPC Scope"]').first().waitFor({ timeout: 60_000 });
    await vscode.openFile('join_deadlock.py');
    await vscode.runCommand('IPC Scope: Run Python File with IPC Scope');
    const frame = await vscode.panelFrame(120_000);

    // The alert in the panel: both processes, the pipe, the fix.
    const alert = frame.locator('#os-ipc .deadlock').first();
    await alert.waitFor({ timeout: 60_000 });
    const title = await alert.locator('.deadlock-title').textContent();
    assert.match(title, /^Deadlock: pid \d+ \(python3?[\d.]*\) joins pid \d+ .*queue feeder thread waits for someone to read pipe:\[\d+\]/);
    for (const m of title.matchAll(/pid (\d+)/g)) stuck.add(Number(m[1]));
    const [parent, child] = [...title.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
    const explanation = await alert.locator('.deadlock-explanation').textContent();
    assert.match(explanation, new RegExp(`wait4\\(pid ${child}\\)`));
    assert.match(explanation, /write\(fd \d+ → pipe:\[\d+\]/);
    // The runtime's word on the parent: the Python call and its line.
    await alert.locator('.deadlock-explanation', { hasText: /in Process\.join\(\) of pid \d+ at \S*join_deadlock\.py:\d+/ }).waitFor({ timeout: 30_000 });
    assert.match(await alert.locator('.deadlock-lines').textContent(), /join_deadlock\.py:\d+/);
    assert.match(await alert.locator('.deadlock-fix').textContent(), /get\(\).*then p\.join\(\)/);
    assert.match(await alert.locator('.deadlock-objects').textContent(), /pipe:\[\d+\]/);
    await vscode.shot('deadlock-01-alert.png');

    // VS Code's own warning.
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'IPC Scope: Deadlock' }).first();
    await toast.waitFor({ timeout: 30_000 });
    await page.locator('.notifications-toasts .notification-fade-in-done').first().waitFor({ timeout: 10_000 }).catch(() => {});
    assert.match(await toast.textContent(), /joins pid \d+/);
    await vscode.shot('deadlock-02-notification.png');

    // The kernel's edges between parent and child (the queue's pipe, both ends held by both).
    const edges = frame.locator('#os-ipc .os-edges');
    await edges.locator('summary').click();
    const edgeText = await edges.locator('.os-edge-list').textContent();
    assert.match(edgeText, new RegExp(`pid ${child} writes → pid ${parent} reads, pipe:\\[\\d+\\]`));
    // The queue holds the item its feeder cannot write: put, not got, listed in the contents.
    const queue = frame.locator('#channels .channel-queue').first();
    await queue.locator('summary', { hasText: /1 put · 0 got/ }).waitFor({ timeout: 15_000 });
    assert.match(await queue.locator('.contents-list').textContent(), /^put.*… \(1048585 bytes\)$/);
    // Rows: the deadlock badge and the edge badge on the child.
    const childRow = frame.locator('[role="treeitem"]', { has: frame.locator('.pid', { hasText: new RegExp(`^${child}$`) }) }).first();
    await childRow.locator('.badge-deadlock').waitFor({ timeout: 10_000 });
    assert.match(await childRow.locator('.badge-edges').textContent(), new RegExp(`${parent}`));
    await childRow.click();
    const details = frame.locator('#details .details-os-ipc');
    await details.waitFor({ state: 'attached', timeout: 10_000 });
    const d = await details.textContent();
    assert.match(d, /Deadlocked: /);
    assert.match(d, /Blocked in: futex/);
    assert.match(d, /write\(fd \d+ → pipe:\[\d+\]/);
    // IPC Scope's own threads are told apart from the program's (and not counted among them).
    assert.match(d, /thread \d+ \(IPC Scope's runtime\): recv/);
    assert.match(d, /Blocked in: futex [^;]*; 1 other thread blocked too/);
    // Give the sidebar room for the screenshot, as a user would.
    const box = await page.locator('.part.sidebar').boundingBox();
    if (box) {
      await page.mouse.move(box.x + box.width + 1, box.y + 200);
      await page.mouse.down();
      await page.mouse.move(box.x + 700, box.y + 200, { steps: 8 });
      await page.mouse.up();
    }
    // The panel re-renders on each update: the details can be replaced while being scrolled to.
    for (let i = 0; ; i++) {
      try {
        await details.scrollIntoViewIfNeeded({ timeout: 5_000 });
        break;
      } catch (e) {
        if (i === 2) throw e;
      }
    }
    await vscode.shot('deadlock-03-edges-details.png');
  } catch (e) {
    await vscode.shot('deadlock-failure.png').catch(() => {});
    for (const log of extensionHostLogs(vscode.server.userDataDir)) {
      console.log(`--- ${log}\n${readFileSync(log, 'utf8').split('\n').slice(-40).join('\n')}`);
    }
    throw e;
  }
});

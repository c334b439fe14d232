/** The panel's client model (pure) and the real panel in Chromium with hostile process data. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { PROTOCOL_VERSION, ProcessDelta, ProcessInfo, Snapshot } from '../../protocol/protocol';
import { ClientModel } from '../../webview/src/model';
import { servePanel, syntheticProcesses } from '../bench/webviewBench';

function snapshot(processes: ProcessInfo[], seq = 1): Snapshot {
  return { version: PROTOCOL_VERSION, seq, takenAt: 0, scope: 'program', watch: null, processes, ended: [], stats: { processes: processes.length, zombies: 0, orphans: 0, restricted: 0, scanMs: 0 } };
}
function delta(baseSeq: number, d: Partial<ProcessDelta>): ProcessDelta {
  return { version: PROTOCOL_VERSION, baseSeq, seq: baseSeq + 1, takenAt: 0, added: [], changed: [], removed: [], ended: [], stats: { processes: 0, zombies: 0, orphans: 0, restricted: 0, scanMs: 0 }, ...d };
}

describe('panel model', () => {
  const ps = syntheticProcesses(20);

  test('reset lays out a pstree-like order, depth-first by pid', () => {
    const m = new ClientModel();
    m.reset(snapshot(ps));
    const rows = m.rows(new Set());
    assert.equal(rows.length, 20);
    assert.equal(rows[0].key, ps[0].key);
    assert.equal(rows[0].depth, 0);
    assert.equal(rows[1].key, ps[1].key);
    assert.equal(rows[1].depth, 1);
    assert.equal(rows[2].depth, 2, 'children come right after their parent');
  });

  test('deltas add, change and remove by key; a gap asks for a reset', () => {
    const m = new ClientModel();
    m.reset(snapshot(ps.slice(0, 5)));
    assert.equal(m.apply(delta(1, { added: [ps[5]], changed: [{ ...ps[0], cpuPercent: 99 }], removed: [ps[4].key] })), true);
    assert.equal(m.byKey.get(ps[0].key)!.cpuPercent, 99);
    assert.ok(m.byKey.has(ps[5].key));
    assert.ok(!m.byKey.has(ps[4].key));
    assert.equal(m.seq, 2);
    assert.equal(m.apply(delta(7, {})), false, 'does not follow: the panel must ask for a snapshot');
    assert.equal(m.seq, 2);
  });

  test('a process whose parent is not shown becomes a root; re-parenting moves it', () => {
    const m = new ClientModel();
    const orphan = { ...ps[7], ppid: 424242 };
    m.reset(snapshot([ps[0], orphan]));
    assert.deepEqual(m.rows(new Set()).map((r) => [r.key, r.depth]), [[ps[0].key, 0], [orphan.key, 0]]);
    m.apply(delta(1, { changed: [{ ...orphan, ppid: ps[0].pid }] }));
    assert.deepEqual(m.rows(new Set()).map((r) => [r.key, r.depth]), [[ps[0].key, 0], [orphan.key, 1]]);
  });

  test('collapse hides descendants; a filter keeps matches and their ancestors', () => {
    const m = new ClientModel();
    m.reset(snapshot(ps));
    assert.equal(m.rows(new Set([ps[0].key])).length, 1);
    const rows = m.rows(new Set(), String(ps[13].pid));
    assert.deepEqual(rows.map((r) => r.key).at(-1), ps[13].key);
    assert.ok(rows.length < 6 && rows[0].key === ps[0].key);
  });

  test('ended processes are kept, newest last', () => {
    const m = new ClientModel();
    m.reset(snapshot(ps.slice(0, 3)));
    const gone = { ...ps[2], ended: { at: 1, exitCode: 3, signal: null, signalName: null, coreDumped: false, description: 'exited with code 3' } };
    m.apply(delta(1, { removed: [ps[2].key], ended: [gone] }));
    assert.equal(m.ended.at(-1)!.ended!.exitCode, 3);
  });
});

describe('panel in Chromium', { skip: existsSync('/usr/bin/chromium') ? false : 'needs Debian chromium (npm test installs it)' }, () => {
  test('hostile names and command lines render as text, never as HTML', async () => {
    const { chromium } = await import('playwright-core');
    const srv = await servePanel();
    const origin = srv.url;
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      const page = await browser.newPage();
      const violations: string[] = [];
      page.on('console', (m) => /Content Security Policy/.test(m.text()) && violations.push(m.text()));
      const posted: unknown[] = [];
      await page.exposeFunction('__posted', (m: unknown) => void posted.push(m));
      await page.addInitScript(() => {
        const w = window as unknown as { acquireVsCodeApi: () => unknown; __posted: (m: unknown) => void; __pwned?: boolean };
        w.acquireVsCodeApi = () => ({ postMessage: (m: unknown) => w.__posted(m), getState() {}, setState() {} });
      });
      await page.goto(origin);
      await page.waitForFunction(() => typeof (window as unknown as { __ipcScopeApply?: unknown }).__ipcScopeApply === 'function');
      const evil = '<img src=x onerror="window.__pwned=true">';
      const [p] = syntheticProcesses(1);
      const hostile: ProcessInfo = {
        ...p,
        name: evil,
        argv: ['python3', evil, 'line1\nline2', '\ufffd(bad)'],
        command: `python3 ${evil} line1\nline2`,
        zombie: { parentPid: 1, parentName: evil, explanation: `parent ${evil} has not called wait()`, fix: evil },
      };
      const snap = { ...snapshot([hostile]), watch: { pid: hostile.pid, key: hostile.key, label: evil, launched: false } };
      await page.evaluate((s) => (window as unknown as { __ipcScopeApply: (m: unknown) => void }).__ipcScopeApply({ type: 'reset', snapshot: s }), snap);
      await page.locator('[role="treeitem"]').first().click();
      await page.locator('#details .zombie-explanation').waitFor();
      assert.equal(await page.locator('img').count(), 0, 'no element was created from user data');
      assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: boolean }).__pwned ?? false), false);
      assert.equal(await page.locator('[role="treeitem"] .name').first().textContent(), evil);
      assert.equal(await page.locator('.status-title').textContent(), evil, 'the watched label too');
      assert.match((await page.locator('#details .zombie-explanation').textContent()) ?? '', /<img src=x/);
      assert.match((await page.locator('[role="treeitem"] .cmd').first().textContent()) ?? '', /line1\u21b5line2/, 'newline shown as a visible mark');
      assert.deepEqual(violations, []);
      assert.deepEqual(posted[0], { type: 'ready' });
      // Keyboard: the tree takes focus and arrows move the selection.
      await page.locator('[role="tree"]').focus();
      await page.keyboard.press('Home');
      assert.equal(await page.locator('[role="treeitem"][aria-selected="true"]').count(), 1);
    } finally {
      await browser.close();
      srv.close();
    }
  });
});

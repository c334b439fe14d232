/** The panel's client model (pure, in Node) and the real panel in Chromium with hostile process data. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { EndInfo, PROTOCOL_VERSION, ProcessDelta, ProcessInfo, Snapshot } from '../../protocol/protocol';
import { ClientModel, GHOST_MS } from '../../webview/src/model';
import { ChannelModel } from '../../server/src/core/channels';
import { DARK_MODERN, initScript, servePanel, syntheticProcesses } from '../bench/webviewBench';
import type { HubEvent } from '../../server/src/hub/hub';
import { EVIL, everyKindEvents, pickleStr } from './channelFixtures';
import { repoRoot } from './helpers';

function snapshot(processes: ProcessInfo[], more: Partial<Snapshot> = {}): Snapshot {
  return { version: PROTOCOL_VERSION, seq: 1, takenAt: 0, scope: 'program', watch: null, processes, ended: [], stats: { processes: processes.length, zombies: 0, orphans: 0, restricted: 0, scanMs: 0 }, ...more };
}
function delta(baseSeq: number, d: Partial<ProcessDelta>): ProcessDelta {
  return { version: PROTOCOL_VERSION, baseSeq, seq: baseSeq + 1, takenAt: 0, added: [], changed: [], removed: [], ended: [], stats: { processes: 0, zombies: 0, orphans: 0, restricted: 0, scanMs: 0 }, ...d };
}
const endInfo = (at: number, description = 'exited with code 3'): EndInfo => ({ at, exitCode: 3, signal: null, signalName: null, coreDumped: false, description });
const keysAndDepths = (m: ClientModel, collapsed = new Set<string>(), filter = '') => m.rows(collapsed, filter).map((r) => [r.key, r.depth]);

describe('panel model', () => {
  const ps = syntheticProcesses(20);

  test('reset lays out a pstree-like order, depth-first, children by pid', () => {
    const m = new ClientModel();
    m.reset(snapshot([...ps].reverse()));
    const rows = m.rows(new Set());
    assert.equal(rows.length, 20);
    assert.equal(rows[0].key, ps[0].key);
    assert.equal(rows[0].depth, 0);
    assert.equal(rows[1].key, ps[1].key);
    assert.equal(rows[1].depth, 1);
    assert.equal(rows[2].key, ps[7].key, "ps[1]'s first child comes right after it");
    assert.equal(rows[2].depth, 2);
    // Siblings in pid order, with their position for screen readers.
    const kids = rows.filter((r) => r.depth === 1);
    assert.deepEqual(kids.map((r) => r.key), ps.slice(1, 7).map((p) => p.key));
    assert.deepEqual(kids.map((r) => [r.pos, r.siblings]), [1, 2, 3, 4, 5, 6].map((i) => [i, 6]));
    assert.equal(kids.at(-1)!.lastChild, true);
    assert.equal(rows[0].hasChildren && rows[0].expanded, true);
    assert.ok(rows.every((r) => !r.ended && !r.context));
  });

  test('deltas add, change and remove by key; a gap asks for a reset and changes nothing', () => {
    const m = new ClientModel();
    m.reset(snapshot(ps.slice(0, 5)));
    assert.equal(m.apply(delta(1, { added: [ps[5]], changed: [{ ...ps[0], cpuPercent: 99 }], removed: [ps[4].key] })), true);
    assert.equal(m.byKey.get(ps[0].key)!.cpuPercent, 99);
    assert.ok(m.byKey.has(ps[5].key));
    assert.ok(!m.byKey.has(ps[4].key));
    assert.equal(m.seq, 2);
    assert.deepEqual(m.rows(new Set()).map((r) => r.key), [ps[0], ps[1], ps[2], ps[3], ps[5]].map((p) => p.key));
    assert.equal(m.apply(delta(7, { removed: [ps[0].key] })), false, 'does not follow: the panel must ask for a snapshot');
    assert.equal(m.seq, 2);
    assert.ok(m.byKey.has(ps[0].key), 'a refused delta is not applied');
    // A reset brings it back in step.
    m.reset(snapshot(ps.slice(0, 2), { seq: 40 }));
    assert.equal(m.apply(delta(40, {})), true);
    assert.equal(m.size, 2);
  });

  test('field-only deltas reuse the layout; a re-parenting change lays it out again', () => {
    const m = new ClientModel();
    m.reset(snapshot(ps));
    const before = m.rows(new Set());
    m.apply(delta(1, { changed: ps.map((p) => ({ ...p, cpuPercent: 50, stat: 'R' })) }));
    assert.equal(m.rows(new Set()), before, 'same row array: nothing moved');
    m.apply(delta(2, { changed: [{ ...ps[19], ppid: ps[0].pid }] }));
    const after = m.rows(new Set());
    assert.notEqual(after, before);
    assert.equal(after.find((r) => r.key === ps[19].key)!.depth, 1);
  });

  test('a process whose parent is not in the set is a root; re-parenting moves it', () => {
    const m = new ClientModel();
    const orphan = { ...ps[7], ppid: 424242 };
    const self = { ...ps[8], ppid: ps[8].pid }; // pid 1 style: its own parent
    m.reset(snapshot([ps[0], orphan, self]));
    assert.deepEqual(keysAndDepths(m), [[ps[0].key, 0], [orphan.key, 0], [self.key, 0]]);
    m.apply(delta(1, { changed: [{ ...orphan, ppid: ps[0].pid }] }));
    assert.deepEqual(keysAndDepths(m), [[ps[0].key, 0], [orphan.key, 1], [self.key, 0]]);
  });

  test('a ppid cycle (garbage data) does not hide processes', () => {
    const m = new ClientModel();
    const a = { ...ps[3], ppid: ps[4].pid };
    const b = { ...ps[4], ppid: ps[3].pid };
    m.reset(snapshot([ps[0], a, b]));
    const rows = m.rows(new Set());
    assert.deepEqual(rows.map((r) => r.key).sort(), [ps[0].key, a.key, b.key].sort());
  });

  test('collapse hides descendants; a filter keeps matches and their ancestors (as context)', () => {
    const m = new ClientModel();
    m.reset(snapshot(ps));
    assert.equal(m.rows(new Set([ps[0].key])).length, 1);
    assert.equal(m.rows(new Set([ps[0].key]))[0].expanded, false);
    const rows = m.rows(new Set([ps[0].key]), String(ps[13].pid));
    assert.deepEqual(rows.map((r) => r.key), [ps[0].key, ps[2].key, ps[13].key], 'a filter shows matches even under collapsed parents');
    assert.deepEqual(rows.map((r) => r.context), [true, true, false]);
    const byName = m.rows(new Set(), 'SLEEP');
    assert.ok(byName.length > 1 && byName.filter((r) => !r.context).every((r) => m.get(r.key)!.name === 'sleep'), 'case-insensitive, by name or command');
    assert.equal(m.rows(new Set(), 'no such thing').length, 0);
  });

  test('ended processes are remembered newest last, and shown in the tree for a while under their parent', () => {
    const m = new ClientModel();
    const now = 1_000_000;
    m.reset(snapshot(ps.slice(0, 3), { takenAt: now }));
    const gone = { ...ps[2], ended: endInfo(now + 1000) };
    m.apply(delta(1, { removed: [ps[2].key], ended: [gone], takenAt: now + 1000 }));
    assert.equal(m.ended.at(-1)!.ended!.exitCode, 3);
    assert.equal(m.size, 2, 'not counted as a process');
    assert.equal(m.ghostCount, 1);
    const row = m.rows(new Set()).find((r) => r.key === gone.key)!;
    assert.equal(row.ended, true);
    assert.equal(row.depth, 1, 'under its parent, as before');
    assert.equal(m.get(gone.key), gone);
    assert.equal(m.isEnded(gone.key), true);
    assert.equal(m.isEnded(ps[0].key), false);
    // Later, it leaves the tree but stays in the ended list.
    m.apply(delta(2, { takenAt: now + 1000 + GHOST_MS.program + 1 }));
    assert.equal(m.ghostCount, 0);
    assert.ok(!m.rows(new Set()).some((r) => r.key === gone.key));
    assert.equal(m.get(gone.key), gone, 'still selectable from the ended list');
  });

  test('a live process wins a reused pid over an ended one; a whole ended program keeps its shape', () => {
    const m = new ClientModel();
    const now = 5_000_000;
    const parent = { ...ps[1], ended: endInfo(now) };
    const child = { ...ps[7], ended: endInfo(now) };
    const reused = { ...ps[9], key: `${ps[1].pid}@999999`, pid: ps[1].pid, ppid: 1 };
    const underReused = { ...ps[10], ppid: ps[1].pid };
    m.reset(snapshot([reused, underReused], { takenAt: now, ended: [parent, child] }));
    const rows = m.rows(new Set());
    assert.equal(rows.find((r) => r.key === underReused.key)!.depth, 1);
    const reusedIdx = rows.findIndex((r) => r.key === reused.key);
    assert.equal(rows[reusedIdx + 1].key, underReused.key, 'the live process with that pid is the parent');
    assert.equal(rows.find((r) => r.key === child.key)!.depth, 1, 'the ended child sits under its ended parent');
  });

  test('whole-system scope keeps ended rows briefly; counts come from live processes', () => {
    const m = new ClientModel();
    const now = 9_000_000;
    const zombie = ps.find((p) => p.zombie)!;
    m.reset(snapshot(ps, { takenAt: now, scope: 'system', ended: [{ ...ps[3], key: 'x@1', pid: 77, ended: endInfo(now) }] }));
    assert.equal(m.ghostCount, 1);
    assert.deepEqual(m.counts(), { zombies: 1, orphans: 0 });
    assert.ok(zombie);
    m.apply(delta(1, { takenAt: now + GHOST_MS.system + 1 }));
    assert.equal(m.ghostCount, 0);
  });
});

describe('panel in Chromium', { skip: existsSync('/usr/bin/chromium') ? false : 'needs Debian chromium (npm test installs it)' }, () => {
  test('hostile names and command lines render as text, never as HTML; keyboard, ARIA and state', async () => {
    const { chromium } = await import('playwright-core');
    const srv = await servePanel();
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      const page = await browser.newPage({ viewport: { width: 500, height: 800 } });
      const violations: string[] = [];
      const errors: string[] = [];
      page.on('console', (m) => /Content Security Policy/.test(m.text()) && violations.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      await page.addInitScript(initScript(null));
      await page.goto(srv.url);
      await page.waitForFunction(() => typeof (window as unknown as { __ipcScopeApply?: unknown }).__ipcScopeApply === 'function');
      const apply = (m: unknown) => page.evaluate((x) => (window as unknown as { __ipcScopeApply: (m: unknown) => void }).__ipcScopeApply(x), m);
      const posted = () => page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted);
      assert.deepEqual((await posted())[0], { type: 'ready' });

      const evil = '<img src=x onerror="window.__pwned=true">';
      const ps = syntheticProcesses(30);
      const hostile: ProcessInfo = {
        ...ps.find((p) => p.zombie)!,
        name: evil,
        argv: ['python3', evil, 'line1\nline2', '\ufffd(bad)', ' spaced '],
        command: `python3 ${evil} line1\nline2`,
        user: evil,
        wchan: evil,
        blockedOn: evil,
        zombie: { parentPid: 1, parentName: evil, explanation: `parent ${evil} has not called wait()`, fix: evil },
        orphan: { originalPpid: 5, originalParentName: evil, adoptedBy: 1, adopterKind: 'init', inferred: false, explanation: evil, fix: evil },
        restricted: true,
        restrictedReason: evil,
      };
      const all = ps.map((p) => (p.key === hostile.key ? hostile : p));
      await apply({ type: 'reset', snapshot: { ...snapshot(all), watch: { pid: ps[0].pid, key: ps[0].key, label: evil, launched: false } } });
      const row = page.locator('[role="treeitem"]', { has: page.locator('.badge-zombie') }).first();
      // Find it with the filter (rows are virtualized), pick it, clear the filter with Escape.
      await page.locator('vscode-text-field').click();
      await page.keyboard.type(String(hostile.pid));
      assert.equal(await page.locator('[role="treeitem"]').count(), 2, 'the match and its parent');
      await row.click();
      await page.locator('vscode-text-field').click();
      await page.keyboard.press('Escape');
      assert.equal(await page.locator('[role="treeitem"].filter-context').count(), 0, 'filter cleared');
      await row.waitFor();
      await page.locator('#details .zombie-explanation').waitFor();
      assert.equal(await page.locator('img').count(), 0, 'no element was created from user data');
      assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: boolean }).__pwned ?? false), false);
      assert.equal(await row.locator('.name').textContent(), evil);
      assert.equal(await page.locator('.status-title').textContent(), evil, 'the watched label too');
      assert.match((await page.locator('#details .zombie-explanation').textContent()) ?? '', /<img src=x/);
      assert.match((await page.locator('#details .orphan-explanation').textContent()) ?? '', /<img src=x/);
      assert.match((await row.locator('.cmd').textContent()) ?? '', /line1\u21b5line2/, 'newline shown as a visible mark');
      assert.deepEqual(await page.locator('#details .argv-list li').allTextContents(), ['python3', evil, 'line1\\nline2', '\ufffd(bad)', ' spaced ']);
      assert.equal(await page.locator('#details .argv-list .esc').count(), 2, 'the newline and the invalid bytes are marked');
      assert.match((await page.locator('#details').textContent()) ?? '', /Blocked on/);
      // Row ARIA: a label a screen reader can speak, level, selection, STAT tooltip.
      assert.match((await row.getAttribute('aria-label')) ?? '', new RegExp(`^pid ${hostile.pid} .*zombie`));
      assert.equal(await row.getAttribute('aria-selected'), 'true');
      assert.equal(await row.getAttribute('aria-level'), '2');
      assert.match((await row.locator('.stat-badge').getAttribute('title')) ?? '', /Z\s+zombie/);
      assert.equal(await page.locator('[role="tree"]').getAttribute('aria-activedescendant'), await row.getAttribute('id'));

      // Keyboard, like a VS Code tree.
      const tree = page.locator('[role="tree"]');
      const selectedKey = () => page.locator('[role="treeitem"][aria-selected="true"]').getAttribute('data-key');
      await tree.focus();
      await page.keyboard.press('Home');
      assert.equal(await selectedKey(), ps[0].key);
      await page.keyboard.press('ArrowDown');
      assert.equal(await selectedKey(), ps[1].key);
      await page.keyboard.press('ArrowLeft'); // expanded: collapses
      assert.equal(await page.locator(`[data-key="${ps[1].key}"]`).getAttribute('aria-expanded'), 'false');
      await page.keyboard.press('ArrowDown');
      assert.equal(await selectedKey(), ps[2].key, "ps[1]'s children are hidden");
      await page.keyboard.press('ArrowLeft'); // leaf-ish or expanded? ps[2] has children: collapse it
      await page.keyboard.press('ArrowLeft'); // collapsed: go to parent
      assert.equal(await selectedKey(), ps[0].key);
      await page.keyboard.press('End');
      const last = await selectedKey();
      assert.ok(last && last !== ps[0].key);
      await page.keyboard.press('PageUp');
      await page.keyboard.press('Home');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter'); // toggles ps[1] open again
      assert.equal(await page.locator(`[data-key="${ps[1].key}"]`).getAttribute('aria-expanded'), 'true');

      // Selection and collapse survive updates; the state is saved for when the view is hidden.
      await apply({ type: 'delta', delta: delta(1, { changed: all.map((p) => ({ ...p, cpuPercent: 12 })) }) });
      assert.equal(await selectedKey(), ps[1].key);
      const saved = await page.evaluate(() => (window as unknown as { acquireVsCodeApi: () => { getState(): unknown } }).acquireVsCodeApi().getState());
      assert.deepEqual((saved as { selected: string }).selected, ps[1].key);
      assert.deepEqual((saved as { collapsed: string[] }).collapsed, [ps[2].key]);

      // A delta that does not follow asks for a snapshot.
      await apply({ type: 'delta', delta: delta(77, {}) });
      assert.deepEqual((await posted()).at(-1), { type: 'refresh' });

      // An ended process stays in the tree, marked.
      const gone = { ...ps[5], ended: endInfo(Date.now(), 'killed by SIGKILL') };
      await apply({ type: 'delta', delta: delta(2, { removed: [ps[5].key], ended: [gone] }) });
      const endedRow = page.locator(`[role="treeitem"][data-key="${ps[5].key}"]`);
      assert.equal(await endedRow.locator('.badge-ended').textContent(), 'ended');
      assert.match((await endedRow.getAttribute('aria-label')) ?? '', /ended, killed by SIGKILL/);

      // Virtualized: a big tree keeps only the rows in view in the DOM.
      await apply({ type: 'reset', snapshot: snapshot(syntheticProcesses(2000), { seq: 9 }) });
      const inDom = await page.locator('[role="treeitem"]').count();
      assert.ok(inDom > 10 && inDom < 100, `rows in the DOM: ${inDom}`);
      assert.deepEqual(violations, []);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      srv.close();
    }
  });

  test('channels of every kind render as text: queue contents, pipes by direction, shared bytes, locks, managers, pools, timeline', async () => {
    const { chromium } = await import('playwright-core');
    const srv = await servePanel();
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      // A narrow sidebar.
      const page = await browser.newPage({ viewport: { width: 380, height: 1500 } });
      const violations: string[] = [];
      const errors: string[] = [];
      page.on('console', (m) => /Content Security Policy/.test(m.text()) && violations.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      await page.addInitScript(initScript(DARK_MODERN));
      await page.goto(srv.url);
      await page.waitForFunction(() => typeof (window as unknown as { __ipcScopeApply?: unknown }).__ipcScopeApply === 'function');
      const apply = (m: unknown) => page.evaluate((x) => (window as unknown as { __ipcScopeApply: (m: unknown) => void }).__ipcScopeApply(x), m);
      await apply({ type: 'reset', snapshot: snapshot(syntheticProcesses(6)) });

      const model = new ChannelModel();
      model.ingest(everyKindEvents());
      const update = model.update({ received: 60, dropped: 0, protocolErrors: 0 })!;
      await apply({ type: 'channels', update });
      const ch = page.locator('#channels');
      await ch.locator('.channel').first().waitFor();

      // Hostile strings are text.
      assert.equal(await page.locator('img').count(), 0);
      assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: boolean }).__pwned ?? false), false);
      const queue = ch.locator('.channel-queue[data-channel="queue:2001"]');
      assert.match((await queue.locator('summary').textContent()) ?? '', /Queue.*depth 2 \/ 3.*6 put · 4 got.*1 blocked/);
      assert.match((await queue.locator('.channel-meta').first().textContent()) ?? '', /blocked pid 1002 in put\(\) \(full\) at pipeline\.py:17/);
      assert.deepEqual(await queue.locator('.queue-contents .message-preview').allTextContents(), [`'${EVIL}'`, "'item 5'"], 'the contents in order');
      assert.ok((await queue.locator('.message-get .message-preview').allTextContents()).includes("'item 0'"));
      assert.equal(await ch.locator('.channel-pipe[data-channel="fifo:4001"] .channel-label').textContent(), `/tmp/${EVIL}`);
      for (const g of ['queue', 'pipe', 'socket', 'shared', 'sync', 'manager', 'pool']) assert.equal(await ch.locator(`.channel-group-${g}`).isVisible(), true, `group ${g}`);

      // A duplex Pipe is one block with a log per direction.
      const pair = ch.locator('.channel-pair');
      assert.equal(await pair.count(), 1);
      assert.deepEqual(await pair.locator('.pipe-direction .channel-subhead').allTextContents(), ['pid 1001 → pid 1003', 'pid 1003 → pid 1001']);
      assert.equal(await pair.locator('.pipe-direction').first().locator('.message-preview').first().textContent(), "('ping', 0)");
      assert.equal(await ch.locator('[data-channel="conn:3002"]').count(), 0, 'its other end is not shown twice');
      assert.deepEqual(await ch.locator('.channel-socket .channel-subhead').allTextContents(), ['pid 1001 → pid 1002', 'pid 1002 → pid 1001']);

      // Shared memory: typed values, bytes, changed bytes.
      const value = ch.locator('[data-channel="shared:6001:0"]');
      assert.equal(await value.locator('.shared-value-text').textContent(), '258');
      assert.match((await value.locator('summary').textContent()) ?? '', /Value\('i'\).*= 258/);
      assert.equal(await value.locator('.hex-bytes .byte').count(), 4);
      assert.equal(await value.locator('.hex-bytes .byte-changed').count(), 2, '258 = 02 01 00 00: two bytes changed');
      assert.deepEqual(await ch.locator('[data-channel="shared:6001:16"] .elem-value').allTextContents(), ['1.5', '-2.0', '0.1']);
      const shm = ch.locator('[data-channel="shm:psm_1"]');
      assert.equal(await shm.locator('.channel-label').textContent(), EVIL);
      assert.equal(await shm.locator('.hex-row').count(), 8, '64 bytes, 8 a row in a narrow panel');
      assert.deepEqual(await shm.locator('.hex-bytes .byte-changed').allTextContents(), ['62', '75', '73', '79', 'de', 'ad'], "'busy' and the last two bytes");
      assert.match((await shm.locator('.hex-ascii').first().textContent()) ?? '', /^status: /);

      // Locks: owner and waiters; Event flag.
      const lock = ch.locator('[data-channel="sem:/mp-lock"]');
      assert.match((await lock.locator('summary').textContent()) ?? '', /Lock.*value 0 \/ 1.*held by pid 1002.*2 waiting/);
      assert.match((await lock.locator('.channel-meta').textContent()) ?? '', /waiting pid 1001, pid 1003|waiting pid 1003, pid 1001/);
      assert.equal(await ch.locator('[data-channel="sem:/mp-evt"] .sync-set').textContent(), 'set');

      // A Manager dict's contents, decoded, as text.
      const mgr = ch.locator('.channel-manager');
      assert.equal(await mgr.locator('.manager-state').textContent(), "{'hits': 3, '<b>x</b>': [1, 2]}");
      assert.equal(await mgr.locator('.manager-call .message-op').textContent(), '__setitem__');
      assert.equal(await mgr.locator('b').count(), 0);

      // A Pool links its queues, labelled; following a link opens and focuses the queue.
      assert.equal(await ch.locator('[data-channel="queue:7001"] .channel-label').textContent(), 'Pool tasks');
      assert.equal(await ch.locator('[data-channel="queue:7002"] .channel-label').textContent(), 'Pool results');
      assert.equal(await ch.locator('.channel[open]').count(), 0, 'more than a dozen channels: blocks start closed');
      await ch.locator('.channel-pool > summary').click();
      const tasksLink = ch.locator('.channel-pool .channel-link', { hasText: 'queue:7001' });
      await tasksLink.focus();
      await page.keyboard.press('Enter');
      assert.equal(await page.evaluate(() => document.activeElement?.closest('[data-channel]')?.getAttribute('data-channel') ?? document.activeElement?.outerHTML.slice(0, 300)), 'queue:7001');

      // Timeline: a lane per pid, a dot per message, arrows from sends to receives.
      const tl = ch.locator('.timeline');
      assert.equal(await tl.locator('.tl-label').count(), 3, 'pids 1001, 1002, 1003 sent or received');
      const dots = await tl.locator('circle.tl-dot').count();
      assert.equal(dots, update.timeline!.messages.length);
      const arrows = await tl.locator('line.tl-link').count();
      assert.ok(arrows >= 10, `arrows: ${arrows}`);
      await tl.locator('.timeline-plot').focus();
      await page.keyboard.press('Home');
      assert.match((await tl.locator('.timeline-detail').textContent()) ?? '', /^put #1 by pid 1002 on queue:2001: 'item 0' → get by pid 1003/);
      await page.keyboard.press('Enter');
      assert.match((await tl.locator('.timeline-detail').textContent()) ?? '', /^get #1 by pid 1003/);
      assert.equal(await tl.locator('.tl-selected').count(), 3, 'both dots and their arrow');

      await page.evaluate(() => document.querySelectorAll<HTMLDetailsElement>('#channels .channel').forEach((d) => (d.open = true)));
      // The whole section in one picture (the panel normally scrolls it).
      await page.evaluate(() => {
        const root = document.getElementById('ipc-scope-root')!;
        root.style.height = 'auto';
        root.style.overflow = 'visible';
        document.getElementById('channels')!.style.maxHeight = 'none';
      });
      mkdirSync(path.join(repoRoot, 'test-results', 'unit'), { recursive: true });
      await ch.screenshot({ path: path.join(repoRoot, 'test-results', 'unit', 'channels-narrow.png') });

      // A change re-renders only its block; the others keep their elements (and open state).
      await page.evaluate(() => document.querySelector('[data-channel="queue:2001"]')!.setAttribute('data-mark', '1'));
      await ch.locator('[data-channel="shm:psm_1"] > summary').click(); // closed by the user
      model.ingest([{ k: 'shared.write', ch: 'shared:6001:0', n: 999, ts: 2e9, loc: 'x.py:1', size: 4, pv: Buffer.from([3, 1, 0, 0]).toString('base64'), pf: 'bytes', pid: 1002, key: '1002@1', x: { offset: 0, value: 259 } }]);
      const d = model.update({ received: 61, dropped: 0, protocolErrors: 0 })!;
      assert.equal(d.full, false);
      await apply({ type: 'channels', update: d });
      assert.equal(await value.locator('.shared-value-text').textContent(), '259');
      assert.equal(await value.locator('.hex-bytes .byte-changed').count(), 1);
      assert.equal(await page.locator('[data-channel="queue:2001"][data-mark="1"]').count(), 1, 'the queue block was not rebuilt');
      assert.equal(await ch.locator('[data-channel="shm:psm_1"]').getAttribute('open'), null, 'still closed');
      // Removed channels go; a full update replaces everything.
      await apply({ type: 'channels', update: { ...d, channels: [], removed: ['queue:2001'], timeline: null } });
      assert.equal(await ch.locator('[data-channel="queue:2001"]').count(), 0);
      await apply({ type: 'channels', update: { ...d, full: true, channels: [], removed: [], timeline: { messages: [] } } });
      assert.equal(await ch.isHidden(), true, 'nothing to show');

      // Many busy channels: bounded DOM, and a change to one re-renders one block.
      const busy = new ChannelModel();
      const many: HubEvent[] = [];
      for (let c = 0; c < 260; c++) {
        many.push({ k: 'queue.new', ch: `queue:${9000 + c}`, n: 0, ts: c, loc: 'a.py:1', size: -1, pv: '', pf: '', pid: 1001, key: '1001@1', x: { maxsize: 0, type: 'Queue' } });
        for (let i = 0; i < 40; i++) many.push({ k: i % 2 ? 'queue.get' : 'queue.put', ch: `queue:${9000 + c}`, n: 0, ts: 1e6 + c * 1000 + i, loc: 'a.py:2', size: 9, pv: pickleStr(`m${i >> 1}`), pf: 'pickle', pid: 1002 + (i % 2), key: 'k', x: { depth: 0 } });
      }
      busy.ingest(many);
      const big = busy.update({ received: many.length, dropped: 0, protocolErrors: 0 })!;
      const ms = await page.evaluate((u) => {
        const t0 = performance.now();
        (window as unknown as { __ipcScopeApply: (m: unknown) => void }).__ipcScopeApply({ type: 'channels', update: u });
        void document.body.offsetHeight;
        return performance.now() - t0;
      }, big);
      assert.equal(await ch.locator('.channel').count(), 200);
      assert.match((await ch.locator('.channels-title').textContent()) ?? '', /Channels \(200 of 260\)/);
      assert.ok((await ch.locator('.message').count()) <= 200 * (20 + 50));
      assert.equal(await ch.locator('circle.tl-dot').count(), 200);
      assert.ok(ms < 2000, `a full update of 200 channels took ${ms.toFixed(0)} ms`);
      assert.deepEqual(violations, []);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      srv.close();
    }
  });
});

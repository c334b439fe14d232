/**
 * The process scenarios (zombie, orphan, double fork, SIGCHLD ignored, Process attributes, start
 * methods) under the real runtime: what the hub receives about forks and reaping.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { HubEvent } from '../../server/src/hub/hub';
import { EventKinds } from '../../protocol/runtime';
import { examplesDir, previewText, python, repoRoot, runJson } from './helpers';

const run = (example: string, ...args: string[]) => runJson([python, path.join(examplesDir, example), ...args]);
const of = (events: HubEvent[], k: string) => events.filter((e) => e.k === k);

describe('process scenarios under the runtime', () => {
  test('children that exit right after their last send lose nothing (the hub\'s unread command frame does not reset the connection)', () => {
    // Each child's one write reaches the hub, then os._exit: before, a child whose socket still held
    // the hub's config frame reset the connection on exit and the hub lost its events (1 in ~50).
    const code = [
      'import os',
      'r, w = os.pipe()',
      'kids = []',
      'for i in range(60):',
      '    pid = os.fork()',
      '    if pid == 0:',
      '        os.write(w, b"x")',
      '        sum(range(200_000))  # busy, holding the GIL, as a worker is before it exits',
      '        os._exit(0)',
      '    kids.append(pid)',
      'for pid in kids:',
      '    os.waitpid(pid, 0)',
    ].join('\n');
    const r = runJson([python, '-c', code]);
    assert.equal(r.status, 0, r.programOut);
    const forked = r.events.filter((e) => e.k === EventKinds.fork).map((e) => (e.x as { child: number }).child);
    assert.equal(forked.length, 60);
    const wrote = new Set(r.events.filter((e) => e.k === EventKinds.pipeWrite).map((e) => e.pid));
    assert.deepEqual(forked.filter((pid) => !wrote.has(pid)), [], 'children whose write never reached the hub');
  });

  test('zombie: the fork, then os.wait with the decoded exit status, from the parent, at the reaping line', () => {
    const r = run('zombie.py', '--hold', '0.3', '--code', '5');
    assert.equal(r.status, 0, r.programOut);
    const [fork] = of(r.events, 'os.fork');
    const [wait] = of(r.events, 'os.wait');
    assert.equal(wait.x?.child, fork.x?.child);
    assert.equal(wait.pid, fork.pid, 'the parent reaped its own child');
    assert.deepEqual([wait.x?.exitCode, wait.x?.signal], [5, null]);
    assert.match(wait.loc, /zombie\.py:\d+$/);
    assert.match(r.programOut, new RegExp(`reaped child ${wait.x?.child}: exit status 5`));
  });

  test('orphan: the parent forks and never waits; the child reports after it was re-parented', () => {
    const r = run('orphan.py', '--hold', '0.8', '--parent-delay', '0.2');
    assert.equal(r.status, 0, r.programOut);
    const [fork] = of(r.events, 'os.fork');
    assert.ok(fork, 'the fork was reported');
    assert.equal(of(r.events, 'os.wait').filter((e) => e.pid === fork.pid).length, 0, 'the parent never waited');
    assert.match(r.programOut, /re-parented to \d+/);
  });

  test('double fork: two forks from two processes; the middle child is reaped, the grandchild is not', () => {
    const r = run('double_fork.py', '--hold', '0.5', '--parent-hold', '0.8');
    assert.equal(r.status, 0, r.programOut);
    const forks = of(r.events, 'os.fork');
    assert.equal(new Set(forks.map((e) => e.pid)).size, 2, 'parent and middle child each forked');
    const parent = forks.find((f) => forks.some((g) => g.pid === f.x?.child))!;
    const middle = parent.x?.child;
    const grandchild = forks.find((f) => f.pid === middle)!.x?.child;
    const waits = of(r.events, 'os.wait');
    assert.ok(waits.some((w) => w.pid === parent.pid && w.x?.child === middle && w.x?.exitCode === 0), 'middle child reaped with 0');
    assert.ok(!waits.some((w) => w.x?.child === grandchild), 'nobody in the program reaps the grandchild');
  });

  test('SIGCHLD ignored: the children are forked and never reported reaped by the program', () => {
    const r = run('sigchld_ignored.py', '--hold', '0.5');
    assert.equal(r.status, 0, r.programOut);
    assert.ok(of(r.events, 'os.fork').length >= 2);
    assert.equal(of(r.events, 'os.wait').length, 0, 'wait() found no child: the kernel reaped them');
    assert.match(r.programOut, /no child to collect/);
  });

  for (const method of ['fork', 'spawn', 'forkserver']) {
    test(`Process attributes (${method}): exit codes 0, 3, 1 and killed by SIGTERM, as reaped`, () => {
      const r = run('process_attributes.py', '--start-method', method, '--hold', '0.3');
      assert.equal(r.status, 0, r.programOut);
      const pids = Object.fromEntries([...r.programOut.matchAll(/^(\S+): pid (\d+)/gm)].map((m) => [m[1], Number(m[2])]));
      const waits = of(r.events, 'os.wait');
      const status = (name: string) => {
        const w = waits.find((e) => e.x?.child === pids[name]);
        return w ? [w.x?.exitCode, w.x?.signal] : null;
      };
      assert.deepEqual(status('returns-normally'), [0, null]);
      assert.deepEqual(status('sys-exit-3'), [3, null]);
      assert.deepEqual(status('raises'), [1, null]);
      assert.deepEqual(status('terminated'), [null, 15]);
    });
  }

  test('a subprocess of another Python and an os.exec* are followed through the environment', () => {
    const say = (what: string) => `import multiprocessing as mp; r, w = mp.Pipe(); w.send(${JSON.stringify(what)}); print(r.recv())`;
    const program = [
      'import os, subprocess, sys',
      `subprocess.run([sys.executable, "-c", ${JSON.stringify(say('from a subprocess'))}], check=True)`,
      'pid = os.fork()',
      `if pid == 0: os.execv(sys.executable, [sys.executable, "-c", ${JSON.stringify(say('after exec'))}])`,
      'os.waitpid(pid, 0)',
      say('from the parent'),
    ].join('\n');
    const r = runJson([python, '-c', program]);
    assert.equal(r.status, 0, r.programOut);
    const sends = of(r.events, 'conn.send');
    const byText = new Map(sends.map((e) => [previewText(e), e.pid]));
    assert.deepEqual([...byText.keys()].sort(), ["'after exec'", "'from a subprocess'", "'from the parent'"]);
    assert.equal(new Set(byText.values()).size, 3, 'three processes reported');
  });

  test('an existing sitecustomize still runs, after the runtime', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcscope-site-'));
    fs.writeFileSync(path.join(dir, 'sitecustomize.py'), 'import sys\nprint("user sitecustomize ran", file=sys.stderr)\n');
    try {
      const r = spawnSync(process.execPath, [path.join(repoRoot, 'out', 'cli.js'), 'run', '--json', '--', python, '-c', 'import multiprocessing as mp; a, b = mp.Pipe(); a.send(1); print(b.recv())'], {
        encoding: 'utf8',
        env: { ...process.env, PYTHONPATH: dir },
      });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /user sitecustomize ran/);
      assert.ok(r.stdout.split('\n').filter(Boolean).some((l) => JSON.parse(l).k === 'conn.send'), 'and the runtime reported');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

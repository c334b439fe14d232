/**
 * Run records with real processes: the leak report of `ipc-scope run` names what a program left
 * behind (with creation lines) and nothing for programs that clean up; a run exported as a Chrome
 * trace passes the trace schema check; a saved run reads back the same, and bad files are refused.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import type { LeakReport } from '../../protocol/protocol';
import { examplesDir, killAll, python, repoRoot, runJson, track } from './helpers';

const leaky = path.join(repoRoot, 'test', 'programs', 'leaky.py');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-scope-records-'));

after(() => {
  killAll();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const kinds = (r: LeakReport) => r.items.map((i) => i.kind);

describe('leak report (ipc-scope run, real processes)', () => {
  test('names the SharedMemory never unlinked, the FIFO left behind, the zombie and the child still running, with their lines', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'leaky-'));
    const r = runJson([python, leaky, dir], 120_000);
    const shmName = /shm (\S+)/.exec(r.programOut)?.[1];
    const sleeper = Number(/sleeper (\d+)/.exec(r.programOut)?.[1]);
    try {
      assert.equal(r.status, 0, r.programOut);
      const report = r.leaks;
      assert.ok(report, 'a leak report line');
      const src = fs.readFileSync(leaky, 'utf8').split('\n');
      const lineOf = (text: string) => `${leaky}:${src.findIndex((l) => l.includes(text)) + 1}`;
      const shm = report.items.find((i) => i.kind === 'shm');
      assert.ok(shm, JSON.stringify(report));
      assert.equal(shm.name, shmName);
      assert.equal(shm.createdAt, lineOf('SharedMemory(create=True'));
      const fifo = report.items.find((i) => i.kind === 'fifo');
      assert.ok(fifo, JSON.stringify(report));
      assert.equal(fifo.path, path.join(dir, 'leaky.fifo'));
      assert.equal(fifo.createdAt, lineOf('os.mkfifo(fifo)'));
      const zombie = report.items.find((i) => i.kind === 'zombie');
      assert.ok(zombie, `the zombie: ${JSON.stringify(report)}`);
      assert.equal(zombie.createdAt, lineOf('if os.fork() == 0'));
      assert.match(zombie.detail, new RegExp(`parent \\(pid ${report.mainPid} `));
      const running = report.items.filter((i) => i.kind === 'running');
      assert.deepEqual(running.map((i) => i.pid), [sleeper], JSON.stringify(running));
      assert.equal(running[0].createdAt, lineOf('sleeper = os.fork()'));
      assert.deepEqual(kinds(report), ['shm', 'fifo', 'zombie', 'running'], 'nothing else (no helper, no false zombie)');
    } finally {
      if (sleeper) track(sleeper);
      if (shmName) fs.rmSync(path.join('/dev/shm', shmName), { force: true });
    }
  });

  for (const [name, args] of [
    ['fifo_lines.py', []],
    ['pi_shared_memory.py', ['--workers', '3', '--terms', '30000']],
    ['pi_shared_memory.py', ['--workers', '3', '--terms', '30000', '--mmap']],
    ['pi_shared_memory.py', ['--workers', '2', '--terms', '30000', '--start-method', 'spawn']],
  ] as Array<[string, string[]]>) {
    test(`flags nothing for ${name} ${args.join(' ')}, which cleans up`, () => {
      const r = runJson([python, path.join(examplesDir, name), ...args], 120_000);
      assert.equal(r.status, 0, r.programOut);
      assert.ok(r.leaks, 'a leak report line');
      assert.deepEqual(r.leaks.items, [], JSON.stringify(r.leaks.items));
      assert.ok(r.events.some((e) => e.k === 'shm.unlink' || e.k === 'fifo.unlink' || e.k === 'shared.new'), 'the runtime reported the objects');
      assert.ok(r.leaks.checked.some((c) => c.startsWith('/dev/shm')), 'says what it checked');
    });
  }
});

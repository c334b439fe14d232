/** The ipc-scope command line, run as a user would (node out/cli.js …). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import type { Snapshot } from '../../protocol/protocol';
import { examplesDir, killAll, python, repoRoot, start, startExample, until, waitForOutput } from './helpers';

const cli = path.join(repoRoot, 'out', 'cli.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

describe('ipc-scope CLI', () => {
  afterEach(killAll);

  test('tree --pid shows the zombie with STAT Z and its explanation', async () => {
    const ex = startExample('zombie.py', ['--hold', '10']);
    const out = await until('a zombie in the tree', () => {
      const r = run('tree', '--pid', String(ex.pid));
      return r.status === 0 && r.stdout.includes('[ZOMBIE]') ? r.stdout : null;
    });
    const lines = out.split('\n');
    assert.match(lines[0], new RegExp(`^${ex.pid}\\s+S`));
    const zl = lines.find((l) => l.includes('[ZOMBIE]'))!;
    assert.match(zl, /^└─ \d+\s+Z\s+\[python3?\]/);
    assert.match(zl, /has not called wait\(\)/);
    assert.match(out, /1 zombie,/);
    assert.doesNotMatch(zl, / s ago/, 'a zombie when first seen: when it exited is not known');
  });

  test('snapshot --json prints the panel model', async () => {
    const ex = startExample('sleeping_parent.py', ['--hold', '10']);
    const snap = await until('the child in the snapshot', () => {
      const r = run('snapshot', '--json', '--pid', String(ex.pid));
      assert.equal(r.status, 0, r.stderr);
      const s = JSON.parse(r.stdout) as Snapshot;
      return s.processes.length >= 2 ? s : null;
    });
    assert.equal(snap.watch?.pid, ex.pid);
    const root = snap.processes.find((p) => p.pid === ex.pid)!;
    assert.equal(root.inProgram, true);
    assert.ok(root.key.startsWith(`${ex.pid}@`));
    assert.ok(snap.processes.every((p) => typeof p.stat === 'string' && p.stat.length > 0));
  });

  test('hostile command lines and names are shown escaped, never raw', async () => {
    // argv with spaces, parentheses, a newline and invalid UTF-8; comm with ") (".
    const child = `import ctypes,time\nctypes.CDLL(None).prctl(15, b"evil) (name", 0, 0, 0)\nprint("ready", flush=True)\ntime.sleep(30)`;
    const p = start(python, ['-c', `import os,sys\nos.execv(sys.executable, [sys.executable.encode(), b"-c", ${JSON.stringify(child)}.encode(), b"my file (1).py", b"line1\\nline2", b"\\xff\\xfe("])`]);
    await waitForOutput(p, /ready/);
    const tree = run('tree', '--pid', String(p.pid));
    assert.equal(tree.status, 0, tree.stderr);
    assert.match(tree.stdout, /my file \(1\)\.py line1\\nline2 \ufffd\ufffd\(/);
    assert.equal(tree.stdout.split('\n').filter((l) => l.includes('line1')).length, 1, 'the newline is escaped');
    const snap = JSON.parse(run('snapshot', '--json', '--pid', String(p.pid)).stdout) as Snapshot;
    const me = snap.processes.find((x) => x.pid === p.pid)!;
    assert.equal(me.name, 'evil) (name');
    assert.deepEqual(me.argv!.slice(3), ['my file (1).py', 'line1\nline2', '\ufffd\ufffd(']);
    assert.equal(me.stat[0], 'S');
  });

  test('a report larger than a pipe holds reaches a reader whole (stdout drained before exit)', async () => {
    // 150 children holding pipes make `ipc --json` several hundred KB: more than one write to a pipe.
    const p = start(python, ['-c', 'import os, time\nfor _ in range(150):\n    r, w = os.pipe()\n    if os.fork() == 0:\n        time.sleep(60)\n        os._exit(0)\nprint("ready", flush=True)\ntime.sleep(60)']);
    await waitForOutput(p, /ready/);
    const r = spawnSync(process.execPath, [cli, 'ipc', '--pid', String(p.pid), '--json'], { encoding: 'utf8', maxBuffer: 256 << 20 });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.length > 256 * 1024, `${r.stdout.length} bytes: cut short, or too small to test a cut`);
    const report = JSON.parse(r.stdout) as { objects: unknown[] };
    assert.ok(report.objects.length >= 150);
  });

  test('the readable ipc report of a two-process pipe cycle: the deadlock, then its counts in words', async () => {
    const p = start(python, [path.join(examplesDir, 'pipe_cycle.py')]);
    await new Promise((r) => setTimeout(r, 1000)); // both sides in read() by then
    const r = spawnSync(process.execPath, [cli, 'ipc', '--pid', String(p.pid)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^DEADLOCK Deadlock: pid \d+ \(python3?\) and pid \d+ \(python3?\) wait on each other$/m);
    assert.match(r.stdout, /^\d+ objects?, \d+ edges?, 1 deadlock; gathered in [\d.]+ ms$/m);
  });

  test('a pid that does not exist: clear message, exit 1', () => {
    const r = run('tree', '--pid', '4000000');
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim(), 'ipc-scope: No process with pid 4000000 (it may have exited).');
  });

  test('usage errors: exit 2 with the usage', () => {
    for (const args of [['frobnicate'], ['tree', '--pid'], ['tree', '--pid', 'abc'], ['snapshot'], ['stat']]) {
      const r = run(...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^ipc-scope: .+\nUsage:/);
    }
  });

  test('stat spells out every letter; tree of the whole system works', () => {
    const r = run('stat', 'Ssl+');
    assert.equal(r.status, 0);
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => l[0]), ['S', 's', 'l', '+']);
    const all = run('tree', '--width', '80');
    assert.equal(all.status, 0, all.stderr);
    assert.match(all.stdout, /^1\s/m);
    assert.match(all.stdout, /\d+ process(es)?, \d+ zombies?, \d+ orphans?/);
  });

  test("run's readable log: one event per line, in time order, at the user's lines, then a summary", () => {
    const r = spawnSync(process.execPath, [cli, 'run', '--', python, path.join(repoRoot, 'examples', 'os_pipe.py')], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const events = r.stdout.split('\n').filter((l) => l.startsWith('['));
    const times = events.map((l) => Number(/^\[\s*([\d.]+) ms\]/.exec(l)![1]));
    assert.deepEqual(times, [...times].sort((a, b) => a - b), 'in time order across processes');
    assert.ok(!r.stdout.split('\n').some((l) => /^message \d/.test(l)), 'payload newlines escaped: no event spills onto the next line');
    assert.ok(events.some((l) => /pipe\.write .*message 0\\n\s+@ os_pipe\.py:\d+$/.test(l)), events.join('\n'));
    for (const pid of new Set(events.map((l) => /pid (\d+)/.exec(l)![1]))) {
      assert.match(events.find((l) => l.includes(`pid ${pid} `))!, /process\.start/, `pid ${pid} starts with process.start`);
    }
    assert.ok(!events.some((l) => /@ (selectors|subprocess|threading|queues)\.py/.test(l)), 'located at the user\'s lines, not the library\'s');
    assert.match(r.stdout, /^ipc-scope: \d+ events from 2 processes$/m);
    // A blocked call is logged when it became one (0.2 s in), saying since when: in order with the rest.
    const q = spawnSync(process.execPath, [cli, 'run', '--', python, path.join(repoRoot, 'examples', 'queue_producer_consumer.py'), '--items', '10'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(q.status, 0, q.stderr);
    const qEvents = q.stdout.split('\n').filter((l) => l.startsWith('['));
    const qTimes = qEvents.map((l) => Number(/^\[\s*([\d.]+) ms\]/.exec(l)![1]));
    assert.deepEqual(qTimes, [...qTimes].sort((a, b) => a - b), 'in time order, blocked calls too');
    const block = qEvents.find((l) => / op\.block queue:\d+ op=get /.test(l));
    assert.ok(block, qEvents.join('\n'));
    const [, at, since] = /^\[\s*([\d.]+) ms\].*\(blocked since ([\d.]+) ms\)/.exec(block)!.map(Number);
    assert.equal(Math.round(at - since), 200);
    const json = spawnSync(process.execPath, [cli, 'run', '--json', '--', python, '-c', 'print("no ipc")'], { encoding: 'utf8', timeout: 60_000 });
    const last = JSON.parse(json.stdout.trim().split('\n').pop()!);
    assert.deepEqual([last.t, last.events, last.processes, last.dropped], ['summary', 0, 0, 0]);
    const quiet = spawnSync(process.execPath, [cli, 'run', '--', 'sh', '-c', 'true'], { encoding: 'utf8', timeout: 60_000 });
    assert.match(quiet.stdout, /0 events from 0 processes\nipc-scope: no process reported: the runtime watches Python processes only/);
  });

  test('bad flags are usage errors; an unknown STAT letter exits 1; --version is the package version', () => {
    for (const args of [['tree', '--bogus'], ['tree', '--width', '-5'], ['ipc', '--width', '80']]) {
      const r = run(...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /unknown option|--width needs/);
    }
    assert.equal(run('stat', 'Ss').status, 0);
    assert.equal(run('stat', 'SQ').status, 1);
    assert.equal(run('--version').stdout.trim(), `ipc-scope ${require('../../package.json').version}`);
  });
});

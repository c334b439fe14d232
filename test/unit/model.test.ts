/** The process model on real processes: zombies, orphans and the look-alikes that are neither. */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { ProcessInfo } from '../../protocol/protocol';
import { ProcessModel } from '../../server/src/core/model';
import { runtimeEnv } from '../../server/src/hub/env';
import { Hub, HubClient, HubEvent } from '../../server/src/hub/hub';
import { EventKinds } from '../../protocol/runtime';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { killAll, procState, python, sleep, start, startExample, until, waitForOutput } from './helpers';

async function refreshed(model: ProcessModel): Promise<ProcessInfo[]> {
  await model.refresh();
  return model.snapshot().processes;
}

async function watchUntil(model: ProcessModel, what: string, pred: (ps: ProcessInfo[]) => boolean, ms = 10_000): Promise<ProcessInfo[]> {
  return until(what, async () => {
    const ps = await refreshed(model);
    return pred(ps) ? ps : null;
  }, ms, 150);
}

describe('zombies', () => {
  afterEach(killAll);

  test('zombie.py: the child is a zombie of the sleeping parent, then reaped with its exit code', async () => {
    const ex = startExample('zombie.py', ['--hold', '3']);
    const model = new ProcessModel();
    model.setWatch(ex.pid!, 'zombie.py');
    const ps = await watchUntil(model, 'a zombie', (ps) => ps.some((p) => p.zombie));
    const z = ps.find((p) => p.zombie)!;
    assert.equal(z.state, 'Z');
    assert.equal(z.ppid, ex.pid);
    assert.equal(z.zombie!.parentPid, ex.pid);
    assert.match(z.zombie!.explanation, /exited with code 7/);
    assert.match(z.zombie!.explanation, new RegExp(`parent pid ${ex.pid} \\(python3?[^)]*\\) has not called wait\\(\\)`));
    assert.match(z.zombie!.fix, /os\.wait|waitpid/);
    assert.equal(ps.find((p) => p.pid === ex.pid)!.zombie, null, 'the parent is not a zombie');
    assert.equal(model.stats.zombies, 1);
    // After the hold the parent reaps it: gone, and the end is told with the exit code we saw.
    await until('the zombie to be reaped', async () => !(await refreshed(model)).some((p) => p.key === z.key), 10_000);
    const ended = model.snapshot().ended.find((p) => p.key === z.key);
    assert.ok(ended?.ended);
    assert.equal(ended.ended.exitCode, 7);
    assert.equal(ended.ended.description, 'exited with code 7');
  });

  test('a Z thread-group leader with live threads (Zl) is not flagged', async () => {
    const ex = startExample('thread_leader_exit.py', ['--hold', '6']);
    const model = new ProcessModel();
    model.setWatch(ex.pid!);
    await until('the leader in state Z', () => procState(ex.pid!) === 'Z', 10_000);
    const ps = await refreshed(model);
    const leader = ps.find((p) => p.pid === ex.pid)!;
    assert.equal(leader.state, 'Z');
    assert.ok(leader.threads > 1, `threads=${leader.threads}`);
    assert.match(leader.stat, /^Z.*l/);
    assert.equal(leader.zombie, null);
    assert.equal(leader.orphan, null);
    assert.match(leader.blockedOn, /main thread has exited/);
    assert.equal(model.stats.zombies, 0);
  });

  test('SIGCHLD ignored: children never become zombies', async () => {
    const ex = startExample('sigchld_ignored.py', ['--hold', '3']);
    const model = new ProcessModel();
    model.setWatch(ex.pid!);
    for (let i = 0; i < 8; i++) {
      const ps = await refreshed(model);
      assert.equal(ps.filter((p) => p.zombie).length, 0, JSON.stringify(ps.map((p) => [p.pid, p.stat])));
      await sleep(200);
    }
  });
});

describe('orphans', () => {
  afterEach(killAll);

  test('orphan.py: the child is re-parented to init when its parent exits, with the original parent remembered', async () => {
    const ex = startExample('orphan.py', ['--hold', '5', '--parent-delay', '1']);
    const model = new ProcessModel();
    model.setWatch(ex.pid!, 'orphan.py');
    const before = await watchUntil(model, 'the child', (ps) => ps.some((p) => p.ppid === ex.pid));
    const child = before.find((p) => p.ppid === ex.pid)!;
    assert.equal(child.orphan, null, 'not an orphan while its parent lives');
    const after = await watchUntil(model, 'the orphan', (ps) => !!ps.find((p) => p.key === child.key)?.orphan);
    const o = after.find((p) => p.key === child.key)!.orphan!;
    assert.equal(o.originalPpid, ex.pid);
    assert.equal(o.inferred, false);
    assert.equal(o.adoptedBy, after.find((p) => p.key === child.key)!.ppid);
    assert.match(o.explanation, new RegExp(`parent pid ${ex.pid} .* exited`));
    assert.equal(model.stats.orphans, 1);
    assert.ok(model.programEnded, 'the watched root ended');
  });

  test('under the launcher, the orphan is adopted by the subreaper launcher and stays in the tree', async () => {
    const ex = startExample('orphan.py', ['--hold', '5', '--parent-delay', '1'], true);
    const model = new ProcessModel();
    model.setWatch(ex.pid!, 'orphan.py');
    const ps = await watchUntil(model, 'an orphan', (ps) => ps.some((p) => p.orphan), 12_000);
    const orphan = ps.find((p) => p.orphan)!;
    assert.equal(orphan.ppid, ex.pid, 'adopted by the launcher');
    assert.equal(orphan.orphan!.adopterKind, 'subreaper');
    assert.equal(orphan.orphan!.adoptedBy, ex.pid);
  });

  test('double_fork.py: the grandchild outlives its parent and is kept in the program tree', async () => {
    const ex = startExample('double_fork.py', ['--hold', '4']);
    const model = new ProcessModel();
    model.setWatch(ex.pid!, 'double_fork.py');
    const m = await waitForOutput(ex, /grandchild pid (\d+)/);
    const grandchild = Number(m[1]);
    const ps = await watchUntil(model, 'the grandchild', (ps) => !!ps.find((p) => p.pid === grandchild)?.orphan);
    const g = ps.find((p) => p.pid === grandchild)!;
    assert.ok(g.inProgram);
    assert.notEqual(g.ppid, ex.pid);
    assert.match(g.orphan!.explanation, /re-parented/);
    assert.equal(ps.filter((p) => p.zombie).length, 0, 'the middle child was reaped');
  });

  test('a child whose parent merely sleeps is neither orphan nor zombie', async () => {
    const ex = startExample('sleeping_parent.py', ['--hold', '3']);
    const model = new ProcessModel();
    model.setWatch(ex.pid!);
    await watchUntil(model, 'the child', (ps) => ps.length >= 2);
    for (let i = 0; i < 6; i++) {
      const ps = await refreshed(model);
      assert.deepEqual(ps.filter((p) => p.zombie || p.orphan).map((p) => p.pid), []);
      await sleep(200);
    }
  });
});

describe('bad input', () => {
  afterEach(killAll);

  test('a pid that does not exist gives a clear error', () => {
    const model = new ProcessModel();
    assert.throws(() => model.setWatch(4_000_000), /No process with pid 4000000/);
    assert.throws(() => model.setWatch(-3), /not a process id/);
    assert.throws(() => model.setWatch(Number.NaN), /not a process id/);
  });

  test('processes that vanish mid-scan never break a refresh', async () => {
    // A shell that forks short-lived children as fast as it can while we scan the whole system.
    const churn = start('sh', ['-c', 'while :; do /bin/true; done']);
    const model = new ProcessModel({ scope: 'system' });
    // A steady refresh takes a few ms and each child lives about as long, so one scan may or may
    // not catch one: keep refreshing (at least 15 times) until some child was seen and then gone.
    const deadline = Date.now() + 15_000;
    let refreshes = 0;
    while (refreshes < 15 || (model.snapshot().ended.length === 0 && Date.now() < deadline)) {
      const d = await model.refresh();
      assert.ok(d.stats.processes > 5);
      refreshes++;
      if (refreshes >= 15) await sleep(5);
    }
    assert.ok(model.snapshot().ended.length > 0, `short-lived processes were seen ending (${refreshes} refreshes)`);
    churn.kill('SIGKILL');
  });

  test('a watched program that ends: the root end is reported and the tree empties', async () => {
    const ex = start('sh', ['-c', 'sleep 0.5; exit 4']);
    const model = new ProcessModel();
    model.setWatch(ex.pid!);
    await refreshed(model);
    await until('the program to end', async () => (await refreshed(model)).length === 0 && model.programEnded !== null, 10_000);
  });
});

describe('exit statuses reported by the runtime', () => {
  afterEach(killAll);

  test('a report that arrives after the scan saw the process gone corrects its end in the next delta', async () => {
    // The parent reaps at once, so the scan only ever sees a running child, then nothing.
    const parent = start(python, ['-c', 'import os,sys,time\npid=os.fork()\nif pid==0:\n  time.sleep(0.6); os._exit(4)\nprint(pid,flush=True)\n_,st=os.waitpid(pid,0)\nprint(st,flush=True)\ntime.sleep(30)']);
    const child = Number((await waitForOutput(parent, /^(\d+)\n/))[1]);
    const model = new ProcessModel();
    model.setWatch(parent.pid!, 'reaper');
    await watchUntil(model, 'the running child', (ps) => ps.some((p) => p.pid === child && p.state !== 'Z'));
    const status = Number((await waitForOutput(parent, /^(\d+)\n/))[1]);
    const gone = await until('the end of the child', async () => (await model.refresh()).ended.find((p) => p.pid === child), 10_000, 50);
    assert.equal(gone.ended?.exitCode, null, 'the scan alone cannot know the status');
    model.noteExit(child, status);
    const corrected = (await model.refresh()).ended.find((p) => p.pid === child);
    assert.equal(corrected?.ended?.exitCode, 4);
    assert.equal(corrected?.ended?.at, gone.ended?.at, 'the same end, now with its status');
    assert.equal(model.snapshot().ended.filter((p) => p.key === gone.key).length, 1, 'corrected, not repeated');
    assert.equal((await model.refresh()).ended.length, 0, 'sent once');
  });
});

describe('processes no scan caught', () => {
  afterEach(killAll);

  test('a child that lives between two refreshes is listed as ended, from its runtime hello, with its exit status', async () => {
    const hub = new Hub();
    await hub.start();
    try {
      const model = new ProcessModel();
      hub.on('client', (c: HubClient) => model.noteRuntimeProcess(c));
      const statusSeen = new Promise<void>((resolve) =>
        hub.on('events', (batch: HubEvent[]) => {
          model.ingestRuntime(batch);
          if (batch.some((e) => e.k === EventKinds.wait)) resolve();
        }),
      );
      // The child lives ~50 ms and is reaped at once; the parent prints its pid and status, then waits.
      const go = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ipcscope-short-')), 'go');
      const code = 'import os,sys,time\nwhile not os.path.exists(sys.argv[1]): time.sleep(0.01)\npid=os.fork()\nif pid==0:\n  time.sleep(0.05); os._exit(3)\n_,st=os.waitpid(pid,0)\nprint(pid,st,os.getpid(),flush=True)\ntime.sleep(30)';
      const parent = start(python, ['-m', 'ipcscope', '-c', code, go], { env: runtimeEnv(hub, process.env) as Record<string, string> });
      model.setWatch(parent.pid!, 'short child');
      await model.refresh();
      fs.writeFileSync(go, '');
      const [, pid, , program] = (await waitForOutput(parent, /^(\d+) (\d+) (\d+)\n/)).map(Number);
      await statusSeen;
      const ended = (await model.refresh()).ended.find((p) => p.pid === pid);
      assert.ok(ended, 'the child is sent as ended though no scan saw it');
      assert.deepEqual(model.snapshot().ended.find((p) => p.pid === pid), ended, 'and kept with the ended');
      assert.equal(ended.ppid, program, 'the program the launcher started forked it');
      assert.equal(ended.inProgram, true);
      assert.equal(ended.ended?.exitCode, 3, 'the status its parent collected, as the runtime reported it');
      assert.match(ended.command, /python\S* -c import os/, "its parent's command line, which a forked child runs");
      assert.match(ended.restrictedReason ?? '', /known from the IPC Scope runtime only/);
      const again = await model.refresh();
      assert.equal(again.ended.filter((p) => p.pid === pid).length, 0, 'reported once');
    } finally {
      await hub.stop();
    }
  });
});

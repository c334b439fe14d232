/**
 * No false alarm: every example in examples/ runs (restarted whenever it ends) for IPC_SCOPE_SOAK_S
 * seconds (default 30), all at once, half of them under `ipc-scope run` (the runtime and its sender
 * thread), while the deadlock detector looks at the whole system back to back. Only the two
 * deliberate deadlocks may be flagged, and only when they run without --timeout (here they run with
 * one, so their waits are timed and nothing may be flagged at all).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { OsIpcMonitor } from '../../server/src/core/osIpc';
import { examplesDir, killAll, python, repoRoot, start } from './helpers';
import type { ChildProcess } from 'node:child_process';

after(killAll);

const SOAK_MS = Number(process.env.IPC_SCOPE_SOAK_S ?? 30) * 1000;
/** Arguments that make an example finish or wait with a timeout (the deadlock examples give up). */
const ARGS: Record<string, string[]> = {
  'join_deadlock.py': ['--timeout', '1'],
  'pipe_cycle.py': ['--timeout', '1'],
};

function family(roots: Set<number>): Set<number> {
  const kids = new Map<number, number[]>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const s = fs.readFileSync(`/proc/${e}/stat`, 'latin1');
      const ppid = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
      kids.set(ppid, [...(kids.get(ppid) ?? []), Number(e)]);
    } catch {
      // gone
    }
  }
  const out = new Set(roots);
  const q = [...roots];
  while (q.length) for (const c of kids.get(q.pop()!) ?? []) if (!out.has(c)) (out.add(c), q.push(c));
  return out;
}

test(`every example for ${SOAK_MS / 1000} s under the deadlock detector: no false alarm`, { timeout: SOAK_MS + 120_000 }, async () => {
  const examples = fs.readdirSync(examplesDir).filter((f) => f.endsWith('.py')).sort();
  assert.ok(examples.length >= 20, examples.join());
  const end = Date.now() + SOAK_MS;
  const running = new Map<string, ChildProcess>();
  const runs = new Map<string, number>();
  const launch = (name: string) => {
    const n = runs.get(name) ?? 0;
    runs.set(name, n + 1);
    const file = path.join(examplesDir, name);
    const args = [file, ...(ARGS[name] ?? [])];
    // Alternate: plain Python, then under the runtime with its hub.
    const child = n % 2 === 0 ? start(python, args) : start(process.execPath, [path.join(repoRoot, 'out', 'cli.js'), 'run', '--', python, ...args]);
    child.stdout!.resume();
    child.stderr!.resume();
    running.set(name, child);
    child.once('exit', () => {
      if (Date.now() < end) launch(name);
    });
  };
  for (const name of examples) launch(name);

  const monitor = new OsIpcMonitor();
  const alarms: string[] = [];
  let looks = 0;
  const lookMs: number[] = [];
  const gatherMs: number[] = [];
  let blockedSeen = 0;
  while (Date.now() < end) {
    const roots = new Set([...running.values()].map((c) => c.pid!).filter(Boolean));
    const ours = family(roots);
    const t0 = performance.now();
    const u = await monitor.update((pid) => ours.has(pid));
    lookMs.push(performance.now() - t0);
    gatherMs.push(u.gatherMs);
    looks++;
    blockedSeen += u.blocked.filter((b) => b.threads.some((t) => !t.timed && t.syscall)).length;
    for (const d of u.deadlocks) if (d.pids.some((p) => ours.has(p))) alarms.push(`${d.title}: ${d.explanation.join(' | ')}`);
  }
  const total = [...runs.values()].reduce((a, b) => a + b, 0);
  console.log(`# ${examples.length} examples, ${total} runs in ${SOAK_MS / 1000} s, ${looks} looks by the detector, ${blockedSeen} untimed blocked processes seen, ${alarms.length} alarms; a look took ${Math.round(Math.min(...lookMs))}–${Math.round(Math.max(...lookMs))} ms (gathering ${Math.round(Math.min(...gatherMs))}–${Math.round(Math.max(...gatherMs))} ms)`);
  assert.ok(looks >= 3, 'the detector looked several times');
  assert.ok(blockedSeen > 0, 'blocked processes were seen (the detector had something to judge)');
  assert.deepEqual(alarms, []);
});

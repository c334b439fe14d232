/**
 * No false alarm: every example in examples/ runs (restarted whenever it ends) for IPC_SCOPE_SOAK_S
 * seconds (default 30), all at once, every other run under the runtime (the launcher, reporting to a
 * hub in this process, with its sender thread), while the deadlock detector looks back to back. Only the two
 * deliberate deadlocks may be flagged, and only when they run without --timeout (here they run with
 * one, so their waits are timed and nothing may be flagged at all).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, test } from 'node:test';
import { OsIpcMonitor } from '../../server/src/core/osIpc';
import { examplesDir, family, killAll, python, start, until } from './helpers';
import { Hub } from '../../server/src/hub/hub';
import { runtimeEnv } from '../../server/src/hub/env';

after(killAll);

const SOAK_MS = Number(process.env.IPC_SCOPE_SOAK_S ?? 30) * 1000;
/** Arguments that make an example finish or wait with a timeout (the deadlock examples give up). */
const ARGS: Record<string, string[]> = {
  'join_deadlock.py': ['--timeout', '1'],
  'pipe_cycle.py': ['--timeout', '1'],
};

test(`every example for ${SOAK_MS / 1000} s under the deadlock detector: no false alarm`, { timeout: SOAK_MS + 120_000 }, async () => {
  const examples = fs.readdirSync(examplesDir).filter((f) => f.endsWith('.py')).sort();
  assert.ok(examples.length >= 20, examples.join());
  const hub = new Hub();
  await hub.start();
  const env = runtimeEnv(hub);
  const end = Date.now() + SOAK_MS;
  // A Python supervisor restarts each example as it ends (spawning from this Node process would take
  // the CPU the detector needs); every other run goes through the launcher with the runtime on.
  const supervisor = start(python, ['-c', `
import json, os, subprocess, sys, threading, time
examples, args, env, seconds = json.loads(sys.argv[1])
end = time.monotonic() + seconds
runs = {}
def loop(name):
    n = 0
    while time.monotonic() < end:
        cmd = [sys.executable, os.path.join(${JSON.stringify(examplesDir)}, name)] + args.get(name, [])
        if n % 2: cmd[1:1] = ["-m", "ipcscope"]
        subprocess.run(cmd, env=env if n % 2 else None, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        n += 1
    runs[name] = n
threads = [threading.Thread(target=loop, args=(e,)) for e in examples]
for t in threads: t.start()
print("started", flush=True)
for t in threads: t.join()
print(json.dumps(runs), flush=True)
`, JSON.stringify([examples, ARGS, env, SOAK_MS / 1000])]);
  let report = '';
  supervisor.stdout!.on('data', (d: string) => (report += d));
  await until('the supervisor', () => report.includes('started'));
  const roots = new Set([supervisor.pid!]);

  const monitor = new OsIpcMonitor();
  const alarms: string[] = [];
  let looks = 0;
  const lookMs: number[] = [];
  const gatherMs: number[] = [];
  let blockedSeen = 0;
  while (Date.now() < end) {
    const ours = family(roots);
    const t0 = performance.now();
    const u = await monitor.update((pid) => ours.has(pid));
    lookMs.push(performance.now() - t0);
    gatherMs.push(u.gatherMs);
    looks++;
    blockedSeen += u.blocked.filter((b) => b.threads.some((t) => !t.timed && t.syscall)).length;
    for (const d of u.deadlocks) if (d.pids.some((p) => ours.has(p))) alarms.push(`${d.title}: ${d.explanation.join(' | ')}`);
  }
  await until('the supervisor to finish', () => /\{.*\}/.test(report), 120_000);
  await hub.stop();
  const runs = JSON.parse(/\{.*\}/.exec(report)![0]) as Record<string, number>;
  const total = Object.values(runs).reduce((a, b) => a + b, 0);
  assert.ok(hub.stats.received > 0, 'the runtime reported to the hub');
  console.log(`# ${examples.length} examples, ${total} runs in ${SOAK_MS / 1000} s, ${looks} looks by the detector, ${blockedSeen} untimed blocked processes seen, ${alarms.length} alarms; a look took ${Math.round(Math.min(...lookMs))}–${Math.round(Math.max(...lookMs))} ms (gathering ${Math.round(Math.min(...gatherMs))}–${Math.round(Math.max(...gatherMs))} ms)`);
  assert.ok(looks >= 3, 'the detector looked several times');
  assert.ok(blockedSeen > 0, 'blocked processes were seen (the detector had something to judge)');
  assert.deepEqual(alarms, []);
});

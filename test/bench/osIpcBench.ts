/**
 * The OS view of IPC with ~2000 processes holding pipes and sockets: our time to gather every
 * process's IPC objects (pipes, FIFOs, sockets with peers, shared memory, and sleeping threads'
 * syscalls) vs `lsof -nP` listing the same, and vs `ss -xap` for the Unix sockets alone; rounds
 * interleaved, medians compared; and the longest event-loop stall while gathering.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { IpcObjectScanner } from '../../server/src/inspect/ipcObjects';
import { listPids } from '../../server/src/inspect/procfs';
import { collectGarbage, fmt, longestStall, median, time, verdict } from './measure';

const execFileP = promisify(execFile);

/**
 * Pairs of `sleep` processes, each pair joined by a pipe (one writes, one reads) and a socketpair
 * (one end each): exec'd sleeps keep the inherited fds and cost almost no memory.
 */
async function spawnPairs(processes: number): Promise<ChildProcess> {
  const pairs = Math.max(1, Math.floor(processes / 2));
  const code = `
import os, socket, sys
for i in range(${pairs}):
    r, w = os.pipe()
    a, b = socket.socketpair()
    for keep in ((w, a.fileno()), (r, b.fileno())):
        if os.fork() == 0:
            for fd in (r, w, a.fileno(), b.fileno()):
                if fd in keep: os.set_inheritable(fd, True)
                else: os.close(fd)
            os.execvp("sleep", ["sleep", "3600"])
    os.close(r); os.close(w); a.close(); b.close()
print("ready", flush=True)
os.wait()
`;
  const holder = spawn('python3', ['-c', code], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  await new Promise<void>((resolve, reject) => {
    holder.once('exit', (c) => reject(new Error(`holder exited with ${c}`)));
    holder.stdout!.once('data', () => resolve());
  });
  return holder;
}

async function have(cmd: string, args: string[]): Promise<boolean> {
  try {
    await execFileP(cmd, args);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

export async function benchOsIpc(opts: { processes: number; rounds: number }): Promise<string[]> {
  const lines: string[] = [];
  const hasLsof = await have('lsof', ['-v']);
  const hasSs = await have('ss', ['-V']);
  if (!hasLsof) lines.push('lsof is not installed on this machine (apt-get install lsof): the lsof ratio is not measured');
  if (!hasSs) lines.push('ss (iproute2) is not installed on this machine: socket peers are unknown and the ss ratio is not measured');
  const holder = await spawnPairs(opts.processes);
  try {
    const scanner = new IpcObjectScanner();
    const warm = await scanner.gather();
    const count = listPids().length;
    const objects = [...warm.objects.values()];
    const pipes = objects.filter((o) => o.kind === 'pipe').length;
    const sockets = objects.filter((o) => o.kind === 'unix').length;
    const peered = objects.filter((o) => o.kind === 'unix' && o.peer).length;
    lines.push(`${count} live processes; we see ${pipes} pipes and ${sockets} Unix sockets (${peered} with their peer), ${objects.length} objects in all`);
    const t: Record<string, number[]> = { ours: [], cold: [], coldObjects: [], coldAlone: [], lsof: [], ss: [] };
    const helped: number[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      t.ours.push(await time(() => scanner.gather()));
      t.cold.push(await time(async () => helped.push((await new IpcObjectScanner().gather()).readByHelper ?? 0)));
      // What lsof lists, and no more: the IPC objects without sleeping threads' syscalls.
      t.coldObjects.push(await time(() => new IpcObjectScanner().gather({ syscalls: false })));
      t.coldAlone.push(await time(() => new IpcObjectScanner(undefined, undefined, undefined, { helperThread: false }).gather()));
      if (hasLsof) t.lsof.push(await time(() => execFileP('lsof', ['-nP'], { maxBuffer: 1 << 30 }).catch(() => undefined)));
      if (hasSs) t.ss.push(await time(() => execFileP('ss', ['-xap'], { maxBuffer: 1 << 30 })));
    }
    const ours = median(t.ours);
    const cold = median(t.cold);
    const coldObjects = median(t.coldObjects);
    lines.push(`ours, every process's IPC objects with socket peers and sleeping threads' syscalls: steady refresh (server poll) ${fmt(ours)}, cold (first look / CLI) ${fmt(cold)} (its helper thread read a median ${median(helped)} of the ${count} processes; one thread alone: ${fmt(median(t.coldAlone))}; the IPC objects alone, without the syscalls: ${fmt(coldObjects)})${hasLsof ? `; lsof -nP: ${fmt(median(t.lsof))}` : ''}${hasSs ? `; ss -xap: ${fmt(median(t.ss))}` : ''}`);
    if (hasLsof) {
      // Each figure against the goal. A first look (nothing known yet) must read everything; with every
      // sleeping thread's syscall it gathers more than lsof lists (the whole-system scope does that).
      const l = median(t.lsof);
      const r = ours / l;
      const rc = cold / l;
      const ro = coldObjects / l;
      lines.push(`RATIO the IPC objects ÷ lsof -nP (goal ≤ 0.30): steady refresh ${r.toFixed(2)} (${verdict(r <= 0.3)}), first look ${ro.toFixed(2)} (${verdict(ro <= 0.3)}); a first look with every sleeping thread's syscall too: ${rc.toFixed(2)} (${verdict(rc <= 0.3)})`);
    }
    if (hasSs) {
      const r = ours / median(t.ss);
      lines.push(`RATIO ours (everything) ÷ ss -xap (Unix sockets alone) = ${r.toFixed(2)} (goal ≤ 1.00, ${verdict(r <= 1)}); cold ÷ ss -xap = ${(cold / median(t.ss)).toFixed(2)}`);
    }
    const stalls: number[] = [];
    const slices: number[] = [];
    const idle: number[] = [];
    let where = '';
    for (let r = 0; r < opts.rounds; r++) {
      collectGarbage(); // what the rounds above left (eighteen first looks' copies) is not this look's to collect
      stalls.push(await longestStall(async () => (where = (await scanner.gather()).gatheredIn ?? '')));
      slices.push(scanner.lastLongestSliceMs);
      // The same wait with nothing to do: what the machine's load alone stalls (preemption, the timer's own GC).
      idle.push(await longestStall(() => new Promise((resolve) => setTimeout(resolve, ours))));
    }
    const worst = Math.max(...stalls);
    const onMain = where === 'worker' ? "the main thread's share: decoding the worker's answer" : 'gathered on the main thread';
    lines.push(`longest event-loop stall while gathering: ${fmt(worst)} (median ${fmt(median(stalls))}; ${onMain}, longest slice ${fmt(Math.max(...slices))}; idle, the same wait stalls up to ${fmt(Math.max(...idle))}) (goal ≤ 10 ms, ${verdict(worst <= 10)})`);
  } finally {
    try {
      process.kill(-holder.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  return lines;
}

/** `ipc-scope ipc`: the kernel's view of IPC (objects, edges, blocked-on, deadlocks) for a tree or the whole system. */
import type { DeadlockInfo, OsIpcUpdate } from '../../../protocol/protocol';
import type { ProcessModel } from '../core/model';
import { OsIpcMonitor } from '../core/osIpc';
import { plural } from '../core/textTree';
import type { RuntimeKnowledge } from '../core/waitFor';

/**
 * One look at the model's processes (all of them with `system`); a kept monitor confirms deadlocks
 * across looks; `knows` is what the runtime reported (under `run`).
 */
export async function ipcReport(model: ProcessModel, system: boolean, monitor = new OsIpcMonitor(), knows?: RuntimeKnowledge): Promise<OsIpcUpdate> {
  const snap = model.snapshot();
  const pids = new Set(snap.processes.map((p) => p.pid));
  const wchan = new Map(snap.processes.map((p) => [p.pid, p.wchan]));
  return monitor.update(system ? null : pids, knows, (pid) => wchan.get(pid) ?? '');
}

/** A confirmed deadlock, as `ipc` and `run` print it. */
export function renderDeadlock(d: DeadlockInfo): string[] {
  const lines = [`DEADLOCK ${d.title}`];
  for (const e of d.explanation) lines.push(`  ${e}`);
  if (d.waiting.length) lines.push(`  also stuck waiting on them: ${d.waiting.map((p) => `pid ${p}`).join(', ')}`);
  if (d.lines.length) lines.push(`  source: ${d.lines.join(', ')}`);
  lines.push(`  fix: ${d.fix}`);
  return lines;
}

export function renderIpcReport(u: OsIpcUpdate): string {
  const lines: string[] = [];
  for (const d of u.deadlocks) lines.push(...renderDeadlock(d));
  for (const e of u.edges) lines.push(e.text);
  for (const o of u.objects) {
    if (u.edges.some((e) => e.object === o.id)) continue;
    lines.push(`${o.id}${o.label ? ` ${o.label}` : ''}: ${o.holders.map((h) => `pid ${h.pid}${h.fd !== null ? ` fd ${h.fd}` : ''} ${h.mode}`).join(', ')}${o.detail ? ` (${o.detail})` : ''}`);
  }
  for (const b of u.blocked) lines.push(`pid ${b.pid} blocked: ${b.text}${b.python ? ` [${b.python}]` : ''}`);
  for (const r of u.restricted) lines.push(`pid ${r.pid} restricted: ${r.reason}`);
  for (const n of u.notes) lines.push(`note: ${n}`);
  lines.push(`${plural(u.objects.length, 'object')}, ${plural(u.edges.length, 'edge')}, ${plural(u.deadlocks.length, 'deadlock')}; gathered in ${u.gatherMs} ms`);
  return lines.join('\n') + '\n';
}

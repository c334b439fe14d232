/**
 * ipc-scope run [--json] -- python3 program.py args…
 * Runs a program with a hub, the runtime injected through PYTHONPATH (sitecustomize), and prints
 * every event: JSON lines with --json (the program's stdout then goes to stderr, so stdout stays
 * parseable), a readable log otherwise. Exits with the program's exit status.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LeakReport } from '../../../protocol/protocol';
import { BLOCK_REPORT_MS, EventKinds } from '../../../protocol/runtime';
import { ChannelModel } from '../core/channels';
import { BlockedOps } from '../core/blockedOps';
import { LeakWatch, formatLeakReport } from '../core/leaks';
import { ProcessModel } from '../core/model';
import { decodePreview } from '../core/preview';
import { RunRecorder } from '../core/runRecord';
import { toChromeTrace } from '../core/traceExport';
import { plural } from '../core/textTree';
import { runtimeEnv } from '../hub/env';
import { Hub, HubClient, HubEvent } from '../hub/hub';
import { procAvailable } from '../inspect/procfs';
import { OsIpcMonitor } from '../core/osIpc';
import { runtimeKnowledge } from '../core/osIpcJoin';
import { ipcReport, renderDeadlock } from './ipc';

export { runtimeEnv };

const SIGNAL_NAMES = new Map(Object.entries(os.constants.signals).map(([name, n]) => [n, name]));

/** Control characters (a payload's newlines) escaped: one event, one line. */
function oneLine(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/**
 * When an event belongs in the readable log: its time, but a blocked call's report at the moment it
 * became one (BLOCK_REPORT_MS into the call, which is when the runtime can tell), so it is not always
 * out of order with what happened meanwhile.
 */
function logTime(e: HubEvent): number {
  return e.k === EventKinds.opBlock ? e.ts + BLOCK_REPORT_MS * 1e6 : e.ts;
}

export function describeEvent(e: HubEvent, t0: number): string {
  const ms = ((logTime(e) - t0) / 1e6).toFixed(3).padStart(10);
  const x = e.x
    ? ' ' +
      Object.entries(e.x)
        .map(([k, v]) => (k === 'signal' && typeof v === 'number' && SIGNAL_NAMES.has(v) ? `${k}=${v} (${SIGNAL_NAMES.get(v)})` : `${k}=${typeof v === 'string' ? oneLine(v) : v}`))
        .join(' ')
    : '';
  let payload = '';
  if (e.pv) {
    const p = decodePreview(Buffer.from(e.pv, 'base64'), e.pf, e.size);
    payload = ` ${oneLine(p.text)}${p.truncated ? ` (${e.size} bytes, preview truncated)` : ''}`;
  }
  const loc = e.loc ? `  @ ${path.basename(e.loc)}` : '';
  const since = e.k === EventKinds.opBlock ? ` (blocked since ${((e.ts - t0) / 1e6).toFixed(3)} ms)` : '';
  return `[${ms} ms] pid ${e.pid} ${e.k}${e.ch ? ' ' + e.ch : ''}${x}${payload}${since}${loc}`;
}

export interface RunOptions {
  json: boolean;
  out: (s: string) => void;
  /** Write the run as a Chrome Trace Event file here. */
  trace?: string;
  /** Write the run as a saved IPC Scope run (JSON) here. */
  save?: string;
}

/** How often the process model is scanned during a run (zombies and the end of the main process). */
const SCAN_MS = 250;
/** How often the kernel's view of the program is looked at for deadlocks (confirmed over two looks). */
const DEADLOCK_LOOK_MS = 1000;
/**
 * The readable log is printed in time order: each process sends its events in batches (every 20 ms),
 * so events are held this long after they arrive and printed sorted by their time.
 */
const REORDER_MS = 150;

/** Holds events briefly and hands them out in time order (across processes; each process's own are in order already). */
class TimeOrder {
  private held: { e: HubEvent; at: number }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly print: (e: HubEvent) => void) {}

  add(batch: HubEvent[]): void {
    const at = Date.now();
    for (const e of batch) this.held.push({ e, at });
    this.timer ??= setInterval(() => this.release(Date.now() - REORDER_MS), REORDER_MS / 3);
  }

  /** Prints what arrived before `before` (and anything older than it), in time order. */
  release(before = Infinity): void {
    let newest = -Infinity;
    for (const h of this.held) if (h.at <= before && logTime(h.e) > newest) newest = logTime(h.e);
    if (newest === -Infinity) return;
    // An event still held that is older than one printed now goes with it: never printed after a newer one.
    const out: typeof this.held = [];
    const kept: typeof this.held = [];
    for (const h of this.held) (h.at <= before || logTime(h.e) <= newest ? out : kept).push(h);
    this.held = kept;
    out.sort((a, b) => logTime(a.e) - logTime(b.e));
    for (const h of out) this.print(h.e);
  }

  stop(): void {
    this.release();
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** Runs `work` every `ms` (never two at once) until `stop()`, which waits for the one under way. */
function every(ms: number, work: () => Promise<void>): { stop(): Promise<void> } {
  let running = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const next = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = work().catch(() => {}).finally(next);
    }, ms);
  };
  next();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      return running;
    },
  };
}

export async function run(command: string[], opts: RunOptions): Promise<number> {
  if (!command.length) throw new Error('run needs a command, e.g. ipc-scope run -- python3 program.py');
  const hub = new Hub();
  await hub.start();
  const model = procAvailable() ? new ProcessModel({ scope: 'program' }) : null;
  const leaks = new LeakWatch({}, model ? (pid) => model.scanner.readOne(pid) : null);
  leaks.begin();
  // Always kept (bounded, and cheap next to printing each event): it names the kernel's semaphores
  // as the program's Locks in deadlock reports, and a saved run or trace is made from it.
  const channels = new ChannelModel();
  const recorder = new RunRecorder();
  const blockedOps = new BlockedOps();
  hub.on('events', (batch: HubEvent[]) => {
    leaks.ingest(batch);
    channels.ingest(batch);
    blockedOps.ingest(batch);
    recorder.ingest(batch);
    // Exit statuses parents collected (os.wait), and processes known from the runtime before any scan: as in the editor.
    model?.ingestRuntime(batch);
  });
  hub.on('client', (c: HubClient) => model?.noteRuntimeProcess(c));
  // process.hrtime and the runtime both read CLOCK_MONOTONIC: times are relative to the start of the run.
  const t0 = Number(process.hrtime.bigint());
  const ordered = opts.json ? null : new TimeOrder((e) => opts.out(describeEvent(e, t0) + '\n'));
  hub.on('events', (batch: HubEvent[]) => {
    if (ordered) ordered.add(batch);
    else for (const e of batch) opts.out(JSON.stringify(e) + '\n');
  });
  const child = spawn(command[0], command.slice(1), {
    env: runtimeEnv(hub),
    stdio: ['inherit', opts.json ? process.stderr : 'inherit', 'inherit'],
  });
  let report: LeakReport | null = null;
  const connected = (pid: number) => [...hub.clients.values()].some((c) => c.pid === pid && c.connected);
  const scan = async () => {
    if (!model?.watch) return;
    await model.refresh();
    const snap = model.snapshot();
    recorder.observe(snap.processes, snap.takenAt);
    report ??= leaks.afterScan(snap.processes, { watch: snap.watch, programEnded: !!model.programEnded, connected });
  };
  try {
    if (child.pid) model?.setWatch(child.pid, path.basename(command.find((a) => a.endsWith('.py')) ?? command[0]));
  } catch {
    // already gone: the report covers objects only
  }
  // Deadlocks among the program's processes, told as soon as they are confirmed (once each).
  const monitor = model ? new OsIpcMonitor() : null;
  const told = new Set<string>();
  const lookForDeadlocks = async () => {
    if (!monitor || !model?.watch) return;
    const u = await ipcReport(model, false, monitor, runtimeKnowledge(channels, blockedOps));
    for (const d of u.deadlocks) {
      if (told.has(d.id)) continue;
      told.add(d.id);
      opts.out(opts.json ? JSON.stringify({ t: 'deadlock', deadlock: d }) + '\n' : renderDeadlock(d).map((l) => `ipc-scope: ${l}`).join('\n') + '\n');
    }
  };
  const scans = every(SCAN_MS, scan);
  const looks = every(DEADLOCK_LOOK_MS, lookForDeadlocks);
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  }).catch((e: Error) => {
    throw new Error(`cannot run ${command[0]}: ${e.message}`);
  });
  // Let the last frames of exiting processes arrive (each flushes before exit).
  const end = Date.now() + 1500;
  while (Date.now() < end && [...hub.clients.values()].some((c) => c.connected)) await new Promise((r) => setTimeout(r, 20));
  await scans.stop();
  await looks.stop();
  // The main process has ended: scan until the rest settles (the report comes once it has).
  const settleEnd = Date.now() + 10_000;
  while (model?.watch && !report && Date.now() < settleEnd) {
    await scan().catch(() => {});
    if (!report) await new Promise((r) => setTimeout(r, 100));
  }
  report ??= leaks.report(model?.watch?.label ?? path.basename(command[0]), model?.snapshot().processes.filter((p) => p.key !== model.watch?.key) ?? []);
  if (opts.trace || opts.save) {
    const snap = model?.snapshot();
    const saved = recorder.build({
      label: snap?.watch?.label ?? command.join(' '),
      watch: snap?.watch ?? null,
      processes: snap?.processes ?? [],
      ended: snap?.ended ?? [],
      channels: channels.update({ received: hub.stats.received, dropped: hub.stats.droppedByRuntime, protocolErrors: hub.stats.protocolErrors }, true),
      leaks: report,
      clients: hub.clients.values(),
    });
    if (opts.save) fs.writeFileSync(opts.save, JSON.stringify(saved));
    if (opts.trace) fs.writeFileSync(opts.trace, JSON.stringify(toChromeTrace(saved)));
  }
  ordered?.stop();
  const s = hub.stats;
  if (opts.json) {
    opts.out(JSON.stringify({ t: 'leaks', report }) + '\n');
    opts.out(JSON.stringify({ t: 'summary', events: s.received, processes: s.clients, dropped: s.droppedByRuntime, protocolErrors: s.protocolErrors, problems: hub.errors.slice(0, 20) }) + '\n');
  } else {
    opts.out(formatLeakReport(report) + '\n');
    for (const problem of hub.errors.slice(0, 20)) opts.out(`ipc-scope: ${problem}\n`);
    opts.out(`ipc-scope: ${plural(s.received, 'event')} from ${plural(s.clients, 'process', 'processes')}${s.droppedByRuntime ? `, ${s.droppedByRuntime} dropped` : ''}${s.protocolErrors ? `, ${plural(s.protocolErrors, 'protocol error')}` : ''}\n`);
    if (s.clients === 0) {
      opts.out('ipc-scope: no process reported: the runtime watches Python processes only (a Python 3.10+ that honours PYTHONPATH). For any program, `ipc-scope ipc --pid PID` shows its pipes and sockets while it runs.\n');
    }
  }
  await hub.stop();
  process.off('SIGINT', forward);
  process.off('SIGTERM', forward);
  if (exit.signal) return 128 + (require('node:os').constants.signals[exit.signal] ?? 0);
  return exit.code ?? 1;
}

/**
 * The process model of a watched run: scans /proc, keeps identity (pid + start time), lineage,
 * CPU samples and program membership across scans, and produces snapshots and deltas.
 * Plain TypeScript, no `vscode`: the language server and the CLI share it.
 */
import {
  EndInfo,
  PROTOCOL_VERSION,
  ProcessDelta,
  ProcessInfo,
  Scope,
  Snapshot,
  SnapshotStats,
  WatchTarget,
  processKey,
} from '../../../protocol/protocol';
import { EventKinds } from '../../../protocol/runtime';
import { CLK_TCK, bootTimeMs } from '../inspect/procfs';
import type { Scanner } from '../inspect/portable';
import { ProcScanner, RawProcess } from '../inspect/scanner';
import { decodeWaitStatus, describeWaitStatus, describeWchan, signalName } from '../inspect/stat';
import { Lineage, OrphanContext, isExitedLeaderOfLiveThreads, isIpcScopeLauncher, orphanInfo, zombieInfo } from './analysis';

const ENDED_KEEP = 200;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
const ENDED_MAX_AGE_MS = 5 * 60_000;

export interface ModelOptions {
  scope?: Scope;
  scanner?: Scanner;
  now?: () => number;
}

export class ProcessModel {
  readonly scanner: Scanner;
  scope: Scope;
  private watchTarget: WatchTarget | null = null;
  private readonly now: () => number;
  private seq = 0;
  /** What the client holds: the last emitted records of processes in scope. */
  private emitted = new Map<string, ProcessInfo>();
  private lineage = new Map<string, Lineage>();
  private cpuSample = new Map<string, { ticks: number; at: number }>();
  private members = new Set<string>();
  private endedList: ProcessInfo[] = [];
  /** The previous scan, by key: how a process looked just before it vanished. */
  private lastSeenRaw = new Map<string, RawProcess>();
  private subreapers = new Set<number>();
  private programEnd: EndInfo | null = null;
  /** Wait statuses reported by the runtime (os.wait in the parent), by pid, for processes reaped between scans. */
  private reportedExits = new Map<number, { status: number; at: number }>();
  /** Ended records corrected by a late report, sent with the next delta. */
  private corrections: ProcessInfo[] = [];
  private lastStats: SnapshotStats = { processes: 0, zombies: 0, orphans: 0, restricted: 0, scanMs: 0 };
  /** Processes the runtime said hello from, until a scan sees them: one that lives less than a refresh interval is never scanned. */
  private reported = new Map<string, ReportedProcess & { at: number }>();

  constructor(opts: ModelOptions = {}) {
    this.scanner = opts.scanner ?? new ProcScanner();
    this.scope = opts.scope ?? 'program';
    this.now = opts.now ?? Date.now;
  }

  get watch(): WatchTarget | null {
    return this.watchTarget;
  }

  get stats(): SnapshotStats {
    return this.lastStats;
  }

  /** How the watched program's root ended, once it has. */
  get programEnded(): EndInfo | null {
    return this.programEnd;
  }

  /** Starts watching the tree under pid. Throws a clear Error when there is no such process. */
  setWatch(pid: number, label?: string, launched = false): WatchTarget {
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`"${pid}" is not a process id (a positive integer).`);
    const raw = this.scanner.readOne(pid);
    if (!raw) throw new Error(`No process with pid ${pid} (it may have exited).`);
    this.watchTarget = { pid, key: raw.key, label: label ?? `${raw.name} (pid ${pid})`, launched };
    this.members = new Set([raw.key]);
    this.programEnd = null;
    this.endedList = [];
    this.emitted.clear();
    return this.watchTarget;
  }

  clearWatch(): void {
    this.watchTarget = null;
    this.members.clear();
    this.programEnd = null;
    this.endedList = [];
    this.emitted.clear();
  }

  setScope(scope: Scope): void {
    if (scope !== this.scope) {
      this.scope = scope;
      this.emitted.clear();
    }
  }

  /** Runtime events the model uses: exit statuses the processes' parents collected (os.wait*). */
  ingestRuntime(batch: readonly { k: string; pid: number; x?: Record<string, unknown> | null }[]): void {
    for (const e of batch) {
      const x = e.x;
      if (e.k === EventKinds.wait && typeof x?.child === 'number' && typeof x.status === 'number') this.noteExit(x.child, x.status);
      else if ((e.k === EventKinds.fork || (e.k === EventKinds.spawn && x?.via !== 'forkserver')) && typeof x?.child === 'number' && typeof x.start === 'number' && x.start > 0) {
        // A child that does no IPC never says hello: its parent's fork (or spawn) event lists it (a
        // forkserver's child, by the forkserver's fork: the process that asked for it is not its parent).
        const key = processKey(x.child, x.start);
        if (!this.reported.has(key)) this.noteRuntimeProcess({ key, pid: x.child, ppid: e.pid, startTicks: x.start, argv: [], comm: '', cmdline: [] });
      }
    }
  }

  /** The runtime saw a parent reap `pid` with this wait status (kept briefly, pids wrap). */
  noteExit(pid: number, status: number): void {
    const at = this.now();
    this.reportedExits.set(pid, { status, at });
    // The scan may have beaten the report (the parent reaped between two scans and the event was
    // still in flight): correct that recent end, and send the correction with the next delta.
    for (let i = this.endedList.length - 1; i >= 0; i--) {
      const p = this.endedList[i];
      if (!p.ended || at - p.ended.at > LATE_REPORT_MS) break;
      if (p.pid !== pid || p.ended.exitCode !== null || p.ended.signal !== null) continue;
      const fixed: ProcessInfo = { ...p, ended: { ...endFromStatus(status, p.ended.at) } };
      this.endedList[i] = fixed;
      this.corrections.push(fixed);
      break;
    }
  }

  /** The runtime says this process runs (its hello). If it ends before any scan sees it, it still appears, as ended. */
  noteRuntimeProcess(p: ReportedProcess): void {
    if (this.reported.size >= REPORTED_KEEP) this.reported.delete(this.reported.keys().next().value!);
    this.reported.set(p.key, { key: p.key, pid: p.pid, ppid: p.ppid, startTicks: p.startTicks, argv: p.argv, comm: p.comm, cmdline: p.cmdline, at: this.now() });
  }

  /** Reported processes no scan saw and that are gone now: ended records, parents first, if in scope. */
  private endedUnseen(raws: RawProcess[], alive: Set<string>, now: number): ProcessInfo[] {
    if (this.reported.size === 0) return [];
    const out: ProcessInfo[] = [];
    const inProgramPids = new Set<number>();
    if (this.scope === 'program') {
      for (const p of raws) if (this.members.has(p.key)) inProgramPids.add(p.pid);
      for (const p of this.endedList) if (p.inProgram) inProgramPids.add(p.pid);
    }
    for (const [key, r] of [...this.reported].sort((a, b) => a[1].startTicks - b[1].startTicks)) {
      if (alive.has(key) || this.emitted.has(key) || this.lastSeenRaw.has(key)) {
        this.reported.delete(key); // a scan saw it: the usual path reports its end
        continue;
      }
      const inProgram = this.scope === 'program' ? inProgramPids.has(r.ppid) : false;
      if (this.scope === 'program' && !inProgram) {
        if (now - r.at > LATE_REPORT_MS) this.reported.delete(key); // not this program's (or its parent is long gone)
        continue;
      }
      const again = this.scanner.readOne(r.pid);
      if (again && again.key === key) continue; // started after this scan began: the next one sees it
      this.reported.delete(key);
      inProgramPids.add(r.pid);
      out.push(runtimeOnlyInfo(this.withParentCommand(r, raws, out), { inProgram, ended: this.endOfUnseen(r, now) }));
    }
    return out;
  }

  /** A forked child known only from its parent's fork event runs the parent's command line (until an exec). */
  private withParentCommand(r: ReportedProcess, raws: RawProcess[], unseen: ProcessInfo[]): ReportedProcess {
    if (r.cmdline.length || r.argv.length) return r;
    const parent = raws.find((p) => p.pid === r.ppid) ?? unseen.find((p) => p.pid === r.ppid) ?? this.endedList.find((p) => p.pid === r.ppid);
    return parent ? { ...r, comm: parent.name, cmdline: parent.argv ?? [] } : r;
  }

  private endOfUnseen(r: ReportedProcess & { at: number }, now: number): EndInfo {
    const reported = this.reportedExits.get(r.pid);
    if (reported && reported.at >= r.at) return endFromStatus(reported.status, now);
    return { ...endInfo(undefined, now), description: 'ran for less than one refresh interval; known from its IPC Scope runtime' };
  }

  private endOf(last: RawProcess | undefined, now: number): EndInfo {
    const reported = last ? this.reportedExits.get(last.pid) : undefined;
    if (reported && last && reported.at >= last.startedAt) return endInfo({ ...last, state: 'Z', exitStatus: reported.status }, now);
    return endInfo(last, now);
  }

  /** Scans and returns the delta against what was emitted before. */
  async refresh(): Promise<ProcessDelta> {
    const t0 = performance.now();
    const raws = await this.scanner.scan();
    const scanMs = performance.now() - t0;
    const now = this.now();
    await yieldToLoop();
    const inScope = await this.analyse(raws, now);
    await yieldToLoop();
    const added: ProcessInfo[] = [];
    const changed: ProcessInfo[] = [];
    const next = new Map<string, ProcessInfo>();
    for (const p of inScope) {
      next.set(p.key, p);
      const before = this.emitted.get(p.key);
      if (!before) added.push(p);
      else if (!sameProcess(before, p)) changed.push(p);
    }
    const removed: string[] = [];
    for (const key of this.emitted.keys()) if (!next.has(key)) removed.push(key);
    const endedNow = this.collectEnded(raws, now);
    if (this.corrections.length) endedNow.push(...this.corrections.splice(0));
    this.emitted = next;
    this.lastStats = {
      processes: inScope.length,
      zombies: inScope.filter((p) => p.zombie).length,
      orphans: inScope.filter((p) => p.orphan).length,
      restricted: inScope.filter((p) => p.restricted).length,
      scanMs: Math.round(scanMs * 10) / 10,
    };
    const baseSeq = this.seq;
    this.seq++;
    return { version: PROTOCOL_VERSION, baseSeq, seq: this.seq, takenAt: now, added, changed, removed, ended: endedNow, stats: this.lastStats };
  }

  /** The full state the client should hold now (after refresh()). */
  snapshot(): Snapshot {
    return {
      version: PROTOCOL_VERSION,
      seq: this.seq,
      takenAt: this.now(),
      scope: this.scope,
      watch: this.watchTarget,
      processes: [...this.emitted.values()],
      ended: [...this.endedList],
      stats: this.lastStats,
    };
  }

  private async analyse(raws: RawProcess[], now: number): Promise<ProcessInfo[]> {
    const byKey = new Map<string, RawProcess>();
    const byPid = new Map<number, RawProcess>();
    for (const p of raws) {
      byKey.set(p.key, p);
      byPid.set(p.pid, p);
    }
    // Lineage: remember the first parent of every process, to notice re-parenting later.
    for (const p of raws) {
      let l = this.lineage.get(p.key);
      if (!l) {
        const parent = byPid.get(p.ppid);
        const parentKey = parent && parent.startTicks <= p.startTicks ? parent.key : null;
        l = { firstPpid: p.ppid, firstParentKey: parentKey, firstParentName: parent?.name ?? null, firstSeenAt: now, zombieSince: null, zombieAtFirstSight: p.state === 'Z' };
        this.lineage.set(p.key, l);
      } else if (l.firstPpid !== p.ppid && p.ppid !== 1 && l.firstParentKey && !byKey.has(l.firstParentKey)) {
        this.subreapers.add(p.ppid); // only a subreaper adopts besides init
      }
      if (p.state === 'Z' && l.zombieSince === null && !l.zombieAtFirstSight) l.zombieSince = now;
    }
    for (const key of this.lineage.keys()) if (!byKey.has(key)) this.lineage.delete(key);

    // Our launchers are subreapers; their earliest child is the program itself.
    const launcherProgramChild = new Map<number, string>();
    const children = new Map<number, RawProcess[]>();
    for (const p of raws) {
      const list = children.get(p.ppid);
      if (list) list.push(p);
      else children.set(p.ppid, [p]);
    }
    for (const p of raws) {
      if (!isIpcScopeLauncher(p)) continue;
      this.subreapers.add(p.pid);
      const kids = children.get(p.pid);
      if (kids?.length) launcherProgramChild.set(p.pid, kids.reduce((a, b) => (b.startTicks < a.startTicks ? b : a)).key);
    }
    for (const pid of this.subreapers) if (!byPid.has(pid)) this.subreapers.delete(pid);

    const selected = this.scope === 'system' ? raws : this.programMembers(raws, byPid, children);
    const ctx: OrphanContext = { byKey, byPid, subreapers: this.subreapers, launcherProgramChild };
    const result: ProcessInfo[] = [];
    for (let i = 0; i < selected.length; i++) {
      result.push(this.toInfo(selected[i], byPid, ctx, now));
      if (i % 256 === 255) await yieldToLoop();
    }
    return result;
  }

  private programMembers(raws: RawProcess[], byPid: Map<number, RawProcess>, children: Map<number, RawProcess[]>): RawProcess[] {
    const w = this.watchTarget;
    if (!w) return [];
    const root = byPid.get(w.pid);
    const rootAlive = root && root.key === w.key;
    const next = new Set<string>();
    const queue: RawProcess[] = [];
    const add = (p: RawProcess) => {
      if (!next.has(p.key)) {
        next.add(p.key);
        queue.push(p);
      }
    };
    if (rootAlive) add(root);
    // Once in the program, always in it (an orphan re-parented to init stays in view).
    for (const p of raws) if (this.members.has(p.key)) add(p);
    // Same session or process group as the program (double-forked daemons that did not setsid).
    const groups = new Set<number>();
    for (const p of raws) if (next.has(p.key) && (p.pgid === p.pid || p.sid === p.pid)) groups.add(p.pid);
    if (w.key) groups.add(w.pid);
    for (const p of raws) if (!p.kernelThread && (groups.has(p.pgid) || groups.has(p.sid)) && p.pid !== 1) add(p);
    while (queue.length) {
      const p = queue.pop()!;
      for (const c of children.get(p.pid) ?? []) add(c);
    }
    this.members = next;
    if (!rootAlive && w.key && !this.programEnd) {
      const last = this.lastSeenRaw.get(w.key);
      this.programEnd = this.endOf(last, this.now());
    }
    return raws.filter((p) => next.has(p.key));
  }

  private toInfo(p: RawProcess, byPid: Map<number, RawProcess>, ctx: OrphanContext, now: number): ProcessInfo {
    const lineage = this.lineage.get(p.key);
    const prev = this.cpuSample.get(p.key);
    let cpuPercent: number;
    if (prev && now > prev.at) cpuPercent = ((p.cpuTicks - prev.ticks) / CLK_TCK / ((now - prev.at) / 1000)) * 100;
    else cpuPercent = now > p.startedAt ? (p.cpuTicks / CLK_TCK / ((now - p.startedAt) / 1000)) * 100 : 0;
    this.cpuSample.set(p.key, { ticks: p.cpuTicks, at: now });
    const blockedOn = isExitedLeaderOfLiveThreads(p)
      ? `its main thread has exited; ${p.threads - 1} other thread(s) still run (not a zombie process)`
      : describeWchan(p.wchan, p.state);
    const command = p.argv && p.argv.length ? p.argv.join(' ') : `[${p.name}]`;
    return {
      key: p.key,
      pid: p.pid,
      ppid: p.ppid,
      pgid: p.pgid,
      sid: p.sid,
      tty: p.tty,
      tpgid: p.tpgid,
      state: p.state,
      stat: p.stat,
      nice: p.nice,
      threads: p.threads,
      rssKb: p.rssKb,
      vszKb: p.vszKb,
      cpuPercent: Math.round(Math.max(0, cpuPercent) * 10) / 10,
      cpuTimeMs: (p.cpuTicks * 1000) / CLK_TCK,
      startTicks: p.startTicks,
      startedAt: Math.round(p.startedAt),
      uid: p.uid,
      user: p.user,
      name: p.name,
      argv: p.argv,
      command,
      wchan: p.wchan,
      blockedOn,
      restricted: p.restrictedReason !== null,
      restrictedReason: p.restrictedReason,
      inProgram: this.members.has(p.key),
      zombie: zombieInfo(p, byPid.get(p.ppid), now, lineage),
      orphan: orphanInfo(p, lineage, ctx),
      ended: null,
    };
  }

  private collectEnded(raws: RawProcess[], now: number): ProcessInfo[] {
    const alive = new Set(raws.map((p) => p.key));
    const endedNow: ProcessInfo[] = [];
    for (const [key, info] of this.emitted) {
      if (alive.has(key)) continue;
      const last = this.lastSeenRaw.get(key);
      endedNow.push({ ...info, ended: this.endOf(last, now) });
    }
    this.endedList.push(...endedNow); // before endedUnseen, which looks for parents there
    const unseen = this.endedUnseen(raws, alive, now);
    this.endedList.push(...unseen);
    endedNow.push(...unseen);
    for (const key of [...this.cpuSample.keys()]) if (!alive.has(key)) this.cpuSample.delete(key);
    for (const [pid, r] of this.reportedExits) if (now - r.at > 60_000) this.reportedExits.delete(pid);
    this.lastSeenRaw = new Map(raws.map((p) => [p.key, p]));
    const cutoff = now - ENDED_MAX_AGE_MS;
    this.endedList = this.endedList.filter((p) => (p.ended?.at ?? 0) >= cutoff).slice(-ENDED_KEEP);
    return endedNow;
  }
}

/** What the runtime's hello says of a process (HubClient in server/src/hub/hub.ts has these fields). */
export interface ReportedProcess {
  key: string;
  pid: number;
  ppid: number;
  /** Start time, clock ticks after boot. */
  startTicks: number;
  /** sys.argv, and what ps would show: comm and the full command line ("" and [] when not sent). */
  argv: string[];
  comm: string;
  cmdline: string[];
}

const REPORTED_KEEP = 5000;

/** A process no scan caught, from what its runtime reported: the fields only /proc gives are unknown. */
export function runtimeOnlyInfo(r: ReportedProcess, opts: { inProgram: boolean; ended: EndInfo | null; startedAt?: number }): ProcessInfo {
  const argv = r.cmdline.length ? r.cmdline : r.argv;
  const name = (r.comm || (argv[0]?.split('/').pop() ?? '') || 'python').slice(0, 15);
  const state = opts.ended ? 'X' : '?';
  return {
    key: r.key, pid: r.pid, ppid: r.ppid, pgid: 0, sid: 0, tty: '?', tpgid: -1, state, stat: state,
    nice: 0, threads: 1, rssKb: 0, vszKb: 0, cpuPercent: 0, cpuTimeMs: 0, startTicks: r.startTicks,
    startedAt: opts.startedAt ?? Math.round(bootTimeMs() + (r.startTicks * 1000) / CLK_TCK),
    uid: -1, user: '', name, argv, command: argv.length ? argv.join(' ') : `[${name}]`, wchan: '', blockedOn: '', restricted: true,
    restrictedReason: 'not seen by a /proc scan: known from the IPC Scope runtime only', inProgram: opts.inProgram, zombie: null, orphan: null,
    ended: opts.ended,
  };
}

/** How long after an end a report of its wait status still corrects it. */
const LATE_REPORT_MS = 10_000;

function endFromStatus(status: number, at: number): EndInfo {
  const d = decodeWaitStatus(status);
  return {
    at,
    exitCode: d.exitCode,
    signal: d.signal,
    signalName: d.signal !== null ? signalName(d.signal) : null,
    coreDumped: d.coreDumped,
    description: describeWaitStatus(status),
  };
}

function endInfo(last: RawProcess | undefined, now: number): EndInfo {
  if (last?.exitStatus != null && last.state === 'Z') return endFromStatus(last.exitStatus, now);
  return {
    at: now,
    exitCode: null,
    signal: null,
    signalName: null,
    coreDumped: false,
    description: 'ended; its exit status was collected by its parent between two refreshes',
  };
}

/** Field-wise comparison of what the panel shows (cheaper than serialising 2000 records). */
export function sameProcess(a: ProcessInfo, b: ProcessInfo): boolean {
  return (
    a.stat === b.stat &&
    a.ppid === b.ppid &&
    a.cpuPercent === b.cpuPercent &&
    a.rssKb === b.rssKb &&
    a.vszKb === b.vszKb &&
    a.threads === b.threads &&
    a.wchan === b.wchan &&
    a.blockedOn === b.blockedOn &&
    a.name === b.name &&
    a.command === b.command &&
    a.pgid === b.pgid &&
    a.sid === b.sid &&
    a.tty === b.tty &&
    a.nice === b.nice &&
    a.uid === b.uid &&
    a.restrictedReason === b.restrictedReason &&
    a.inProgram === b.inProgram &&
    a.cpuTimeMs === b.cpuTimeMs &&
    a.zombie?.explanation === b.zombie?.explanation &&
    a.orphan?.explanation === b.orphan?.explanation
  );
}

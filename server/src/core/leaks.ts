/**
 * The leak report made when a watched program's main process ends: shared memory, named
 * semaphores, FIFOs and POSIX message queues it created and did not unlink, zombies it left and
 * children still running. Objects come from the runtime's creation / unlink events (with their
 * source lines) checked against the file system at the end; processes from the process model.
 * Plain TypeScript, no `vscode`: the language server and `ipc-scope run` share it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LeakItem, LeakLimits, LeakReport, ProcessInfo, WatchTarget } from '../../../protocol/protocol';
import { EventKinds } from '../../../protocol/runtime';
import type { HubEvent } from '../hub/hub';
import type { RawProcess } from '../inspect/scanner';

/** Reads one process from /proc (the model's scanner), for children the scans may have missed. */
export type ReadProcess = (pid: number) => RawProcess | null;

/** How long after the main process ended the rest of the program may take to finish (resource tracker, joins). */
export const SETTLE_MS = 3000;

export interface LeakDirs {
  shm: string;
  mqueue: string;
}

const DEFAULT_DIRS: LeakDirs = { shm: '/dev/shm', mqueue: '/dev/mqueue' };

interface Created {
  pid: number;
  loc: string;
  /** Removed by the program (an unlink event seen after the creation). */
  unlinked: boolean;
}

interface SharedMemoryCreated extends Created {
  type: string;
  size: number;
}

interface FileCreated extends Created {
  path: string;
  inode: number;
}

/**
 * multiprocessing's own helper processes (they end by themselves once the program's last process has),
 * by their command line; a Process the forkserver forked has the same one.
 */
const HELPER_COMMAND = /multiprocessing\.(resource_tracker|forkserver)/;

const where = (loc: string) => loc || 'not seen by the runtime';
const RUNNING_FIX = 'join() or terminate() it before the main process returns (or make it a daemon process)';
/** The fix for a child still running, by how it was started (a multiprocessing Process unless told). */
const WAITPID_FIX = 'os.waitpid(pid, 0) for it, or kill it, before the main process returns';
const RUNNING_FIXES = new Map([
  ['subprocess', 'wait() for it (or use communicate(), or subprocess.run), or terminate() it, before the main process returns'],
  ['posix_spawn', WAITPID_FIX],
  ['os.fork', WAITPID_FIX],
]);

export class LeakWatch {
  private readonly dirs: LeakDirs;
  private shm = new Map<string, SharedMemoryCreated>();
  private fifos = new Map<number, FileCreated>();
  /** mmaps of files in /dev/shm, by inode. */
  private shmFiles = new Map<number, FileCreated>();
  private semaphores = new Map<string, Created>();
  /**
   * Children the program started (fork and spawn events): the line that started each, and how (the
   * events' via, "" when none): the fix differs, and a forkserver's child is no helper.
   */
  private children = new Map<number, { loc: string; via: string }>();
  /** Children the program reaped (pid → wall ms the report arrived): a scan may predate the report. */
  private reaped = new Map<number, number>();
  /** POSIX message queues there before the run (those made during it, by anyone, are listed without a line). */
  private baseline = new Set<string>();
  private startedAt = 0;
  private launcherPid: number | null = null;
  private mainKey: string | null = null;
  private mainPid: number | null = null;
  private mainEndedAt: number | null = null;
  /** Zombies at the last scan while the main process lived, less those reaped since. */
  private zombies = new Map<number, ProcessInfo>();
  private reported = false;

  constructor(dirs: Partial<LeakDirs> = {}, private readonly readProcess: ReadProcess | null = null) {
    this.dirs = { ...DEFAULT_DIRS, ...dirs };
  }

  /**
   * A new run starts now. `launcherPid`: our subreaper launcher (its own waits reap what the
   * program left, so they do not count as the program's).
   */
  begin(opts: { launcherPid?: number | null; now?: number } = {}): void {
    this.shm.clear();
    this.fifos.clear();
    this.shmFiles.clear();
    this.semaphores.clear();
    this.children.clear();
    this.reaped.clear();
    this.zombies.clear();
    this.launcherPid = opts.launcherPid ?? null;
    this.mainKey = null;
    this.mainPid = null;
    this.mainEndedAt = null;
    this.reported = false;
    this.startedAt = opts.now ?? Date.now();
    this.baseline = new Set(listDir(this.dirs.mqueue) ?? []);
  }

  setLauncher(pid: number | null): void {
    this.launcherPid = pid;
  }

  get done(): boolean {
    return this.reported;
  }

  /** A main process was found (this watch has begun to follow a program). */
  get following(): boolean {
    return this.mainKey !== null || this.reported;
  }

  ingest(batch: HubEvent[]): void {
    for (const e of batch) {
      const x = e.x ?? {};
      switch (e.k) {
        case EventKinds.sharedNew: {
          if ((x.type === 'SharedMemory' || x.type === 'ShareableList') && x.create === true && typeof x.name === 'string') {
            this.shm.set(x.name, { pid: e.pid, loc: e.loc, unlinked: false, type: x.type, size: e.size });
          } else if (x.type === 'mmap' && typeof x.name === 'string' && x.name.startsWith(this.dirs.shm + '/')) {
            const inode = Number(e.ch.split(':')[1]);
            if (Number.isFinite(inode) && !this.shmFiles.has(inode)) this.shmFiles.set(inode, { pid: e.pid, loc: e.loc, unlinked: false, path: x.name.replace(/ \(deleted\)$/, ''), inode });
          }
          break;
        }
        case EventKinds.shmUnlink: {
          const c = this.shm.get(e.ch.slice('shm:'.length));
          if (c) c.unlinked = true;
          break;
        }
        case EventKinds.osMkfifo: {
          const inode = Number(e.ch.slice('fifo:'.length));
          const p = typeof x.abspath === 'string' ? x.abspath : typeof x.path === 'string' ? x.path : '';
          if (p && Number.isFinite(inode)) this.fifos.set(inode, { pid: e.pid, loc: e.loc, unlinked: false, path: p, inode });
          break;
        }
        case EventKinds.fifoUnlink: {
          const c = this.fifos.get(Number(e.ch.slice('fifo:'.length)));
          if (c) c.unlinked = true;
          break;
        }
        case EventKinds.syncNew:
          if (e.ch.startsWith('sem:') && !this.semaphores.has(e.ch)) this.semaphores.set(e.ch, { pid: e.pid, loc: e.loc, unlinked: false });
          break;
        case EventKinds.fork:
        case EventKinds.spawn:
          if (typeof x.child === 'number') {
            // The forkserver reports its fork without a line or via; the parent that asked, with the user's
            // line and via forkserver: both are the same child, whichever comes first.
            const known = this.children.get(x.child);
            const via = typeof x.via === 'string' ? x.via : known?.via === 'forkserver' ? 'forkserver' : '';
            this.children.set(x.child, { loc: e.loc || (known?.loc ?? ''), via });
          }
          break;
        case EventKinds.wait:
          if (typeof x.child === 'number' && e.pid !== this.launcherPid) {
            this.zombies.delete(x.child);
            this.reaped.set(x.child, Date.now());
          }
          break;
      }
    }
  }

  /**
   * After each scan of the watched program. Returns the report once: when its main process has
   * ended and the rest has settled (only zombies left, or SETTLE_MS passed). `connected(pid)`: the
   * process still has a runtime connection (its last events may be in flight).
   */
  afterScan(processes: ProcessInfo[], ctx: { watch: WatchTarget | null; programEnded: boolean; now?: number; connected?: (pid: number) => boolean }): LeakReport | null {
    const w = ctx.watch;
    if (this.reported || !w) return null;
    const now = ctx.now ?? Date.now();
    if (!this.mainKey) {
      // Launched: the launcher's first child is the program; else the watched root itself.
      const main = w.launched ? earliest(processes.filter((p) => p.ppid === w.pid && p.pid !== w.pid)) : w.key ? { key: w.key, pid: w.pid } : undefined;
      if (main) {
        this.mainKey = main.key;
        this.mainPid = main.pid;
      } else if (!ctx.programEnded) return null; // not started yet (or too short-lived to be seen)
    }
    // A main process in state Z has exited: the kernel has already handed its children to init or a
    // subreaper, which may have reaped its zombies. That view must not replace the last one it lived in.
    const mainAlive = processes.some((p) => p.key === this.mainKey && !p.zombie);
    if (mainAlive) {
      // Only the program's own: a zombie whose parent is outside it (an init that does not reap) is not its doing.
      const pids = new Set(processes.map((p) => p.pid));
      this.zombies = new Map(processes.filter((p) => p.zombie && pids.has(p.ppid) && !(w.launched && p.ppid === w.pid) && !this.wasReaped(p)).map((p) => [p.pid, p]));
      return null;
    }
    this.mainEndedAt ??= now;
    const late = now - this.mainEndedAt >= SETTLE_MS;
    const rest = processes.filter((p) => p.pid !== w.pid && !p.ended);
    const settled = rest.every((p) => p.zombie) && !(this.mainPid !== null && ctx.connected?.(this.mainPid));
    if (!settled && !late) return null;
    this.reported = true;
    return this.report(w.label, rest, now);
  }

  /** The report now: objects checked in the file system, `alive` the program's processes still there. */
  report(program: string, alive: ProcessInfo[], now = Date.now()): LeakReport {
    const items: LeakItem[] = [];
    const checked: string[] = [];
    const shmDir = fs.existsSync(this.dirs.shm);
    checked.push(shmDir ? `${this.dirs.shm} (shared memory, and named semaphores the runtime saw made)` : `${this.dirs.shm}: not present`);
    for (const [name, c] of this.shm) {
      if (c.unlinked) continue;
      const file = path.join(this.dirs.shm, name);
      const st = lstat(file);
      items.push({
        kind: 'shm',
        name,
        path: file,
        pid: c.pid,
        createdAt: c.loc,
        detail: st
          ? `${c.type} created by pid ${c.pid} and never unlinked: still in ${this.dirs.shm} (${st.size} bytes)`
          : `${c.type} created by pid ${c.pid} and never unlinked: gone now, removed by multiprocessing's resource tracker at exit (it warns about leaked shared_memory objects)`,
        fix: 'call unlink() once, after every process has close()d it (e.g. in a finally block in the process that created it)',
      });
    }
    for (const c of this.shmFiles.values()) {
      const st = lstat(c.path);
      if (!st || st.ino !== c.inode) continue;
      items.push({ kind: 'shm', name: path.basename(c.path), path: c.path, pid: c.pid, createdAt: c.loc, detail: `a file in ${this.dirs.shm} mapped by pid ${c.pid} (mmap) is still there (${st.size} bytes)`, fix: 'os.unlink() the file when the program is done with it' });
    }
    const semFiles = new Set(this.listSemaphores());
    for (const [ch, c] of this.semaphores) {
      const file = `sem.${ch.slice('sem:'.length).replace(/^\//, '')}`;
      if (!semFiles.has(file)) continue;
      semFiles.delete(file);
      items.push({ kind: 'semaphore', name: ch.slice('sem:'.length), path: path.join(this.dirs.shm, file), pid: c.pid, createdAt: c.loc, detail: `named semaphore created by pid ${c.pid} is still in ${this.dirs.shm}`, fix: 'sem_unlink() it once no process needs to open it by name' });
    }
    // Semaphores the runtime did not see are not guessed at: on a shared machine other programs'
    // (multiprocessing's own, with spawn, live in /dev/shm until exit) would be taken for ours.
    const uid = process.getuid?.() ?? -1;
    for (const c of this.fifos.values()) {
      if (c.unlinked) continue;
      const st = lstat(c.path);
      if (!st || !st.isFIFO() || st.ino !== c.inode) continue;
      items.push({ kind: 'fifo', name: c.path, path: c.path, pid: c.pid, createdAt: c.loc, detail: `FIFO made by pid ${c.pid} with os.mkfifo is still in the file system`, fix: 'os.unlink(path) when done with it (in a finally block)' });
    }
    const queues = listDir(this.dirs.mqueue);
    checked.push(queues ? `${this.dirs.mqueue} (POSIX message queues)` : `${this.dirs.mqueue}: not mounted (POSIX message queues not checked)`);
    for (const q of queues ?? []) {
      const file = path.join(this.dirs.mqueue, q);
      if (this.baseline.has(q) || !this.createdDuringRun(file, uid)) continue;
      items.push({ kind: 'mqueue', name: `/${q}`, path: file, pid: null, createdAt: '', detail: 'POSIX message queue made during the run is still there', fix: 'mq_unlink(name) when done with it' });
    }
    checked.push('processes: zombies and children still running after the main process ended');
    const aliveByPid = new Map(alive.map((p) => [p.pid, p]));
    const zombies = new Map(this.zombies);
    for (const p of alive) if (p.zombie && aliveByPid.has(p.ppid) && !aliveByPid.get(p.ppid)!.zombie && !this.wasReaped(p)) zombies.set(p.pid, p);
    for (const z of zombies.values()) {
      const now_ = aliveByPid.get(z.pid);
      const parent = z.zombie?.parentPid ?? z.ppid;
      items.push({
        kind: 'zombie',
        name: `pid ${z.pid} ${z.name}`,
        path: null,
        pid: z.pid,
        createdAt: this.children.get(z.pid)?.loc ?? '',
        detail: `a zombie: its parent (pid ${parent} ${z.zombie?.parentName ?? ''}) never waited for it${now_ ? '' : '; reaped by the launcher or init after its parent ended'}`.replace(' )', ')'),
        fix: 'wait for every child: os.waitpid(pid, 0), Process.join(), or signal(SIGCHLD, SIG_IGN)',
      });
    }
    // Forked children a busy machine's scans never caught (they left the tree with their parent).
    for (const [pid, { loc }] of this.children) {
      if (aliveByPid.has(pid) || pid === this.mainPid || pid === this.launcherPid || this.reaped.has(pid)) continue;
      const raw = this.readProcess?.(pid);
      if (!raw || raw.state === 'Z' || raw.startedAt < this.startedAt - 1000) continue;
      const command = raw.argv?.length ? raw.argv.join(' ') : `[${raw.name}]`;
      if (this.isHelper(pid, command)) continue;
      items.push({ kind: 'running', name: `pid ${pid} ${raw.name}`, path: null, pid, createdAt: loc, detail: `still running (${raw.stat}) after the main process ended: ${command}`, fix: this.runningFix(pid) });
    }
    for (const p of alive) {
      if (p.zombie || p.state === 'Z' || p.pid === this.launcherPid || this.isHelper(p.pid, p.command)) continue;
      items.push({
        kind: 'running',
        name: `pid ${p.pid} ${p.name}`,
        path: null,
        pid: p.pid,
        createdAt: this.children.get(p.pid)?.loc ?? '',
        detail: `still running (${p.stat}) after the main process ended: ${p.command}`,
        fix: this.runningFix(p.pid),
      });
    }
    const order: Record<string, number> = { shm: 0, semaphore: 1, fifo: 2, mqueue: 3, zombie: 4, running: 5 };
    items.sort((a, b) => order[a.kind] - order[b.kind]);
    return { program, mainPid: this.mainPid, at: now, items: items.slice(0, LeakLimits.items), omitted: Math.max(0, items.length - LeakLimits.items), checked };
  }

  /** multiprocessing's resource tracker or forkserver: by how it was started (an exiting one's command line is empty), else by its command line. */
  private isHelper(pid: number, command: string): boolean {
    const via = this.children.get(pid)?.via;
    return via === 'resource_tracker' || via === 'forkserver_server' || (HELPER_COMMAND.test(command) && via !== 'forkserver');
  }

  private runningFix(pid: number): string {
    return RUNNING_FIXES.get(this.children.get(pid)?.via ?? '') ?? RUNNING_FIX;
  }

  /** Reaped by the program after it started (a later process with the same pid is another one). */
  private wasReaped(p: ProcessInfo): boolean {
    const at = this.reaped.get(p.pid);
    return at !== undefined && at >= p.startedAt - 1000; // startedAt comes from boot-time ticks: allow for rounding
  }

  private listSemaphores(): string[] {
    return (listDir(this.dirs.shm) ?? []).filter((f) => f.startsWith('sem.'));
  }

  /** Ours and changed since the run began (an object made by someone else at the same time is not ours). */
  private createdDuringRun(file: string, uid: number): boolean {
    const st = lstat(file);
    return !!st && (uid < 0 || st.uid === uid) && st.ctimeMs >= this.startedAt - 1000;
  }
}

function earliest(ps: ProcessInfo[]): ProcessInfo | undefined {
  return ps.reduce<ProcessInfo | undefined>((a, b) => (!a || b.startTicks < a.startTicks ? b : a), undefined);
}

function lstat(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch {
    return null;
  }
}

function listDir(p: string): string[] | null {
  try {
    return fs.readdirSync(p);
  } catch {
    return null;
  }
}

/** The report as lines for a terminal. */
export function formatLeakReport(r: LeakReport): string {
  const lines = [`Leak report for ${r.program}${r.mainPid !== null ? ` (main process pid ${r.mainPid})` : ''}: ${r.items.length ? `${r.items.length + r.omitted} left behind` : 'nothing left behind'}`];
  for (const i of r.items) {
    lines.push(`  ${i.kind.padEnd(9)} ${i.name}  created at ${where(i.createdAt)}`);
    lines.push(`            ${i.detail}`);
    lines.push(`            fix: ${i.fix}`);
  }
  if (r.omitted) lines.push(`  … and ${r.omitted} more`);
  lines.push(`  checked: ${r.checked.join('; ')}`);
  return lines.join('\n');
}

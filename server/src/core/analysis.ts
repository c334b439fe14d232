/**
 * Zombie and orphan detection, with one-line explanations of cause and fix.
 * Rules (shared/docs/stat.md): a zombie is state Z with a single thread (a Z thread-group leader
 * whose other threads still run is not a zombie process); an orphan is a process whose parent died
 * and that was re-parented to init or to the nearest subreaper.
 */
import type { OrphanInfo, ZombieInfo } from '../../../protocol/protocol';
import type { RawProcess } from '../inspect/scanner';
import { describeWaitStatus } from '../inspect/stat';

export interface Lineage {
  /** ppid when we first saw the process, and that parent's key and name. */
  firstPpid: number;
  firstParentKey: string | null;
  firstParentName: string | null;
  firstSeenAt: number;
  /** When we saw it become a zombie (null: not one, or one already when first seen: when it exited is not known). */
  zombieSince: number | null;
  /** It was a zombie the first time we saw it. */
  zombieAtFirstSight?: boolean;
}

export function isZombieProcess(p: RawProcess): boolean {
  return p.state === 'Z' && p.threads <= 1;
}

/** A Z thread-group leader whose other threads still run: looks like Z, is not a zombie. */
export function isExitedLeaderOfLiveThreads(p: RawProcess): boolean {
  return p.state === 'Z' && p.threads > 1;
}

export function zombieInfo(p: RawProcess, parent: RawProcess | undefined, now: number, lineage: Lineage | undefined): ZombieInfo | null {
  if (!isZombieProcess(p)) return null;
  const parentName = parent?.name ?? '?';
  const how = p.exitStatus !== null ? describeWaitStatus(p.exitStatus) : 'exited';
  const since = lineage?.zombieSince != null ? ` ${Math.max(0, Math.round((now - lineage.zombieSince) / 1000))} s ago` : '';
  const reaperIsInit = p.ppid === 1;
  const explanation = reaperIsInit
    ? `pid ${p.pid} ${how}${since}; its parent died, so init (pid 1) adopted it and should reap it shortly.`
    : `pid ${p.pid} ${how}${since}, but its parent pid ${p.ppid} (${parentName}) has not called wait() to collect its exit status.`;
  const fix = reaperIsInit
    ? 'Nothing to fix in the program; if it lingers, pid 1 in this container does not reap children (use an init such as tini or dumb-init).'
    : `In pid ${p.ppid}: call os.wait()/os.waitpid() (or Process.join()/Popen.wait()) for each child, or set signal.signal(SIGCHLD, SIG_IGN) if it never needs exit statuses.`;
  return { parentPid: p.ppid, parentName, explanation, fix };
}

export interface OrphanContext {
  byKey: Map<string, RawProcess>;
  byPid: Map<number, RawProcess>;
  /** Pids seen adopting processes, or known to set PR_SET_CHILD_SUBREAPER (our launcher). */
  subreapers: Set<number>;
  /** For each known subreaper, the key of its own program child (not an adoptee). */
  launcherProgramChild: Map<number, string>;
}

export function orphanInfo(p: RawProcess, lineage: Lineage | undefined, ctx: OrphanContext): OrphanInfo | null {
  if (p.kernelThread || p.pid === 1 || p.ppid === 0) return null;
  const adopter = ctx.byPid.get(p.ppid);
  const adopterName = adopter?.name ?? '?';
  const kind: OrphanInfo['adopterKind'] = p.ppid === 1 ? 'init' : 'subreaper';
  const fix =
    'If the child should not outlive its parent, have the parent wait for it (join()/wait()) before exiting, or end it (terminate(), daemon=True, or PR_SET_PDEATHSIG).';

  // Seen re-parented: its first parent is gone and the kernel moved it to init or a subreaper.
  if (lineage && lineage.firstPpid !== p.ppid && lineage.firstParentKey && !ctx.byKey.has(lineage.firstParentKey)) {
    return {
      originalPpid: lineage.firstPpid,
      originalParentName: lineage.firstParentName,
      adoptedBy: p.ppid,
      adopterKind: kind,
      inferred: false,
      explanation: `Its parent pid ${lineage.firstPpid} (${lineage.firstParentName ?? '?'}) exited while it was running, so it was re-parented to ${describeAdopter(p.ppid, adopterName, kind)}.`,
      fix,
    };
  }
  // First seen already adopted by our launcher (a subreaper): anything but the program itself is an adoptee.
  const programChild = ctx.launcherProgramChild.get(p.ppid);
  if (programChild && programChild !== p.key && ctx.subreapers.has(p.ppid)) {
    return {
      originalPpid: null,
      originalParentName: null,
      adoptedBy: p.ppid,
      adopterKind: 'subreaper',
      inferred: true,
      explanation: `Its parent exited before IPC Scope saw it, so it was re-parented to ${describeAdopter(p.ppid, adopterName, 'subreaper')}.`,
      fix,
    };
  }
  // First seen under init, but still in the process group and session of another family.
  if (p.ppid === 1 && p.pgid !== p.pid && p.sid !== p.pid && p.sid !== 0 && (!lineage || lineage.firstPpid === 1)) {
    const leader = ctx.byPid.get(p.pgid);
    return {
      originalPpid: null,
      originalParentName: null,
      adoptedBy: 1,
      adopterKind: 'init',
      inferred: true,
      explanation: `Its parent exited before IPC Scope saw it: it was re-parented to init (pid 1) but still belongs to process group ${p.pgid}${leader ? ` (${leader.name})` : ''} of the family that started it.`,
      fix,
    };
  }
  return null;
}

function describeAdopter(pid: number, name: string, kind: OrphanInfo['adopterKind']): string {
  return kind === 'init' ? `init (pid 1, ${name})` : `the subreaper pid ${pid} (${name})`;
}

/** True for our own launcher: `python -m ipcscope …` sets itself PR_SET_CHILD_SUBREAPER. */
export function isIpcScopeLauncher(p: RawProcess): boolean {
  const a = p.argv;
  if (!a || a.length < 3) return false;
  const i = a.indexOf('-m');
  return i >= 0 && a[i + 1] === 'ipcscope';
}

/**
 * Scans /proc into raw process records.
 *
 * stat is read for every process on every scan. status (uid, VmLck), cmdline and wchan are re-read
 * only when the process may have changed them: it is new, or it ran since the last scan (CPU ticks,
 * page faults, state or thread count moved), or its command name changed (exec). A process that
 * did not run cannot have exec'd, changed its wait channel or locked pages.
 */
import { CLK_TCK, PAGE_KB, PF_KTHREAD, ProcFileReader, RawStat, DEFAULT_PROC_ROOT, bootTimeMs, listPids, parseCmdline, parseStat, parseStatus } from './procfs';
import { buildStat } from './stat';
import { ttyName } from './tty';
import { refreshUserNames, userName } from './users';
import { processKey, type ProcessInfo } from '../../../protocol/protocol';
import type { Scanner } from './portable';

/** One process as read from /proc: the protocol's ProcessInfo fields the kernel gives, before the model adds the rest. */
export type RawProcess = Pick<
  ProcessInfo,
  'key' | 'pid' | 'ppid' | 'pgid' | 'sid' | 'tty' | 'tpgid' | 'state' | 'stat' | 'nice' | 'threads' | 'rssKb' | 'vszKb' | 'startTicks' | 'startedAt' | 'uid' | 'user' | 'name' | 'argv' | 'wchan' | 'restrictedReason'
> & {
  cpuTicks: number;
  kernelThread: boolean;
  /** waitpid-style status from stat field 52; meaningful once state is Z. */
  exitStatus: number | null;
};

interface CacheEntry {
  ranSignature: string;
  comm: string;
  euid: number;
  vmLckKb: number;
  argv: string[] | null;
  wchan: string;
  restrictedReason: string | null;
}

export interface ScanOptions {
  /** Yield to the event loop after this many pids (keeps stalls short). */
  batch?: number;
  /** Only these pids (e.g. a single process); default: all of /proc. */
  pids?: number[];
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class ProcScanner implements Scanner {
  private readonly reader = new ProcFileReader();
  private cache = new Map<string, CacheEntry>();
  /** Longest synchronous stretch of the last scan, ms (for the benchmark). */
  lastLongestSliceMs = 0;

  /** `procRoot` is /proc; tests point it (or IPC_SCOPE_PROC_ROOT) at a prepared tree to reproduce unreadable or vanishing entries. */
  constructor(private readonly procRoot = process.env.IPC_SCOPE_PROC_ROOT || DEFAULT_PROC_ROOT) {}

  private path(pid: number, file: string): string {
    return `${this.procRoot}/${pid}/${file}`;
  }

  async scan(opts: ScanOptions = {}): Promise<RawProcess[]> {
    const batch = opts.batch ?? 64;
    refreshUserNames();
    const pids = opts.pids ?? listPids(this.procRoot);
    const out: RawProcess[] = [];
    const nextCache = new Map<string, CacheEntry>();
    let sliceStart = performance.now();
    this.lastLongestSliceMs = 0;
    for (let i = 0; i < pids.length; i++) {
      const p = this.readOne(pids[i], nextCache);
      if (p) out.push(p);
      if ((i + 1) % batch === 0) {
        this.lastLongestSliceMs = Math.max(this.lastLongestSliceMs, performance.now() - sliceStart);
        await yieldToLoop();
        sliceStart = performance.now();
      }
    }
    this.lastLongestSliceMs = Math.max(this.lastLongestSliceMs, performance.now() - sliceStart);
    if (!opts.pids) this.cache = nextCache;
    else for (const [k, v] of nextCache) this.cache.set(k, v);
    return out;
  }

  /** Reads one process; null when it does not exist (or vanished before stat could be read). */
  readOne(pid: number, nextCache?: Map<string, CacheEntry>): RawProcess | null {
    const statBytes = this.reader.readBytes(this.path(pid, 'stat'));
    if (typeof statBytes === 'string') return null;
    const st = parseStat(statBytes);
    if (!st) return null;
    const key = processKey(pid, st.startTicks);
    const signature = `${st.state}|${st.utime}|${st.stime}|${st.threads}|${st.comm}|${minorFaults(statBytes)}`;
    let c = this.cache.get(key);
    if (!c || c.ranSignature !== signature) c = this.readDetails(pid, st, signature, c);
    nextCache?.set(key, c);
    const kernelThread = (st.flags & PF_KTHREAD) !== 0;
    return {
      key,
      pid,
      ppid: st.ppid,
      pgid: st.pgid,
      sid: st.sid,
      tty: ttyName(st.ttyNr),
      tpgid: st.tpgid,
      state: st.state,
      stat: buildStat({ pid, state: st.state, nice: st.nice, vmLckKb: c.vmLckKb, sid: st.sid, threads: st.threads, pgid: st.pgid, tpgid: st.tpgid }),
      nice: st.nice,
      threads: st.threads,
      rssKb: st.rssPages * PAGE_KB,
      vszKb: Math.round(st.vsizeBytes / 1024),
      cpuTicks: st.utime + st.stime,
      startTicks: st.startTicks,
      startedAt: bootTimeMs() + (st.startTicks * 1000) / CLK_TCK,
      uid: c.euid,
      user: userName(c.euid),
      name: st.comm,
      argv: c.argv,
      wchan: c.wchan,
      kernelThread,
      exitStatus: st.state === 'Z' || st.state === 'X' ? st.exitCode : null,
      restrictedReason: c.restrictedReason,
    };
  }

  private readDetails(pid: number, st: RawStat, ranSignature: string, prev: CacheEntry | undefined): CacheEntry {
    const problems: string[] = [];
    let euid = prev?.euid ?? -1;
    let vmLckKb = 0;
    const status = this.reader.readText(this.path(pid, 'status'));
    if (typeof status === 'string') ({ euid, vmLckKb } = parseStatus(status));
    else problems.push(`status: ${status.error}`);

    let argv: string[] | null = prev && prev.comm === st.comm ? prev.argv : null;
    // Re-read argv on exec (comm changed) or when it ran; zombies have none left.
    if (st.state !== 'Z') {
      const cmd = this.reader.readBytes(this.path(pid, 'cmdline'));
      if (typeof cmd === 'string') {
        problems.push(`cmdline: ${cmd}`);
      } else argv = parseCmdline(cmd);
    } else if (argv === null) argv = [];

    let wchan = '';
    if (st.state === 'S' || st.state === 'D') {
      const w = this.reader.readText(this.path(pid, 'wchan'));
      if (typeof w === 'string') wchan = w === '0' ? '' : w.trim();
      else if (w.error !== 'ENOENT') problems.push(`wchan: ${w.error}`);
    }
    return {
      ranSignature,
      comm: st.comm,
      euid,
      vmLckKb,
      argv,
      wchan,
      restrictedReason: problems.length ? explainProblems(problems) : null,
    };
  }
}

/** Field 10 (minflt): moves whenever the process touches new memory, so exec and most work show up. */
function minorFaults(statBytes: Buffer): string {
  const close = statBytes.lastIndexOf(0x29);
  let field = 2;
  let start = close + 2;
  for (let i = close + 2; i < statBytes.length; i++) {
    if (statBytes[i] === 0x20) {
      field++;
      if (field === 10) return statBytes.toString('latin1', start, i);
      start = i + 1;
    }
  }
  return '';
}

function explainProblems(problems: string[]): string {
  const denied = problems.some((p) => p.endsWith('EACCES') || p.endsWith('EPERM'));
  const vanished = problems.some((p) => p.endsWith('ESRCH') || p.endsWith('ENOENT'));
  const what = denied ? 'permission denied (another user\'s process?)' : vanished ? 'the process ended while being read' : 'read error';
  return `Some of /proc could not be read: ${what} [${problems.join(', ')}]`;
}

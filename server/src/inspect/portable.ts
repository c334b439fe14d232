/**
 * The portable path, for systems without /proc (macOS, BSD): ps-list for the process list and
 * pidtree for a program's descendants. Both spawn `ps`, are slower than /proc and cannot tell
 * STAT, pgid, sid, tty, nice, threads or wchan: those fields are left unknown ("?", -1, "").
 * On Linux the /proc scanner is used instead; the benchmark compares the two.
 */
import pidtree from 'pidtree';
import psList from 'ps-list';
import { processKey } from '../../../protocol/protocol';
import type { RawProcess } from './scanner';
import { userName } from './users';

export interface Scanner {
  scan(): Promise<RawProcess[]>;
  /** Synchronous look-up of one pid (from the last scan where a live read is not possible). */
  readOne(pid: number): RawProcess | null;
  lastLongestSliceMs: number;
}

export class PortableScanner implements Scanner {
  private last = new Map<number, RawProcess>();
  lastLongestSliceMs = 0;

  /** Pids of `root` and its descendants, through pidtree. */
  static async descendants(root: number): Promise<number[]> {
    return pidtree(root, { root: true });
  }

  async scan(): Promise<RawProcess[]> {
    const list = await psList({ all: true });
    const now = Date.now();
    const out: RawProcess[] = list.map((p) => {
      // ps-list gives no start time in clock ticks; its lstart-derived Date keys the identity instead.
      const started = (p as { startTime?: Date }).startTime?.getTime() ?? 0;
      return {
        key: processKey(p.pid, Math.floor(started / 10)),
        pid: p.pid,
        ppid: p.ppid ?? 0,
        pgid: -1,
        sid: -1,
        tty: '?',
        tpgid: -1,
        state: '?',
        stat: '?',
        nice: 0,
        threads: 1,
        rssKb: 0,
        vszKb: 0,
        cpuTicks: 0,
        startTicks: Math.floor(started / 10),
        startedAt: started || now,
        uid: p.uid ?? -1,
        user: p.uid !== undefined ? userName(p.uid) : '?',
        name: p.name,
        argv: p.cmd ? p.cmd.split(' ') : null,
        wchan: '',
        kernelThread: false,
        exitStatus: null,
        restrictedReason: 'This system has no /proc: STAT, process groups, sessions, threads and wait channels are unknown.',
      };
    });
    this.last = new Map(out.map((p) => [p.pid, p]));
    return out;
  }

  readOne(pid: number): RawProcess | null {
    return this.last.get(pid) ?? null;
  }
}

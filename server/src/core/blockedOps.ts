/**
 * The Python calls each process is blocked in, as the runtime reports them (op.block / op.unblock:
 * a Queue.get, a bounded Queue's put, Connection.recv or Process.join that has lasted 0.2 s; sync.block:
 * a contended acquire of a user's Lock or Semaphore, at once), with the user's line.
 */
import { EventKinds } from '../../../protocol/runtime';
import type { HubEvent } from '../hub/hub';

export interface BlockedOp {
  op: string;
  /** Its channel id ("queue:4711"), "" for join. */
  ch: string;
  /** join: the child waited for. */
  targetPid: number | null;
  /** The user's line, "file.py:42". */
  loc: string;
  /** CLOCK_MONOTONIC ns when the call began. */
  since: number;
  /** The blocked thread's native id, when the runtime could tell. */
  tid: number | null;
}

export class BlockedOps {
  private readonly byPid = new Map<number, BlockedOp[]>();

  ingest(events: HubEvent[]): void {
    for (const e of events) {
      if (!e || !Number.isInteger(e.pid)) continue;
      const ch = typeof e.ch === 'string' ? e.ch : '';
      switch (e.k) {
        case EventKinds.processExit:
          this.byPid.delete(e.pid);
          break;
        case EventKinds.opBlock:
        case EventKinds.opUnblock:
          this.set(e, typeof e.x?.op === 'string' ? e.x.op : '', ch, e.k === EventKinds.opBlock);
          break;
        // A contended acquire of a user's Lock or Semaphore (reported at once, with its thread) until it gets it or times out.
        case EventKinds.syncBlock:
          this.set(e, 'acquire', ch, true);
          break;
        case EventKinds.syncAcquire:
          this.set(e, 'acquire', ch, false);
          break;
        case EventKinds.syncOp:
          if (e.x?.op === 'timeout') this.set(e, 'acquire', ch, false);
          break;
      }
    }
  }

  private set(e: HubEvent, op: string, ch: string, blocked: boolean): void {
    const had = this.byPid.get(e.pid);
    if (!blocked && !had) return;
    const list = (had ?? []).filter((b) => !(b.op === op && b.ch === ch));
    if (blocked) {
      const targetPid = typeof e.x?.pid === 'number' ? e.x.pid : null;
      const tid = typeof e.x?.tid === 'number' && Number.isInteger(e.x.tid) ? e.x.tid : null;
      list.push({ op, ch, targetPid, loc: typeof e.loc === 'string' ? e.loc : '', since: typeof e.ts === 'number' ? e.ts : 0, tid });
    }
    if (list.length) this.byPid.set(e.pid, list.slice(-8));
    else this.byPid.delete(e.pid);
  }

  of(pid: number): BlockedOp[] {
    return this.byPid.get(pid) ?? [];
  }

  /** The call thread `tid` of `pid` is blocked in, if the runtime reported one for that thread. */
  ofThread(pid: number, tid: number): BlockedOp | null {
    return this.byPid.get(pid)?.find((b) => b.tid === tid) ?? null;
  }

  clear(): void {
    this.byPid.clear();
  }
}

/** "q.get()", "conn.recv()", "p.join()" as the user wrote it, more or less. */
export function describeOp(b: BlockedOp): string {
  switch (b.op) {
    case 'get':
      return 'Queue.get()';
    case 'put':
      return 'Queue.put() (the queue is full)';
    case 'acquire':
      return 'acquire()';
    case 'recv':
    case 'recv_bytes':
      return `Connection.${b.op}()`;
    case 'send':
    case 'send_bytes':
      return `Connection.${b.op}() (the pipe is full: waiting for its reader)`;
    case 'join':
      return `Process.join()${b.targetPid !== null ? ` of pid ${b.targetPid}` : ''}`;
    default:
      return `${b.op}()`;
  }
}

/**
 * The Python calls each process is blocked in, as the runtime reports them (op.block / op.unblock:
 * a Queue.get, a bounded Queue's put, Connection.recv or Process.join that has lasted 0.2 s, with the
 * user's line).
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
      if (e.k === EventKinds.processExit) this.byPid.delete(e.pid);
      else if (e.k === EventKinds.opBlock || e.k === EventKinds.opUnblock) {
        const op = typeof e.x?.op === 'string' ? e.x.op : '';
        const ch = typeof e.ch === 'string' ? e.ch : '';
        const list = (this.byPid.get(e.pid) ?? []).filter((b) => !(b.op === op && b.ch === ch));
        if (e.k === EventKinds.opBlock) {
          const targetPid = typeof e.x?.pid === 'number' ? e.x.pid : null;
          const tid = typeof e.x?.tid === 'number' && Number.isInteger(e.x.tid) ? e.x.tid : null;
          list.push({ op, ch, targetPid, loc: typeof e.loc === 'string' ? e.loc : '', since: typeof e.ts === 'number' ? e.ts : 0, tid });
        }
        if (list.length) this.byPid.set(e.pid, list.slice(-8));
        else this.byPid.delete(e.pid);
      }
    }
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
    case 'recv':
    case 'recv_bytes':
      return `Connection.${b.op}()`;
    case 'join':
      return `Process.join()${b.targetPid !== null ? ` of pid ${b.targetPid}` : ''}`;
    default:
      return `${b.op}()`;
  }
}

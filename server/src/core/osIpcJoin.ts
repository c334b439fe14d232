/**
 * Joins the kernel's view of an object with the runtime's: the runtime names its channels by the
 * inode the kernel shows ("queue:<reader pipe inode>", "conn:<inode>", "pipe:<inode>", "fifo:<inode>",
 * "sock:<a>-<b>") or by name ("sem:/mp-…", "shm:psm_…"), so one lookup finds the same object.
 */
import type { OsIpcObject } from '../../../protocol/protocol';
import type { ChannelModel } from './channels';
import { BlockedOps, describeOp } from './blockedOps';
import type { RuntimeKnowledge } from './waitFor';

/** Runtime channel ids that would be this OS object, most specific first. */
export function channelIdsFor(o: OsIpcObject): string[] {
  switch (o.kind) {
    case 'pipe':
      return [`queue:${o.inode}`, `conn:${o.inode}`, `pipe:${o.inode}`];
    case 'fifo':
      return [`fifo:${o.inode}`];
    case 'unix': {
      const peer = o.peer ? Number(/\d+/.exec(o.peer)?.[0] ?? 0) : 0;
      return peer ? [`conn:${o.inode}`, `sock:${Math.min(o.inode, peer)}-${Math.max(o.inode, peer)}`] : [`conn:${o.inode}`];
    }
    case 'sem':
      return [`sem:${o.label}`];
    case 'shm':
      return [`shm:${o.label.replace(/^\//, '')}`];
    default:
      return [];
  }
}

/** What the runtime reported, for the kernel's view; without a channel model (a plain `run`), calls only. */
export function runtimeKnowledge(channels: ChannelModel | null, ops?: BlockedOps): RuntimeKnowledge {
  const channelText = (id: string) => {
    const c = id ? channels?.summary(id) : null;
    return c ? ` on ${c.label ? `${c.type} "${c.label}"` : c.type}${c.createdAt ? ` (created at ${c.createdAt})` : ''}` : '';
  };
  return {
    channelFor(o) {
      const ids = channelIdsFor(o);
      const byInode = o.kind === 'sem' ? channels?.semChannel(o.inode) : undefined;
      if (byInode) ids.push(byInode);
      for (const id of ids) {
        const c = channels?.summary(id);
        if (c) return { id: c.id, label: c.label ? `${c.type} "${c.label}"` : c.type, createdAt: c.createdAt };
      }
      return null;
    },
    blockedCall(pid, tid) {
      const op = ops?.ofThread(pid, tid);
      if (!op) return null;
      const lock = op.op === 'acquire' ? channels?.waitingIn(pid).find((w) => w.id === op.ch) : undefined;
      return { op: op.op, ch: op.ch, type: lock?.type, owners: lock?.owners };
    },
    blockedOp(pid) {
      const op = ops?.of(pid).at(-1);
      if (op) return { text: `${describeOp(op)}${channelText(op.ch)}${op.loc ? ` at ${op.loc}` : ''}`, loc: op.loc };
      const w = channels?.waitingIn(pid)[0];
      if (!w) return null;
      const owners = w.owners.filter((o) => o !== pid);
      const what = `${w.type}${w.label ? ` "${w.label}"` : ''}${w.createdAt ? ` (created at ${w.createdAt})` : ''}`;
      return { text: `acquire()/wait() on ${what}${owners.length ? `, held by ${owners.map((o) => `pid ${o}`).join(', ')}` : ''}`, loc: w.createdAt };
    },
  };
}

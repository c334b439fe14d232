/**
 * Channels from runtime events: every queue and pipe with its holders, depth, counts, rate and
 * newest messages. Previews are decoded here by the restricted decoder, never unpickled.
 */
import type { ChannelInfo, ChannelsUpdate, MessageInfo } from '../../../protocol/protocol';
import { EventKinds } from '../../../protocol/runtime';
import type { HubEvent } from '../hub/hub';
import { decodePreview } from './preview';

const RECENT = 20;

const OPS: Record<string, { op: string; write: boolean } | undefined> = {
  [EventKinds.queuePut]: { op: 'put', write: true },
  [EventKinds.queueGet]: { op: 'get', write: false },
  [EventKinds.connSend]: { op: 'send', write: true },
  [EventKinds.connRecv]: { op: 'recv', write: false },
};

interface Channel extends ChannelInfo {
  holderSet: Set<number>;
  countAtLastRate: number;
}

export class ChannelModel {
  private readonly channels = new Map<string, Channel>();
  private lastRateAt = Date.now();
  private dirty = false;

  ingest(events: HubEvent[]): void {
    for (const e of events) {
      if (!e.ch) continue;
      let c = this.channels.get(e.ch);
      if (!c) {
        const kind = e.ch.startsWith('queue:') ? 'queue' : 'pipe';
        c = { id: e.ch, kind, type: kind === 'queue' ? 'Queue' : 'Connection', createdAt: '', holders: [], holderSet: new Set(), depth: null, maxsize: null, written: 0, read: 0, rate: 0, recent: [], countAtLastRate: 0 };
        this.channels.set(e.ch, c);
      }
      this.dirty = true;
      c.holderSet.add(e.pid);
      if (e.k === EventKinds.queueNew) {
        c.createdAt = e.loc;
        if (typeof e.x?.maxsize === 'number') c.maxsize = e.x.maxsize >= 2147483647 ? null : e.x.maxsize;
        if (typeof e.x?.type === 'string') c.type = e.x.type;
        continue;
      }
      const op = OPS[e.k];
      if (!op) continue;
      if (op.write) c.written++;
      else c.read++;
      if (typeof e.x?.depth === 'number') c.depth = e.x.depth;
      const pv = e.pv ? decodePreview(Buffer.from(e.pv, 'base64'), e.pf, e.size) : null;
      const m: MessageInfo = { ts: e.ts, pid: e.pid, op: op.op, preview: pv?.text ?? '', size: e.size, truncated: pv?.truncated ?? false, loc: e.loc };
      c.recent.push(m);
      if (c.recent.length > RECENT) c.recent.shift();
    }
  }

  /** The current state, or null when nothing changed since the last call. */
  update(stats: { received: number; dropped: number; protocolErrors: number }): ChannelsUpdate | null {
    if (!this.dirty) return null;
    this.dirty = false;
    const now = Date.now();
    const secs = Math.max(0.001, (now - this.lastRateAt) / 1000);
    this.lastRateAt = now;
    const channels: ChannelInfo[] = [];
    for (const c of this.channels.values()) {
      const total = c.written + c.read;
      c.rate = Math.round(((total - c.countAtLastRate) / secs) * 10) / 10;
      c.countAtLastRate = total;
      c.holders = [...c.holderSet].sort((a, b) => a - b);
      c.recent.sort((a, b) => a.ts - b.ts);
      const { holderSet: _h, countAtLastRate: _c, ...info } = c;
      channels.push({ ...info, recent: [...info.recent] });
    }
    return { channels, ...stats };
  }

  clear(): void {
    this.channels.clear();
    this.dirty = true;
  }
}

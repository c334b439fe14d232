/**
 * A saved run as a Chrome Trace Event file (JSON object format), which ui.perfetto.dev and
 * chrome://tracing open: one trace process per OS process (pid = its pid), its lifetime and the
 * states it was seen in as complete ("X") slices on its main track, waits for locks and semaphores
 * as B/E pairs on a second track, each message an instant ("i") event, and a flow ("s" → "f")
 * from every write to the read that took it.
 */
import type { MessageInfo, ProcessInfo, SavedRun, SyncChannelInfo } from '../../../protocol/protocol';
import { describeStat } from '../../../protocol/stat';

export interface TraceEvent {
  name?: string;
  cat?: string;
  ph: string;
  ts?: number;
  dur?: number;
  pid: number;
  tid: number;
  id?: number;
  s?: string;
  bp?: string;
  args?: Record<string, unknown>;
}

export interface ChromeTrace {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
  otherData: Record<string, string | number>;
}

/** Blocking ops go on a track of their own (tid = pid + this), so they never mis-nest with states. */
export const BLOCKING_TID_OFFSET = 10_000_000;

/** Every message a saved run holds (timeline, channel logs and contents), once each, by time. */
export function runMessages(run: SavedRun): MessageInfo[] {
  const byId = new Map<number, MessageInfo>();
  for (const m of run.timeline.messages) byId.set(m.id, m);
  for (const c of run.channels) {
    if (c.kind === 'queue' || c.kind === 'pipe' || c.kind === 'socket') for (const m of [...c.recent, ...c.pending]) byId.set(m.id, m);
  }
  return [...byId.values()].sort((a, b) => a.ts - b.ts || a.id - b.id);
}

export function toChromeTrace(run: SavedRun): ChromeTrace {
  const procs = new Map<string, ProcessInfo>();
  for (const p of [...run.ended, ...run.processes]) procs.set(p.key, p);
  const messages = runMessages(run);
  const wallOf = (ns: number) => ns / 1e6 + run.monoToWallMs;
  const starts = [...[...procs.values()].map((p) => p.startedAt), ...messages.map((m) => wallOf(m.ts))];
  const t0 = starts.length ? Math.min(...starts) : run.savedAt;
  const us = (wallMs: number) => Math.max(0, Math.round((wallMs - t0) * 1000));
  const events: TraceEvent[] = [];
  const labels = new Map<string, string>(run.channels.map((c) => [c.id, c.label || `${c.type} ${c.id}`]));

  const spansByKey = new Map<string, SavedRun['states']>();
  for (const s of run.states) {
    const list = spansByKey.get(s.key);
    if (list) list.push(s);
    else spansByKey.set(s.key, [s]);
  }
  // Start times from /proc rest on the boot time, known to the second: a process's slice is
  // widened to hold its own messages and waits (viewers bind arrows to the slice around them).
  const seen = new Map<number, { first: number; last: number }>();
  const saw = (pid: number, t: number) => {
    const s = seen.get(pid);
    if (!s) seen.set(pid, { first: t, last: t });
    else {
      s.first = Math.min(s.first, t);
      s.last = Math.max(s.last, t);
    }
  };
  const byId = new Map(messages.map((m) => [m.id, m]));
  for (const m of messages) {
    const t = us(wallOf(m.ts));
    saw(m.pid, t);
    const w = !m.write && m.link !== null ? byId.get(m.link) : undefined;
    if (w) saw(m.pid, Math.max(t, us(wallOf(w.ts)))); // where the arrow ends
  }
  let order = 0;
  for (const p of [...procs.values()].sort((a, b) => a.startedAt - b.startedAt)) {
    const pid = p.pid;
    events.push({ ph: 'M', name: 'process_name', pid, tid: pid, args: { name: `${p.name} (pid ${pid})` } });
    events.push({ ph: 'M', name: 'process_sort_index', pid, tid: pid, args: { sort_index: order++ } });
    events.push({ ph: 'M', name: 'thread_name', pid, tid: pid, args: { name: 'process' } });
    const own = seen.get(pid);
    const start = Math.min(us(p.startedAt), own?.first ?? Infinity);
    const end = Math.max(start, us(p.ended?.at ?? run.savedAt), own?.last ?? 0);
    events.push({ ph: 'X', cat: 'process', name: p.name, pid, tid: pid, ts: start, dur: end - start, args: { command: p.command, ppid: p.ppid, end: p.ended?.description ?? 'still running when saved' } });
    // States nest inside the lifetime: clamped to it, each until the next one.
    const spans = (spansByKey.get(p.key) ?? []).map((s) => ({ ...s, t: Math.min(end, Math.max(start, us(s.at))) })).sort((a, b) => a.t - b.t);
    spans.forEach((s, i) => {
      const until = i + 1 < spans.length ? spans[i + 1].t : end;
      if (until > s.t) events.push({ ph: 'X', cat: 'state', name: s.stat, pid, tid: pid, ts: s.t, dur: until - s.t, args: { stat: describeStat(s.stat), blockedOn: s.blockedOn } });
    });
  }

  // A process known only from its messages (its record did not make it into the run) still gets a track.
  const described = new Set([...procs.values()].map((p) => p.pid));
  for (const [pid, own] of seen) {
    if (described.has(pid)) continue;
    events.push({ ph: 'M', name: 'process_name', pid, tid: pid, args: { name: `pid ${pid}` } });
    events.push({ ph: 'X', cat: 'process', name: `pid ${pid}`, pid, tid: pid, ts: own.first, dur: own.last - own.first, args: { end: 'not recorded' } });
  }

  // Waits for locks / semaphores, one after another on each process's blocking track.
  const waits = new Map<number, Array<{ from: number; to: number; name: string; loc: string }>>();
  for (const c of run.channels) {
    if (c.kind !== 'sync') continue;
    for (const op of (c as SyncChannelInfo).recent) {
      if (op.op !== 'acquire' || !op.waitedMs) continue;
      const to = us(wallOf(op.ts));
      const list = waits.get(op.pid) ?? [];
      list.push({ from: Math.max(0, to - Math.round(op.waitedMs * 1000)), to, name: `wait for ${c.type} ${labels.get(c.id) ?? c.id}`, loc: op.loc });
      waits.set(op.pid, list);
    }
  }
  for (const [pid, list] of waits) {
    const tid = pid + BLOCKING_TID_OFFSET;
    events.push({ ph: 'M', name: 'thread_name', pid, tid, args: { name: 'blocked' } });
    let last = -1;
    for (const w of list.sort((a, b) => a.from - b.from)) {
      if (w.from < last) continue; // overlapping waits (two threads): keep B/E balanced and nested
      events.push({ ph: 'B', cat: 'blocking', name: w.name, pid, tid, ts: w.from, args: { loc: w.loc } });
      events.push({ ph: 'E', pid, tid, ts: w.to });
      last = w.to;
    }
  }

  const ids = new Set(messages.map((m) => m.id));
  for (const m of messages) {
    const ts = us(wallOf(m.ts));
    const where = labels.get(m.ch) ?? m.ch;
    events.push({ ph: 'i', s: 't', cat: 'message', name: `${m.op} ${where}`, pid: m.pid, tid: m.pid, ts, args: { preview: m.preview, size: m.size, loc: m.loc, channel: m.ch, seq: m.seq } });
    if (m.write && m.link !== null && ids.has(m.link)) events.push({ ph: 's', cat: 'message', name: 'message', id: m.id, pid: m.pid, tid: m.pid, ts });
  }
  for (const m of messages) {
    if (m.write || m.link === null) continue;
    const w = byId.get(m.link);
    if (!w || !w.write || w.link !== m.id) continue;
    events.push({ ph: 'f', bp: 'e', cat: 'message', name: 'message', id: w.id, pid: m.pid, tid: m.pid, ts: Math.max(us(wallOf(m.ts)), us(wallOf(w.ts))) });
  }
  // A write whose read did not make it into the file gets no arrow.
  const finished = new Set(events.filter((e) => e.ph === 'f').map((e) => e.id));
  return {
    traceEvents: events.filter((e) => e.ph !== 's' || finished.has(e.id)),
    displayTimeUnit: 'ms',
    otherData: { producer: 'IPC Scope', label: run.label, savedAt: new Date(run.savedAt).toISOString() },
  };
}

/**
 * What crosses between IpcObjectScanner (main thread) and the gathering's worker. The worker answers
 * with only the processes and objects that changed since its last answer to that scanner (a steady look
 * at 2000 idle processes: nothing), in chunks of JSON text that the main thread decodes one per event-loop
 * turn (a whole first look of 2000 processes is ~0.8 MB: 2.8 ms to encode, 2.5 ms to decode into objects).
 * The helper thread's reads of a first look cross to the gathering's thread here too.
 */
import type { OsIpcHolder, OsIpcObject } from '../../../protocol/protocol';
import type { FreshRead, IpcGather, ProcIpc, RawFd, ThreadSample } from './ipcGatherer';

export interface ScannerConfig {
  procRoot: string;
  shmDir: string;
  mqueueDir: string;
  ssCommand: string;
  /** A first look is read by the worker's helper thread too. */
  helperThread: boolean;
}

/** GatherOptions as they cross: detailsFor as the pids it holds. */
export interface WireGatherOptions {
  pids?: number[];
  socketPeers?: boolean;
  syscalls?: boolean;
  detailsFor?: ReadonlySet<number>;
}

export type ToWorker =
  /** resend: the main thread holds nothing (a new scanner, or its copy was lost): answer with everything. */
  | { type: 'gather'; scanner: number; id: number; config: ScannerConfig; opts: WireGatherOptions; resend: boolean }
  | { type: 'drop'; scanner: number };

export interface GatherDelta {
  /** A whole answer, not a change to the last one (a look at some pids only leaves the last answer alone). */
  whole: boolean;
  removedProcs: number[];
  removedObjects: string[];
  /**
   * How many encoded Chunks (encodeChunk), of these many processes and objects in all, came before this
   * answer, each in a message of its own: the main thread decodes one while the worker encodes the next.
   */
  chunks: number;
  changedProcs: number;
  changedObjects: number;
  /** Every key in order, when applying the changes would leave them in another order than a gathering's. */
  procOrder: number[] | null;
  objectOrder: string[] | null;
  takenAt: number;
  notes: string[];
  gatherMs: number;
  /** Processes the worker's helper thread read (a first look). */
  readByHelper: number;
}

export type FromWorker = { type: 'chunk'; id: number; text: string } | { type: 'gathered'; id: number; delta: GatherDelta } | { type: 'failed'; id: number; message: string };

export interface Chunk {
  procs: ProcIpc[];
  objects: OsIpcObject[];
}

/**
 * A Chunk as it crosses: each process and object as a run of values in one flat array, without
 * property names (v8 serializes an object's keys with every object, and decoding them is most of
 * the cost): a first look of 2000 processes is half the bytes and a third of the decoding time.
 * The array crosses as JSON text: V8 writes and parses it about twice as fast as it serializes and
 * deserializes the same array (a first look of 2000 processes: 2.9 + 2.2 ms against 5.7 + 6.4),
 * and a string crosses a MessagePort as one copy. Everything in it is a string, a number, null or
 * an array of those. `decodeChunk` must read exactly what `encodeChunk` writes (a round-trip test checks it).
 */
export function encodeChunk(c: Chunk): string {
  const procs: unknown[] = [];
  for (const p of c.procs) {
    const fds: (number | string)[] = [];
    for (const [fd, id] of p.fds) fds.push(fd, id);
    procs.push(p.pid, p.ppid, p.name, p.state, p.threads, fds, flatSleeping(p.sleeping), p.restricted, p.sharedMaps.length ? p.sharedMaps : 0);
  }
  const objects: unknown[] = [];
  for (const o of c.objects) {
    const holders: (number | string | null)[] = [];
    for (const h of o.holders) holders.push(h.pid, h.fd, h.mode);
    objects.push(o.id, o.kind, o.inode, o.label, o.detail, o.size, holders, o.peer, o.channel, o.channelLabel);
  }
  return JSON.stringify([procs, objects]);
}

const PROC_VALUES = 9;
const OBJECT_VALUES = 10;

export function decodeChunk(text: string): Chunk {
  const [p, o] = JSON.parse(text) as [any[], any[]]; // laid out as encodeChunk writes them
  const procs: ProcIpc[] = [];
  for (let i = 0; i < p.length; i += PROC_VALUES) {
    const fdPairs = p[i + 5] as (number | string)[];
    const fds = new Map<number, string>();
    for (let j = 0; j < fdPairs.length; j += 2) fds.set(fdPairs[j] as number, fdPairs[j + 1] as string);
    procs.push({ pid: p[i], ppid: p[i + 1], name: p[i + 2], state: p[i + 3], threads: p[i + 4], fds, sleeping: unflatSleeping(p[i + 6]), restricted: p[i + 7], sharedMaps: p[i + 8] || [] });
  }
  const objects: OsIpcObject[] = [];
  for (let i = 0; i < o.length; i += OBJECT_VALUES) {
    const h = o[i + 6];
    const holders: OsIpcHolder[] = [];
    for (let j = 0; j < h.length; j += 3) holders.push({ pid: h[j], fd: h[j + 1], mode: h[j + 2] });
    objects.push({ id: o[i], kind: o[i + 1], inode: o[i + 2], label: o[i + 3], detail: o[i + 4], size: o[i + 5], holders, peer: o[i + 7], channel: o[i + 8], channelLabel: o[i + 9] });
  }
  return { procs, objects };
}

/** Sleeping threads as [tid, raw, comm, decoded syscall's values or 0]…; 0 for none. */
function flatSleeping(samples: ThreadSample[]): unknown[] | 0 {
  if (!samples.length) return 0;
  const out: unknown[] = [];
  for (const t of samples) {
    const d = t.syscall;
    out.push(t.tid, t.raw, t.comm, d ? [d.name, d.nr, d.fd, d.waitPid, d.timed, d.multi] : 0);
  }
  return out;
}

function unflatSleeping(s: any[] | 0): ThreadSample[] {
  const out: ThreadSample[] = [];
  if (!s) return out;
  for (let j = 0; j < s.length; j += 4) {
    const d = s[j + 3];
    out.push({ tid: s[j], raw: s[j + 1], comm: s[j + 2], syscall: d ? { name: d[0], nr: d[1], fd: d[2], waitPid: d[3], timed: d[4], multi: d[5] } : null });
  }
  return out;
}

/**
 * A helper thread's reads (ReadJob) as they cross to the gathering's thread, flat JSON for the same
 * reasons as a Chunk: per pid, 0 (gone), 1 and its stat (a zombie), or 2, its stat and the rest of its
 * RawIpc. Run counts (a Buffer of schedstat's text, or a string) cross as text with their kind.
 */
export function encodeReads(read: [number, FreshRead][]): string {
  const out: unknown[] = [];
  for (const [pid, fresh] of read) {
    if (!fresh) {
      out.push(pid, 0);
      continue;
    }
    const st = 'zombie' in fresh ? fresh.zombie : fresh.st;
    out.push(pid, 'zombie' in fresh ? 1 : 2, st.ppid, st.comm, st.state, st.threads, st.startTicks);
    if ('zombie' in fresh) continue;
    const fds: unknown[] = [];
    for (const f of fresh.fds) fds.push(f.fd, f.target, f.inode, f.holder.mode);
    const r = fresh.ran;
    const c = r.counts;
    out.push(r.state, r.syscalls, r.detailed, c === null ? 0 : typeof c === 'string' ? 1 : 2, c === null ? null : typeof c === 'string' ? c : c.toString('latin1'));
    out.push(fds, fresh.maps.length ? fresh.maps : 0, flatSleeping(fresh.sleeping), fresh.restricted);
  }
  return JSON.stringify(out);
}

export function decodeReads(text: string): [number, FreshRead][] {
  const v = JSON.parse(text) as any[];
  const out: [number, FreshRead][] = [];
  for (let i = 0; i < v.length; ) {
    const pid = v[i];
    const tag = v[i + 1];
    i += 2;
    if (tag === 0) {
      out.push([pid, null]);
      continue;
    }
    const st = { ppid: v[i], comm: v[i + 1], state: v[i + 2], threads: v[i + 3], startTicks: v[i + 4] };
    i += 5;
    if (tag === 1) {
      out.push([pid, { zombie: st }]);
      continue;
    }
    // A Buffer's run counts are a Buffer again: the cache compares them with the next schedstat read.
    const kind = v[i + 3];
    const counts = kind === 0 ? null : kind === 1 ? (v[i + 4] as string) : Buffer.from(v[i + 4] as string, 'latin1');
    const f = v[i + 5];
    const fds: RawFd[] = [];
    for (let j = 0; j < f.length; j += 4) fds.push({ fd: f[j], target: f[j + 1], inode: f[j + 2], holder: { pid, fd: f[j], mode: f[j + 3] } });
    out.push([pid, { ran: { state: v[i], syscalls: v[i + 1], detailed: v[i + 2], counts }, st, fds, maps: v[i + 6] || [], sleeping: unflatSleeping(v[i + 7]), restricted: v[i + 8] }]);
    i += 9;
  }
  return out;
}

/** About 0.5–1 ms of decoding on the main thread (unloaded). */
const CHUNK_WEIGHT = 200;

/** The worker's record of what the main thread holds for one scanner. */
export class SentState {
  procs = new Map<number, ProcIpc>();
  objects = new Map<string, OsIpcObject>();

  /**
   * The change from what was sent to `g` (which becomes what was sent), or `g` whole. Each chunk of it
   * goes to `send` as soon as it is encoded.
   */
  delta(g: IpcGather, whole: boolean, send: (text: string) => void): GatherDelta {
    let chunks = 0;
    let chunk: Chunk = { procs: [], objects: [] };
    let weight = 0;
    const flush = () => {
      if (!chunk.procs.length && !chunk.objects.length) return;
      send(encodeChunk(chunk));
      chunks++;
      chunk = { procs: [], objects: [] };
      weight = 0;
    };
    const sentProcs = whole ? new Map<number, ProcIpc>() : this.procs;
    const sentObjects = whole ? new Map<string, OsIpcObject>() : this.objects;
    let changedProcs = 0;
    let changedObjects = 0;
    for (const [pid, p] of g.procs) {
      if (sameProc(sentProcs.get(pid), p)) continue;
      changedProcs++;
      chunk.procs.push(p);
      weight += 1 + (p.fds.size + p.sleeping.length) / 8;
      if (weight >= CHUNK_WEIGHT) flush();
    }
    for (const [id, o] of g.objects) {
      if (sameObject(sentObjects.get(id), o)) continue;
      changedObjects++;
      chunk.objects.push(o);
      weight += 1 + o.holders.length / 4;
      if (weight >= CHUNK_WEIGHT) flush();
    }
    flush();
    const delta: GatherDelta = {
      whole,
      removedProcs: whole ? [] : gone(sentProcs, g.procs),
      removedObjects: whole ? [] : gone(sentObjects, g.objects),
      chunks,
      changedProcs,
      changedObjects,
      procOrder: whole ? null : orderIfMoved(sentProcs, g.procs),
      objectOrder: whole ? null : orderIfMoved(sentObjects, g.objects),
      takenAt: g.takenAt,
      notes: g.notes,
      gatherMs: g.gatherMs,
      readByHelper: g.readByHelper ?? 0,
    };
    if (!whole) {
      this.procs = g.procs;
      this.objects = g.objects;
    }
    return delta;
  }
}

function gone<K>(before: Map<K, unknown>, after: Map<K, unknown>): K[] {
  const out: K[] = [];
  for (const k of before.keys()) if (!after.has(k)) out.push(k);
  return out;
}

/** The keys of `after` in order, when applying the change to `before` (a Map: changed keys stay, new ones go last) would order them otherwise. */
function orderIfMoved<K>(before: Map<K, unknown>, after: Map<K, unknown>): K[] | null {
  const next = after.keys();
  for (const k of before.keys()) {
    if (!after.has(k)) continue;
    if (next.next().value !== k) return [...after.keys()];
  }
  return null; // the rest of `after` are its new keys, in order
}

function sameProc(a: ProcIpc | undefined, b: ProcIpc): boolean {
  if (!a) return false;
  if (a === b) return true;
  if (a.ppid !== b.ppid || a.name !== b.name || a.state !== b.state || a.threads !== b.threads || a.restricted !== b.restricted) return false;
  if (a.fds.size !== b.fds.size) return false;
  for (const [fd, id] of a.fds) if (b.fds.get(fd) !== id) return false;
  if (a.sharedMaps.length !== b.sharedMaps.length || a.sharedMaps.some((v, i) => v !== b.sharedMaps[i])) return false;
  if (a.sleeping !== b.sleeping) {
    if (a.sleeping.length !== b.sleeping.length) return false;
    for (let i = 0; i < a.sleeping.length; i++) {
      const x = a.sleeping[i];
      const y = b.sleeping[i];
      if (x.tid !== y.tid || x.raw !== y.raw || x.comm !== y.comm) return false;
    }
  }
  return true;
}

function sameObject(a: OsIpcObject | undefined, b: OsIpcObject): boolean {
  if (!a) return false;
  if (a.kind !== b.kind || a.inode !== b.inode || a.label !== b.label || a.detail !== b.detail || a.size !== b.size || a.peer !== b.peer || a.channel !== b.channel || a.channelLabel !== b.channelLabel) return false;
  return sameHolders(a.holders, b.holders);
}

function sameHolders(a: OsIpcHolder[], b: OsIpcHolder[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x !== y && (x.pid !== y.pid || x.fd !== y.fd || x.mode !== y.mode)) return false;
  }
  return true;
}

/** The main thread's copy of what a scanner's worker sent, kept up to date by its answers. */
export class ReceivedState {
  /** Never changed once handed out in a gathering (a change makes new maps): a caller keeping an earlier gathering does not see it change. */
  private procs = new Map<number, ProcIpc>();
  private objects = new Map<string, OsIpcObject>();

  /**
   * The gathering a delta describes, from its chunks, decoded as they came (a chunk per event-loop turn:
   * `turns` turns, the longest `longestMs`). `longestSliceMs`: the longest of those turns and this one
   * (the main thread's share of the gathering); `yields`: the turns given.
   */
  apply(delta: GatherDelta, chunks: Chunk[], longestMs: number, turns: number): IpcGather {
    if (chunks.length !== delta.chunks) throw new Error(`${chunks.length} of the answer's ${delta.chunks} chunks arrived`);
    const start = performance.now();
    let procs = delta.whole ? new Map<number, ProcIpc>() : delta.changedProcs || delta.removedProcs.length ? new Map(this.procs) : this.procs;
    let objects = delta.whole ? new Map<string, OsIpcObject>() : delta.changedObjects || delta.removedObjects.length ? new Map(this.objects) : this.objects;
    for (const pid of delta.removedProcs) procs.delete(pid);
    for (const id of delta.removedObjects) objects.delete(id);
    for (const chunk of chunks) {
      for (const p of chunk.procs) procs.set(p.pid, p);
      for (const o of chunk.objects) objects.set(o.id, o);
    }
    if (delta.procOrder) procs = reorder(procs, delta.procOrder);
    if (delta.objectOrder) objects = reorder(objects, delta.objectOrder);
    if (!delta.whole) {
      this.procs = procs;
      this.objects = objects;
    }
    const longest = Math.max(longestMs, performance.now() - start);
    return { takenAt: delta.takenAt, procs, objects, notes: delta.notes, gatherMs: delta.gatherMs, longestSliceMs: longest, yields: turns, gatheredIn: 'worker', readByHelper: delta.readByHelper };
  }
}

function reorder<K, V>(m: Map<K, V>, order: K[]): Map<K, V> {
  const out = new Map<K, V>();
  for (const k of order) out.set(k, m.get(k)!);
  return out;
}

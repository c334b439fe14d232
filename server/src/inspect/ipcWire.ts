/**
 * What crosses between IpcObjectScanner (main thread) and the gathering's worker. The worker answers
 * with only the processes and objects that changed since its last answer to that scanner (a steady look
 * at 2000 idle processes: nothing), v8-serialized in chunks that the main thread decodes one per
 * event-loop turn: a whole first look (~1.5 MB for 2000 processes) takes 20–40 ms to decode at once.
 */
import { deserialize, serialize } from 'node:v8';
import type { OsIpcHolder, OsIpcObject } from '../../../protocol/protocol';
import type { IpcGather, ProcIpc } from './ipcGatherer';

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
  /** Each a v8-serialized Chunk, of these many processes and objects in all. */
  chunks: Uint8Array[];
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

export type FromWorker = { type: 'gathered'; id: number; delta: GatherDelta } | { type: 'failed'; id: number; message: string };

interface Chunk {
  procs: ProcIpc[];
  objects: OsIpcObject[];
}

/** About 0.5–1 ms of decoding on the main thread (unloaded). */
const CHUNK_WEIGHT = 200;

/** The worker's record of what the main thread holds for one scanner. */
export class SentState {
  procs = new Map<number, ProcIpc>();
  objects = new Map<string, OsIpcObject>();

  /** The change from what was sent to `g` (which becomes what was sent), or `g` whole. */
  delta(g: IpcGather, whole: boolean): GatherDelta {
    const chunks: Uint8Array[] = [];
    let chunk: Chunk = { procs: [], objects: [] };
    let weight = 0;
    const flush = () => {
      if (!chunk.procs.length && !chunk.objects.length) return;
      chunks.push(new Uint8Array(serialize(chunk))); // its own memory, to transfer
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

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The main thread's copy of what a scanner's worker sent, kept up to date by its answers. */
export class ReceivedState {
  /** Never changed once handed out in a gathering (a change makes new maps): a caller keeping an earlier gathering does not see it change. */
  private procs = new Map<number, ProcIpc>();
  private objects = new Map<string, OsIpcObject>();

  /**
   * The gathering a delta describes, decoded a chunk per event-loop turn. `longestSliceMs`: the
   * longest of those turns (the main thread's share of the gathering); `yields`: the turns given.
   */
  async apply(delta: GatherDelta): Promise<IpcGather> {
    let longest = 0;
    let yields = 0;
    let start = performance.now();
    let procs = delta.whole ? new Map<number, ProcIpc>() : delta.changedProcs || delta.removedProcs.length ? new Map(this.procs) : this.procs;
    let objects = delta.whole ? new Map<string, OsIpcObject>() : delta.changedObjects || delta.removedObjects.length ? new Map(this.objects) : this.objects;
    for (const pid of delta.removedProcs) procs.delete(pid);
    for (const id of delta.removedObjects) objects.delete(id);
    for (const bytes of delta.chunks) {
      const chunk = deserialize(bytes) as Chunk;
      for (const p of chunk.procs) procs.set(p.pid, p);
      for (const o of chunk.objects) objects.set(o.id, o);
      longest = Math.max(longest, performance.now() - start);
      yields++;
      await nextTurn();
      start = performance.now();
    }
    if (delta.procOrder) procs = reorder(procs, delta.procOrder);
    if (delta.objectOrder) objects = reorder(objects, delta.objectOrder);
    if (!delta.whole) {
      this.procs = procs;
      this.objects = objects;
    }
    longest = Math.max(longest, performance.now() - start);
    return { takenAt: delta.takenAt, procs, objects, notes: delta.notes, gatherMs: delta.gatherMs, longestSliceMs: longest, yields, gatheredIn: 'worker', readByHelper: delta.readByHelper };
  }
}

function reorder<K, V>(m: Map<K, V>, order: K[]): Map<K, V> {
  const out = new Map<K, V>();
  for (const k of order) out.set(k, m.get(k)!);
  return out;
}

/**
 * Channels from runtime events: queues, pipes (multiprocessing Connections, os.pipe, FIFOs),
 * sockets, shared memory (Value, Array, SharedMemory, ShareableList, mmap), locks and semaphores,
 * Manager objects and Pools. Payload previews are decoded here by the restricted decoder, never
 * unpickled; shared contents are decoded from their bytes by typecode.
 *
 * Every event's extras (`x`) come from another process: each field is checked, a bad one is
 * ignored, and nothing here throws on what a runtime sent.
 *
 * Messages on FIFO streams are matched: the k-th write into a stream is the k-th read out of it.
 * Sequence numbers are given at update time in timestamp order (batches from different processes
 * arrive out of order). A duplex Pipe's two ends have ids of their own (the inode of each socket
 * of the socketpair); the end a read came from is found by comparing the first payloads written
 * on each end with those read on the other.
 */
import {
  BlockedCallInfo,
  ChannelInfo,
  ChannelKind,
  ChannelLimits,
  ChannelsUpdate,
  ManagerCallInfo,
  ManagerChannelInfo,
  MessageChannelInfo,
  MessageInfo,
  PoolChannelInfo,
  SharedChannelInfo,
  SharedWriteInfo,
  SyncChannelInfo,
  SyncOpInfo,
} from '../../../protocol/protocol';
import { EventKinds, IMAGE_BYTES } from '../../../protocol/runtime';
import type { HubEvent } from '../hub/hub';
import { decodePreview } from './preview';

const RECENT = ChannelLimits.recent;
/** Channels remembered at most (the least recently active are forgotten beyond). */
const MAX_KNOWN = 5000;
/** Writes kept per message channel to show what is still in it. */
const WRITES_KEPT = ChannelLimits.pending + 14;
/** First payload signatures kept per Connection end, to pair the ends of a duplex Pipe. */
const SIGS = 8;
/** Messages waiting for their order (ingest orders past this many), and how recent ones wait longer. */
const ORDER_AT = 8192;
const HOLD_BACK_NS = 50e6;
/** Blocked calls kept per channel (a pid blocks in one call per thread). */
const BLOCKED_MAX = 64;
/** Changed byte offsets reported per update at most. */
const MAX_CHANGED = IMAGE_BYTES;

// ---- reading extras safely -------------------------------------------------------------------

type Extras = Record<string, unknown> | undefined;

function extras(e: HubEvent): Extras {
  const x = e.x as unknown;
  return x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : undefined;
}
function num(x: Extras, k: string): number | null {
  const v = x?.[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
function int(x: Extras, k: string, min = -Infinity, max = Infinity): number | null {
  const v = num(x, k);
  return v !== null && Number.isInteger(v) && v >= min && v <= max ? v : null;
}
function str(x: Extras, k: string, maxLen = 4096): string | null {
  const v = x?.[k];
  return typeof v === 'string' ? (v.length > maxLen ? `${v.slice(0, maxLen)}…` : v) : null;
}
function bool(x: Extras, k: string): boolean | null {
  const v = x?.[k];
  return typeof v === 'boolean' ? v : null;
}
const cut = (s: string, n = 4096) => (s.length > n ? `${s.slice(0, n)}…` : s);
const finite = (v: number, dflt: number) => (typeof v === 'number' && Number.isFinite(v) ? v : dflt);

function payload(e: HubEvent): Uint8Array | null {
  if (!e.pv || typeof e.pv !== 'string') return null;
  try {
    return Buffer.from(e.pv, 'base64');
  } catch {
    return null;
  }
}

// ---- typed values --------------------------------------------------------------------------

/** Element size and kind of each typecode (array module / multiprocessing.sharedctypes, Linux x86-64). */
const TYPECODES: Record<string, { size: number; kind: 'int' | 'uint' | 'float' | 'char' | 'wchar' | 'bool' }> = {
  b: { size: 1, kind: 'int' },
  B: { size: 1, kind: 'uint' },
  h: { size: 2, kind: 'int' },
  H: { size: 2, kind: 'uint' },
  i: { size: 4, kind: 'int' },
  I: { size: 4, kind: 'uint' },
  l: { size: 8, kind: 'int' },
  L: { size: 8, kind: 'uint' },
  q: { size: 8, kind: 'int' },
  Q: { size: 8, kind: 'uint' },
  f: { size: 4, kind: 'float' },
  d: { size: 8, kind: 'float' },
  c: { size: 1, kind: 'char' },
  u: { size: 4, kind: 'wchar' },
  '?': { size: 1, kind: 'bool' },
};

/** Python's repr of a float. */
export function pyFloat(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Object.is(v, -0)) return '-0.0';
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return `${v}.0`;
  return String(v).replace(/e([+-])(\d)$/, 'e$10$2');
}

function charRepr(b: number): string {
  if (b === 0x27) return "b\"'\"";
  if (b === 0x5c) return "b'\\\\'";
  if (b >= 0x20 && b < 0x7f) return `b'${String.fromCharCode(b)}'`;
  const named: Record<number, string> = { 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t' };
  return `b'${named[b] ?? `\\x${b.toString(16).padStart(2, '0')}`}'`;
}

/**
 * The elements of a Value/Array from its bytes (little-endian), as Python would print them; at
 * most `max`, and only those whose bytes are all in `known` bytes. Null for a typecode we do not know.
 */
export function decodeTyped(bytes: Uint8Array, typecode: string, count: number, known = bytes.length, max: number = ChannelLimits.values): string[] | null {
  const t = typeInfo(typecode);
  if (!t) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const avail = Math.min(known, bytes.length);
  const n = Math.max(0, Math.min(Math.floor(count), max, Math.floor(avail / t.size)));
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const o = i * t.size;
    switch (t.kind) {
      case 'int':
        out.push(t.size === 1 ? String(view.getInt8(o)) : t.size === 2 ? String(view.getInt16(o, true)) : t.size === 4 ? String(view.getInt32(o, true)) : view.getBigInt64(o, true).toString());
        break;
      case 'uint':
        out.push(t.size === 1 ? String(view.getUint8(o)) : t.size === 2 ? String(view.getUint16(o, true)) : t.size === 4 ? String(view.getUint32(o, true)) : view.getBigUint64(o, true).toString());
        break;
      case 'float':
        out.push(pyFloat(t.size === 4 ? view.getFloat32(o, true) : view.getFloat64(o, true)));
        break;
      case 'char':
        out.push(charRepr(view.getUint8(o)));
        break;
      case 'wchar': {
        const cp = view.getUint32(o, true);
        const ch = cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : '\ufffd';
        out.push(`'${ch === "'" ? "\\'" : ch === '\\' ? '\\\\' : ch}'`);
        break;
      }
      case 'bool':
        out.push(view.getUint8(o) ? 'True' : 'False');
        break;
    }
  }
  return out;
}

const typeInfo = (code: string) => (Object.prototype.hasOwnProperty.call(TYPECODES, code) ? TYPECODES[code] : undefined);

function pyStr(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}
function pyBytes(b: Uint8Array): string {
  return `b'${[...b].map((x) => (x >= 0x20 && x < 0x7f && x !== 0x27 && x !== 0x5c ? String.fromCharCode(x) : `\\x${x.toString(16).padStart(2, '0')}`)).join('')}'`;
}

/**
 * A ShareableList's items from its bytes (multiprocessing.shared_memory's layout: the item count,
 * n + 1 offsets, the packed items, n 8-byte struct formats, n back-transform codes), with the byte
 * range of each; null when the layout does not hold or lies beyond the known bytes.
 */
export function decodeShareableList(b: Uint8Array, known = b.length, max: number = ChannelLimits.values): { values: string[]; ranges: Array<[number, number]> } | null {
  const avail = Math.min(known, b.length);
  if (avail < 16) return null;
  const view = new DataView(b.buffer, b.byteOffset, avail);
  const n = Number(view.getBigInt64(0, true));
  if (!Number.isSafeInteger(n) || n < 0 || n > 1 << 20) return null;
  const dataStart = (n + 2) * 8;
  const metaEnd = 8 + (n + 1) * 8;
  if (metaEnd > avail) return null;
  const offsets: number[] = [];
  for (let i = 0; i <= n; i++) {
    const o = Number(view.getBigInt64(8 + i * 8, true));
    if (!Number.isSafeInteger(o) || o < 0 || (i && o < offsets[i - 1])) return null;
    offsets.push(o);
  }
  const formats = dataStart + offsets[n];
  const codes = formats + n * 8;
  const values: string[] = [];
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < Math.min(n, max); i++) {
    const start = dataStart + offsets[i];
    const end = dataStart + offsets[i + 1];
    if (end > avail || formats + (i + 1) * 8 > avail || codes + i + 1 > avail) break;
    let fmt = '';
    for (let k = 0; k < 8; k++) {
      const ch = b[formats + i * 8 + k];
      if (ch === 0) break;
      fmt += String.fromCharCode(ch);
    }
    const code = b[codes + i];
    const item = b.subarray(start, end);
    let text: string;
    if (code === 3 || fmt === 'xxxxxx?x') text = 'None';
    else if (fmt === 'q' && item.length >= 8) text = new DataView(item.buffer, item.byteOffset, 8).getBigInt64(0, true).toString();
    else if (fmt === 'd' && item.length >= 8) text = pyFloat(new DataView(item.buffer, item.byteOffset, 8).getFloat64(0, true));
    else if (fmt === 'xxxxxxx?' && item.length >= 8) text = item[7] ? 'True' : 'False';
    else if (/^\d+s$/.test(fmt)) {
      let len = item.length;
      while (len > 0 && item[len - 1] === 0) len--;
      const raw = item.subarray(0, len);
      text = code === 1 ? pyStr(Buffer.from(raw).toString('utf8')) : pyBytes(raw);
    } else text = '?';
    values.push(text);
    ranges.push([start, end]);
  }
  return { values, ranges };
}

function hex(b: Uint8Array, n: number): string {
  return Buffer.from(b.subarray(0, n)).toString('hex');
}

// ---- internal state --------------------------------------------------------------------------

interface Base {
  holderSet: Set<number>;
  dirty: boolean;
  /** Events other than its creation (what the rate counts). */
  activity: number;
  activityAtLastRate: number;
}

/** One end's writes and reads, and for streams the bytes, so far (a message's seq and offset). */
interface EndCounts {
  w: number;
  r: number;
  wb: number;
  rb: number;
}

const RAW_PV = Symbol('preview, base64, not decoded yet');
const RAW_PICKLE = Symbol('preview is a pickle');
type RawMessage = MessageInfo & { [RAW_PV]: string; [RAW_PICKLE]: boolean };

interface Msg {
  m: MessageInfo;
  /** The end it was written into or read from: the channel id, or "<id>|<pid>" for sockets. */
  end: string;
  kind: 'queue' | 'pipe' | 'socket';
  conn: boolean;
  /** A byte stream (os.pipe, FIFO, socket): reads need not match writes one to one. */
  stream: boolean;
  /** Stream: bytes before it on its end, and its own. */
  off: number;
  len: number;
}

interface MsgState extends Base {
  info: MessageChannelInfo;
  writes: Msg[];
  conn: boolean;
  /** Socket: pids that wrote. */
  writers: number[];
  /** Time of the depth shown. */
  depthTs: number;
  /** Calls blocked on it (op.block, until op.unblock or the process ends), by "pid op". */
  blockedMap: Map<string, BlockedCallInfo>;
}
interface SharedState extends Base {
  info: SharedChannelInfo;
  img: Uint8Array;
  /** Time of the event each byte of the image comes from. */
  byteTs: Float64Array;
  lastWriteTs: number;
  known: number;
  changedSet: Set<number>;
  lastValue: string | null;
}
interface SyncState extends Base {
  info: SyncChannelInfo;
  ownerMap: Map<number, number>;
  waiterMap: Map<number, number>;
  /** Releases that found no holder, owed to the next acquires. */
  credit: number;
  valueTs: number;
  flagTs: number;
}
interface ManagerState extends Base {
  info: ManagerChannelInfo;
}
interface PoolState extends Base {
  info: PoolChannelInfo;
}
type State = MsgState | SharedState | SyncState | ManagerState | PoolState;

const MESSAGE_OPS: Record<string, { op: string; write: boolean; kind: 'queue' | 'pipe' | 'socket' } | undefined> = {
  [EventKinds.queuePut]: { op: 'put', write: true, kind: 'queue' },
  [EventKinds.queueGet]: { op: 'get', write: false, kind: 'queue' },
  [EventKinds.connSend]: { op: 'send', write: true, kind: 'pipe' },
  [EventKinds.connRecv]: { op: 'recv', write: false, kind: 'pipe' },
  [EventKinds.pipeWrite]: { op: 'write', write: true, kind: 'pipe' },
  [EventKinds.pipeRead]: { op: 'read', write: false, kind: 'pipe' },
  [EventKinds.socketSend]: { op: 'send', write: true, kind: 'socket' },
  [EventKinds.socketRecv]: { op: 'recv', write: false, kind: 'socket' },
};

function kindOfEvent(k: string): ChannelKind | null {
  const m = MESSAGE_OPS[k];
  if (m) return m.kind;
  switch (k) {
    case EventKinds.queueNew:
      return 'queue';
    case EventKinds.osPipe:
    case EventKinds.osMkfifo:
      return 'pipe';
    case EventKinds.socketNew:
      return 'socket';
    case EventKinds.sharedNew:
    case EventKinds.sharedWrite:
    case EventKinds.sharedImage:
      return 'shared';
    case EventKinds.syncNew:
    case EventKinds.syncAcquire:
    case EventKinds.syncBlock:
    case EventKinds.syncRelease:
    case EventKinds.syncOp:
      return 'sync';
    case EventKinds.managerCall:
    case EventKinds.managerState:
      return 'manager';
    case EventKinds.poolNew:
      return 'pool';
    default:
      return null;
  }
}

const SHARED_TYPES: Record<string, string> = { shared: 'Value', shm: 'SharedMemory', mmap: 'mmap' };

function defaultType(kind: ChannelKind, id: string): string {
  const prefix = id.slice(0, id.indexOf(':'));
  switch (kind) {
    case 'queue':
      return 'Queue';
    case 'pipe':
      return prefix === 'fifo' ? 'FIFO' : prefix === 'pipe' ? 'os.pipe' : 'Connection';
    case 'socket':
      return 'socket';
    case 'shared':
      return SHARED_TYPES[prefix] ?? 'shared';
    case 'sync':
      return 'Lock';
    case 'manager':
      return 'proxy';
    case 'pool':
      return 'Pool';
  }
}

function inodeOf(id: string): number | null {
  const m = /^[a-z]+:(\d+)$/.exec(id);
  return m ? Number(m[1]) : null;
}

/**
 * Appends to a list that keeps its newest `keep` items. It is trimmed once it holds twice that, not
 * on every push: shift() on each message was 10% of the model's cost per event. Readers call
 * newest() first.
 */
function pushKept<T>(list: T[], item: T, keep: number): void {
  if (list.push(item) >= 2 * keep) list.splice(0, list.length - keep);
}

/** Trims a pushKept list to its newest `keep` items. */
function newest<T>(list: T[], keep: number): T[] {
  if (list.length > keep) list.splice(0, list.length - keep);
  return list;
}

// ---- the model -------------------------------------------------------------------------------

export class ChannelModel {
  private readonly channels = new Map<string, State>();
  private lastRateAt = Date.now();
  private dirty = false;
  private nextId = 1;
  /** Messages not yet given their place in their stream (ordered at update). */
  private unordered: Msg[] = [];
  /** Writes and reads (and, for streams, bytes) counted per end. */
  private readonly ends = new Map<string, EndCounts>();
  /** Connection ends: the first payloads written and read, to pair a duplex Pipe's ends. */
  private readonly connSigs = new Map<string, { w: string[]; r: string[] }>();
  /** Reading end → the end that writes into it (confirmed pairs stay). */
  private readonly writerOf = new Map<string, string>();
  private readonly readerOf = new Map<string, string>();
  private readonly confirmed = new Set<string>();
  /** Queue id → its pool's id and role, for queues announced by pool.new. */
  private readonly poolQueues = new Map<string, { pool: string; label: string }>();
  /** The newest messages across channels, a ring (an array pushed and trimmed cost 0.4 µs per message). */
  private timeline: (Msg | undefined)[] = new Array(ChannelLimits.timeline).fill(undefined);
  private timelineHead = 0;
  private timelineDirty = false;
  /** Ids sent in the last update. */
  private sent = new Set<string>();
  /** A user's lock or semaphore by the inode of its /dev/shm file (the kernel's view names it by glibc's temporary file). */
  private readonly semByInode = new Map<number, string>();
  /** The next update replaces everything the client holds (after clear()). */
  private needFull = true;

  ingest(events: HubEvent[]): void {
    for (const e of events) {
      try {
        this.ingestOne(e);
      } catch {
        /* a malformed event is dropped, never fatal */
      }
    }
    // Order as we go, so few messages wait: a long wait list outlives the young generation and makes
    // every garbage collection trace it (at 50,000 it was half the model's CPU per event). The newest
    // are held back, as a batch from another process may still bring messages from the same moment.
    if (this.unordered.length > ORDER_AT) this.order(HOLD_BACK_NS);
  }

  private ingestOne(e: HubEvent): void {
    if (!e || typeof e.k !== 'string') return;
    if (e.k === EventKinds.processExit) {
      // A process that is gone waits for nothing.
      for (const c of this.channels.values()) {
        if (c.info.kind === 'sync' && (c as SyncState).waiterMap.delete(e.pid)) c.dirty = this.dirty = true;
        else if ('blockedMap' in c) {
          for (const [key, b] of c.blockedMap) {
            if (b.pid !== e.pid) continue;
            c.blockedMap.delete(key);
            c.dirty = this.dirty = true;
          }
        }
      }
      return;
    }
    if (!e.ch || typeof e.ch !== 'string') return;
    if (e.k === EventKinds.opBlock || e.k === EventKinds.opUnblock) return this.blockedCall(e);
    if ((e.k === EventKinds.connSend || e.k === EventKinds.connRecv) && e.ch.startsWith('conn:')) {
      // A queue's own pipe used directly (Pool's task handler sends on it, its result handler receives).
      const q = this.channels.get(`queue:${e.ch.slice(5)}`);
      if (q && q.info.kind === 'queue') e = { ...e, ch: q.info.id, k: e.k === EventKinds.connSend ? EventKinds.queuePut : EventKinds.queueGet };
    }
    const kind = kindOfEvent(e.k);
    if (!kind) return;
    const c = this.channel(e.ch, kind);
    if (!c) return; // the id is known as another kind: not ours to mix
    const x = extras(e);
    const pid = Number.isInteger(e.pid) ? e.pid : 0;
    const ts = finite(e.ts, 0);
    const loc = typeof e.loc === 'string' ? cut(e.loc, 1024) : '';
    c.holderSet.add(pid);
    c.info.events++;
    if (!e.k.endsWith('.new') && e.k !== EventKinds.osPipe && e.k !== EventKinds.osMkfifo) c.activity++;
    if (ts > c.info.lastTs) c.info.lastTs = ts;
    c.dirty = this.dirty = true;
    switch (c.info.kind) {
      case 'queue':
      case 'pipe':
      case 'socket':
        return this.message(c as MsgState, e, x, pid, ts, loc);
      case 'shared':
        return this.shared(c as SharedState, e, x, pid, ts, loc);
      case 'sync':
        return this.sync(c as SyncState, e, x, pid, ts, loc);
      case 'manager':
        return this.manager(c as ManagerState, e, x, pid, ts, loc);
      case 'pool':
        return this.pool(c as PoolState, e, x, loc);
    }
  }

  private channel(id: string, kind: ChannelKind): State | null {
    const found = this.channels.get(id);
    if (found) return found.info.kind === kind ? found : null;
    const common = { id: cut(id, 1024), type: defaultType(kind, id), label: '', createdAt: '', holders: [], events: 0, rate: 0, lastTs: 0 };
    const base = { holderSet: new Set<number>(), dirty: true, activity: 0, activityAtLastRate: 0 };
    let s: State;
    switch (kind) {
      case 'queue':
      case 'pipe':
      case 'socket': {
        const link = this.poolQueues.get(id);
        s = {
          ...base,
          info: { ...common, kind, label: link?.label ?? '', depth: null, maxsize: null, written: 0, read: 0, recent: [], pending: [], peer: null, pool: link?.pool ?? null, blocked: [] },
          writes: [],
          conn: id.startsWith('conn:'),
          writers: [],
          depthTs: -Infinity,
          blockedMap: new Map(),
        };
        break;
      }
      case 'shared':
        s = {
          ...base,
          info: { ...common, kind, typecode: '', length: 0, itemsize: 0, size: -1, lock: false, values: null, image: '', imageKnown: 0, changed: [], changedValues: [], writes: 0, lastWriter: null, lastLoc: '', recent: [] },
          img: new Uint8Array(0),
          byteTs: new Float64Array(0),
          lastWriteTs: -Infinity,
          known: 0,
          changedSet: new Set(),
          lastValue: null,
        };
        break;
      case 'sync':
        s = { ...base, info: { ...common, kind, value: null, maxvalue: null, flag: null, owners: [], waiters: [], acquires: 0, contended: 0, recent: [] }, ownerMap: new Map(), waiterMap: new Map(), credit: 0, valueTs: -Infinity, flagTs: -Infinity };
        break;
      case 'manager':
        s = { ...base, info: { ...common, kind, typeid: '', state: '', stateTruncated: false, stateSize: -1, length: null, calls: 0, recent: [] } };
        break;
      case 'pool':
        s = { ...base, info: { ...common, kind, processes: null, tasks: null, results: null } };
        break;
    }
    this.channels.set(id, s);
    return s;
  }

  // ---- queues, pipes, sockets ----

  /** op.block / op.unblock on a queue or pipe the model knows (a join's has no channel). */
  private blockedCall(e: HubEvent): void {
    // A Connection end whose first send is the one that blocks is not known yet: it is a pipe end.
    const c = this.channels.get(e.ch) ?? (e.k === EventKinds.opBlock && e.ch.startsWith('conn:') ? this.channel(e.ch, 'pipe') : null);
    if (!c || !('blockedMap' in c)) return;
    if (Number.isInteger(e.pid)) c.holderSet.add(e.pid);
    const op = str(extras(e), 'op', 32) ?? '';
    const pid = Number.isInteger(e.pid) ? e.pid : 0;
    const key = `${pid} ${op}`;
    if (e.k === EventKinds.opBlock) {
      if (c.blockedMap.size >= BLOCKED_MAX && !c.blockedMap.has(key)) return;
      c.blockedMap.set(key, { pid, op, since: finite(e.ts, 0), loc: typeof e.loc === 'string' ? cut(e.loc, 1024) : '' });
    } else if (!c.blockedMap.delete(key)) return;
    c.dirty = this.dirty = true;
  }

  private message(c: MsgState, e: HubEvent, x: Extras, pid: number, ts: number, loc: string): void {
    const info = c.info;
    if (e.k === EventKinds.queueNew) {
      info.createdAt = loc;
      const maxsize = int(x, 'maxsize');
      if (maxsize !== null) info.maxsize = maxsize <= 0 || maxsize >= 2147483647 ? null : maxsize;
      const type = str(x, 'type', 64);
      if (type) info.type = type;
      // Its own locks and semaphores, which the kernel shows as shared /dev/shm files: they are the queue's.
      const sems = x?.sems;
      if (Array.isArray(sems)) for (const inode of sems.slice(0, 8)) if (Number.isSafeInteger(inode) && inode > 0) this.noteSem(inode, info.id);
      return;
    }
    if (e.k === EventKinds.osPipe) {
      info.createdAt = loc;
      info.type = 'os.pipe';
      return;
    }
    if (e.k === EventKinds.osMkfifo) {
      info.createdAt = loc;
      info.type = 'FIFO';
      const path = str(x, 'path', 1024);
      if (path !== null) info.label = path;
      return;
    }
    if (e.k === EventKinds.socketNew) {
      info.createdAt = loc;
      const family = str(x, 'family', 64);
      const type = str(x, 'type', 64);
      const words = [family, type].filter((w): w is string => !!w);
      if (words.length) info.type = words.join(' ');
      return;
    }
    const op = MESSAGE_OPS[e.k];
    if (!op) return;
    if (op.write) info.written++;
    else info.read++;
    const depth = int(x, 'depth', 0);
    // The depth reported last in time (batches from different processes arrive out of order).
    if (depth !== null && info.kind === 'queue' && ts >= c.depthTs) {
      info.depth = depth;
      c.depthTs = ts;
    }
    const size = Number.isFinite(e.size) && e.size >= 0 ? e.size : -1;
    const pvText = typeof e.pv === 'string' ? e.pv : '';
    // Decoded only if it is still shown when an update is made (most messages of a busy channel are not).
    // The undecoded preview rides on the message under symbol keys: JSON (LSP) never sends them, and
    // unlike a WeakMap entry per message they cost the garbage collector nothing extra.
    const m: RawMessage = { id: this.nextId++, ch: info.id, ts, pid, op: op.op, write: op.write, preview: '', size, truncated: false, loc, seq: 0, link: null, [RAW_PV]: pvText, [RAW_PICKLE]: e.pf === 'pickle' };
    const end = info.kind === 'socket' ? `${info.id}|${pid}` : info.id;
    const stream = !c.conn && info.kind !== 'queue';
    const msg: Msg = { m, end, kind: info.kind, conn: c.conn, stream, off: 0, len: size >= 0 ? size : Math.floor((pvText.replace(/=+$/, '').length * 3) / 4) };
    this.unordered.push(msg);
    pushKept(info.recent, m, RECENT);
    if (op.write) {
      pushKept(c.writes, msg, WRITES_KEPT);
      if (info.kind === 'socket' && !c.writers.includes(pid)) c.writers.push(pid);
    }
    if (c.conn && !this.confirmed.has(info.id)) {
      let sigs = this.connSigs.get(info.id);
      if (!sigs) this.connSigs.set(info.id, (sigs = { w: [], r: [] }));
      const list = op.write ? sigs.w : sigs.r;
      if (list.length < SIGS) list.push(`${size}:${typeof e.pv === 'string' ? e.pv.slice(0, 64) : ''}`);
    }
    this.timeline[this.timelineHead] = msg;
    this.timelineHead = (this.timelineHead + 1) % this.timeline.length;
    this.timelineDirty = true;
  }

  /** The timeline's messages, oldest first. */
  private timelineMessages(): Msg[] {
    const out: Msg[] = [];
    const n = this.timeline.length;
    for (let i = 0; i < n; i++) {
      const msg = this.timeline[(this.timelineHead + i) % n];
      if (msg) out.push(msg);
    }
    return out;
  }

  /** The end whose writes a read on `readEnd` receives, or null when not known (yet). */
  private writerFor(msg: Msg): string | null {
    if (msg.kind === 'socket') {
      const bar = msg.end.lastIndexOf('|');
      const id = msg.end.slice(0, bar);
      const reader = Number(msg.end.slice(bar + 1));
      const c = this.channels.get(id) as MsgState | undefined;
      const other = c?.writers.find((p) => p !== reader);
      return other !== undefined ? `${id}|${other}` : null;
    }
    if (!msg.conn) return msg.end;
    return this.writerOf.get(msg.end) ?? null;
  }

  /** Pairs each Connection end that was read from with the end that writes into it. */
  private pairConnections(): void {
    const ends = [...this.connSigs.entries()];
    for (const [y, ys] of ends) {
      if (this.confirmed.has(y) || ys.r.length === 0) continue;
      let best: { x: string; n: number; score: number } | null = null;
      let ties = 0;
      const yIno = inodeOf(y);
      for (const [xid, xs] of ends) {
        const n = Math.min(xs.w.length, ys.r.length);
        if (n === 0) continue;
        let same = true;
        for (let i = 0; i < n && same; i++) same = xs.w[i] === ys.r[i];
        if (!same) continue;
        const xIno = inodeOf(xid);
        // Prefer the other socket of the pair (adjacent inodes), then the same end (a one-way pipe), then any.
        const score = n * 4 + (xid !== y && xIno !== null && yIno !== null && Math.abs(xIno - yIno) === 1 ? 2 : xid === y ? 1 : 0);
        if (!best || score > best.score) {
          best = { x: xid, n, score };
          ties = 0;
        } else if (score === best.score) ties++;
      }
      if (!best) continue;
      const prev = this.writerOf.get(y);
      if (prev !== best.x) {
        if (prev !== undefined && this.readerOf.get(prev) === y) this.readerOf.delete(prev);
        this.writerOf.set(y, best.x);
        this.readerOf.set(best.x, y);
        this.timelineDirty = true;
        for (const id of [y, best.x]) {
          const c = this.channels.get(id);
          if (c) c.dirty = true;
        }
      }
      if (best.n >= 3 && ties === 0) this.confirmed.add(y);
    }
    // Peers: two different ends that write into each other (or one into the other) are one Pipe.
    for (const [y, x] of this.writerOf) {
      if (x === y) continue;
      const a = this.channels.get(x) as MsgState | undefined;
      const b = this.channels.get(y) as MsgState | undefined;
      if (a && a.info.kind === 'pipe' && a.info.peer !== y) {
        a.info.peer = y;
        a.dirty = true;
      }
      if (b && b.info.kind === 'pipe' && b.info.peer !== x) {
        b.info.peer = x;
        b.dirty = true;
      }
    }
  }

  /** The message with its preview decoded (done once, when it is first sent). */
  private decoded(message: MessageInfo): MessageInfo {
    const m = message as RawMessage;
    const pv = m[RAW_PV];
    if (pv) {
      m[RAW_PV] = '';
      try {
        const bytes = Buffer.from(pv, 'base64');
        if (bytes.length) {
          const p = decodePreview(bytes, m[RAW_PICKLE] ? 'pickle' : 'bytes', m.size);
          m.preview = cut(p.text, 2048);
          m.truncated = p.truncated;
        }
      } catch {
        /* left empty */
      }
    }
    return m;
  }

  /**
   * Gives messages their place in their stream, in timestamp order; with holdBackNs, those newer than
   * the newest message less holdBackNs wait for the next call (unless they are most of the list).
   */
  private order(holdBackNs = 0): void {
    if (!this.unordered.length) return;
    let batch = this.unordered;
    this.unordered = [];
    batch.sort((a, b) => a.m.ts - b.m.ts || a.m.id - b.m.id);
    if (holdBackNs > 0) {
      const cut = batch[batch.length - 1].m.ts - holdBackNs;
      let keep = batch.length;
      while (keep > 0 && batch[keep - 1].m.ts > cut) keep--;
      if (batch.length - keep < batch.length / 2) {
        this.unordered = batch.slice(keep);
        batch = batch.slice(0, keep);
      }
    }
    for (const msg of batch) {
      let n = this.ends.get(msg.end);
      if (!n) this.ends.set(msg.end, (n = { w: 0, r: 0, wb: 0, rb: 0 }));
      if (msg.m.write) {
        msg.m.seq = ++n.w;
        if (msg.stream) {
          msg.off = n.wb;
          n.wb += msg.len;
        }
      } else {
        msg.m.seq = ++n.r;
        if (msg.stream) {
          msg.off = n.rb;
          n.rb += msg.len;
        }
      }
    }
  }

  private link(): void {
    const shown = this.timelineMessages();
    const writes = new Map<string, MessageInfo>();
    const streamWrites = new Map<string, Msg[]>();
    for (const msg of shown) {
      if (!msg.m.write || !msg.m.seq) continue;
      writes.set(`${msg.end}#${msg.m.seq}`, msg.m);
      if (msg.stream) {
        const list = streamWrites.get(msg.end) ?? [];
        list.push(msg);
        streamWrites.set(msg.end, list);
      }
    }
    const setLink = (m: MessageInfo, id: number) => {
      if (m.link !== id) {
        m.link = id;
        this.timelineDirty = true;
      }
    };
    for (const msg of shown) {
      if (msg.m.write || !msg.m.seq) continue;
      const w = this.writerFor(msg);
      if (msg.stream) {
        // Bytes, not messages: a read takes what the writes before it left, perhaps several or part of one.
        if (w === null || msg.len <= 0) continue;
        const start = msg.off;
        const end = msg.off + msg.len;
        let first = true;
        for (const wr of streamWrites.get(w) ?? []) {
          if (wr.off + wr.len <= start || wr.off >= end || wr.len <= 0) continue;
          if (first) setLink(msg.m, wr.m.id);
          first = false;
          if (wr.off >= start) setLink(wr.m, msg.m.id);
        }
        continue;
      }
      const sent = w !== null ? writes.get(`${w}#${msg.m.seq}`) : undefined;
      if (sent && (msg.m.link !== sent.id || sent.link !== msg.m.id)) {
        msg.m.link = sent.id;
        sent.link = msg.m.id;
        this.timelineDirty = true;
      }
    }
  }

  private pendingOf(c: MsgState): MessageInfo[] {
    if (c.info.kind === 'socket') return [];
    const reader = c.conn ? this.readerOf.get(c.info.id) : c.info.id;
    if (reader === undefined) return [];
    const n = this.ends.get(reader);
    const read = n?.r ?? 0;
    const bytesRead = n?.rb ?? 0;
    const out = newest(c.writes, WRITES_KEPT).filter((w) => (w.stream ? w.m.seq > 0 && w.off + w.len > bytesRead : w.m.seq > read)).map((w) => w.m);
    return out.slice(-ChannelLimits.pending);
  }

  // ---- shared memory ----

  private shared(c: SharedState, e: HubEvent, x: Extras, pid: number, ts: number, loc: string): void {
    const info = c.info;
    if (e.k === EventKinds.sharedNew) {
      info.createdAt = loc;
      const type = str(x, 'type', 64);
      if (type) info.type = type;
      const typecode = str(x, 'typecode', 8);
      if (typecode !== null) info.typecode = typecode;
      const length = int(x, 'length', 0, 2 ** 40);
      if (length !== null) info.length = length;
      const itemsize = int(x, 'itemsize', 0, 1 << 20);
      if (itemsize !== null) info.itemsize = itemsize;
      if (bool(x, 'lock') !== null) info.lock = bool(x, 'lock')!;
      const name = str(x, 'name', 256);
      if (name) info.label = name;
      if (Number.isInteger(e.size) && e.size >= 0) info.size = e.size;
      this.growImage(c, Math.min(IMAGE_BYTES, Math.max(0, info.size)));
      const bytes = payload(e);
      if (bytes && bytes.length) this.applyBytes(c, 0, bytes, ts);
      return;
    }
    const offset = int(x, 'offset', 0, 2 ** 48) ?? (e.k === EventKinds.sharedImage ? 0 : null);
    const bytes = payload(e);
    if (e.k === EventKinds.sharedImage) {
      if (offset !== null && bytes) this.applyBytes(c, offset, bytes, ts);
      return;
    }
    if (e.k !== EventKinds.sharedWrite) return;
    info.writes++;
    const newest = ts >= c.lastWriteTs;
    if (newest) {
      c.lastWriteTs = ts;
      info.lastWriter = pid;
      info.lastLoc = loc;
    }
    if (offset !== null && bytes) this.applyBytes(c, offset, bytes, ts, true);
    const index = int(x, 'index', 0);
    const raw = x?.value;
    let value = '';
    if (typeof raw === 'number' && Number.isFinite(raw)) value = Number.isInteger(raw) && info.typecode !== 'f' && info.typecode !== 'd' ? String(raw) : pyFloat(raw);
    else if (typeof raw === 'boolean') value = raw ? 'True' : 'False';
    else if (typeof raw === 'string') value = cut(raw, 256);
    else if (bytes && bytes.length) value = decodeTyped(bytes, info.typecode, 1)?.[0] ?? decodePreview(bytes, 'bytes', bytes.length).text;
    if (value && newest) c.lastValue = value;
    const w: SharedWriteInfo = { ts, pid, offset: offset ?? -1, index, value, loc };
    pushKept(info.recent, w, RECENT);
  }

  private growImage(c: SharedState, n: number): void {
    if (n <= c.img.length) return;
    const img = new Uint8Array(Math.min(IMAGE_BYTES, n));
    img.set(c.img);
    c.img = img;
    const byteTs = new Float64Array(img.length).fill(-Infinity);
    byteTs.set(c.byteTs);
    c.byteTs = byteTs;
  }

  /** Copies bytes seen at `offset` into the image (what lies beyond IMAGE_BYTES is not kept). */
  private applyBytes(c: SharedState, offset: number, bytes: Uint8Array, ts: number, written = false): void {
    if (offset >= IMAGE_BYTES) return;
    const limit = c.info.size >= 0 ? Math.min(IMAGE_BYTES, c.info.size) : IMAGE_BYTES;
    const end = Math.min(limit, offset + bytes.length);
    if (end <= offset) return;
    this.growImage(c, end);
    for (let i = offset; i < end; i++) {
      // Batches from different processes arrive out of order: a byte keeps its newest value.
      if (ts < c.byteTs[i]) continue;
      c.byteTs[i] = ts;
      const b = bytes[i - offset];
      if (c.img[i] !== b) {
        // A first look at a byte is not a change; a write that changes it is.
        if ((i < c.known || written) && c.changedSet.size < MAX_CHANGED) c.changedSet.add(i);
        c.img[i] = b;
      }
    }
    if (end > c.known) c.known = end;
  }

  private finishShared(c: SharedState): void {
    const info = c.info;
    info.image = hex(c.img, c.known);
    info.imageKnown = c.known;
    info.changed = [...c.changedSet].sort((a, b) => a - b);
    c.changedSet.clear();
    info.changedValues = [];
    if (info.type === 'ShareableList') {
      const list = c.known > 0 ? decodeShareableList(c.img, c.known) : null;
      info.values = list?.values ?? null;
      if (list) list.ranges.forEach(([a, b], i) => info.changed.some((o) => o >= a && o < b) && info.changedValues.push(i));
      return;
    }
    const t = typeInfo(info.typecode);
    const isValue = /Value$/.test(info.type);
    const count = isValue ? 1 : info.length > 0 ? info.length : t ? Math.floor(Math.max(0, info.size) / t.size) : 0;
    if (c.known > 0 && t) info.values = decodeTyped(c.img, info.typecode, count, c.known);
    else info.values = t ? [] : null;
    if (info.values && info.values.length === 0 && isValue && c.lastValue !== null) info.values = [c.lastValue];
    if (t && info.values) {
      const changed = new Set(info.changed.map((o) => Math.floor(o / t.size)));
      info.values.forEach((_, i) => changed.has(i) && info.changedValues.push(i));
    }
  }

  // ---- locks, semaphores, conditions, events ----

  private sync(c: SyncState, e: HubEvent, x: Extras, pid: number, ts: number, loc: string): void {
    const info = c.info;
    const value = num(x, 'value');
    if (e.k === EventKinds.syncNew) {
      info.createdAt = loc;
      const inode = int(x, 'inode', 1);
      if (inode !== null) this.noteSem(inode, info.id);
      const type = str(x, 'type', 64);
      if (type) info.type = type;
      if (value !== null && ts >= c.valueTs) {
        info.value = value;
        c.valueTs = ts;
      }
      const max = num(x, 'maxvalue');
      // An unbounded Semaphore reports SEM_VALUE_MAX.
      if (max !== null) info.maxvalue = max >= 2147483647 ? null : max;
      if (info.type === 'Event' && info.flag === null) info.flag = false;
      // Its workers' waits can come first (their batches, from other processes, overtake the creator's).
      if (barrierFull(info, c.waiterMap)) c.waiterMap.clear();
      return;
    }
    // The value reported last in time (batches from different processes arrive out of order).
    if (value !== null && ts >= c.valueTs) {
      info.value = value;
      c.valueTs = ts;
    }
    let op = '';
    let waitedMs: number | null = null;
    const stopWaiting = () => {
      const n = c.waiterMap.get(pid) ?? 0;
      if (n > 1) c.waiterMap.set(pid, n - 1);
      else c.waiterMap.delete(pid);
    };
    switch (e.k) {
      case EventKinds.syncAcquire: {
        op = 'acquire';
        info.acquires++;
        const waited = num(x, 'waitedNs');
        if (waited !== null && waited >= 0) waitedMs = Math.round(waited / 1e4) / 100;
        if (c.waiterMap.has(pid)) {
          info.contended++;
          stopWaiting();
        }
        // A release by someone who held nothing (a semaphore used as a signal) was this acquire's.
        if (c.credit > 0) c.credit--;
        else c.ownerMap.set(pid, (c.ownerMap.get(pid) ?? 0) + 1);
        break;
      }
      case EventKinds.syncBlock:
        op = 'block';
        c.waiterMap.set(pid, (c.waiterMap.get(pid) ?? 0) + 1);
        break;
      case EventKinds.syncRelease: {
        op = 'release';
        // A Lock or Semaphore may be released by another process than the one that acquired it.
        const holder = c.ownerMap.has(pid) ? pid : c.ownerMap.keys().next().value;
        if (holder !== undefined) {
          const n = c.ownerMap.get(holder) ?? 0;
          if (n > 1) c.ownerMap.set(holder, n - 1);
          else c.ownerMap.delete(holder);
        } else c.credit = Math.min(c.credit + 1, 1 << 20);
        break;
      }
      case EventKinds.syncOp: {
        op = str(x, 'op', 32) ?? 'op';
        const flag = bool(x, 'flag') ?? (info.type === 'Event' ? (op === 'set' ? true : op === 'clear' ? false : null) : null);
        // The flag as of the newest event (batches from different processes arrive out of order).
        if (flag !== null && ts >= c.flagTs) {
          info.flag = flag;
          c.flagTs = ts;
        }
        if (op === 'set') c.waiterMap.clear();
        else if (op === 'wait') {
          // An Event's wait() on a set flag returns at once. (A Condition's wait() gives its lock
          // back with releases of its own, reported as such.)
          if (!(info.type === 'Event' && (flag ?? info.flag))) c.waiterMap.set(pid, (c.waiterMap.get(pid) ?? 0) + 1);
          // A Barrier lets everyone through when the last party arrives.
          if (barrierFull(info, c.waiterMap)) c.waiterMap.clear();
        } else if (op === 'notify_all') c.waiterMap.clear();
        else if (op === 'notify') {
          const first = [...c.waiterMap.keys()].find((p) => p !== pid);
          if (first !== undefined) {
            const n = c.waiterMap.get(first)!;
            if (n > 1) c.waiterMap.set(first, n - 1);
            else c.waiterMap.delete(first);
          }
        } else if (op === 'timeout' || op === 'woke' || op === 'wake') stopWaiting();
        break;
      }
      default:
        return;
    }
    const r: SyncOpInfo = { ts, pid, op, value, waitedMs, loc };
    pushKept(info.recent, r, RECENT);
  }

  // ---- managers, pools ----

  private manager(c: ManagerState, e: HubEvent, x: Extras, pid: number, ts: number, loc: string): void {
    const info = c.info;
    const typeid = str(x, 'typeid', 64);
    if (typeid) info.typeid = info.type = typeid;
    const bytes = payload(e);
    const size = Number.isFinite(e.size) && e.size >= 0 ? e.size : bytes?.length ?? -1;
    if (e.k === EventKinds.managerState) {
      const pv = bytes && bytes.length ? decodePreview(bytes, e.pf === 'bytes' ? 'bytes' : 'pickle', size) : null;
      info.state = pv ? cut(pv.text, 4096) : '';
      info.stateTruncated = pv?.truncated ?? false;
      info.stateSize = size;
      const length = int(x, 'length', 0);
      info.length = length;
      return;
    }
    if (e.k !== EventKinds.managerCall) return;
    if (!info.createdAt && loc) info.createdAt = loc;
    info.calls++;
    const method = str(x, 'method', 128) ?? '?';
    const pv = bytes && bytes.length ? decodePreview(bytes, e.pf === 'bytes' ? 'bytes' : 'pickle', size) : null;
    const call: ManagerCallInfo = { ts, pid, method, args: pv ? cut(pv.text, 1024) : '', loc };
    pushKept(info.recent, call, RECENT);
  }

  private pool(c: PoolState, e: HubEvent, x: Extras, loc: string): void {
    if (e.k !== EventKinds.poolNew) return;
    const info = c.info;
    info.createdAt = loc;
    const processes = int(x, 'processes', 0, 1 << 20);
    if (processes !== null) info.processes = processes;
    for (const [field, label] of [['tasks', 'Pool tasks'], ['results', 'Pool results']] as const) {
      const id = str(x, field, 1024);
      if (!id || id === info.id) continue;
      info[field] = id;
      this.poolQueues.set(id, { pool: info.id, label });
      const q = this.channels.get(id);
      if (q && (q.info.kind === 'queue' || q.info.kind === 'pipe')) {
        q.info.label = label;
        q.info.pool = info.id;
        q.dirty = true;
      }
    }
  }

  // ---- updates ----

  /** Ids of channels that only duplicate another one (an os.pipe under a Queue or a one-way Connection). */
  private hidden(c: State): boolean {
    if (c.info.kind !== 'pipe' || !c.info.id.startsWith('pipe:')) return false;
    if (c.info.written + c.info.read > 0) return false;
    const ino = c.info.id.slice(5);
    return this.channels.has(`queue:${ino}`) || this.channels.has(`conn:${ino}`);
  }

  private snapshotOf(c: State): ChannelInfo {
    c.info.holders = [...c.holderSet].sort((a, b) => a - b);
    switch (c.info.kind) {
      case 'queue':
      case 'pipe':
      case 'socket': {
        const s = c as MsgState;
        const info = s.info;
        const depthTs = s.depthTs;
        newest(info.recent, RECENT).sort((a, b) => a.ts - b.ts || a.id - b.id);
        info.pending = this.pendingOf(s);
        if (info.kind === 'queue' && depthTs === -Infinity) {
          // No depth from the runtime (SimpleQueue): what was put and not yet got.
          const n = this.ends.get(info.id);
          info.depth = Math.max(0, (n?.w ?? 0) - (n?.r ?? 0));
        } else if (info.kind === 'pipe' && !s.conn) {
          info.depth = info.pending.length;
        } else if (info.kind !== 'queue') {
          const reader = info.kind === 'pipe' ? (s.conn ? this.readerOf.get(info.id) : info.id) : undefined;
          const w = this.ends.get(info.id)?.w ?? 0;
          info.depth = reader !== undefined ? Math.max(0, w - (this.ends.get(reader)?.r ?? 0)) : null;
        }
        info.blocked = [...s.blockedMap.values()].sort((a, b) => a.since - b.since);
        return { ...info, holders: [...info.holders], recent: info.recent.map((m) => ({ ...this.decoded(m) })), pending: info.pending.map((m) => ({ ...this.decoded(m) })), blocked: info.blocked.map((b) => ({ ...b })) };
      }
      case 'shared': {
        this.finishShared(c as SharedState);
        const info = (c as SharedState).info;
        newest(info.recent, RECENT).sort((a, b) => a.ts - b.ts);
        return { ...info, holders: [...info.holders], values: info.values ? [...info.values] : null, changed: [...info.changed], changedValues: [...info.changedValues], recent: info.recent.map((w) => ({ ...w })) };
      }
      case 'sync': {
        const s = c as SyncState;
        newest(s.info.recent, RECENT).sort((a, b) => a.ts - b.ts);
        s.info.owners = [...s.ownerMap].map(([pid, count]) => ({ pid, count }));
        s.info.waiters = [...s.waiterMap.keys()];
        return { ...s.info, holders: [...s.info.holders], owners: s.info.owners.map((o) => ({ ...o })), waiters: [...s.info.waiters], recent: s.info.recent.map((r) => ({ ...r })) };
      }
      case 'manager':
        newest((c as ManagerState).info.recent, RECENT).sort((a, b) => a.ts - b.ts);
        return { ...c.info, holders: [...c.info.holders], recent: (c as ManagerState).info.recent.map((r) => ({ ...r })) };
      case 'pool':
        return { ...c.info, holders: [...c.info.holders] };
    }
  }

  private forget(): void {
    if (this.channels.size <= MAX_KNOWN) return;
    const byAge = [...this.channels.values()].sort((a, b) => a.info.lastTs - b.info.lastTs);
    const sockets = new Set<string>();
    for (const c of byAge.slice(0, this.channels.size - Math.floor(MAX_KNOWN * 0.9))) {
      const id = c.info.id;
      this.channels.delete(id);
      this.connSigs.delete(id);
      this.ends.delete(id);
      if (c.info.kind === 'socket') sockets.add(id);
      this.writerOf.delete(id);
      this.readerOf.delete(id);
      this.confirmed.delete(id);
    }
    // A socket's ends are per process ("<id>|<pid>"): one pass over them all for every socket forgotten.
    if (sockets.size) {
      for (const end of this.ends.keys()) {
        const bar = end.lastIndexOf('|');
        if (bar > 0 && sockets.has(end.slice(0, bar))) this.ends.delete(end);
      }
    }
  }

  /** Channels as they are now, without touching what the panel was sent (for the debugger). */
  describe(ids?: string[]): ChannelInfo[] {
    this.order();
    this.pairConnections();
    this.link();
    const states = ids ? ids.map((id) => this.channels.get(id)).filter((c): c is State => !!c) : [...this.channels.values()];
    return states.map((c) => this.snapshotOf(c));
  }

  /** The changes since the last call (everything when `full`), or null when nothing changed. */
  update(stats: { received: number; dropped: number; protocolErrors: number }, full = false): ChannelsUpdate | null {
    const now = Date.now();
    const secs = Math.max(0.25, (now - this.lastRateAt) / 1000);
    let anyRate = false;
    for (const c of this.channels.values()) if (c.info.rate !== 0 || c.activity !== c.activityAtLastRate) anyRate = true;
    full ||= this.needFull;
    if (!this.dirty && !full && !anyRate) return null;
    this.dirty = false;
    this.needFull = false;
    this.order();
    this.pairConnections();
    this.link();
    this.forget();
    this.lastRateAt = now;
    for (const c of this.channels.values()) {
      const rate = Math.round(((c.activity - c.activityAtLastRate) / secs) * 10) / 10;
      c.activityAtLastRate = c.activity;
      if (rate !== c.info.rate) {
        c.info.rate = rate;
        c.dirty = true;
      }
    }
    const candidates = [...this.channels.values()].filter((c) => !this.hidden(c));
    if (candidates.length > ChannelLimits.channels) candidates.sort((a, b) => b.info.lastTs - a.info.lastTs);
    const shown = candidates.slice(0, ChannelLimits.channels);
    const shownIds = new Set(shown.map((c) => c.info.id));
    const channels: ChannelInfo[] = [];
    for (const c of shown) if (full || c.dirty || !this.sent.has(c.info.id)) channels.push(this.snapshotOf(c));
    for (const c of this.channels.values()) c.dirty = false;
    const removed = full ? [] : [...this.sent].filter((id) => !shownIds.has(id));
    this.sent = shownIds;
    let timeline: ChannelsUpdate['timeline'] = null;
    if (full || this.timelineDirty) {
      this.timelineDirty = false;
      const messages = this.timelineMessages().map((t) => ({ ...this.decoded(t.m) }));
      messages.sort((a, b) => a.ts - b.ts || a.id - b.id);
      timeline = { messages };
    }
    if (!full && channels.length === 0 && removed.length === 0 && timeline === null) return null;
    return { full, channels, removed, timeline, omitted: candidates.length - shown.length, ...stats };
  }

  /** A channel by id, for joining it with the kernel's view of the same object ("queue:4711" is pipe:[4711]); null when unknown. */
  summary(id: string): { id: string; kind: ChannelKind; type: string; label: string; createdAt: string } | null {
    const c = this.channels.get(id);
    return c ? { id: c.info.id, kind: c.info.kind, type: c.info.type, label: c.info.label, createdAt: c.info.createdAt } : null;
  }

  /** A /dev/shm semaphore (by inode) is this channel's: a user's lock, or a queue's own (bounded). */
  private noteSem(inode: number, id: string): void {
    if (this.semByInode.size < MAX_KNOWN || this.semByInode.has(inode)) this.semByInode.set(inode, id);
  }

  /** The channel of the lock or semaphore mapped from this /dev/shm inode, if the runtime reported it. */
  semChannel(inode: number): string | undefined {
    return this.semByInode.get(inode);
  }

  /** The locks, semaphores, conditions and events `pid` is blocked in (acquire()/wait() reported, not yet returned). */
  waitingIn(pid: number): Array<{ id: string; type: string; label: string; createdAt: string; owners: number[] }> {
    const out: Array<{ id: string; type: string; label: string; createdAt: string; owners: number[] }> = [];
    for (const c of this.channels.values()) {
      if (c.info.kind !== 'sync' || !(c as SyncState).waiterMap.has(pid)) continue;
      out.push({ id: c.info.id, type: c.info.type, label: c.info.label, createdAt: c.info.createdAt, owners: [...(c as SyncState).ownerMap.keys()] });
    }
    return out;
  }

  clear(): void {
    this.channels.clear();
    this.semByInode.clear();
    this.unordered = [];
    this.ends.clear();
    this.connSigs.clear();
    this.writerOf.clear();
    this.readerOf.clear();
    this.confirmed.clear();
    this.poolQueues.clear();
    this.timeline.fill(undefined);
    this.timelineHead = 0;
    this.timelineDirty = true;
    this.sent.clear();
    this.needFull = true;
    this.dirty = true;
  }
}

/** A Barrier lets everyone through when its last party arrives: are all its parties waiting? */
function barrierFull(info: SyncChannelInfo, waiters: Map<number, number>): boolean {
  if (info.type !== 'Barrier' || info.maxvalue === null) return false;
  let waiting = 0;
  for (const n of waiters.values()) waiting += n;
  return waiting >= info.maxvalue;
}

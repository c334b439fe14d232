/**
 * The wire between the Python runtime (runtime/ipcscope) and the hub (server/src/hub), declared once.
 * runtime/ipcscope/protocol.py mirrors these values; test/unit/runtimeProtocol.test.ts checks they agree.
 *
 * Framing: every frame is a 4-byte big-endian length, then that many bytes of UTF-8 JSON (an object
 * with a "t" field). The first frame on a connection is `hello`; the hub answers `welcome` or `error`
 * and closes.
 */

export const RUNTIME_PROTOCOL_VERSION = 1;

/** A frame longer than this is refused and the connection closed. */
export const MAX_FRAME_BYTES = 1 << 20;

/** Bytes of a payload the runtime sends as a preview (pickled prefix or raw bytes). */
export const PREVIEW_BYTES = 256;

/** Environment variables the runtime reads. */
export const RuntimeEnv = {
  hub: 'IPCSCOPE_HUB',
  token: 'IPCSCOPE_TOKEN',
  runtimeDir: 'IPCSCOPE_RUNTIME_DIR',
  statusFd: 'IPCSCOPE_STATUS_FD',
} as const;

export const FrameTypes = {
  hello: 'hello',
  welcome: 'welcome',
  error: 'error',
  events: 'events',
} as const;

/** Bytes of a shared object's contents sent as its image (Value/Array, SharedMemory, mmap); more is cut, the full size sent. */
export const IMAGE_BYTES = 4096;

/** How often (ms) the runtime samples shared memory and mmap contents it cannot see written (buf[i] = …). */
export const SAMPLE_MS = 100;

/**
 * Event kinds the runtime reports, with their channel id form and extras (`x`). A channel id is the
 * same in every process that holds the object. Payload previews (`pv`) are bounded (PREVIEW_BYTES,
 * IMAGE_BYTES for images); `size` is always the full size.
 */
export const EventKinds = {
  /** pv "", x: {} */
  processStart: 'process.start',
  processExit: 'process.exit',
  /** x: {child} */
  fork: 'os.fork',
  /** x: {child, status, exitCode, signal, core?} */
  wait: 'os.wait',
  /** ch "queue:<reader pipe inode>", x: {maxsize, type: Queue|JoinableQueue|SimpleQueue} */
  queueNew: 'queue.new',
  /** pv pickle, x: {depth} */
  queuePut: 'queue.put',
  queueGet: 'queue.get',
  /** ch "conn:<inode of this end>", pv pickle or bytes */
  connSend: 'conn.send',
  connRecv: 'conn.recv',
  /**
   * ch "shared:<arena inode>:<offset>" (Value/Array), "shm:<name>" (SharedMemory/ShareableList),
   * "mmap:<file inode>" or "mmap:anon:<pid>:<address>"; x: {type: Value|Array|RawValue|RawArray|
   * SharedMemory|ShareableList|mmap, typecode ("i", "d", "c", … or ""), length, itemsize, lock: bool, name?}
   * size = bytes of the object.
   */
  sharedNew: 'shared.new',
  /** A write seen as it happened (Value/Array): pv bytes written, x: {offset, index?, value?} (value: a number or short text). */
  sharedWrite: 'shared.write',
  /** Contents as sampled or at close: pv bytes from x.offset (≤ IMAGE_BYTES), x: {offset} */
  sharedImage: 'shared.image',
  /** ch "sem:<semaphore name>", x: {type: Lock|RLock|Semaphore|BoundedSemaphore|Condition|Event|Barrier, value, maxvalue} */
  syncNew: 'sync.new',
  /** x: {value (after), waitedNs} */
  syncAcquire: 'sync.acquire',
  /** An acquire that is about to wait: x: {value} */
  syncBlock: 'sync.block',
  /** x: {value (after)} */
  syncRelease: 'sync.release',
  /** Condition/Event operations: x: {op: wait|notify|notify_all|set|clear|timeout, flag?} */
  syncOp: 'sync.op',
  /** ch "manager:<address>:<object id>", x: {typeid, method} pv pickle of args (client side) */
  managerCall: 'manager.call',
  /** From the manager's server process after a change: pv pickle of the object, x: {typeid, length} */
  managerState: 'manager.state',
  /** ch "pool:<pid>:<id>", x: {processes, tasks: channel id of its task queue, results: channel id of its result queue} */
  poolNew: 'pool.new',
  /** ch "pipe:<inode>", x: {read: fd, write: fd} */
  osPipe: 'os.pipe',
  /** ch "fifo:<inode>", x: {path} */
  osMkfifo: 'os.mkfifo',
  /** os.write / os.read on a pipe or FIFO fd: pv bytes */
  pipeWrite: 'pipe.write',
  pipeRead: 'pipe.read',
  /** ch "sock:<inode of the lower end>-<inode of the higher end>" for socketpair, "tcp:<a>|<b>" (sorted addresses) or "unix:<path>"; x: {family, type} */
  socketNew: 'socket.new',
  /** pv bytes, x: {peer?} */
  socketSend: 'socket.send',
  socketRecv: 'socket.recv',
} as const;

export type EventKind = (typeof EventKinds)[keyof typeof EventKinds];

export interface HelloFrame {
  t: 'hello';
  v: number;
  token: string;
  pid: number;
  ppid: number;
  /** Start time in clock ticks (field 22 of /proc/self/stat): with pid, the process key. */
  start: number;
  argv: string[];
  python: string;
}

export interface RuntimeEvent {
  /** kind */
  k: EventKind;
  /** channel id, the same in every process holding the object ("queue:123456"), or "" */
  ch: string;
  /** sequence number of this event in its process */
  n: number;
  /** CLOCK_MONOTONIC, ns (comparable across processes of one machine) */
  ts: number;
  /** source location of the user's call, "file.py:42", or "" */
  loc: string;
  /** payload size in bytes, or -1 */
  size: number;
  /** base64 of the first PREVIEW_BYTES bytes of the payload (pickled or raw), or "" */
  pv: string;
  /** preview format: "pickle" | "bytes" | "" */
  pf: string;
  /** kind-specific extras (depth, maxsize, child pid, status, …) */
  x?: Record<string, number | string | boolean | null>;
}

/** On the wire an event is an array of these fields, in this order (cheaper to make and to parse). */
export const EVENT_FIELDS = ['k', 'ch', 'n', 'ts', 'loc', 'size', 'pv', 'pf', 'x'] as const;

export type WireEvent = [string, string, number, number, string, number, string, string, RuntimeEvent['x'] | null];

export interface EventsFrame {
  t: 'events';
  /** events this process could not send (buffer full): counted, never silently lost */
  dropped: number;
  events: WireEvent[];
}

export type RuntimeFrame = HelloFrame | EventsFrame;

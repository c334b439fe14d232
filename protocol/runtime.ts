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

/** Event kinds the runtime reports. */
export const EventKinds = {
  processStart: 'process.start',
  processExit: 'process.exit',
  fork: 'os.fork',
  wait: 'os.wait',
  queueNew: 'queue.new',
  queuePut: 'queue.put',
  queueGet: 'queue.get',
  connSend: 'conn.send',
  connRecv: 'conn.recv',
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

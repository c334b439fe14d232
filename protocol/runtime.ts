/**
 * The wire between the Python runtime (runtime/ipcscope) and the hub (server/src/hub), declared once.
 * runtime/ipcscope/protocol.py mirrors these values; test/unit/runtimeProtocol.test.ts checks they agree.
 *
 * Framing: every frame is a 4-byte big-endian length, then that many bytes. Control frames (hello,
 * welcome, error) are UTF-8 JSON objects with a "t" field; the first frame on a connection is
 * `hello`, which the hub answers with `welcome` or `error` (and closes). Event batches are binary:
 * EVENTS_TAG, then Python marshal (MARSHAL_VERSION) of `[dropped, [event, …]]`, each event a tuple
 * in EVENT_FIELDS order (the cheapest encoding CPython has; the hub reads it with a restricted reader).
 *
 * A runtime that goes quiet with events it could not send (its exit could not wait for a hub too busy
 * to read them, the hub closed its connection, its send failed) says how many on a new connection: a
 * single `lost` frame (LostFrame), which the hub counts as dropped. No answer is awaited.
 */

export const RUNTIME_PROTOCOL_VERSION = 2;

/** First byte of an event batch frame ("M"; JSON control frames start with "{"). */
export const EVENTS_TAG = 0x4d;

/** marshal format version of event batches (4: with back-references, so repeated strings are sent once per batch). */
export const MARSHAL_VERSION = 4;

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
  /** Set by the debug adapter: gates are armed from the start and wait for the breakpoints. */
  debug: 'IPCSCOPE_DEBUG',
  /** Path of the program whose first line stops (launch with stopOnEntry). */
  stopOnEntry: 'IPCSCOPE_STOP_ON_ENTRY',
  /** multiprocessing start method the program gets by default (launch configuration's startMethod). */
  startMethod: 'IPCSCOPE_START_METHOD',
} as const;

/**
 * PYTHONPATH for a program run with the runtime: `runtimeDir`, so `python -m ipcscope` finds the
 * launcher, and with `hooks` its `ipcscope/_inject` before it (a sitecustomize that installs the
 * hooks in every Python process), ahead of the user's own PYTHONPATH.
 */
export function runtimePythonPath(runtimeDir: string, userPath: string | undefined, hooks: boolean, delimiter = ':'): string {
  return [...(hooks ? [`${runtimeDir}/ipcscope/_inject`] : []), runtimeDir, ...(userPath ? [userPath] : [])].join(delimiter);
}

export const FrameTypes = {
  hello: 'hello',
  welcome: 'welcome',
  error: 'error',
  events: 'events',
  lost: 'lost',
} as const;

/** Bytes of a shared object's contents sent as its image (Value/Array, SharedMemory, mmap); more is cut, the full size sent. */
export const IMAGE_BYTES = 4096;

/** How often (ms) the runtime samples shared memory and mmap contents it cannot see written (buf[i] = …). */
export const SAMPLE_MS = 100;

/** A blocking call (Queue.get/put, recv, join) is reported (op.block) once it has lasted this long (ms); quicker ones cost no event. */
export const BLOCK_REPORT_MS = 200;

/**
 * The longest (ms) a gate waits, once per channel, for the debugger to name a channel that a function
 * breakpoint names by variable (debug.name); a channel used right after its creation is named in time.
 */
export const NAME_WAIT_MS = 1000;

/** The runtime's sender thread names itself this (its thread comm), so the server's deadlock detection can tell it only waits on its own buffer. */
export const SENDER_THREAD_NAME = 'ipcscope-send';
/** The runtime's command reader thread (debugger commands from the hub) names itself this. */
export const READER_THREAD_NAME = 'ipcscope-recv';

/**
 * The runtime binds its end of the hub connection to an abstract Unix name starting with this (then
 * its pid and a random part), so the kernel's view knows the connection as IPC Scope's own even
 * before the hub has accepted it (/proc/net/unix shows it as "@" + the name).
 */
export const RUNTIME_SOCKET_PREFIX = 'ipcscope-runtime-';

/** Is this Unix socket path (as /proc/net/unix shows it) a runtime's end of its hub connection? */
export function isRuntimeSocketPath(path: string): boolean {
  return path.startsWith('@' + RUNTIME_SOCKET_PREFIX);
}

/** Is this thread comm one of the runtime's own threads (not the program's)? */
export function isRuntimeThread(comm: string): boolean {
  return comm === SENDER_THREAD_NAME || comm === READER_THREAD_NAME;
}

/**
 * Event kinds the runtime reports, with their channel id form and extras (`x`). A channel id is the
 * same in every process that holds the object. Payload previews (`pv`) are bounded (PREVIEW_BYTES,
 * IMAGE_BYTES for images); `size` is always the full size.
 */
export const EventKinds = {
  /** pv "", x: {} */
  processStart: 'process.start',
  /** Made by the hub, not sent by the runtime: the process's connection closed (it exited, exec'd, or its runtime went quiet). */
  processExit: 'process.exit',
  /**
   * x: {child, start, via?: 'os.fork'}: start is the child's start time in clock ticks (with its pid, its
   * key), 0 if unknown; via when the program called os.fork itself (absent: a multiprocessing Process)
   */
  fork: 'os.fork',
  /**
   * x: {child, start, via: 'subprocess' | 'spawn' | 'posix_spawn' | 'forkserver' | 'resource_tracker' |
   * 'forkserver_server'}: a child started with no os.fork in this process (subprocess.Popen, multiprocessing's
   * spawn start method, os.posix_spawn; a Process the forkserver forked, reported by the parent that asked
   * for it; multiprocessing's own helper processes)
   */
  spawn: 'process.spawn',
  /** x: {child, status, exitCode, signal, core?} */
  wait: 'os.wait',
  /**
   * ch "queue:<reader pipe inode>", x: {maxsize, type: Queue|JoinableQueue|SimpleQueue, sems: the /dev/shm
   * inodes of the queue's own locks and semaphores (the kernel's view names them as the queue's)}
   */
  queueNew: 'queue.new',
  /** pv pickle, x: {depth} */
  queuePut: 'queue.put',
  queueGet: 'queue.get',
  /** ch "conn:<inode of this end>", pv pickle or bytes */
  connSend: 'conn.send',
  connRecv: 'conn.recv',
  /**
   * ch "shared:<arena inode>:<offset>" (Value/Array), "shm:<name>" (SharedMemory/ShareableList, no
   * leading "/"), "mmap:<file inode>[:<offset>]" or "mmap:anon:<pid>:<address>"; x: {type: Value|Array|
   * RawValue|RawArray|SharedMemory|ShareableList|mmap, typecode ("i", "d", "c", … or ""), length,
   * itemsize, lock: bool, name? (shm name or mapped file path), create? (SharedMemory), items? (ShareableList)}
   * size = bytes of the object; pv = its contents (≤ IMAGE_BYTES).
   */
  sharedNew: 'shared.new',
  /** A write seen as it happened (Value/Array): pv bytes written, x: {offset, index?, value?} (value: a number or short text). */
  sharedWrite: 'shared.write',
  /** Contents as sampled or at close: pv bytes from x.offset (≤ IMAGE_BYTES), x: {offset} */
  sharedImage: 'shared.image',
  /**
   * ch "sem:<semaphore name>", x: {type: Lock|RLock|Semaphore|BoundedSemaphore|Condition|Event|Barrier, value, maxvalue,
   * inode? (Lock…Condition: of the /dev/shm file it is mapped from, as the kernel's view names it)}
   */
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
  /** ch "fifo:<inode>", x: {path, abspath? (the path made absolute when created, for the leak check)} */
  osMkfifo: 'os.mkfifo',
  /** os.write / os.read on a pipe or FIFO fd: pv bytes */
  pipeWrite: 'pipe.write',
  pipeRead: 'pipe.read',
  /** ch "sock:<inode of the lower end>-<inode of the higher end>" for socketpair, "tcp:<a>|<b>" (sorted addresses) or "unix:<path>"; x: {family, type} */
  socketNew: 'socket.new',
  /** pv bytes, x: {peer?} */
  socketSend: 'socket.send',
  socketRecv: 'socket.recv',
  /**
   * A thread stopped at a gate (breakpoint, pause, step, entry, data change), waiting for `resume`.
   * x: {stop, reason: breakpoint|pause|step|entry, bps: [id], op: send|recv|write|change|entry, thread,
   * process, frames: [[function, file, line], …] innermost first, msg (repr, bounded), msgType, logs:
   * [[bp id, text, has hit condition]], old?/new?/index? (change)}
   */
  debugStop: 'debug.stop',
  /** Logpoints hit without stopping: x: {logs: [[bp id, text, 0]]} */
  debugLog: 'debug.log',
  /** A breakpoint condition that does not parse or raised (reported once): x: {bp, message} */
  debugError: 'debug.error',
  /** The answer to a variables/evaluate command: x: {req, vars?: [DebugVariable], var?, error?} */
  debugReply: 'debug.reply',
  /**
   * A gate met a channel it has no name for while a function breakpoint names channels by variable:
   * ch. The debugger answers with a config whose names include ch ("" when it has none); the gate
   * waits for it, at most NAME_WAIT_MS.
   */
  debugName: 'debug.name',
  /** SharedMemory.unlink() (the name is gone from /dev/shm): ch "shm:<name>", x: {name} */
  shmUnlink: 'shm.unlink',
  /** os.unlink / os.remove of a FIFO by the user's code: ch "fifo:<inode>", x: {path} */
  fifoUnlink: 'fifo.unlink',
  /**
   * A Queue.get / Connection.recv / Process.join that has been blocked for a while (reported by the
   * sender thread after 0.2 s; ts = when the call began): ch = its channel ("" for join), loc = the
   * user's line, x: {op: get|put|recv|recv_bytes|join, pid? (join: the child), tid? (the thread's native id)}.
   * put only for a bounded Queue (waiting for room). Then op.unblock when it returns.
   */
  opBlock: 'op.block',
  /** x: {op} */
  opUnblock: 'op.unblock',
} as const;

/**
 * Frames from the hub to a runtime are DEBUG_TAG + marshal of a dict whose "t" is a RuntimeCommand.
 * The hub sends `config` right after `welcome` (debugger: false when none is attached) and whenever
 * the breakpoints change.
 */
export const DEBUG_TAG = 0x44;

export const RuntimeCommands = {
  /** {debugger: bool, lines: [bp + file, line], send: [bp], recv: [bp], channels: [bp + pattern], data: [bp + ch, index], names: {channel id: name}} */
  config: 'config',
  /** {stop (0: every stopped thread), how: continue|step} */
  resume: 'resume',
  /** Stop at the next send or receive. */
  pause: 'pause',
  /** {req, stop, scope?: message|locals|globals, frame?, ref?} */
  variables: 'variables',
  /** {req, stop, frame, expr} */
  evaluate: 'evaluate',
} as const;

/** A breakpoint as the runtime gets it: cond and log are Python; hit: the debugger counts hits. */
export interface RuntimeBreakpoint {
  id: number;
  cond?: string;
  log?: string;
  hit?: boolean;
  /** Only this operation (line breakpoints on a line that both sends and receives stop on either). */
  op?: 'send' | 'recv' | 'write' | 'change';
}

export interface DebugVariable {
  name: string;
  value: string;
  type: string;
  /** > 0: has children, ask `variables` with this ref */
  ref: number;
  /** A shared Value/Array: its channel and element count (a data breakpoint can watch it). */
  ch?: string;
  length?: number;
}

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
  /** IPCSCOPE_DEBUG of the process: the debug session that launched it, "" when none. */
  debug?: string;
  /** /proc/self/comm and /proc/self/cmdline, when readable: a process no scan caught is still listed as ps would. */
  comm?: string;
  cmdline?: string[];
}

export interface RuntimeEvent {
  /** kind */
  k: EventKind;
  /** channel id, the same in every process holding the object ("queue:123456"), or "" */
  ch: string;
  /** sequence number of this event from its process (given by the hub, in arrival order) */
  n: number;
  /** CLOCK_MONOTONIC, ns (comparable across processes of one machine) */
  ts: number;
  /** source location of the user's call, "file.py:42", or "" */
  loc: string;
  /** payload size in bytes, or -1 */
  size: number;
  /** base64 of the bounded payload preview (pickled or raw), or "" */
  pv: string;
  /** preview format: "pickle" | "bytes" | "" */
  pf: string;
  /** kind-specific extras (depth, maxsize, child pid, status, …) */
  x?: Record<string, number | string | boolean | null>;
}

/**
 * On the wire an event is a tuple of these fields, in this order: kind, channel, CLOCK_MONOTONIC ns,
 * location as (file, line) or None, size, preview bytes, preview format, extras dict or None.
 */
export const EVENT_FIELDS = ['k', 'ch', 'ts', 'loc', 'size', 'pv', 'pf', 'x'] as const;

/** The only frame of a connection that reports the events a process could not send (see the top of this file). */
export interface LostFrame {
  t: 'lost';
  v: number;
  token: string;
  pid: number;
  start: number;
  lost: number;
}

export type RuntimeFrame = HelloFrame | LostFrame;

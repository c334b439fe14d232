/**
 * The wire protocol of IPC Scope, declared once.
 *
 * - `ProcessInfo`, `Snapshot`, `ProcessDelta`: the process model as the server sends it.
 * - `LspMethods`: custom LSP requests and notifications between extension and server (namespaced `ipcScope/`).
 * - `HostToWebview`, `WebviewToHost`: messages between the extension host and the panel.
 *
 * Bump PROTOCOL_VERSION when a shape changes incompatibly; every side checks it.
 */

import type { PausedProcess } from './debug';

export const PROTOCOL_VERSION = 1;

/** A process is identified by pid + start time (clock ticks after boot): pids wrap. */
export type ProcessKey = string;

export function processKey(pid: number, startTicks: number): ProcessKey {
  return `${pid}@${startTicks}`;
}

export interface ZombieInfo {
  /** The parent that has not called wait(). */
  parentPid: number;
  parentName: string;
  /** One line: what happened. */
  explanation: string;
  /** One line: how to fix it. */
  fix: string;
}

export interface OrphanInfo {
  /** The parent it had when we first saw it, if we saw it. */
  originalPpid: number | null;
  originalParentName: string | null;
  /** Who adopted it: init of the pid namespace, or a subreaper. */
  adoptedBy: number;
  adopterKind: 'init' | 'subreaper';
  /** True when we never saw the original parent and inferred orphanhood from the process group. */
  inferred: boolean;
  explanation: string;
  fix: string;
}

export interface EndInfo {
  /** Wall-clock ms when we noticed it was gone. */
  at: number;
  exitCode: number | null;
  signal: number | null;
  signalName: string | null;
  coreDumped: boolean;
  /** "exited with code 3", "killed by SIGKILL", "ended (status not seen: reaped between polls)". */
  description: string;
}

export interface ProcessInfo {
  key: ProcessKey;
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** Controlling terminal as ps prints it ("pts/0", "tty1") or "?" */
  tty: string;
  tpgid: number;
  /** First STAT letter: R S D T t Z X I (W, P in old kernels). */
  state: string;
  /** STAT exactly as `ps -o stat=` prints it, e.g. "Ssl+". */
  stat: string;
  nice: number;
  threads: number;
  rssKb: number;
  vszKb: number;
  /** CPU% over the last refresh interval (100 = one full core). */
  cpuPercent: number;
  /** utime + stime, ms. */
  cpuTimeMs: number;
  /** Start time, clock ticks after boot (identity). */
  startTicks: number;
  /** Start time, epoch ms. */
  startedAt: number;
  uid: number;
  user: string;
  /** Kernel command name (comm), at most 15 bytes. */
  name: string;
  /** argv; empty for kernel threads and zombies; null if unreadable. */
  argv: string[] | null;
  /** Display command line: argv joined, or [name] when there is none. */
  command: string;
  /** Kernel wait channel ("do_wait", "pipe_read"), "" when running or unknown. */
  wchan: string;
  /** Human words for what it is blocked on, "" when running or unknown. */
  blockedOn: string;
  /** Some /proc entries could not be read (other user, vanished mid-read). */
  restricted: boolean;
  restrictedReason: string | null;
  /** Part of the watched program's tree. */
  inProgram: boolean;
  zombie: ZombieInfo | null;
  orphan: OrphanInfo | null;
  /** Set on processes that have ended (kept for a while so the user sees how). */
  ended: EndInfo | null;
}

export type Scope = 'program' | 'system';

export interface WatchTarget {
  /** Root pid of the watched tree. */
  pid: number;
  /** Its key when first seen. */
  key: ProcessKey | null;
  label: string;
  /** True when started by "Run Python File with IPC Scope". */
  launched: boolean;
}

export interface SnapshotStats {
  processes: number;
  zombies: number;
  orphans: number;
  restricted: number;
  /** Time the last /proc scan took, ms. */
  scanMs: number;
}

export interface Snapshot {
  version: number;
  seq: number;
  takenAt: number;
  scope: Scope;
  watch: WatchTarget | null;
  processes: ProcessInfo[];
  /** Processes that ended recently, newest last. */
  ended: ProcessInfo[];
  stats: SnapshotStats;
}

export interface ProcessDelta {
  version: number;
  /** Applies to the state after `baseSeq`; otherwise ask for a snapshot. */
  baseSeq: number;
  seq: number;
  takenAt: number;
  added: ProcessInfo[];
  /** Full replacement records. */
  changed: ProcessInfo[];
  removed: ProcessKey[];
  /** Processes that ended in this interval, with EndInfo set. */
  ended: ProcessInfo[];
  stats: SnapshotStats;
}

export interface StatusInfo {
  watch: WatchTarget | null;
  scope: Scope;
  processes: number;
  zombies: number;
  orphans: number;
  /** Set while the watched program is over: how it ended. */
  programEnded: EndInfo | null;
}

export interface ProcessChoice {
  pid: number;
  name: string;
  command: string;
  user: string;
  stat: string;
}

/** Bounds of what the server sends about channels (every list is capped; counts are exact). */
export const ChannelLimits = {
  /** Channels sent at most (the most recently active); the rest are counted in `omitted`. */
  channels: 200,
  /** Newest messages / operations / calls / writes kept per channel. */
  recent: 20,
  /** Items shown as a queue's or pipe's contents (written, not yet read). */
  pending: 50,
  /** Messages in the timeline, across channels. */
  timeline: 200,
  /** Typed values decoded for a Value/Array. */
  values: 256,
} as const;

export type ChannelKind = 'queue' | 'pipe' | 'socket' | 'shared' | 'sync' | 'manager' | 'pool';

/** One message seen on a queue, pipe or socket (from the runtime, decoded safely by the server). */
export interface MessageInfo {
  /** Unique among the messages of one server run (timeline links refer to it). */
  id: number;
  /** Channel it was seen on. */
  ch: string;
  /** CLOCK_MONOTONIC ns */
  ts: number;
  pid: number;
  /** put, get, send, recv, write, read */
  op: string;
  /** put/send/write (true) or get/recv/read (false) */
  write: boolean;
  /** Python-like text made by the restricted decoder (never by unpickling). */
  preview: string;
  size: number;
  truncated: boolean;
  /** file:line of the user's call */
  loc: string;
  /**
   * Its place in its stream, 1-based: the k-th write into a FIFO stream is the k-th read out of it.
   * 0 until ordered. A stream is a queue, a pipe, or one direction of a duplex Pipe or a socket.
   */
  seq: number;
  /** The matching read (for a write) or write (for a read), when both are known; else null. */
  link: number | null;
}

interface ChannelCommon {
  id: string;
  kind: ChannelKind;
  /** Queue, JoinableQueue, SimpleQueue, Connection, os.pipe, FIFO, socket, Value, Array, SharedMemory, Lock, dict, Pool, … */
  type: string;
  /** A name for people: "Pool tasks", a FIFO's path, a SharedMemory's name; "" when none. */
  label: string;
  /** Where it was created (file:line), if seen. */
  createdAt: string;
  /** Pids that used it. */
  holders: number[];
  /** Events seen on it (all kinds). */
  events: number;
  /** Events per second over the last refresh interval. */
  rate: number;
  /** CLOCK_MONOTONIC ns of its newest event. */
  lastTs: number;
}

/** A queue, a pipe (multiprocessing Connection, os.pipe, FIFO) or a socket. */
export interface MessageChannelInfo extends ChannelCommon {
  kind: 'queue' | 'pipe' | 'socket';
  /** Items waiting: the runtime's count for queues, else written − read; null when unknown. */
  depth: number | null;
  maxsize: number | null;
  /** Messages written (put/send/write) and read (get/recv/read). */
  written: number;
  read: number;
  /** The newest messages, oldest first (≤ ChannelLimits.recent). */
  recent: MessageInfo[];
  /** Written and not yet read, oldest first (≤ ChannelLimits.pending): a queue's contents. */
  pending: MessageInfo[];
  /** The other end of a duplex Pipe (each end of a socketpair-backed Connection has its own id), when paired. */
  peer: string | null;
  /** The pool whose task or result queue this is. */
  pool: string | null;
  /** Calls blocked on it for 0.2 s or more (a put on a full queue, a get or recv with nothing to read), oldest first. */
  blocked: BlockedCallInfo[];
}

/** A put, get, recv or recv_bytes the runtime reports blocked on a channel. */
export interface BlockedCallInfo {
  pid: number;
  /** put | get | recv | recv_bytes */
  op: string;
  /** CLOCK_MONOTONIC ns when the call began. */
  since: number;
  /** file:line of the user's call. */
  loc: string;
}

/** One write seen into a shared object (Value/Array assignments). */
export interface SharedWriteInfo {
  ts: number;
  pid: number;
  /** Byte offset in the object, and element index when known. */
  offset: number;
  index: number | null;
  /** The value written, as text ("42", "2.5", "b'x'"), or the bytes' preview. */
  value: string;
  loc: string;
}

/** Value, Array (RawValue, RawArray), SharedMemory, ShareableList, mmap. */
export interface SharedChannelInfo extends ChannelCommon {
  kind: 'shared';
  /** Array-module / ctypes typecode ("i", "d", "c", …) or "" for raw bytes. */
  typecode: string;
  /** Elements (1 for a Value), and bytes per element. */
  length: number;
  itemsize: number;
  /** Bytes of the object. */
  size: number;
  /** Created with a lock (synchronized wrapper). */
  lock: boolean;
  /**
   * Typed values decoded from the image (little-endian, native Linux x86-64 sizes; a ShareableList's
   * items from its own layout), ≤ ChannelLimits.values; null when unknown.
   */
  values: string[] | null;
  /** Hex of the known contents from offset 0 (≤ IMAGE_BYTES bytes); bytes never seen are "00". */
  image: string;
  /** Bytes of `image` that were ever seen (the rest is unknown). */
  imageKnown: number;
  /** Byte offsets that changed in this object's last update, ascending. */
  changed: number[];
  /** Indexes of `values` whose bytes changed in the last update. */
  changedValues: number[];
  writes: number;
  lastWriter: number | null;
  /** Source line of the last write. */
  lastLoc: string;
  recent: SharedWriteInfo[];
}

export interface SyncOpInfo {
  ts: number;
  pid: number;
  /** acquire, block, release, wait, notify, notify_all, set, clear, timeout */
  op: string;
  value: number | null;
  /** How long an acquire waited, ms (null when not reported). */
  waitedMs: number | null;
  loc: string;
}

/** Lock, RLock, Semaphore, BoundedSemaphore, Condition, Event, Barrier. */
export interface SyncChannelInfo extends ChannelCommon {
  kind: 'sync';
  value: number | null;
  maxvalue: number | null;
  /** Event's flag; null for other types. */
  flag: boolean | null;
  /** Pids holding it: acquired and not released, with how many times. */
  owners: Array<{ pid: number; count: number }>;
  /** Pids blocked in acquire() or wait(). */
  waiters: number[];
  acquires: number;
  /** Acquires that had to wait. */
  contended: number;
  recent: SyncOpInfo[];
}

export interface ManagerCallInfo {
  ts: number;
  pid: number;
  method: string;
  /** Arguments, decoded safely. */
  args: string;
  loc: string;
}

/** An object held by a multiprocessing Manager (dict, list, Namespace, Queue, …). */
export interface ManagerChannelInfo extends ChannelCommon {
  kind: 'manager';
  typeid: string;
  /** The object's latest contents, decoded safely ("" until the manager reported it). */
  state: string;
  stateTruncated: boolean;
  stateSize: number;
  length: number | null;
  calls: number;
  recent: ManagerCallInfo[];
}

/** A multiprocessing Pool; its task and result queues are channels of their own. */
export interface PoolChannelInfo extends ChannelCommon {
  kind: 'pool';
  processes: number | null;
  /** Channel ids of its task and result queues. */
  tasks: string | null;
  results: string | null;
}

export type ChannelInfo = MessageChannelInfo | SharedChannelInfo | SyncChannelInfo | ManagerChannelInfo | PoolChannelInfo;

export interface TimelineInfo {
  /** The newest messages across queues, pipes and sockets (≤ ChannelLimits.timeline), by time. */
  messages: MessageInfo[];
}

export interface ChannelsUpdate {
  /** True: `channels` is every channel shown (replace). False: only those that changed (merge by id). */
  full: boolean;
  channels: ChannelInfo[];
  /** Ids no longer shown. */
  removed: string[];
  /** The timeline, or null when it did not change. */
  timeline: TimelineInfo | null;
  /** Channels known but not sent (over ChannelLimits.channels). */
  omitted: number;
  /** Events the hub received, and those it or the runtimes could not keep (counted, never silent). */
  received: number;
  dropped: number;
  protocolErrors: number;
}

export interface RuntimeEnvResult {
  /** Environment for a program run under the runtime: hub socket, token, PYTHONPATH. */
  env: Record<string, string>;
  runtimeDir: string;
}

// ---- custom LSP methods --------------------------------------------------------

export interface SnapshotParams { scope?: Scope; pid?: number }
export interface WatchParams { pid: number; label?: string; launched?: boolean }
export interface WatchResult { ok: boolean; message: string; watch: WatchTarget | null }
export interface ConfigureParams { refreshIntervalMs: number; scope: Scope }
export interface VisibilityParams { visible: boolean }

export const LspMethods = {
  /** request, client → server: SnapshotParams → Snapshot */
  snapshot: 'ipcScope/snapshot',
  /** request: WatchParams → WatchResult */
  watch: 'ipcScope/watch',
  /** request: {} → WatchResult */
  stopWatching: 'ipcScope/stopWatching',
  /** request: {} → ProcessChoice[] */
  listProcesses: 'ipcScope/listProcesses',
  /** notification, client → server: ConfigureParams */
  configure: 'ipcScope/configure',
  /** notification, client → server: VisibilityParams. The server polls only while a view is visible or a program is watched. */
  setVisible: 'ipcScope/setVisible',
  /** notification, server → client: Snapshot (full state; after a watch change or a lost delta) */
  reset: 'ipcScope/reset',
  /** notification, server → client: ProcessDelta */
  delta: 'ipcScope/delta',
  /** notification, server → client: StatusInfo */
  status: 'ipcScope/status',
  /** request: {} → RuntimeEnvResult (what a program needs to report to this server's hub) */
  runtimeEnv: 'ipcScope/runtimeEnv',
  /** notification, server → client: ChannelsUpdate (full or changed channels) */
  channels: 'ipcScope/channels',
  /** request: {} → ChannelsUpdate with every channel (full: true), e.g. when the panel (re)loads */
  channelsSnapshot: 'ipcScope/channelsSnapshot',
  /** notification, server → client: OsIpcUpdate (the kernel's view of IPC, blocked-on, deadlocks) after each refresh */
  osIpc: 'ipcScope/osIpc',
  /** request: {} → OsIpcUpdate, the latest (a panel that (re)loads) */
  osIpcSnapshot: 'ipcScope/osIpcSnapshot',
} as const;

// ---- webview messages ------------------------------------------------------------

export type HostToWebview =
  | { type: 'reset'; snapshot: Snapshot }
  | { type: 'delta'; delta: ProcessDelta }
  | { type: 'status'; status: StatusInfo }
  | { type: 'channels'; update: ChannelsUpdate }
  /** Processes the debugger stopped (protocol/debug.ts), [] when none. */
  | { type: 'paused'; paused: PausedProcess[] }
  | { type: 'osIpc'; update: OsIpcUpdate }
  | { type: 'error'; message: string }
  | { type: 'revealChannel'; id: string };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'refresh' }
  | { type: 'runFile' }
  | { type: 'watchProcess' }
  | { type: 'stopWatching' }
  | { type: 'copySnapshot' }
  | { type: 'setScope'; scope: Scope }
  | { type: 'continueProcess'; pid: number }
  | { type: 'openLocation'; loc: string };

// ---- run records: the leak report at a program's end, saved runs -------------------------------

/** What a program left behind when its main process ended. */
export type LeakKind = 'shm' | 'semaphore' | 'fifo' | 'mqueue' | 'zombie' | 'running';

export interface LeakItem {
  kind: LeakKind;
  /** The object's name (SharedMemory name, FIFO path, "/name" of a queue) or the process's "pid 12 name". */
  name: string;
  /** Where it is in the file system (/dev/shm/…, the FIFO's path), or null for processes. */
  path: string | null;
  /** The process that created it, or the process itself; null when unknown. */
  pid: number | null;
  /** file:line of its creation (the fork / Process.start for a process); "" when not seen by the runtime. */
  createdAt: string;
  /** One line: what is left ("still in /dev/shm, 8 bytes", "a zombie: pid 12 never waited for it"). */
  detail: string;
  /** One line: how to fix it. */
  fix: string;
}

export interface LeakReport {
  /** The watched program's label. */
  program: string;
  /** Pid of its main process. */
  mainPid: number | null;
  /** Wall-clock ms when the report was made. */
  at: number;
  /** Leaks, objects first, then processes (≤ LeakLimits.items; `omitted` counts the rest). */
  items: LeakItem[];
  omitted: number;
  /** What was looked at and how ("/dev/shm", "/dev/mqueue: not mounted"), so an empty report says what it covers. */
  checked: string[];
}

export const LeakLimits = {
  items: 200,
} as const;

/** The version of a saved run file (`ipc-scope run --trace`'s sibling, "Export Run as JSON…"). */
export const SAVED_RUN_FORMAT = 'ipc-scope-run';
export const SAVED_RUN_VERSION = 1;

/** One state a process was seen in, from `at` until the next one (or its end). */
export interface StateSpan {
  key: ProcessKey;
  /** Wall-clock ms when first seen in this state. */
  at: number;
  stat: string;
  /** wchan words when blocked, else "". */
  blockedOn: string;
}

/** Bounds of a saved run, on export and on load (a bigger file is refused with a clear error). */
export const SavedRunLimits = {
  bytes: 64 << 20,
  processes: 5000,
  states: 100_000,
  channels: ChannelLimits.channels,
  /** Messages per channel list and in the timeline. */
  messages: 5000,
  /** Characters of any one string. */
  text: 16_384,
} as const;

/** A run as saved to a file: everything the panel needs to show it again, read-only. */
export interface SavedRun {
  format: typeof SAVED_RUN_FORMAT;
  version: number;
  /** Wall-clock ms when saved. */
  savedAt: number;
  label: string;
  watch: WatchTarget | null;
  /** Processes alive when saved, and those that ended (with EndInfo). */
  processes: ProcessInfo[];
  ended: ProcessInfo[];
  /** State changes seen, oldest first. */
  states: StateSpan[];
  channels: ChannelInfo[];
  timeline: TimelineInfo;
  /** Wall-clock ms minus CLOCK_MONOTONIC ms at save time: puts message times (ns) on the process clock. */
  monoToWallMs: number;
  leaks: LeakReport | null;
}

export type ExportFormat = 'trace' | 'json';
/** `run`: export this saved run (the one on screen) instead of the live one. */
export interface ExportRunParams { format: ExportFormat; run?: SavedRun }
export interface ExportRunResult { text: string; processes: number; messages: number }
export interface LoadRunParams { text: string }
/** `run` when ok; else `message` says why it could not be read. */
export interface LoadRunResult { ok: boolean; run: SavedRun | null; message: string }

export const RunRecordMethods = {
  /** notification, server → client: LeakReport, once per run, when the watched program's main process has ended */
  leakReport: 'ipcScope/leakReport',
  /** request: ExportRunParams → ExportRunResult (the current run as Chrome Trace JSON or as a SavedRun) */
  exportRun: 'ipcScope/exportRun',
  /** request: LoadRunParams → LoadRunResult (a saved run checked and bounded; never evaluated) */
  loadRun: 'ipcScope/loadRun',
} as const;

/** Messages for the leak report and saved runs (kept apart from the live ones above). */
export type RunRecordToWebview =
  | { type: 'leaks'; report: LeakReport | null }
  | { type: 'savedRun'; fileName: string; run: SavedRun }
  | { type: 'live' };

export type RunRecordFromWebview = { type: 'closeSavedRun' } | { type: 'exportRun'; format: ExportFormat };

// ---- language features (diagnostics, quick fixes, code lenses, live hovers) ----------------

/** The diagnostics the language server gives on Python source; each has a setting `ipcScope.diagnostics.<id>`. */
export const LanguageRules = [
  'unguardedProcess',
  'unjoinedProcess',
  'forkWithoutWait',
  'unlockedSharedUpdate',
  'resourceNeverUnlinked',
  'blockingReceiveLoop',
  'joinBeforeDrain',
  'wrongPipeEnd',
] as const;
export type LanguageRule = (typeof LanguageRules)[number];

/** A rule's setting: off, or the severity its diagnostics get. */
export type RuleLevel = 'off' | 'error' | 'warning' | 'information' | 'hint';

export interface LanguageSettings {
  /** Rules not listed keep their default level. */
  rules: Partial<Record<LanguageRule, RuleLevel>>;
}

export const LanguageMethods = {
  /** notification, client → server: LanguageSettings (diagnostics are recomputed). */
  configure: 'ipcScope/configureLanguage',
} as const;

/** Commands the language server's code lenses and hovers name (the extension implements them). */
export const LanguageCommands = {
  /** args: [file URI string] */
  run: 'ipcScope.runPythonFile',
  /** args: [file URI string] */
  debug: 'ipcScope.debugPythonFile',
  /** args: [channel id]: reveals the channel in the panel (HostToWebview 'revealChannel'). */
  revealChannel: 'ipcScope.revealChannel',
  /** args: ["file:line", a channel's createdAt]: opens the file at that line (the panel asks with WebviewToHost 'openLocation'). */
  openLocation: 'ipcScope.openLocation',
} as const;

// ---- the OS view of IPC: what the kernel knows, for any process ---------------------------------

/** pipe, FIFO, Unix or TCP socket, POSIX shm / named semaphore / message queue, System V shm / msg / sem. */
export type OsIpcKind = 'pipe' | 'fifo' | 'unix' | 'tcp' | 'shm' | 'sem' | 'mqueue' | 'sysv-shm' | 'sysv-msg' | 'sysv-sem';

export interface OsIpcHolder {
  pid: number;
  /** The fd it holds the object by; null when it only maps it or the kernel names it (SysV). */
  fd: number | null;
  /** r/w/rw from the fd's open flags (fdinfo); map: mapped (maps); created/sent/received: SysV cpid/lspid/lrpid. */
  mode: 'r' | 'w' | 'rw' | 'map' | 'created' | 'sent' | 'received';
}

export interface OsIpcObject {
  /** As /proc shows it: "pipe:[4711]", "socket:[88]", "shm:/psm_1", "sysv-shm:32769". */
  id: string;
  kind: OsIpcKind;
  /** Inode (pipes, FIFOs, sockets, files) or SysV id; 0 when none. */
  inode: number;
  /** For people: a FIFO's or socket's path, a segment's name, TCP addresses. */
  label: string;
  /** One line of kernel facts: size, state, queued bytes. */
  detail: string;
  /** Bytes (shm, SysV shm), queued bytes (mqueue, SysV msg); null when not known. */
  size: number | null;
  holders: OsIpcHolder[];
  /** The other end of a connected socket (its id), when known. */
  peer: string | null;
  /** The runtime channel that is this object ("queue:4711"), when the program runs under the runtime. */
  channel: string | null;
  /** That channel's type and name ("Queue", "Pool tasks"), "" when none. */
  channelLabel: string;
}

export interface OsIpcEdge {
  /** Writer (or one side) → reader (or the other side). */
  from: number;
  to: number;
  object: string;
  kind: OsIpcKind;
  /** one-way: a pipe/FIFO; both: a connected socket pair; shared: both map the same memory. */
  direction: 'one-way' | 'both' | 'shared';
  /** "pid 12 writes → pid 13 reads, pipe:[4711]" */
  text: string;
}

export interface BlockedThread {
  tid: number;
  /** Syscall name ("read", "wait4", "futex") or "" when not in a syscall. */
  syscall: string;
  /** The fd it is blocked on (read/write/recv/send/accept…), and the object behind it. */
  fd: number | null;
  object: string | null;
  /** It will wake up by itself (a sleep, a timeout). */
  timed: boolean;
  /** "read(fd 5 → pipe:[4711])", "wait4(pid 13)", "futex (untimed)" */
  text: string;
  /** One of IPC Scope's runtime threads (its sender, its command reader), not the program's own. */
  runtime?: boolean;
}

export interface BlockedInfo {
  pid: number;
  /** The kernel wait channel of the process (its main thread). */
  wchan: string;
  /** Its sleeping threads (a thread that runs is not listed). */
  threads: BlockedThread[];
  /** One line: what the process waits for, in words. */
  text: string;
  /** The Python operation the runtime reports it blocked in ("q.get() on Queue 'results' at prog.py:42"), "" when none. */
  python: string;
}

export interface DeadlockInfo {
  /** Stable while the same processes stay stuck. */
  id: string;
  /** "Deadlock: pid 12 and pid 13 wait on each other" */
  title: string;
  /** The processes in the cycle (or waiting on a pipe/queue nobody can write). */
  pids: number[];
  /** Processes not in the cycle but waiting on it (a parent join()ing, a shell). */
  waiting: number[];
  /** Objects on the cycle (ids). */
  objects: string[];
  /** One line per stuck process: what it waits for and why nobody can give it. */
  explanation: string[];
  /** Source lines involved (file:line), when the runtime reported them. */
  lines: string[];
  fix: string;
  /** Wall-clock ms when first confirmed. */
  since: number;
}

export interface OsIpcUpdate {
  takenAt: number;
  /** Objects held by at least one process in view (≤ OsIpcLimits.objects). */
  objects: OsIpcObject[];
  edges: OsIpcEdge[];
  /** Processes in view that are sleeping in a syscall. */
  blocked: BlockedInfo[];
  deadlocks: DeadlockInfo[];
  /** Processes whose fds or syscall could not be read (another user's, or vanished), with why. */
  restricted: Array<{ pid: number; reason: string }>;
  /** Objects and edges not sent (over the limits). */
  omitted: number;
  /** Time the last gathering took, ms. */
  gatherMs: number;
  /** What could not be looked at on this machine ("no /dev/mqueue", "ss missing: no socket peers"). */
  notes: string[];
}

export const OsIpcLimits = { objects: 2000, edges: 2000 } as const;

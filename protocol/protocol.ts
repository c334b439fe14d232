/**
 * The wire protocol of IPC Scope, declared once.
 *
 * - `ProcessInfo`, `Snapshot`, `ProcessDelta`: the process model as the server sends it.
 * - `LspMethods`: custom LSP requests and notifications between extension and server (namespaced `ipcScope/`).
 * - `HostToWebview`, `WebviewToHost`: messages between the extension host and the panel.
 *
 * Bump PROTOCOL_VERSION when a shape changes incompatibly; every side checks it.
 */

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

/** One message seen on a channel (from the runtime, decoded safely by the server). */
export interface MessageInfo {
  /** CLOCK_MONOTONIC ns */
  ts: number;
  pid: number;
  /** put, get, send, recv */
  op: string;
  /** Python-like text made by the restricted decoder (never by unpickling). */
  preview: string;
  size: number;
  truncated: boolean;
  /** file:line of the user's call */
  loc: string;
}

/** A queue or pipe as the runtime reports it, the same object in every process that holds it. */
export interface ChannelInfo {
  id: string;
  kind: 'queue' | 'pipe';
  /** Queue, JoinableQueue, SimpleQueue, Connection */
  type: string;
  /** Where it was created (file:line), if seen. */
  createdAt: string;
  /** Pids that used it. */
  holders: number[];
  /** Items waiting (queues), or null when unknown. */
  depth: number | null;
  maxsize: number | null;
  /** Messages written (put/send) and read (get/recv). */
  written: number;
  read: number;
  /** Messages per second over the last refresh interval. */
  rate: number;
  /** The newest messages, oldest first. */
  recent: MessageInfo[];
}

export interface ChannelsUpdate {
  channels: ChannelInfo[];
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
  /** notification, server → client: ChannelsUpdate */
  channels: 'ipcScope/channels',
} as const;

// ---- webview messages ------------------------------------------------------------

export type HostToWebview =
  | { type: 'reset'; snapshot: Snapshot }
  | { type: 'delta'; delta: ProcessDelta }
  | { type: 'status'; status: StatusInfo }
  | { type: 'channels'; update: ChannelsUpdate }
  | { type: 'error'; message: string };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'refresh' }
  | { type: 'runFile' }
  | { type: 'watchProcess' }
  | { type: 'stopWatching' }
  | { type: 'copySnapshot' }
  | { type: 'setScope'; scope: Scope };

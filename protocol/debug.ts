/**
 * Debugging, declared once: the `ipcscope` launch/attach configuration, the frames between a debugger
 * (the debug adapter) and the hub, and what the extension hears from the adapter.
 *
 * A debugger connects to the hub's socket and sends `hello` with role "debugger" and the token; the
 * hub answers `welcome` (processes connected so far, threads stopped), then relays: debugger frames
 * (JSON) become runtime commands (protocol/runtime.ts RuntimeCommands), runtime debug.* events come
 * back as `debug` frames. DAP threads are processes: a thread id is a pid.
 */
import type { ChannelInfo } from './protocol';
import type { DebugVariable, RuntimeBreakpoint } from './runtime';

export const DEBUG_TYPE = 'ipcscope';

export interface LaunchArguments {
  program: string;
  args?: string[];
  cwd?: string;
  env?: Record<string, string>;
  /** The Python interpreter (3.10+); default python3. */
  python?: string;
  /** multiprocessing start method for the program: fork, spawn or forkserver. */
  startMethod?: 'fork' | 'spawn' | 'forkserver';
  stopOnEntry?: boolean;
  /** Stop every process when one stops (default: only the one that hit). */
  stopAll?: boolean;
  /** A hub to use instead of the adapter's own (the extension passes the language server's, so the panel sees the run). */
  hub?: { path: string; token: string };
  /** Where program output goes: the Debug Console (default) or the adapter's own stdout/stderr. */
  console?: 'debugConsole';
}

export interface AttachArguments {
  /** A process of a program running with the runtime; its hub is found in its environment. */
  pid?: number;
  hub?: { path: string; token: string };
  stopAll?: boolean;
}

/** What the adapter sends to the hub as the breakpoints (the runtime's config, less `debugger`). */
export interface DebuggerConfig {
  debugger: boolean;
  lines?: (RuntimeBreakpoint & { file: string; line: number })[];
  send?: RuntimeBreakpoint[];
  recv?: RuntimeBreakpoint[];
  channels?: (RuntimeBreakpoint & { pattern: string })[];
  data?: (RuntimeBreakpoint & { ch: string; index: number })[];
  /** channel id -> the user's name for it (for function breakpoints like queue:results) */
  names?: Record<string, string>;
}

/** Debugger -> hub. */
export type DebuggerFrame =
  /** session: the IPCSCOPE_DEBUG value of the program it launched (it then sees only that program); none for attach (every process of the hub). */
  | { t: 'hello'; v: number; token: string; role: 'debugger'; session?: string }
  | { t: 'config'; config: Omit<DebuggerConfig, 'debugger'> }
  | { t: 'resume'; pid: number; stop: number; how?: 'continue' | 'step' }
  | { t: 'pause'; pid: number }
  /** Channels as the hub's owner models them (all, or these ids). */
  | { t: 'channels'; req: number; ids?: string[] }
  | { t: 'request'; pid: number; req: number; command: { t: 'variables' | 'evaluate'; stop: number; scope?: string; frame?: number; ref?: number; expr?: string } };

export interface RelayProcess {
  pid: number;
  ppid: number;
  argv: string[];
  connected: boolean;
}

/** Hub -> debugger. */
export type RelayFrame =
  | { t: 'welcome'; processes: RelayProcess[]; paused: PausedProcess[] }
  | ({ t: 'process' } & RelayProcess)
  | { t: 'debug'; pid: number; k: string; ch: string; loc: string; ts: number; x: Record<string, unknown> }
  | { t: 'resumed'; pid: number; stop: number }
  | { t: 'channels'; req: number; channels: ChannelInfo[] };

/** A stopped thread, as the panel shows it. */
export interface PausedProcess {
  pid: number;
  stop: number;
  /** "file.py:42" */
  loc: string;
  reason: string;
  /** repr of the message, bounded */
  message: string;
  process: string;
  channel: string;
}

export interface DebugStopInfo {
  stop: number;
  reason: 'breakpoint' | 'pause' | 'step' | 'entry';
  bps: number[];
  op: 'send' | 'recv' | 'write' | 'change' | 'entry';
  thread: string;
  process: string;
  frames: [string, string, number][];
  msg: string;
  msgType: string;
  logs: [number, string, number][];
  old?: unknown;
  new?: unknown;
  index?: number;
}

export interface DebugReply {
  req: number;
  vars?: DebugVariable[];
  var?: DebugVariable;
  error?: string;
}

/** Custom DAP events and requests between the adapter and the extension. */
export const DebugCustom = {
  /** event body: {paused: PausedProcess[]} whenever the set of stopped processes changes */
  pausedEvent: 'ipcscope.paused',
  /** event body: {pid, program} — the adapter started the program (the launcher's pid) */
  launchedEvent: 'ipcscope.launched',
  /** request args: {pid} — continue every stopped thread of pid (the panel's Continue) */
  continueProcess: 'ipcscope.continueProcess',
} as const;

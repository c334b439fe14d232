/**
 * The hub's side of debugging: debuggers (the debug adapter, connected with a `hello` whose role is
 * "debugger") set breakpoints and send commands; the relay passes them to the runtimes (DEBUG_TAG +
 * marshal frames) and passes the runtimes' debug events back (JSON frames). It remembers which
 * processes are stopped, for the panel. When the last debugger leaves, every runtime is told there
 * is none: gates disarm and stopped threads resume (fail-open).
 *
 * A debugger that launched its program names its session (the program's IPCSCOPE_DEBUG): it then
 * debugs that program only, not others that report to the same hub. An attaching one debugs all.
 */
import { EventEmitter } from 'node:events';
import type * as net from 'node:net';
import { DEBUG_TAG, RuntimeCommands, EventKinds } from '../../../protocol/runtime';
import type { DebuggerFrame, DebuggerConfig, PausedProcess, RelayFrame } from '../../../protocol/debug';
import { encodeFrame } from './frames';
import { MarshalValue, writeMarshal } from './marshal';
import type { ChannelInfo } from '../../../protocol/protocol';
import type { HubClient, HubEvent } from './hub';

const NO_DEBUGGER: DebuggerConfig = { debugger: false };

export class DebugRelay extends EventEmitter {
  /** Debugger sockets, with the session they debug (undefined: every process). */
  private readonly debuggers = new Map<net.Socket, string | undefined>();
  private readonly runtimes = new Map<number, { socket: net.Socket; client: HubClient }>();
  private config: DebuggerConfig = NO_DEBUGGER;
  /** Set by whoever keeps the channel model fed by this hub (the language server, the adapter). */
  describeChannels: (ids?: string[]) => ChannelInfo[] = () => [];
  /** pid -> its stopped threads (stop id -> where), for the panel. */
  readonly paused = new Map<number, Map<number, PausedProcess>>();

  get active(): boolean {
    return this.debuggers.size > 0;
  }

  // ---- runtimes ----------------------------------------------------------------------------------

  runtimeConnected(socket: net.Socket, client: HubClient): void {
    this.runtimes.set(client.pid, { socket, client });
    socket.write(commandFrame({ t: RuntimeCommands.config, ...this.configFor(client) } as unknown as MarshalValue));
    this.toDebuggers({ t: 'process', pid: client.pid, ppid: client.ppid, argv: client.argv, connected: true }, client);
  }

  /** Is this process debugged by that debugger? */
  private debugs(session: string | undefined, client: HubClient): boolean {
    return session === undefined || session === client.debugSession;
  }

  private configFor(client: HubClient): DebuggerConfig {
    return [...this.debuggers.values()].some((session) => this.debugs(session, client)) ? this.config : NO_DEBUGGER;
  }

  runtimeDisconnected(client: HubClient): void {
    const current = this.runtimes.get(client.pid);
    if (current?.client !== client) return;
    this.runtimes.delete(client.pid);
    if (this.paused.delete(client.pid)) this.emit('paused');
    this.toDebuggers({ t: 'process', pid: client.pid, ppid: client.ppid, argv: client.argv, connected: false }, client);
  }

  /** A debug.* event from a runtime. */
  runtimeEvent(e: HubEvent): void {
    if (e.k === EventKinds.debugStop) {
      const x = (e.x ?? {}) as unknown as { stop: number; reason: string; msg: string; process: string };
      let stops = this.paused.get(e.pid);
      if (!stops) this.paused.set(e.pid, (stops = new Map()));
      stops.set(x.stop, { pid: e.pid, stop: x.stop, loc: e.loc, reason: x.reason, message: x.msg, process: x.process, channel: e.ch });
      this.emit('paused');
    }
    this.toDebuggers({ t: 'debug', pid: e.pid, k: e.k, ch: e.ch, loc: e.loc, ts: e.ts, x: e.x ?? {} }, this.runtimes.get(e.pid)?.client);
  }

  // ---- debuggers ---------------------------------------------------------------------------------

  debuggerConnected(socket: net.Socket, session?: string): void {
    this.debuggers.set(socket, session);
    const mine = [...this.runtimes.values()].filter(({ client }) => this.debugs(session, client));
    const processes = mine.map(({ client }) => ({ pid: client.pid, ppid: client.ppid, argv: client.argv, connected: true }));
    socket.write(encodeFrame({ t: 'welcome', processes, paused: this.pausedList().filter((p) => mine.some(({ client }) => client.pid === p.pid)) }));
  }

  debuggerDisconnected(socket: net.Socket): void {
    if (!this.debuggers.delete(socket) || this.debuggers.size) return;
    this.setConfig(NO_DEBUGGER);
    this.resume(0, 0);
  }

  /** A frame from a debugger; a string is why it is refused. */
  debuggerFrame(f: DebuggerFrame): string | null {
    switch (f.t) {
      case 'config':
        this.setConfig({ ...f.config, debugger: true });
        return null;
      case 'resume':
        this.resume(f.pid, f.stop, f.how);
        return null;
      case 'pause':
        for (const pid of f.pid ? [f.pid] : [...this.runtimes.keys()]) {
          const r = this.runtimes.get(pid);
          if (r && this.configFor(r.client).debugger) this.toRuntime(pid, { t: RuntimeCommands.pause });
        }
        return null;
      case 'request':
        if (!this.toRuntime(f.pid, { ...f.command, req: f.req } as unknown as MarshalValue)) {
          this.toDebuggers({ t: 'debug', pid: f.pid, k: EventKinds.debugReply, ch: '', loc: '', ts: 0, x: { req: f.req, error: `process ${f.pid} is gone` } });
        }
        return null;
      case 'channels': {
        let channels: ChannelInfo[] = [];
        try {
          channels = this.describeChannels(f.ids);
        } catch {
          /* a model that cannot describe: none */
        }
        this.toDebuggers({ t: 'channels', req: f.req, channels });
        return null;
      }
      default:
        return `unexpected debugger frame "${String((f as { t: unknown }).t)}"`;
    }
  }

  /** Resumes one stopped thread (stop > 0), every thread of pid (stop 0), or everything (pid 0). */
  resume(pid: number, stop: number, how: 'continue' | 'step' = 'continue'): void {
    const pids = pid ? [pid] : [...this.runtimes.keys()];
    for (const p of pids) {
      this.toRuntime(p, { t: RuntimeCommands.resume, stop, how });
      const stops = this.paused.get(p);
      if (!stops) continue;
      for (const id of stop ? [stop] : [...stops.keys()]) {
        if (stops.delete(id)) this.toDebuggers({ t: 'resumed', pid: p, stop: id });
      }
      if (!stops.size) this.paused.delete(p);
    }
    this.emit('paused');
  }

  pausedList(): PausedProcess[] {
    return [...this.paused.values()].flatMap((m) => [...m.values()]);
  }

  private setConfig(config: DebuggerConfig): void {
    this.config = config;
    for (const [pid, { client }] of this.runtimes) this.toRuntime(pid, { t: RuntimeCommands.config, ...this.configFor(client) } as unknown as MarshalValue);
  }

  private toRuntime(pid: number, command: MarshalValue): boolean {
    const r = this.runtimes.get(pid);
    if (!r || r.socket.destroyed) return false;
    r.socket.write(commandFrame(command));
    return true;
  }

  /** To every debugger, or (about a process) to those that debug it. */
  private toDebuggers(frame: RelayFrame, about?: HubClient): void {
    if (!this.debuggers.size) return;
    const bytes = encodeFrame(frame);
    for (const [d, session] of this.debuggers) if (!d.destroyed && (!about || this.debugs(session, about))) d.write(bytes);
  }
}

function commandFrame(command: MarshalValue): Buffer {
  const body = writeMarshal(command);
  const head = Buffer.allocUnsafe(5);
  head.writeUInt32BE(body.length + 1, 0);
  head[4] = DEBUG_TAG;
  return Buffer.concat([head, body]);
}

/**
 * The `ipcscope` debug adapter: breakpoints on message send and receive, over the Debug Adapter
 * Protocol. Threads are processes (thread id = pid). Breakpoints are evaluated in each process by the
 * runtime's stop gate (runtime/ipcscope/debug.py); hit counts are kept here, across processes.
 *
 * It talks to a hub as a debugger (protocol/debug.ts): the language server's when VS Code passes one
 * (so the panel sees the run), else a hub of its own (standalone: `ipc-scope dap`).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  Breakpoint,
  BreakpointEvent,
  ContinuedEvent,
  DebugSession,
  Event,
  ExitedEvent,
  Handles,
  InitializedEvent,
  OutputEvent,
  Scope,
  Source,
  StackFrame,
  StoppedEvent,
  TerminatedEvent,
  Thread,
  ThreadEvent,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { AttachArguments, DebugReply, DebugStopInfo, DebuggerConfig, LaunchArguments, PausedProcess, RelayFrame, RelayProcess } from '../../../protocol/debug';
import { DebugCustom } from '../../../protocol/debug';
import type { ChannelInfo } from '../../../protocol/protocol';
import { DebugVariable, EventKinds, NAME_WAIT_MS, RuntimeBreakpoint, RuntimeEnv } from '../../../protocol/runtime';
import { ChannelModel } from '../core/channels';
import { runtimeEnv } from '../hub/env';
import { Hub, HubEvent } from '../hub/hub';
import { HubAddress, HubDebugger, hubOfProcess } from './hubDebugger';
import { assignedName, ipcOpsOfLine, lineBreakpointProblem } from './ipcLines';

type VarHandle =
  | { kind: 'runtime'; pid: number; stop: number; scope?: 'message' | 'locals' | 'globals'; frame?: number; ref?: number }
  | { kind: 'channel'; pid: number; stop: number; ch: string }
  | { kind: 'list'; variables: DebugProtocol.Variable[] };

interface BreakpointState {
  hitCondition?: string;
  hits: number;
  /** How a stop on it is described. */
  label: string;
  reason: 'breakpoint' | 'function breakpoint' | 'data breakpoint';
}

interface Stopped {
  info: DebugStopInfo;
  loc: string;
  ch: string;
}

export const FILTERS: DebugProtocol.ExceptionBreakpointsFilter[] = [
  {
    filter: 'send',
    label: 'Every send / put',
    description: 'Stop before any message is sent: Queue.put, Connection.send, os.write on a pipe',
    supportsCondition: true,
    conditionDescription: 'Python over msg, channel, pid, process, e.g. msg is None or channel == "results"',
  },
  {
    filter: 'recv',
    label: 'Every receive / get',
    description: 'Stop after any message is received: Queue.get, Connection.recv, os.read on a pipe',
    supportsCondition: true,
    conditionDescription: 'Python over msg, channel, pid, process, e.g. msg["seq"] == 3',
  },
];

export class IpcScopeDebugSession extends DebugSession {
  private hub: HubDebugger | null = null;
  private ownHub: Hub | null = null;
  private child: ChildProcess | null = null;
  private launched = false;
  private stopAll = false;
  private terminated = false;
  /** IPCSCOPE_DEBUG of the program this session launches: the hub shows this session that program only. */
  private readonly session = randomBytes(8).toString('hex');
  private pauseExplained = false;
  private configDone!: () => void;
  private readonly configured = new Promise<void>((resolve) => (this.configDone = resolve));
  private readonly processes = new Map<number, RelayProcess>();
  private readonly stops = new Map<number, Stopped[]>();
  private readonly bpStates = new Map<number, BreakpointState>();
  private nextBpId = 1;
  private readonly lineBps = new Map<string, (RuntimeBreakpoint & { file: string; line: number })[]>();
  private filterBps: { send: RuntimeBreakpoint[]; recv: RuntimeBreakpoint[] } = { send: [], recv: [] };
  private channelBps: (RuntimeBreakpoint & { pattern: string })[] = [];
  private dataBps: (RuntimeBreakpoint & { ch: string; index: number })[] = [];
  private names: Record<string, string> = {};
  private namesTimer: NodeJS.Timeout | null = null;
  private readonly varHandles = new Handles<VarHandle>();
  private readonly frameHandles = new Handles<{ pid: number; stop: number; index: number }>();
  /** variablesReference|name -> data breakpoint id, for variables that are shared Values/Arrays. */
  private readonly dataIds = new Map<string, { dataId: string; description: string }>();

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  // ---- life cycle ----------------------------------------------------------------------------------

  protected initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsFunctionBreakpoints: true,
      supportsDataBreakpoints: true,
      supportsEvaluateForHovers: true,
      supportsTerminateRequest: true,
      supportsExceptionFilterOptions: true,
      exceptionBreakpointFilters: FILTERS,
    };
    this.sendResponse(response);
    this.sendEvent(new InitializedEvent());
  }

  protected configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.configDone();
    this.sendResponse(response);
  }

  protected async launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments & LaunchArguments): Promise<void> {
    try {
      if (!args.program) throw new Error('launch needs "program": the Python file to run');
      const program = path.resolve(args.cwd ?? process.cwd(), args.program);
      if (!fs.existsSync(program)) throw new Error(`cannot run ${program}: no such file`);
      this.stopAll = !!args.stopAll;
      const hub = args.hub ?? (await this.startOwnHub());
      await this.connectHub(hub, this.session);
      this.launched = true;
      this.sendResponse(response);
      // Breakpoints first (configurationDone), then the program: its first put already sees them.
      await Promise.race([this.configured, new Promise((r) => setTimeout(r, 5000))]);
      this.startProgram(program, args, hub);
    } catch (e) {
      this.sendErrorResponse(response, { id: 1001, format: (e as Error).message, showUser: true });
    }
  }

  protected async attachRequest(response: DebugProtocol.AttachResponse, args: DebugProtocol.AttachRequestArguments & AttachArguments): Promise<void> {
    try {
      let hub = args.hub;
      if (!hub) {
        const pid = Number(args.pid);
        if (!pid) throw new Error('attach needs "pid": a process of a program running with the IPC Scope runtime');
        const found = hubOfProcess(pid);
        if (typeof found === 'string') throw new Error(found);
        hub = found;
      }
      this.stopAll = !!args.stopAll;
      await this.connectHub(hub);
      this.sendResponse(response);
    } catch (e) {
      this.sendErrorResponse(response, { id: 1002, format: (e as Error).message, showUser: true });
    }
  }

  protected disconnectRequest(response: DebugProtocol.DisconnectResponse, args: DebugProtocol.DisconnectArguments): void {
    const kill = args?.terminateDebuggee ?? this.launched;
    if (kill) this.killProgram();
    else this.hub?.send({ t: 'resume', pid: 0, stop: 0 });
    this.shutdown();
    this.sendResponse(response);
  }

  protected terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.killProgram();
    this.sendResponse(response);
  }

  shutdown(): void {
    if (this.namesTimer) clearInterval(this.namesTimer);
    this.namesTimer = null;
    this.hub?.close(); // the hub resumes everything when its last debugger leaves
    this.hub = null;
    void this.ownHub?.stop();
    this.ownHub = null;
  }

  private async startOwnHub(): Promise<HubAddress> {
    const hub = new Hub();
    await hub.start();
    const channels = new ChannelModel();
    hub.on('events', (batch: HubEvent[]) => channels.ingest(batch));
    hub.debug.describeChannels = (ids) => channels.describe(ids);
    this.ownHub = hub;
    return { path: hub.socketPath, token: hub.token };
  }

  private async connectHub(address: HubAddress, session?: string): Promise<void> {
    const hub = new HubDebugger();
    const welcome = await hub.connect(address, session);
    this.hub = hub;
    hub.on('frame', (f: RelayFrame) => this.onHubFrame(f));
    hub.on('close', () => {
      if (!this.terminated && !this.child) this.end();
    });
    for (const p of welcome.processes) this.onHubFrame({ t: 'process', ...p });
    this.pushConfig();
  }

  private startProgram(program: string, args: LaunchArguments, hub: HubAddress): void {
    const env: NodeJS.ProcessEnv = runtimeEnv(hub, { ...process.env, ...(args.env ?? {}) });
    env[RuntimeEnv.debug] = this.session;
    if (args.stopOnEntry) env[RuntimeEnv.stopOnEntry] = program;
    if (args.startMethod) env[RuntimeEnv.startMethod] = args.startMethod;
    const python = args.python || 'python3';
    const child = spawn(python, ['-m', 'ipcscope', program, ...(args.args ?? [])], {
      cwd: args.cwd ?? path.dirname(program),
      env,
      detached: true, // its own process group: terminate stops the whole tree
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    if (child.pid) this.sendEvent(new Event(DebugCustom.launchedEvent, { pid: child.pid, program }));
    child.stdout!.on('data', (d: Buffer) => this.sendEvent(new OutputEvent(d.toString('utf8'), 'stdout')));
    child.stderr!.on('data', (d: Buffer) => this.sendEvent(new OutputEvent(d.toString('utf8'), 'stderr')));
    child.on('error', (e) => {
      this.sendEvent(new OutputEvent(`IPC Scope: cannot start ${python}: ${e.message}\n`, 'stderr'));
      this.end(127);
    });
    child.on('exit', (code, signal) => {
      this.child = null;
      this.end(code ?? (signal ? 128 : 0));
    });
  }

  private killProgram(): void {
    const child = this.child;
    if (!child?.pid) return;
    this.terminated = true;
    const group = -child.pid;
    try {
      process.kill(group, 'SIGTERM');
    } catch {
      /* already gone */
    }
    setTimeout(() => {
      try {
        process.kill(group, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 2000).unref();
  }

  private end(exitCode?: number): void {
    if (exitCode !== undefined) this.sendEvent(new ExitedEvent(exitCode));
    for (const pid of [...this.processes.keys()]) this.processGone(pid);
    this.sendEvent(new TerminatedEvent());
    this.shutdown();
  }

  // ---- breakpoints ---------------------------------------------------------------------------------

  private newBp(state: Omit<BreakpointState, 'hits'>, hitCondition?: string): number {
    const id = this.nextBpId++;
    this.bpStates.set(id, { ...state, hits: 0, hitCondition: hitCondition?.trim() || undefined });
    return id;
  }

  private runtimeBp(id: number, condition?: string, log?: string): RuntimeBreakpoint {
    const bp: RuntimeBreakpoint = { id };
    if (condition?.trim()) bp.cond = condition.trim();
    if (log) bp.log = log;
    if (this.bpStates.get(id)?.hitCondition) bp.hit = true;
    return bp;
  }

  protected setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    const file = args.source.path ?? '';
    let lines: string[] | null = null;
    try {
      lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
    } catch {
      lines = null;
    }
    const runtime: (RuntimeBreakpoint & { file: string; line: number })[] = [];
    const result: DebugProtocol.Breakpoint[] = [];
    for (const sb of args.breakpoints ?? []) {
      const problem = lineBreakpointProblem(file, lines, sb.line);
      const hitProblem = sb.hitCondition ? hitConditionProblem(sb.hitCondition) : null;
      const id = this.newBp({ label: `${path.basename(file)}:${sb.line}`, reason: 'breakpoint' }, hitProblem ? undefined : sb.hitCondition);
      const bp = new Breakpoint(!problem && !hitProblem, sb.line, undefined, new Source(path.basename(file), file)) as DebugProtocol.Breakpoint;
      bp.id = id;
      if (problem || hitProblem) {
        bp.message = problem ?? hitProblem!;
        (bp as DebugProtocol.Breakpoint & { reason?: string }).reason = 'failed';
      } else {
        const ops = ipcOpsOfLine(lines![sb.line - 1]);
        for (const op of ops) runtime.push({ ...this.runtimeBp(id, sb.condition, sb.logMessage), file, line: sb.line, op });
      }
      result.push(bp);
    }
    if (runtime.length) this.lineBps.set(file, runtime);
    else this.lineBps.delete(file);
    response.body = { breakpoints: result };
    this.sendResponse(response);
    this.pushConfig();
  }

  protected setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    const options: DebugProtocol.ExceptionFilterOptions[] = args.filterOptions ?? (args.filters ?? []).map((filterId) => ({ filterId }));
    const send: RuntimeBreakpoint[] = [];
    const recv: RuntimeBreakpoint[] = [];
    const result: DebugProtocol.Breakpoint[] = [];
    for (const o of options) {
      const filter = FILTERS.find((f) => f.filter === o.filterId);
      if (!filter) {
        result.push({ verified: false, message: `unknown filter "${o.filterId}"` });
        continue;
      }
      const id = this.newBp({ label: filter.label, reason: 'breakpoint' });
      (o.filterId === 'send' ? send : recv).push(this.runtimeBp(id, o.condition));
      result.push({ id, verified: true });
    }
    this.filterBps = { send, recv };
    response.body = { breakpoints: result };
    this.sendResponse(response);
    this.pushConfig();
  }

  protected setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    this.channelBps = [];
    const result: DebugProtocol.Breakpoint[] = [];
    for (const fb of args.breakpoints) {
      const pattern = fb.name.trim();
      const kind = pattern.includes(':') ? pattern.slice(0, pattern.indexOf(':')) : '';
      if (!pattern || (kind && !CHANNEL_KINDS.includes(kind))) {
        result.push({ verified: false, message: `"${fb.name}" is not a channel: use kind:name, e.g. queue:results, pipe:*, shared:counter (kinds: ${CHANNEL_KINDS.join(', ')})` });
        continue;
      }
      const hitProblem = fb.hitCondition ? hitConditionProblem(fb.hitCondition) : null;
      if (hitProblem) {
        result.push({ verified: false, message: hitProblem });
        continue;
      }
      const id = this.newBp({ label: `channel ${pattern}`, reason: 'function breakpoint' }, fb.hitCondition);
      this.channelBps.push({ ...this.runtimeBp(id, fb.condition), pattern });
      result.push({ id, verified: true });
    }
    response.body = { breakpoints: result };
    this.sendResponse(response);
    this.pushConfig();
    this.followNames();
  }

  protected dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): void {
    const known = this.dataIds.get(`${args.variablesReference ?? 0}|${args.name}`) ?? (args.name.startsWith('shared:') ? { dataId: args.name, description: args.name } : undefined);
    response.body = known
      ? { dataId: known.dataId, description: known.description, accessTypes: ['write'], canPersist: false }
      : { dataId: null, description: `${args.name} is not a shared Value or Array element (data breakpoints watch multiprocessing Value/Array)` };
    this.sendResponse(response);
  }

  protected setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    this.dataBps = [];
    const result: DebugProtocol.Breakpoint[] = [];
    for (const db of args.breakpoints) {
      const m = /^(shared:[^#\s]+)(?:#(\d+))?$/.exec(db.dataId);
      if (!m) {
        result.push({ verified: false, message: `"${db.dataId}" is not a shared Value/Array element` });
        continue;
      }
      const id = this.newBp({ label: `${db.dataId} changed`, reason: 'data breakpoint' }, db.hitCondition);
      this.dataBps.push({ ...this.runtimeBp(id, db.condition), ch: m[1], index: Number(m[2] ?? 0), op: 'change' });
      result.push({ id, verified: true });
    }
    response.body = { breakpoints: result };
    this.sendResponse(response);
    this.pushConfig();
  }

  private pushConfig(): void {
    const config: Omit<DebuggerConfig, 'debugger'> = {
      lines: [...this.lineBps.values()].flat(),
      send: this.filterBps.send,
      recv: this.filterBps.recv,
      channels: this.channelBps,
      data: this.dataBps,
      names: this.names,
    };
    this.hub?.send({ t: 'config', config });
  }

  /** Function breakpoints name channels by the variable they were assigned to: keep those names current. */
  private followNames(): void {
    const wanted = this.channelBps.some((b) => !/^\w*:?\*?$/.test(b.pattern));
    if (!wanted) {
      if (this.namesTimer) clearInterval(this.namesTimer);
      this.namesTimer = null;
      return;
    }
    if (this.namesTimer) return;
    const refresh = async () => {
      if (!this.hub) return;
      const channels = await this.hub.channels();
      let changed = false;
      for (const c of channels) {
        const name = channelName(c);
        if (name && this.names[c.id] !== name) {
          this.names[c.id] = name;
          changed = true;
        }
      }
      if (changed) this.pushConfig();
    };
    void refresh();
    this.namesTimer = setInterval(() => void refresh(), 250);
    this.namesTimer.unref();
  }

  /**
   * A runtime's gate waits for ch's name (debug.name): looks at once, and again every 20 ms while the
   * hub does not yet know where ch was made (the maker's events may still be on their way), then
   * answers with a config whose names include ch: "" when it has no name, so the gate waits no more.
   */
  private async nameChannel(ch: string): Promise<void> {
    const giveUpAt = Date.now() + NAME_WAIT_MS * 0.8;
    for (;;) {
      const c = this.hub ? (await this.hub.channels([ch])).find((x) => x.id === ch) : undefined;
      const name = c ? channelName(c) : '';
      // A Connection (conn:) has no creation event: nothing more will come to name it.
      if (name || c?.createdAt || ch.startsWith('conn:') || Date.now() >= giveUpAt || !this.hub) {
        if (name || this.names[ch] === undefined) this.names[ch] = name;
        this.pushConfig();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  // ---- events from the hub -------------------------------------------------------------------------

  private onHubFrame(f: RelayFrame): void {
    switch (f.t) {
      case 'process':
        if (f.pid === this.child?.pid) break; // the launcher (python -m ipcscope): not the user's
        if (f.connected) {
          if (!this.processes.has(f.pid)) {
            this.processes.set(f.pid, f);
            this.sendEvent(new ThreadEvent('started', f.pid));
          }
        } else this.processGone(f.pid);
        break;
      case 'resumed':
        if (this.forgetStop(f.pid, f.stop)) this.sendEvent(new ContinuedEvent(f.pid, false));
        break;
      case 'debug':
        this.onDebugEvent(f);
        break;
      default:
        break;
    }
  }

  private processGone(pid: number): void {
    if (!this.processes.delete(pid)) return;
    if (this.stops.delete(pid)) {
      this.sendEvent(new OutputEvent(`IPC Scope: process ${pid} exited while stopped\n`, 'console'));
      this.sendPaused();
    }
    this.sendEvent(new ThreadEvent('exited', pid));
  }

  private onDebugEvent(f: Extract<RelayFrame, { t: 'debug' }>): void {
    if (f.k === EventKinds.debugName) {
      void this.nameChannel(f.ch);
      return;
    }
    if (f.k === EventKinds.debugLog) {
      for (const [, text] of (f.x.logs as [number, string, number][]) ?? []) this.sendEvent(new OutputEvent(`${text}\n`, 'console'));
      return;
    }
    if (f.k === EventKinds.debugError) {
      const id = Number(f.x.bp);
      const state = this.bpStates.get(id);
      const message = `${state?.label ?? 'breakpoint'}: the condition fails in pid ${f.pid}: ${String(f.x.message)} (not stopping on it)`;
      const bp = { id, verified: false, message } as DebugProtocol.Breakpoint;
      this.sendEvent(new BreakpointEvent('changed', bp));
      this.sendEvent(new OutputEvent(`IPC Scope: ${message}\n`, 'stderr'));
      return;
    }
    if (f.k !== EventKinds.debugStop) return;
    const info = f.x as unknown as DebugStopInfo;
    // Hit counts are counted here, across every process.
    const stopIds = info.bps.filter((id) => this.countHit(id));
    for (const [id, text, counted] of info.logs ?? []) {
      if (!counted || this.countHit(id)) this.sendEvent(new OutputEvent(`${text}\n`, 'console'));
    }
    if (info.reason === 'breakpoint' && !stopIds.length) {
      this.hub?.send({ t: 'resume', pid: f.pid, stop: info.stop });
      return;
    }
    info.bps = stopIds;
    if (!this.processes.has(f.pid)) this.onHubFrame({ t: 'process', pid: f.pid, ppid: 0, argv: [], connected: true });
    const list = this.stops.get(f.pid) ?? [];
    list.push({ info, loc: f.loc, ch: f.ch });
    this.stops.set(f.pid, list);
    const state = stopIds.length ? this.bpStates.get(stopIds[0]) : undefined;
    const reason = info.reason === 'breakpoint' ? (info.op === 'change' ? 'data breakpoint' : state?.reason ?? 'breakpoint') : info.reason;
    const event = new StoppedEvent(reason, f.pid) as DebugProtocol.StoppedEvent;
    event.body.description = describeStop(info, f.ch, this.names[f.ch], state?.label);
    event.body.text = info.msg;
    if (stopIds.length) event.body.hitBreakpointIds = stopIds;
    // Others stop at their own next send or receive (each with its own event): never claim all did.
    event.body.allThreadsStopped = false;
    this.sendEvent(event);
    if (this.stopAll) for (const pid of this.processes.keys()) if (pid !== f.pid && !this.stops.has(pid)) this.hub?.send({ t: 'pause', pid });
    this.sendPaused();
  }

  private countHit(id: number): boolean {
    const state = this.bpStates.get(id);
    if (!state) return false;
    state.hits++;
    return !state.hitCondition || hitConditionMet(state.hitCondition, state.hits);
  }

  private forgetStop(pid: number, stop: number): boolean {
    const list = this.stops.get(pid);
    if (!list) return false;
    const rest = list.filter((s) => s.info.stop !== stop && stop !== 0);
    if (rest.length === list.length) return false;
    if (rest.length) this.stops.set(pid, rest);
    else this.stops.delete(pid);
    this.sendPaused();
    return true;
  }

  private sendPaused(): void {
    const paused: PausedProcess[] = [...this.stops.entries()].flatMap(([pid, list]) =>
      list.map((s) => ({ pid, stop: s.info.stop, loc: s.loc, reason: s.info.reason, message: s.info.msg, process: s.info.process, channel: s.ch })),
    );
    this.sendEvent(new Event(DebugCustom.pausedEvent, { paused }));
  }

  // ---- execution control ---------------------------------------------------------------------------

  protected threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    const threads = [...this.processes.values()].map((p) => {
      const stop = this.stops.get(p.pid)?.[0];
      const name = stop?.info.process || processLabel(p);
      return new Thread(p.pid, `${p.pid} ${name}`);
    });
    response.body = { threads };
    this.sendResponse(response);
  }

  private resumeThread(pid: number, how: 'continue' | 'step'): boolean {
    const list = this.stops.get(pid);
    if (!list?.length) return false;
    const { stop } = list[0].info;
    this.forgetStop(pid, stop);
    this.hub?.send({ t: 'resume', pid, stop, how });
    return true;
  }

  protected continueRequest(response: DebugProtocol.ContinueResponse, args: DebugProtocol.ContinueArguments): void {
    const pids = this.stopAll ? [...this.stops.keys()] : [args.threadId];
    for (const pid of pids) this.resumeThread(pid, 'continue');
    response.body = { allThreadsContinued: this.stopAll };
    this.sendResponse(response);
  }

  /** Step = run this process to its next send or receive. */
  private step(response: DebugProtocol.Response, threadId: number): void {
    this.resumeThread(threadId, 'step');
    if (this.stopAll) for (const pid of [...this.stops.keys()]) this.resumeThread(pid, 'continue');
    this.sendResponse(response);
  }

  protected nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.step(response, args.threadId);
  }

  protected stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    this.step(response, args.threadId);
  }

  protected stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): void {
    this.step(response, args.threadId);
  }

  protected pauseRequest(response: DebugProtocol.PauseResponse, args: DebugProtocol.PauseArguments): void {
    // A process stops at its next send or receive: never inside multiprocessing's locks.
    this.hub?.send({ t: 'pause', pid: this.stopAll ? 0 : args.threadId });
    if (!this.pauseExplained) {
      this.pauseExplained = true;
      this.sendEvent(new OutputEvent('IPC Scope: a paused process stops at its next send or receive (one waiting in get() or recv() stops once its message arrives).\n', 'console'));
    }
    this.sendResponse(response);
  }

  protected customRequest(command: string, response: DebugProtocol.Response, args: { pid?: number }): void {
    if (command === DebugCustom.continueProcess && args?.pid) {
      const had = this.resumeThread(args.pid, 'continue');
      if (had) this.sendEvent(new ContinuedEvent(args.pid, false));
      this.sendResponse(response);
      return;
    }
    super.customRequest(command, response, args);
  }

  // ---- inspection ----------------------------------------------------------------------------------

  protected stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    const stop = this.stops.get(args.threadId)?.[0];
    const frames = stop?.info.frames ?? [];
    const start = args.startFrame ?? 0;
    const count = args.levels || frames.length;
    response.body = {
      stackFrames: frames.slice(start, start + count).map(([name, file, line], i) => {
        const id = this.frameHandles.create({ pid: args.threadId, stop: stop!.info.stop, index: start + i });
        return new StackFrame(id, name === '<module>' ? path.basename(file) : name, new Source(path.basename(file), file), line);
      }),
      totalFrames: frames.length,
    };
    this.sendResponse(response);
  }

  protected scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    const f = this.frameHandles.get(args.frameId);
    const scopes: DebugProtocol.Scope[] = [];
    if (f) {
      const stop = this.stops.get(f.pid)?.find((s) => s.info.stop === f.stop);
      if (stop && stop.info.op !== 'entry') {
        scopes.push(new Scope('Message', this.varHandles.create({ kind: 'runtime', pid: f.pid, stop: f.stop, scope: 'message', frame: f.index }), false));
        if (stop.ch) scopes.push(new Scope('Channel', this.varHandles.create({ kind: 'channel', pid: f.pid, stop: f.stop, ch: stop.ch }), false));
      }
      scopes.push(new Scope('Locals', this.varHandles.create({ kind: 'runtime', pid: f.pid, stop: f.stop, scope: 'locals', frame: f.index }), false));
      scopes.push(new Scope('Globals', this.varHandles.create({ kind: 'runtime', pid: f.pid, stop: f.stop, scope: 'globals', frame: f.index }), true));
    }
    response.body = { scopes };
    this.sendResponse(response);
  }

  protected async variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): Promise<void> {
    const h = this.varHandles.get(args.variablesReference);
    let variables: DebugProtocol.Variable[] = [];
    if (h?.kind === 'list') variables = h.variables;
    else if (h?.kind === 'channel') variables = await this.channelVariables(h);
    else if (h?.kind === 'runtime' && this.hub) {
      const reply = (await this.hub.request(h.pid, { t: 'variables', stop: h.stop, scope: h.scope, frame: h.frame, ref: h.ref })) as unknown as DebugReply;
      if (reply.error) variables = [{ name: 'error', value: reply.error, variablesReference: 0 }];
      else variables = (reply.vars ?? []).map((v) => this.toVariable(v, h.pid, h.stop, args.variablesReference));
    }
    response.body = { variables };
    this.sendResponse(response);
  }

  private toVariable(v: DebugVariable, pid: number, stop: number, parent: number): DebugProtocol.Variable {
    const ref = v.ref > 0 ? this.varHandles.create({ kind: 'runtime', pid, stop, ref: v.ref }) : 0;
    if (v.ch) {
      const description = `${v.name} (${v.type}, ${v.ch})`;
      this.dataIds.set(`${parent}|${v.name}`, { dataId: v.ch, description });
      if ((v.length ?? 1) > 1 && ref) {
        // Elements of an Array: each can be watched.
        for (let i = 0; i < Math.min(v.length ?? 0, 200); i++) this.dataIds.set(`${ref}|${i}`, { dataId: `${v.ch}#${i}`, description: `${v.name}[${i}]` });
      }
    }
    return { name: v.name, value: v.value, type: v.type, variablesReference: ref };
  }

  private async channelVariables(h: Extract<VarHandle, { kind: 'channel' }>): Promise<DebugProtocol.Variable[]> {
    const channels = (await this.hub?.channels([h.ch])) ?? [];
    const c = channels[0];
    const out: DebugProtocol.Variable[] = [{ name: 'id', value: h.ch, variablesReference: 0 }];
    const name = this.names[h.ch];
    if (name) out.push({ name: 'name', value: name, variablesReference: 0 });
    if (!c) return [...out, { name: 'state', value: 'not seen by the hub yet', variablesReference: 0 }];
    out.push({ name: 'type', value: c.type, variablesReference: 0 });
    if (c.createdAt) out.push({ name: 'created at', value: c.createdAt, variablesReference: 0 });
    out.push({ name: 'holders', value: c.holders.map((p) => `pid ${p}`).join(', ') || 'none seen', variablesReference: 0 });
    if (c.kind === 'queue' || c.kind === 'pipe' || c.kind === 'socket') {
      out.push({ name: 'depth', value: c.depth === null ? 'unknown' : String(c.depth) + (c.maxsize ? ` / ${c.maxsize}` : ''), variablesReference: 0 });
      out.push({ name: 'written · read', value: `${c.written} · ${c.read}`, variablesReference: 0 });
      const items = c.pending.map((m, i) => ({ name: String(i), value: m.preview, type: `${m.op} by pid ${m.pid}`, variablesReference: 0 }));
      out.push({ name: 'items', value: `${c.pending.length} waiting`, variablesReference: items.length ? this.varHandles.create({ kind: 'list', variables: items }) : 0 });
      if (c.peer) out.push({ name: 'peer', value: c.peer, variablesReference: 0 });
    } else if (c.kind === 'shared') {
      out.push({ name: 'values', value: (c.values ?? []).slice(0, 16).join(', '), variablesReference: 0 });
      out.push({ name: 'writes', value: String(c.writes), variablesReference: 0 });
      if (c.lastLoc) out.push({ name: 'last write', value: `pid ${c.lastWriter} at ${c.lastLoc}`, variablesReference: 0 });
    }
    return out;
  }

  protected async evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): Promise<void> {
    const f = args.frameId !== undefined ? this.frameHandles.get(args.frameId) : undefined;
    if (!f || !this.hub) {
      this.sendErrorResponse(response, { id: 1003, format: 'Evaluate needs a stopped process: IPC Scope evaluates in the paused frame', showUser: false });
      return;
    }
    const reply = (await this.hub.request(f.pid, { t: 'evaluate', stop: f.stop, frame: f.index, expr: args.expression })) as unknown as DebugReply;
    if (reply.error || !reply.var) {
      this.sendErrorResponse(response, { id: 1004, format: reply.error ?? 'no result', showUser: false });
      return;
    }
    const v = this.toVariable(reply.var, f.pid, f.stop, 0);
    response.body = { result: v.value, type: v.type, variablesReference: v.variablesReference };
    this.sendResponse(response);
  }
}

const CHANNEL_KINDS = ['queue', 'pipe', 'conn', 'socket', 'shared'];

/** The user's name for a channel: the variable its creation line assigns, else its label. */
function channelName(c: ChannelInfo): string {
  const m = /^(.*):(\d+)$/.exec(c.createdAt);
  if (m) {
    try {
      const line = fs.readFileSync(m[1], 'utf8').split(/\r?\n/)[Number(m[2]) - 1] ?? '';
      const name = assignedName(line);
      if (name) return name;
    } catch {
      /* the source is gone */
    }
  }
  return c.label;
}

function processLabel(p: RelayProcess): string {
  const script = p.argv.find((a, i) => i >= 0 && a.endsWith('.py'));
  return script ? path.basename(script) : p.argv.join(' ').slice(0, 60) || 'python';
}

function describeStop(info: DebugStopInfo, ch: string, name: string | undefined, label: string | undefined): string {
  const channel = name ? `${ch.split(':')[0]} "${name}"` : ch;
  switch (info.op) {
    case 'entry':
      return 'Stopped on entry';
    // Short: VS Code shows it as the thread's state in the Call Stack; the message is the event's text.
    case 'send':
      return `Paused before sending on ${channel}`;
    case 'recv':
      return `Paused after receiving on ${channel}`;
    case 'write':
      return `Paused before writing ${channel}`;
    case 'change':
      return `${channel}[${info.index ?? 0}] changed: ${String(info.old)} → ${String(info.new)}`;
    default:
      return label ?? 'Paused';
  }
}

const HIT = /^\s*(==|>=|<=|>|<|%)?\s*(\d+)\s*$/;

export function hitConditionProblem(condition: string): string | null {
  return HIT.test(condition) ? null : `hit count "${condition}" is not understood: use N (the Nth hit), >= N, > N, < N, <= N or % N`;
}

/** N means the Nth hit (as debugpy); % N every Nth. */
export function hitConditionMet(condition: string, hits: number): boolean {
  const m = HIT.exec(condition);
  if (!m) return true;
  const n = Number(m[2]);
  switch (m[1]) {
    case '>=':
      return hits >= n;
    case '>':
      return hits > n;
    case '<':
      return hits < n;
    case '<=':
      return hits <= n;
    case '%':
      return n > 0 && hits % n === 0;
    default:
      return hits === n;
  }
}

/**
 * The IPC Scope language server: owns the process model and streams it to the client as
 * namespaced custom notifications (protocol/protocol.ts). Polls /proc only while a view is
 * visible or a program is being watched.
 */
import type { Connection, InitializeResult } from 'vscode-languageserver';
import {
  ChannelsUpdate,
  ConfigureParams,
  LspMethods,
  PROTOCOL_VERSION,
  ProcessChoice,
  RuntimeEnvResult,
  Snapshot,
  SnapshotParams,
  StatusInfo,
  VisibilityParams,
  WatchParams,
  WatchResult,
  OsIpcUpdate,
} from '../../../protocol/protocol';
import { OsIpcMonitor } from '../core/osIpc';
import { runtimeKnowledge } from '../core/osIpcJoin';
import { BlockedOps } from '../core/blockedOps';
import { ChannelModel } from '../core/channels';
import { RunRecords } from './runRecords';
import { ProcessModel } from '../core/model';
import { findRuntimeDir, runtimeEnv } from '../hub/env';
import { Hub } from '../hub/hub';
import { feedModels } from '../hub/feed';
import { PortableScanner } from '../inspect/portable';
import { procAvailable } from '../inspect/procfs';
import { ProcScanner } from '../inspect/scanner';
import { LanguageFeatures, languageCapabilities } from '../lang/languageFeatures';

const newScanner = () => (procAvailable() ? new ProcScanner() : new PortableScanner());

const MIN_INTERVAL_MS = 200;

export class IpcScopeServer {
  readonly model = new ProcessModel({ scanner: newScanner() });
  private intervalMs = 1000;
  private visible = false;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private needsReset = true;
  private lastStatus = '';
  private disposed = false;
  readonly channels = new ChannelModel();
  /** The hub, once started (null before the first run). */
  hub: Hub | null = null;
  private hubStarting: Promise<Hub> | null = null;
  /** Leak report at the program's end, export and load of runs. */
  readonly records = new RunRecords(this);
  /** Diagnostics, quick fixes, lenses and live hovers on Python files (server/src/lang). */
  readonly language: LanguageFeatures;
  /** The kernel's view of IPC (edges, blocked-on, deadlocks), refreshed with the process model. */
  readonly osIpc = procAvailable() ? new OsIpcMonitor() : null;
  private lastOsIpc: OsIpcUpdate | null = null;
  private lastOsIpcSent = '';
  /** Python calls the runtime reports blocked (Queue.get, recv, join), for blocked-on and deadlocks. */
  readonly blockedOps = new BlockedOps();

  constructor(private readonly connection: Connection) {
    this.language = new LanguageFeatures(connection);
  }

  /** The hub programs report to; started on first use, stopped with the server. */
  private ensureHub(): Promise<Hub> {
    this.hubStarting ??= (async () => {
      const hub = new Hub();
      await hub.start();
      feedModels(hub, this);
      this.hub = hub;
      return hub;
    })();
    return this.hubStarting;
  }

  async runtimeEnv(): Promise<RuntimeEnvResult> {
    const hub = await this.ensureHub();
    // A new run is about to start: its channels begin now. (Clearing at watch time instead would
    // lose what the program reported before the editor learnt its pid.)
    this.channels.clear();
    this.records.begin(null);
    const env = runtimeEnv(hub, {});
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(env)) if (typeof v === 'string') out[k] = v;
    return { env: out, runtimeDir: findRuntimeDir() };
  }

  register(): void {
    const c = this.connection;
    c.onInitialize((params): InitializeResult => {
      this.language.noteClientCapabilities(params.capabilities);
      return {
        capabilities: { ...languageCapabilities, experimental: { ipcScopeProtocol: PROTOCOL_VERSION } },
        serverInfo: { name: 'ipc-scope', version: String(PROTOCOL_VERSION) },
      };
    });
    c.onRequest(LspMethods.snapshot, (p: SnapshotParams | undefined) => this.snapshot(p ?? {}));
    c.onRequest(LspMethods.watch, (p: WatchParams) => this.watch(p));
    c.onRequest(LspMethods.stopWatching, () => this.stopWatching());
    c.onRequest(LspMethods.listProcesses, () => this.listProcesses());
    c.onRequest(LspMethods.runtimeEnv, () => this.runtimeEnv());
    c.onRequest(LspMethods.channelsSnapshot, () => this.channelsSnapshot());
    c.onRequest(LspMethods.osIpcSnapshot, () => this.lastOsIpc);
    c.onNotification(LspMethods.configure, (p: ConfigureParams) => this.configure(p));
    c.onNotification(LspMethods.setVisible, (p: VisibilityParams) => {
      this.visible = !!p?.visible;
      if (this.visible) this.needsReset = true;
      this.schedule(0);
    });
    this.records.register(c);
    c.onShutdown(() => this.dispose());
    this.language.register();
  }

  dispose(): void {
    this.disposed = true;
    void this.hub?.stop();
    this.language.dispose();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private shouldPoll(): boolean {
    if (this.disposed) return false;
    if (this.visible) return true;
    const w = this.model.watch;
    // Keep following a watched program (status bar) until it is over.
    return !!w && !(this.model.programEnded && this.model.stats.processes === 0);
  }

  private schedule(delay: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.shouldPoll()) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tick().finally(() => this.schedule(this.intervalMs));
    }, delay);
  }

  /** One refresh; concurrent callers share it. */
  tick(): Promise<void> {
    if (!this.running) {
      this.running = this.refreshOnce().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async refreshOnce(): Promise<void> {
    try {
      const delta = await this.model.refresh();
      if (this.needsReset) {
        this.needsReset = false;
        void this.connection.sendNotification(LspMethods.reset, this.model.snapshot());
      } else if (delta.added.length || delta.changed.length || delta.removed.length || delta.ended.length) {
        void this.connection.sendNotification(LspMethods.delta, delta);
      }
      this.sendStatus();
      this.sendChannels();
      this.records.afterScan();
      await this.sendOsIpc();
    } catch (e) {
      this.connection.console.error(`IPC Scope: refresh failed: ${(e as Error).stack ?? e}`);
    }
  }

  private sendStatus(): void {
    const s = this.model.stats;
    const status: StatusInfo = {
      watch: this.model.watch,
      scope: this.model.scope,
      processes: s.processes,
      zombies: s.zombies,
      orphans: s.orphans,
      programEnded: this.model.programEnded,
    };
    const text = JSON.stringify(status);
    if (text !== this.lastStatus) {
      this.lastStatus = text;
      void this.connection.sendNotification(LspMethods.status, status);
    }
  }

  hubStats(): { received: number; dropped: number; protocolErrors: number } {
    const s = this.hub?.stats;
    return s ? { received: s.received, dropped: s.droppedByRuntime, protocolErrors: s.protocolErrors } : { received: 0, dropped: 0, protocolErrors: 0 };
  }

  /** Only what changed since the last one (sent on a tick, when something did). */
  private sendChannels(): void {
    if (!this.hub) return;
    const update = this.channels.update(this.hubStats());
    if (update) void this.connection.sendNotification(LspMethods.channels, update);
    if (update) this.language.channelsChanged(update);
  }

  /** The kernel's view of IPC for the processes shown; sent when it changed. */
  private async sendOsIpc(): Promise<void> {
    if (!this.osIpc) return;
    const snap = this.model.snapshot();
    const pids = new Set(snap.processes.map((p) => p.pid));
    const wchan = new Map(snap.processes.map((p) => [p.pid, p.wchan]));
    // Nothing watched: nothing to look at (the whole-system scope looks at everyone).
    if (this.model.scope === 'program' && pids.size === 0 && !this.lastOsIpc?.objects.length && !this.lastOsIpc?.deadlocks.length) return;
    const u = await this.osIpc.update(this.model.scope === 'system' ? null : pids, runtimeKnowledge(this.channels, this.blockedOps), (pid) => wchan.get(pid) ?? '');
    this.lastOsIpc = u;
    const text = JSON.stringify({ ...u, takenAt: 0, gatherMs: 0 });
    if (text === this.lastOsIpcSent) return;
    this.lastOsIpcSent = text;
    void this.connection.sendNotification(LspMethods.osIpc, u);
  }

  /** Every channel shown (a panel that loads again has nothing). */
  channelsSnapshot(): ChannelsUpdate {
    const update = this.channels.update(this.hubStats(), true)!;
    this.language.channelsChanged(update);
    return update;
  }

  private configure(p: ConfigureParams): void {
    if (p && Number.isFinite(p.refreshIntervalMs)) this.intervalMs = Math.max(MIN_INTERVAL_MS, p.refreshIntervalMs);
    if (p && (p.scope === 'program' || p.scope === 'system') && p.scope !== this.model.scope) {
      this.model.setScope(p.scope);
      this.needsReset = true;
    }
    this.schedule(0);
  }

  async snapshot(p: SnapshotParams): Promise<Snapshot> {
    if (p.pid !== undefined) {
      // A one-off look at any pid's tree, without changing what is watched.
      const m = new ProcessModel({ scope: 'program', scanner: newScanner() });
      if (m.scanner instanceof PortableScanner) await m.scanner.scan();
      m.setWatch(p.pid);
      await m.refresh();
      return m.snapshot();
    }
    if (p.scope && p.scope !== this.model.scope) {
      const m = new ProcessModel({ scope: p.scope, scanner: newScanner() });
      await m.refresh();
      return m.snapshot();
    }
    await this.tick();
    return this.model.snapshot();
  }

  async watch(p: WatchParams): Promise<WatchResult> {
    try {
      if (this.model.scanner instanceof PortableScanner) await this.model.scanner.scan();
      const w = this.model.setWatch(Number(p?.pid), p?.label, !!p?.launched);
      if (!w.launched) this.channels.clear(); // another program: the last run's channels are not its own
      this.records.begin(w);
      this.needsReset = true;
      await this.tick();
      this.schedule(this.intervalMs);
      return { ok: true, message: `Watching ${w.label}`, watch: w };
    } catch (e) {
      return { ok: false, message: (e as Error).message, watch: this.model.watch };
    }
  }

  async stopWatching(): Promise<WatchResult> {
    this.model.clearWatch();
    this.needsReset = true;
    await this.tick();
    this.schedule(this.intervalMs);
    return { ok: true, message: 'Stopped watching.', watch: null };
  }

  async listProcesses(): Promise<ProcessChoice[]> {
    const raws = await newScanner().scan();
    return raws
      .filter((p) => !p.kernelThread)
      .map((p) => ({ pid: p.pid, name: p.name, command: p.argv?.length ? p.argv.join(' ') : `[${p.name}]`, user: p.user, stat: p.stat }))
      .sort((a, b) => b.pid - a.pid);
  }
}

export function startServer(connection: Connection): IpcScopeServer {
  const server = new IpcScopeServer(connection);
  server.register();
  connection.listen();
  return server;
}

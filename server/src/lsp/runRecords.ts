/**
 * The language server's side of run records: the leak report sent once when the watched program's
 * main process has ended, the run exported (Chrome trace or saved run) and saved runs read back.
 */
import type { Connection } from 'vscode-languageserver';
import {
  ExportRunParams,
  ExportRunResult,
  LeakReport,
  LoadRunParams,
  LoadRunResult,
  LspMethods,
  RunRecordMethods,
  SavedRun,
  WatchTarget,
} from '../../../protocol/protocol';
import type { HubEvent } from '../hub/hub';
import { LeakWatch, SETTLE_MS } from '../core/leaks';
import { RunRecorder, SavedRunError, parseSavedRun } from '../core/runRecord';
import { runMessages, toChromeTrace } from '../core/traceExport';
import type { IpcScopeServer } from './server';

export class RunRecords {
  private readonly leaks: LeakWatch;
  private readonly recorder = new RunRecorder();
  private report: LeakReport | null = null;
  private connection: Connection | null = null;
  private retry: NodeJS.Timeout | null = null;

  constructor(private readonly server: IpcScopeServer) {
    this.leaks = new LeakWatch({}, (pid) => server.model.scanner.readOne(pid));
  }

  register(c: Connection): void {
    this.connection = c;
    c.onRequest(RunRecordMethods.exportRun, (p: ExportRunParams) => this.exportRun(p));
    c.onRequest(RunRecordMethods.loadRun, (p: LoadRunParams): LoadRunResult => this.loadRun(p));
  }

  /** A run starts: `watch` is the watched target (a launched one keeps what its runtime reported so far). */
  begin(watch: WatchTarget | null): void {
    // Launched after runtimeEnv began the run: keep what its runtime already reported. (Launched
    // without it, e.g. by another front end, while the last run is still held: start afresh.)
    if (!watch?.launched || this.leaks.following) {
      this.leaks.begin();
      this.recorder.begin();
      this.report = null;
    }
    if (watch?.launched) this.leaks.setLauncher(watch.pid);
  }

  ingest(batch: HubEvent[]): void {
    this.leaks.ingest(batch);
    this.recorder.ingest(batch);
  }

  get leakReport(): LeakReport | null {
    return this.report;
  }

  /** After each refresh: record states; send the leak report once the main process has ended and the rest settled. */
  afterScan(): void {
    const model = this.server.model;
    if (!model.watch || this.leaks.done) return;
    const snap = model.snapshot();
    if (!snap.watch) return;
    const procs = snap.processes.filter((p) => p.inProgram);
    this.recorder.observe(procs, snap.takenAt);
    const hub = this.server.hub;
    const connected = (pid: number) => !!hub && [...hub.clients.values()].some((c) => c.pid === pid && c.connected);
    const report = this.leaks.afterScan(procs, { watch: snap.watch, programEnded: !!model.programEnded, connected });
    if (report) {
      this.report = report;
      void this.connection?.sendNotification(RunRecordMethods.leakReport, report);
    } else if (model.programEnded && !this.retry) {
      // Polling stops once the program is over: look again until the report is made (≤ SETTLE_MS).
      this.retry = setTimeout(() => {
        this.retry = null;
        this.afterScan();
      }, SETTLE_MS / 10);
      this.retry.unref?.();
    }
  }

  /** The current run as a SavedRun (the panel gets the same full channels update, so it stays in step). */
  savedRun(): SavedRun {
    const snap = this.server.model.snapshot();
    const update = this.server.channelsSnapshot();
    void this.connection?.sendNotification(LspMethods.channels, update);
    const watching = !!snap.watch;
    return this.recorder.build({
      label: snap.watch?.label ?? 'Whole system',
      watch: snap.watch,
      processes: watching ? snap.processes.filter((p) => p.inProgram) : snap.processes,
      ended: watching ? snap.ended.filter((p) => p.inProgram) : snap.ended,
      channels: update,
      leaks: this.report,
      clients: this.server.hub?.clients.values(),
    });
  }

  exportRun(p: ExportRunParams): ExportRunResult {
    // A saved run comes back from the client: read it as any file (checked and bounded).
    const run = p?.run ? parseSavedRun(JSON.stringify(p.run)) : this.savedRun();
    const text = p?.format === 'trace' ? JSON.stringify(toChromeTrace(run)) : JSON.stringify(run);
    return { text, processes: run.processes.length + run.ended.length, messages: runMessages(run).length };
  }

  loadRun(p: LoadRunParams): LoadRunResult {
    if (typeof p?.text !== 'string') return { ok: false, run: null, message: 'Could not open the saved run: no text was given.' };
    try {
      return { ok: true, run: parseSavedRun(p.text), message: '' };
    } catch (e) {
      if (e instanceof SavedRunError) return { ok: false, run: null, message: `Could not open the saved run: ${e.message}.` };
      throw e;
    }
  }
}

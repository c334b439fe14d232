/**
 * Run records in the editor: the leak report (panel and a notification) when the watched program
 * ends, "Export Run as Trace…" / "Export Run as JSON…" and "Open Saved Run…" (shown read-only in
 * the panel until "Back to live"). The server makes and checks the files; this only moves them.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  ExportFormat,
  ExportRunResult,
  LeakKind,
  LeakReport,
  LoadRunResult,
  RunRecordMethods,
  SavedRun,
  SavedRunLimits,
  StatusInfo,
} from '../../protocol/protocol';
import type { ProcessTreeView } from './processTreeView';

const KIND_WORDS: Record<LeakKind, [string, string]> = {
  shm: ['shared memory segment', 'shared memory segments'],
  semaphore: ['semaphore', 'semaphores'],
  fifo: ['FIFO', 'FIFOs'],
  mqueue: ['message queue', 'message queues'],
  zombie: ['zombie', 'zombies'],
  running: ['process still running', 'processes still running'],
};

/** "leaky.py left 4 things behind: 1 shared memory segment, 1 FIFO, 1 zombie, 1 process still running." */
export function leakSummary(r: LeakReport): string {
  const counts = new Map<LeakKind, number>();
  for (const i of r.items) counts.set(i.kind, (counts.get(i.kind) ?? 0) + 1);
  const parts = [...counts].map(([k, n]) => `${n} ${KIND_WORDS[k][n === 1 ? 0 : 1]}`);
  const n = r.items.length + r.omitted;
  return `${r.program} left ${n} thing${n === 1 ? '' : 's'} behind: ${parts.join(', ')}${r.omitted ? ', …' : ''}.`;
}

/** A path given to the command (tests, keybindings) or none. */
function uriArg(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string' && arg) return vscode.Uri.file(path.resolve(arg));
  return undefined;
}

export class RunRecords {
  private saved: { fileName: string; run: SavedRun } | null = null;
  private report: LeakReport | null = null;
  private watchKey: string | null = null;
  private watchLabel = 'run';

  constructor(private readonly client: LanguageClient, private readonly view: ProcessTreeView, private readonly output: vscode.LogOutputChannel) {}

  register(): vscode.Disposable[] {
    this.client.onNotification(RunRecordMethods.leakReport, (r: LeakReport) => this.onLeakReport(r));
    return [
      vscode.commands.registerCommand('ipcScope.exportTrace', (target?: unknown) => this.exportRun('trace', target)),
      vscode.commands.registerCommand('ipcScope.exportJson', (target?: unknown) => this.exportRun('json', target)),
      vscode.commands.registerCommand('ipcScope.openSavedRun', (source?: unknown) => this.open(source)),
      vscode.commands.registerCommand('ipcScope.closeSavedRun', () => this.close()),
    ];
  }

  /** Messages from the panel that are ours; true when handled. */
  onWebviewMessage(m: { type: string; format?: unknown }): boolean {
    switch (m.type) {
      case 'closeSavedRun':
        this.close();
        return true;
      case 'exportRun':
        void this.exportRun(m.format === 'json' ? 'json' : 'trace');
        return true;
      case 'ready': // the panel (re)loaded: give it back what it showed
        if (this.saved) this.view.postRecord({ type: 'savedRun', ...this.saved });
        else if (this.report) this.view.postRecord({ type: 'leaks', report: this.report });
        return false;
      default:
        return false;
    }
  }

  /** A new program is watched: the last one's report goes. */
  onStatus(s: StatusInfo): void {
    if (s.watch) this.watchLabel = s.watch.label;
    const key = s.watch ? `${s.watch.pid}@${s.watch.key}` : null;
    if (key === this.watchKey) return;
    this.watchKey = key;
    if (this.report) {
      this.report = null;
      if (!this.saved) this.view.postRecord({ type: 'leaks', report: null });
    }
  }

  private onLeakReport(r: LeakReport): void {
    this.report = r;
    if (!this.saved) this.view.postRecord({ type: 'leaks', report: r });
    this.output.info(`Leak report for ${r.program}: ${r.items.length ? leakSummary(r) : 'nothing left behind'}`);
    if (!r.items.length) return;
    void vscode.window.showWarningMessage(`IPC Scope: ${leakSummary(r)}`, 'Show Report', 'Export Run as Trace…').then((choice) => {
      if (choice === 'Show Report') void vscode.commands.executeCommand('ipcScope.processTree.focus');
      else if (choice) void this.exportRun('trace');
    });
  }

  private async exportRun(format: ExportFormat, target?: unknown): Promise<vscode.Uri | undefined> {
    const label = this.saved?.run.label ?? this.watchLabel;
    const base = `${label.replace(/\.py$/, '').replace(/[^\w.-]+/g, '_') || 'run'}${format === 'trace' ? '.trace.json' : '.ipcscope.json'}`;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const uri =
      uriArg(target) ??
      (await vscode.window.showSaveDialog({
        title: format === 'trace' ? 'IPC Scope: Export Run as Trace (Chrome Trace Event JSON, for ui.perfetto.dev)' : 'IPC Scope: Export Run as JSON (IPC Scope saved run)',
        defaultUri: folder ? vscode.Uri.joinPath(folder, base) : undefined,
        filters: format === 'trace' ? { 'Chrome trace': ['json'] } : { 'IPC Scope run': ['json'] },
      }));
    if (!uri) return undefined;
    try {
      const res = await this.client.sendRequest<ExportRunResult>(RunRecordMethods.exportRun, { format, run: this.saved?.run });
      await vscode.workspace.fs.writeFile(uri, Buffer.from(res.text, 'utf8'));
      const what = format === 'trace' ? 'a Chrome trace (open it in ui.perfetto.dev)' : 'a saved run (IPC Scope: Open Saved Run… loads it)';
      void vscode.window.showInformationMessage(`IPC Scope: exported ${res.processes} processes and ${res.messages} messages to ${path.basename(uri.fsPath)} as ${what}.`);
      return uri;
    } catch (e) {
      void vscode.window.showErrorMessage(`IPC Scope: could not export the run: ${(e as Error).message}`);
      return undefined;
    }
  }

  private async open(source?: unknown): Promise<boolean> {
    const uri =
      uriArg(source) ??
      (await vscode.window.showOpenDialog({ title: 'IPC Scope: Open Saved Run', canSelectMany: false, filters: { 'IPC Scope run': ['json'] } }))?.[0];
    if (!uri) return false;
    const name = path.basename(uri.fsPath);
    try {
      const stat = await vscode.workspace.fs.stat(uri);
      if (stat.size > SavedRunLimits.bytes) throw new Error(`${name} is ${Math.round(stat.size / 1048576)} MB; a saved run is at most ${SavedRunLimits.bytes / 1048576} MB`);
      const text = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
      const res = await this.client.sendRequest<LoadRunResult>(RunRecordMethods.loadRun, { text });
      if (!res.ok || !res.run) throw new Error(res.message);
      this.saved = { fileName: name, run: res.run };
      this.view.live = false;
      await vscode.commands.executeCommand('ipcScope.processTree.focus');
      this.view.postRecord({ type: 'savedRun', ...this.saved });
      return true;
    } catch (e) {
      void vscode.window.showErrorMessage(`IPC Scope: ${name}: ${(e as Error).message}`);
      return false;
    }
  }

  private close(): void {
    if (!this.saved) return;
    this.saved = null;
    this.view.live = true;
    this.view.postRecord({ type: 'live' });
    if (this.report) this.view.postRecord({ type: 'leaks', report: this.report });
  }
}

/** IPC Scope extension entry: a thin client of the language server. */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { ChannelsUpdate, LanguageMethods, LspMethods, OsIpcUpdate, ProcessDelta, Snapshot, StatusInfo, WebviewToHost } from '../../protocol/protocol';
import type { PausedProcess } from '../../protocol/debug';
import { DeadlockNotifier } from './deadlockNotifier';
import { createClient } from './client';
import { registerCommands } from './commands';
import { continueProcess, registerDebugger } from './debug';
import { RunRecords } from './runRecords';
import { readConfig } from './config';
import { ProcessTreeView } from './processTreeView';
import { StatusBar } from './statusBar';
import { openLocation, readLanguageSettings, registerLanguageFeatures } from './language';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('IPC Scope', { log: true });
  const lc = createClient(context, output);
  client = lc;
  const statusBar = new StatusBar();
  const cmdCtx = { extensionUri: context.extensionUri, client: lc, output };

  // The debugger's paused processes, kept for a panel that opens (or reloads) later.
  let paused: PausedProcess[] = [];
  const sendSnapshot = async () => {
    view.post({ type: 'paused', paused });
    try {
      const snapshot = await lc.sendRequest<Snapshot>(LspMethods.snapshot, {});
      view.post({ type: 'reset', snapshot });
      // Channels come as changes: a panel that (re)loads gets them all once.
      const update = await lc.sendRequest<ChannelsUpdate>(LspMethods.channelsSnapshot, {});
      view.post({ type: 'channels', update });
      const osIpc = await lc.sendRequest<OsIpcUpdate | null>(LspMethods.osIpcSnapshot, {});
      if (osIpc) view.post({ type: 'osIpc', update: osIpc });
    } catch (e) {
      view.post({ type: 'error', message: `Could not get the process tree: ${(e as Error).message}` });
    }
  };

  const view = new ProcessTreeView(context.extensionUri, {
    onVisibility: (visible) => void lc.sendNotification(LspMethods.setVisible, { visible }),
    onMessage: (m: WebviewToHost) => {
      if (records.onWebviewMessage(m)) return;
      switch (m.type) {
        case 'ready':
        case 'refresh':
          void sendSnapshot();
          break;
        case 'runFile':
          void vscode.commands.executeCommand('ipcScope.runPythonFile');
          break;
        case 'watchProcess':
          void vscode.commands.executeCommand('ipcScope.watchProcess');
          break;
        case 'stopWatching':
          void vscode.commands.executeCommand('ipcScope.stopWatching');
          break;
        case 'copySnapshot':
          void vscode.commands.executeCommand('ipcScope.copySnapshot');
          break;
        case 'continueProcess':
          void continueProcess(m.pid);
          break;
        case 'setScope':
          void vscode.workspace.getConfiguration('ipcScope').update('scope', m.scope, vscode.ConfigurationTarget.Global);
          break;
        case 'openLocation':
          void openLocation(m.loc);
          break;
      }
    },
  });

  const records = new RunRecords(lc, view, output);
  context.subscriptions.push(
    ...records.register(),
    output,
    statusBar,
    vscode.window.registerWebviewViewProvider(ProcessTreeView.viewId, view, { webviewOptions: { retainContextWhenHidden: true } }),
    ...registerCommands(cmdCtx),
    ...registerDebugger(context, {
      client: lc,
      output,
      onPaused: (now) => {
        paused = now;
        view.post({ type: 'paused', paused });
      },
      onLaunched: (pid, label) => {
        void lc.sendRequest(LspMethods.watch, { pid, label, launched: true });
        void vscode.commands.executeCommand('ipcScope.processTree.focus');
      },
    }),
    ...registerLanguageFeatures(lc, (id) => view.post({ type: 'revealChannel', id })),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('ipcScope')) void lc.sendNotification(LspMethods.configure, readConfig());
    }),
  );

  lc.onNotification(LspMethods.reset, (snapshot: Snapshot) => view.post({ type: 'reset', snapshot }));
  lc.onNotification(LspMethods.delta, (delta: ProcessDelta) => view.post({ type: 'delta', delta }));
  lc.onNotification(LspMethods.channels, (update: ChannelsUpdate) => view.post({ type: 'channels', update }));
  const deadlocks = new DeadlockNotifier(() => void vscode.commands.executeCommand('ipcScope.showProcessTree'));
  lc.onNotification(LspMethods.osIpc, (update: OsIpcUpdate) => {
    view.post({ type: 'osIpc', update });
    deadlocks.update(update);
  });
  lc.onNotification(LspMethods.status, (status: StatusInfo) => {
    statusBar.update(status);
    records.onStatus(status);
    view.post({ type: 'status', status });
  });
  await lc.start();
  await lc.sendNotification(LspMethods.configure, readConfig());
  await lc.sendNotification(LspMethods.setVisible, { visible: view.visible });
  await lc.sendNotification(LanguageMethods.configure, readLanguageSettings());
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}

/** Every command of the extension, each a small function built from one context. */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { LspMethods, ProcessChoice, RuntimeEnvResult, Snapshot, WatchResult } from '../../protocol/protocol';
import { debugPythonFile } from './debug';
import { pickPythonFile, runPythonFile } from './runProgram';

export interface CommandContext {
  extensionUri: vscode.Uri;
  client: LanguageClient;
  output: vscode.LogOutputChannel;
}

type Command = (ctx: CommandContext, ...args: unknown[]) => unknown;

async function revealView(): Promise<void> {
  await vscode.commands.executeCommand('ipcScope.processTree.focus');
}

async function watch(ctx: CommandContext, pid: number, label?: string, launched = false): Promise<WatchResult> {
  const r = await ctx.client.sendRequest<WatchResult>(LspMethods.watch, { pid, label, launched });
  if (!r.ok) void vscode.window.showErrorMessage(`IPC Scope: ${r.message}`);
  return r;
}

/** A quick pick of running processes, searchable by pid, name and command line. */
async function pickProcess(ctx: CommandContext, title: string): Promise<number | undefined> {
  const qp = vscode.window.createQuickPick<vscode.QuickPickItem & { pid: number }>();
  qp.title = title;
  qp.placeholder = 'Type a pid, a name or part of a command line';
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  qp.busy = true;
  qp.show();
  try {
    const list = await ctx.client.sendRequest<ProcessChoice[]>(LspMethods.listProcesses, {});
    qp.items = list.map((p) => ({ pid: p.pid, label: `${p.pid}  ${p.name}`, description: `${p.stat}  ${p.user}`, detail: p.command }));
  } finally {
    qp.busy = false;
  }
  const chosen = await new Promise<(vscode.QuickPickItem & { pid: number }) | undefined>((resolve) => {
    qp.onDidAccept(() => resolve(qp.selectedItems[0]));
    qp.onDidHide(() => resolve(undefined));
  });
  qp.dispose();
  return chosen?.pid;
}

export const commands: Record<string, Command> = {
  'ipcScope.showProcessTree': () => revealView(),

  'ipcScope.runPythonFile': async (ctx, uri?: unknown) => {
    const file = uri instanceof vscode.Uri ? uri : await pickPythonFile();
    if (!file) return;
    try {
      let runtime: Record<string, string> | null = null;
      try {
        const r = await ctx.client.sendRequest<RuntimeEnvResult>(LspMethods.runtimeEnv, {});
        // PYTHONPATH from the server lists the runtime first; keep the user's own after it.
        runtime = { ...r.env, PYTHONPATH: [r.env.PYTHONPATH, process.env.PYTHONPATH].filter(Boolean).join(':') };
      } catch (e) {
        ctx.output.warn(`IPC Scope: the runtime hub is not available (${(e as Error).message}); running without live IPC contents.`);
      }
      const run = await runPythonFile(ctx.extensionUri, file, runtime);
      ctx.output.info(`Running ${file.fsPath} as pid ${run.pid}`);
      await watch(ctx, run.pid, run.label, true);
      await revealView();
    } catch (e) {
      void vscode.window.showErrorMessage(`IPC Scope: ${(e as Error).message}`);
    }
  },

  'ipcScope.debugPythonFile': (_ctx, uri?: unknown) => debugPythonFile(uri),

  'ipcScope.watchProcess': async (ctx, pidArg?: unknown) => {
    if (typeof pidArg === 'number') {
      if ((await watch(ctx, pidArg)).ok) await revealView();
      return;
    }
    const chosen = await pickProcess(ctx, 'IPC Scope: Watch Process');
    if (chosen !== undefined && (await watch(ctx, chosen)).ok) await revealView();
  },

  /** ${command:pickProcess} in an attach configuration: the pid, as text. */
  'ipcScope.pickProcess': async (ctx) => {
    const pid = await pickProcess(ctx, 'IPC Scope: Attach to Process');
    return pid === undefined ? undefined : String(pid);
  },

  'ipcScope.stopWatching': (ctx) => ctx.client.sendRequest(LspMethods.stopWatching, {}),

  'ipcScope.refresh': (ctx) => ctx.client.sendRequest(LspMethods.snapshot, {}),

  'ipcScope.copySnapshot': async (ctx) => {
    const snap = await ctx.client.sendRequest<Snapshot>(LspMethods.snapshot, {});
    await vscode.env.clipboard.writeText(JSON.stringify(snap, null, 2));
    void vscode.window.showInformationMessage(`IPC Scope: copied a snapshot of ${snap.processes.length} processes as JSON.`);
  },
};

export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  return Object.entries(commands).map(([id, fn]) => vscode.commands.registerCommand(id, (...args: unknown[]) => fn(ctx, ...args)));
}

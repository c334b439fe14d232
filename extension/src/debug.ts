/**
 * The `ipcscope` debugger in VS Code: the adapter runs as its own process (out/dap.js), launch
 * configurations are completed here (interpreter, the language server's hub so the panel sees the
 * run), and the adapter's paused processes reach the panel, whose Continue goes back to the session.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { DEBUG_TYPE, DebugCustom, LaunchArguments, PausedProcess } from '../../protocol/debug';
import { LspMethods, RuntimeEnvResult } from '../../protocol/protocol';
import { RuntimeEnv } from '../../protocol/runtime';
import { pythonFor } from './config';
import { pickPythonFile, resolveInterpreter } from './runProgram';

export interface DebugHooks {
  client: LanguageClient;
  output: vscode.LogOutputChannel;
  onPaused(paused: PausedProcess[]): void;
  /** The program the adapter started (the launcher's pid), to watch in the panel. */
  onLaunched(pid: number, label: string): void;
}

export function registerDebugger(context: vscode.ExtensionContext, hooks: DebugHooks): vscode.Disposable[] {
  const adapter = vscode.Uri.joinPath(context.extensionUri, 'out', 'dap.js').fsPath;
  const factory: vscode.DebugAdapterDescriptorFactory = {
    // The extension host's own runtime runs it: node in code-server, Electron as node on the desktop.
    createDebugAdapterDescriptor: () => new vscode.DebugAdapterExecutable(process.execPath, [adapter], { env: { ELECTRON_RUN_AS_NODE: '1' } }),
  };
  const provider: vscode.DebugConfigurationProvider = {
    provideDebugConfigurations: () => [launchConfig('${file}', 'IPC Scope: Debug current file')],
    resolveDebugConfiguration: async (folder, config) => {
      if (!config.type && !config.request && !config.name) {
        const file = await pickPythonFile();
        if (!file) return undefined;
        Object.assign(config, launchConfig(file.fsPath, `IPC Scope: Debug ${path.basename(file.fsPath)}`));
      }
      if (config.request === 'launch' && !config.program) {
        void vscode.window.showErrorMessage('IPC Scope: the launch configuration needs "program", the Python file to debug.');
        return undefined;
      }
      const program = String(config.program ?? '');
      if (config.request === 'launch') {
        try {
          config.python = await resolveInterpreter(config.python || pythonFor(vscode.Uri.file(program)));
        } catch (e) {
          void vscode.window.showErrorMessage(`IPC Scope: ${(e as Error).message}`);
          return undefined;
        }
        config.cwd ??= folder?.uri.fsPath ?? path.dirname(program);
      }
      config.stopAll ??= vscode.workspace.getConfiguration('ipcScope').get<boolean>('debug.stopAll', false);
      if (!config.hub) {
        try {
          // The language server's hub: the panel shows the debugged program's channels too.
          const r = await hooks.client.sendRequest<RuntimeEnvResult>(LspMethods.runtimeEnv, {});
          config.hub = { path: r.env[RuntimeEnv.hub], token: r.env[RuntimeEnv.token] };
        } catch (e) {
          hooks.output.warn(`IPC Scope: debugging without the language server's hub (${(e as Error).message}): the panel will not show this run's channels.`);
        }
      }
      return config;
    },
  };
  return [
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, factory),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, provider),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, { provideDebugConfigurations: () => [launchConfig('${file}', 'IPC Scope: Debug current file')] }, vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
      if (e.session.type !== DEBUG_TYPE) return;
      if (e.event === DebugCustom.pausedEvent) hooks.onPaused((e.body as { paused: PausedProcess[] }).paused ?? []);
      else if (e.event === DebugCustom.launchedEvent) {
        const body = e.body as { pid: number; program: string };
        hooks.onLaunched(body.pid, path.basename(body.program));
      }
    }),
    vscode.debug.onDidTerminateDebugSession((s) => {
      if (s.type === DEBUG_TYPE) hooks.onPaused([]);
    }),
  ];
}

function launchConfig(program: string, name: string): vscode.DebugConfiguration & LaunchArguments {
  return { type: DEBUG_TYPE, request: 'launch', name, program };
}

/** Starts debugging a Python file (the active one, or one picked). */
export async function debugPythonFile(uri?: unknown): Promise<void> {
  const file = uri instanceof vscode.Uri ? uri : await pickPythonFile();
  if (!file) return;
  const folder = vscode.workspace.getWorkspaceFolder(file);
  await vscode.debug.startDebugging(folder, launchConfig(file.fsPath, `IPC Scope: Debug ${path.basename(file.fsPath)}`));
}

/** The panel's Continue: the session that stopped pid continues it. */
export async function continueProcess(pid: number): Promise<void> {
  const session = vscode.debug.activeDebugSession;
  const sessions = session?.type === DEBUG_TYPE ? [session] : [];
  for (const s of sessions) await s.customRequest(DebugCustom.continueProcess, { pid });
}

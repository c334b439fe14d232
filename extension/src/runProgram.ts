/**
 * Runs a Python file under the bundled runtime (`python -m ipcscope file.py`) in a VS Code
 * terminal, so the program has a real tty and stdin, and asks the server to watch it.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { pythonFor } from './config';

export interface LaunchedProgram {
  terminal: vscode.Terminal;
  pid: number;
  label: string;
}

export async function pickPythonFile(): Promise<vscode.Uri | undefined> {
  const active = vscode.window.activeTextEditor?.document;
  if (active && active.uri.scheme === 'file' && (active.languageId === 'python' || active.fileName.endsWith('.py'))) {
    if (active.isDirty) await active.save();
    return active.uri;
  }
  const picked = await vscode.window.showOpenDialog({
    title: 'IPC Scope: pick a Python program to run',
    canSelectMany: false,
    filters: { Python: ['py'] },
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  return picked?.[0];
}

export async function runPythonFile(extensionUri: vscode.Uri, file: vscode.Uri, args: string[] = []): Promise<LaunchedProgram> {
  const python = pythonFor(file);
  const runtimeDir = vscode.Uri.joinPath(extensionUri, 'runtime').fsPath;
  const folder = vscode.workspace.getWorkspaceFolder(file);
  const cwd = folder?.uri.fsPath ?? path.dirname(file.fsPath);
  const label = path.basename(file.fsPath);
  const pythonPath = process.env.PYTHONPATH ? `${runtimeDir}${path.delimiter}${process.env.PYTHONPATH}` : runtimeDir;
  const terminal = vscode.window.createTerminal({
    name: `IPC Scope: ${label}`,
    shellPath: python,
    shellArgs: ['-m', 'ipcscope', file.fsPath, ...args],
    cwd,
    env: { PYTHONPATH: pythonPath, IPCSCOPE_RUNTIME_DIR: runtimeDir },
    iconPath: new vscode.ThemeIcon('type-hierarchy'),
  });
  terminal.show(true);
  const pid = await withTimeout(terminal.processId, 15_000);
  if (!pid) throw new Error(`Could not start ${python} (no process id). Check the "ipcScope.pythonPath" setting.`);
  return { terminal, pid, label };
}

function withTimeout<T>(p: Thenable<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(undefined), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      () => {
        clearTimeout(t);
        resolve(undefined);
      },
    );
  });
}

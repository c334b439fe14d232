/**
 * Runs a Python file under the bundled runtime (`python -m ipcscope file.py`) in a VS Code
 * terminal, so the program has a real tty and stdin, and asks the server to watch it.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { pythonFor } from './config';
import { RuntimeEnv, runtimePythonPath } from '../../protocol/runtime';

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

/** `runtime`: the environment from the server's hub (ipcScope/runtimeEnv), or null to run without it. */
export async function runPythonFile(extensionUri: vscode.Uri, file: vscode.Uri, runtime: Record<string, string> | null, args: string[] = []): Promise<LaunchedProgram> {
  const python = await resolveInterpreter(pythonFor(file));
  const runtimeDir = vscode.Uri.joinPath(extensionUri, 'runtime').fsPath;
  const folder = vscode.workspace.getWorkspaceFolder(file);
  const cwd = folder?.uri.fsPath ?? path.dirname(file.fsPath);
  const label = path.basename(file.fsPath);
  const pythonPath = runtimePythonPath(runtimeDir, process.env.PYTHONPATH, false, path.delimiter);
  const terminal = vscode.window.createTerminal({
    name: `IPC Scope: ${label}`,
    shellPath: python,
    shellArgs: ['-m', 'ipcscope', file.fsPath, ...args],
    cwd,
    // With the hub's environment every Python process of the program reports its IPC;
    // without it the launcher still keeps orphans in view.
    env: runtime ?? { PYTHONPATH: pythonPath, [RuntimeEnv.runtimeDir]: runtimeDir },
    iconPath: new vscode.ThemeIcon('type-hierarchy'),
  });
  terminal.show(true);
  const pid = await withTimeout(terminal.processId, 15_000);
  if (!pid) throw new Error(`Could not start ${python} (no process id). Check the "ipcScope.pythonPath" setting.`);
  return { terminal, pid, label };
}

const resolved = new Map<string, string>();

/**
 * The interpreter's real executable, checked to be Python 3.10+. A launcher script such as pyenv's
 * shim forks helpers before it execs Python, and those would show up in the program's tree.
 */
export async function resolveInterpreter(python: string): Promise<string> {
  const known = resolved.get(python);
  if (known) return known;
  const out = await new Promise<string>((resolve, reject) => {
    execFile(python, ['-c', 'import sys; print(sys.executable); print(sys.version_info >= (3, 10))'], { timeout: 15_000 }, (err, stdout) => {
      if (err) reject(new Error(`Could not run ${python}: ${err.message.split('\n')[0]}. Set "ipcScope.pythonPath" to a Python 3.10 or newer.`));
      else resolve(stdout);
    });
  });
  const [exe, recent] = out.trim().split('\n');
  if (recent !== 'True') throw new Error(`${python} is older than Python 3.10, which IPC Scope needs. Set "ipcScope.pythonPath".`);
  const real = exe?.trim() || python;
  resolved.set(python, real);
  return real;
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

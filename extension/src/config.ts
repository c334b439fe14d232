/** The extension's settings, read in one place. */
import * as vscode from 'vscode';
import type { ConfigureParams, Scope } from '../../protocol/protocol';

export function readConfig(): ConfigureParams & { pythonPath: string } {
  const c = vscode.workspace.getConfiguration('ipcScope');
  const scope = c.get<Scope>('scope', 'program');
  return {
    refreshIntervalMs: Math.max(200, c.get<number>('refreshIntervalMs', 1000)),
    scope: scope === 'system' ? 'system' : 'program',
    pythonPath: c.get<string>('pythonPath', '').trim(),
  };
}

/**
 * The workspace's Python: our own setting, else the Python extension's selected interpreter
 * setting, else `python3` from PATH.
 */
export function pythonFor(resource: vscode.Uri | undefined): string {
  const own = readConfig().pythonPath;
  if (own) return own;
  const py = vscode.workspace.getConfiguration('python', resource).get<string>('defaultInterpreterPath', '').trim();
  if (py && py !== 'python') return py;
  return 'python3';
}

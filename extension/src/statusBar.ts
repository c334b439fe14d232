/** Status bar item: the watched program, its process count and zombies. Fed by server notifications. */
import * as vscode from 'vscode';
import type { StatusInfo } from '../../protocol/protocol';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('ipcScope.status', vscode.StatusBarAlignment.Left, 50);

  constructor() {
    this.item.name = 'IPC Scope';
    this.item.command = 'ipcScope.showProcessTree';
  }

  update(s: StatusInfo): void {
    if (!s.watch) {
      this.item.hide();
      return;
    }
    const z = s.zombies ? `, $(warning) ${s.zombies} zombie${s.zombies > 1 ? 's' : ''}` : '';
    const o = s.orphans ? `, ${s.orphans} orphan${s.orphans > 1 ? 's' : ''}` : '';
    const ended = s.programEnded ? ` (${s.programEnded.description})` : '';
    this.item.text = `$(type-hierarchy) ${s.watch.label}: ${s.processes} process${s.processes === 1 ? '' : 'es'}${z}${o}${ended}`;
    this.item.tooltip = `IPC Scope is watching ${s.watch.label} (pid ${s.watch.pid}). Click to show the process tree.`;
    this.item.backgroundColor = s.zombies ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}

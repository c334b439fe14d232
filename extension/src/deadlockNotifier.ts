/** A VS Code warning for each newly confirmed deadlock (once per deadlock, while it lasts). */
import * as vscode from 'vscode';
import type { OsIpcUpdate } from '../../protocol/protocol';

export class DeadlockNotifier {
  private shown = new Set<string>();

  constructor(private readonly reveal: () => void) {}

  update(u: OsIpcUpdate): void {
    const now = new Set(u.deadlocks.map((d) => d.id));
    for (const d of u.deadlocks) {
      if (this.shown.has(d.id)) continue;
      const where = d.lines.length ? ` (${d.lines.join(', ')})` : '';
      void vscode.window.showWarningMessage(`IPC Scope: ${d.title}${where}. ${d.fix}`, 'Show in IPC Scope').then((pick) => {
        if (pick) this.reveal();
      });
    }
    this.shown = now;
  }
}

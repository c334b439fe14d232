/**
 * The extension's side of the language features: rule settings sent to the server, the code
 * lenses' file arguments turned into URIs for the run/debug commands, and the go-to links between
 * the panel's channels and the lines that created them.
 */
import * as vscode from 'vscode';
import type { LanguageClient, Middleware } from 'vscode-languageclient/node';
import { LanguageCommands, LanguageMethods, LanguageRules, LanguageSettings, RuleLevel } from '../../protocol/protocol';

export function readLanguageSettings(): LanguageSettings {
  const c = vscode.workspace.getConfiguration('ipcScope.diagnostics');
  const rules: LanguageSettings['rules'] = {};
  for (const r of LanguageRules) {
    const level = c.get<RuleLevel>(r);
    if (level) rules[r] = level;
  }
  return { rules };
}

/** Lenses name a file by URI string (LSP is JSON); our commands take a vscode.Uri. */
export const languageMiddleware: Middleware = {
  async provideCodeLenses(document, token, next) {
    const lenses = await next(document, token);
    for (const lens of lenses ?? []) {
      const cmd = lens.command;
      if (cmd && (cmd.command === LanguageCommands.run || cmd.command === LanguageCommands.debug) && typeof cmd.arguments?.[0] === 'string') {
        cmd.arguments = [vscode.Uri.parse(cmd.arguments[0] as string), ...cmd.arguments.slice(1)];
      }
    }
    return lenses;
  },
};

/** Opens "file:line" (a channel's createdAt) in an editor, at that line. */
export async function openLocation(loc: unknown): Promise<void> {
  if (typeof loc !== 'string') return;
  const i = loc.lastIndexOf(':');
  const line = Number(loc.slice(i + 1));
  const file = loc.slice(0, i);
  if (i <= 0 || !Number.isInteger(line) || line < 1) {
    void vscode.window.showErrorMessage(`IPC Scope: not a source location: ${loc}`);
    return;
  }
  try {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    const at = new vscode.Position(line - 1, 0);
    await vscode.window.showTextDocument(doc, { selection: new vscode.Range(at, at) });
  } catch (e) {
    void vscode.window.showErrorMessage(`IPC Scope: could not open ${file}: ${(e as Error).message}`);
  }
}

/** The go-to commands, and the rule settings kept in step with the server. */
export function registerLanguageFeatures(client: LanguageClient, revealChannel: (id: string) => void): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(LanguageCommands.revealChannel, async (id: unknown) => {
      if (typeof id !== 'string') return;
      await vscode.commands.executeCommand('ipcScope.processTree.focus');
      revealChannel(id);
    }),
    vscode.commands.registerCommand(LanguageCommands.openLocation, openLocation),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('ipcScope.diagnostics')) void client.sendNotification(LanguageMethods.configure, readLanguageSettings());
    }),
  ];
}

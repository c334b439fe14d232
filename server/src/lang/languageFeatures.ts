/**
 * Language features on Python files: the IPC diagnostics and their quick fixes, "Run / Debug with
 * IPC Scope" code lenses above `if __name__ == "__main__":`, live hovers, inlay hints and lenses
 * from the channels of the watched run, and an outline of the file's IPC objects.
 *
 * The server registers all of it with one call (`LanguageFeatures.register`) and hands every
 * channels update it sends to `channelsChanged`.
 */
import { fileURLToPath } from 'node:url';
import {
  CodeAction,
  CodeActionKind,
  CodeLens,
  Connection,
  Diagnostic,
  DiagnosticSeverity,
  DocumentSymbol,
  Hover,
  InlayHint,
  MarkupKind,
  ServerCapabilities,
  SymbolKind,
  TextDocumentSyncKind,
} from 'vscode-languageserver';
import { TextDocument, TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import { ChannelInfo, ChannelsUpdate, LanguageCommands, LanguageMethods, LanguageRule, LanguageRules, LanguageSettings, RuleLevel } from '../../../protocol/protocol';
import { PythonAnalysis, treeEdit } from './analysis';
import { IpcObject, isMainGuard } from './ipcModel';
import { LiveChannels, escapeMarkdown, liveLabel, liveMarkdown } from './liveChannels';
import { PythonParser } from './pythonParser';
import { Finding, RULE_DEFAULTS, RULE_TITLES } from './rules';

export const DIAGNOSTIC_SOURCE = 'IPC Scope';

export const languageCapabilities: ServerCapabilities = {
  textDocumentSync: TextDocumentSyncKind.Incremental,
  codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
  codeLensProvider: { resolveProvider: false },
  hoverProvider: true,
  inlayHintProvider: true,
  documentSymbolProvider: true,
};

const SEVERITY: Record<Exclude<RuleLevel, 'off'>, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};
const LEVELS: RuleLevel[] = ['off', 'error', 'warning', 'information', 'hint'];

/** Rule levels from settings, ignoring unknown rules and levels. */
export function ruleLevels(settings: unknown): Record<LanguageRule, RuleLevel> {
  const out = { ...RULE_DEFAULTS };
  const rules = (settings as LanguageSettings | undefined)?.rules;
  if (rules && typeof rules === 'object') {
    for (const r of LanguageRules) {
      const v = (rules as Record<string, unknown>)[r];
      if (typeof v === 'string' && (LEVELS as string[]).includes(v)) out[r] = v as RuleLevel;
    }
  }
  return out;
}

const KIND_SYMBOL: Record<string, SymbolKind> = {
  Process: SymbolKind.Function,
  Pool: SymbolKind.Class,
  Queue: SymbolKind.Array,
  Pipe: SymbolKind.Interface,
  Value: SymbolKind.Variable,
  Array: SymbolKind.Array,
  SharedMemory: SymbolKind.Object,
  Manager: SymbolKind.Module,
  Event: SymbolKind.Event,
};

const DIAGNOSTIC_DELAY_MS = 120;
const LIVE_REFRESH_MS = 1000;

export class LanguageFeatures {
  /** Open Python documents, each with its newest analysis (whose tree is edited as changes come). */
  private readonly documents = new Map<string, { doc: TextDocument; analysis: PythonAnalysis | null; analysedVersion: number }>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private levels = { ...RULE_DEFAULTS };
  private parser: PythonParser | null = null;
  readonly live = new LiveChannels();
  private refreshTimer: NodeJS.Timeout | null = null;
  private clientRefresh = { inlayHints: false, codeLenses: false };

  constructor(private readonly connection: Connection) {}

  /** Wires the handlers; call before `connection.listen()`. */
  register(): void {
    const c = this.connection;
    c.onDidOpenTextDocument(({ textDocument: t }) => {
      this.drop(t.uri);
      this.documents.set(t.uri, { doc: TextDocument.create(t.uri, t.languageId, t.version, t.text), analysis: null, analysedVersion: -1 });
      this.schedule(t.uri, 0);
    });
    c.onDidChangeTextDocument(({ textDocument: t, contentChanges }) => {
      const state = this.documents.get(t.uri);
      if (!state) return;
      for (const change of contentChanges) state.doc = this.applyChange(state, change, t.version);
      this.schedule(t.uri, DIAGNOSTIC_DELAY_MS);
    });
    c.onDidCloseTextDocument(({ textDocument: t }) => {
      this.drop(t.uri);
      void c.sendDiagnostics({ uri: t.uri, diagnostics: [] });
    });
    c.onNotification(LanguageMethods.configure, (p: LanguageSettings) => this.configure(p));
    c.onDidChangeConfiguration((p) => {
      const s = (p?.settings as { ipcScope?: { diagnostics?: unknown } } | undefined)?.ipcScope?.diagnostics;
      if (s && typeof s === 'object') this.configure({ rules: s as LanguageSettings['rules'] });
    });
    c.onCodeAction((p) => this.handle('code actions', [], () => this.codeActions(p.textDocument.uri, p.context.diagnostics)));
    c.onCodeLens((p) => this.handle('code lenses', [], () => this.codeLenses(p.textDocument.uri)));
    c.onHover((p) => this.handle('hover', null, () => this.hover(p.textDocument.uri, p.position.line, p.position.character)));
    c.languages.inlayHint.on((p) => this.handle('inlay hints', [], () => this.inlayHints(p.textDocument.uri, p.range.start.line, p.range.end.line)));
    c.onDocumentSymbol((p) => this.handle('symbols', [], () => this.symbols(p.textDocument.uri)));
  }

  /** Called from the server's onInitialize with the client's capabilities. */
  noteClientCapabilities(caps: { workspace?: { inlayHint?: { refreshSupport?: boolean }; codeLens?: { refreshSupport?: boolean } } } | undefined): void {
    this.clientRefresh = { inlayHints: !!caps?.workspace?.inlayHint?.refreshSupport, codeLenses: !!caps?.workspace?.codeLens?.refreshSupport };
  }

  /** A channels update the server sent: hovers, hints and lenses follow it. */
  channelsChanged(u: ChannelsUpdate): void {
    this.live.apply(u);
    if (this.refreshTimer || !this.documents.size) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      if (this.clientRefresh.inlayHints) void this.connection.languages.inlayHint.refresh().catch(() => undefined);
      if (this.clientRefresh.codeLenses) void this.connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
    }, LIVE_REFRESH_MS);
  }

  dispose(): void {
    for (const t of this.pending.values()) clearTimeout(t);
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    for (const uri of [...this.documents.keys()]) this.drop(uri);
  }

  configure(p: LanguageSettings): void {
    this.levels = ruleLevels(p);
    for (const uri of this.documents.keys()) this.schedule(uri, 0);
  }

  /** True once the parser is loaded (false, and logged, if it cannot be). */
  private async ready(): Promise<boolean> {
    try {
      this.parser ??= await PythonParser.load();
      return true;
    } catch (e) {
      this.connection.console.error(`IPC Scope: the Python parser did not load: ${(e as Error).message}`);
      return false;
    }
  }

  private async handle<T>(what: string, fallback: T, fn: () => T): Promise<T> {
    return (await this.ready()) ? this.safely(what, fallback, fn) : fallback;
  }

  private safely<T>(what: string, fallback: T, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      this.connection.console.error(`IPC Scope: ${what} failed: ${(e as Error).stack ?? e}`);
      return fallback;
    }
  }

  private drop(uri: string): void {
    const t = this.pending.get(uri);
    if (t) clearTimeout(t);
    this.pending.delete(uri);
    this.documents.get(uri)?.analysis?.dispose();
    this.documents.delete(uri);
  }

  /** One change of the text; the syntax tree is edited to match, so the next parse reuses what did not change. */
  private applyChange(state: { doc: TextDocument; analysis: PythonAnalysis | null }, change: TextDocumentContentChangeEvent, version: number): TextDocument {
    const doc = state.doc;
    if (!('range' in change)) {
      // The whole text: nothing to reuse.
      state.analysis?.dispose();
      state.analysis = null;
      return TextDocument.update(doc, [change], version);
    }
    state.analysis?.tree.edit(treeEdit(doc, change));
    return TextDocument.update(doc, [change], version);
  }

  private schedule(uri: string, delay: number): void {
    const old = this.pending.get(uri);
    if (old) clearTimeout(old);
    this.pending.set(
      uri,
      setTimeout(() => {
        this.pending.delete(uri);
        void this.publish(uri);
      }, delay),
    );
  }

  private async publish(uri: string): Promise<void> {
    if (!(await this.ready())) return;
    try {
      const a = this.analysisOf(uri);
      if (!a) return;
      await this.connection.sendDiagnostics({ uri, version: this.documents.get(uri)?.doc.version, diagnostics: this.diagnostics(a) });
    } catch (e) {
      this.connection.console.error(`IPC Scope: diagnostics of ${uri} failed: ${(e as Error).stack ?? e}`);
    }
  }

  /** The analysis of the document's current text (made now if the text changed). */
  private analysisOf(uri: string): PythonAnalysis | null {
    const state = this.documents.get(uri);
    if (!state || !this.parser) return null;
    if (state.analysis && state.analysedVersion === state.doc.version) return state.analysis;
    const old = state.analysis;
    const analysis = PythonAnalysis.run(this.parser, state.doc.getText(), old?.tree);
    old?.dispose();
    state.analysis = analysis;
    state.analysedVersion = state.doc.version;
    return analysis;
  }

  private diagnostics(a: PythonAnalysis): Diagnostic[] {
    const out: Diagnostic[] = [];
    for (const f of a.findings) {
      const level = this.levels[f.rule];
      if (level === 'off') continue;
      out.push({ range: { start: f.start, end: f.end }, severity: SEVERITY[level], source: DIAGNOSTIC_SOURCE, code: f.rule, message: f.message, data: { title: RULE_TITLES[f.rule] } });
    }
    return out;
  }

  private codeActions(uri: string, diagnostics: Diagnostic[]): CodeAction[] {
    const a = this.analysisOf(uri);
    if (!a) return [];
    const out: CodeAction[] = [];
    for (const d of diagnostics) {
      if (d.source !== DIAGNOSTIC_SOURCE) continue;
      const f = a.findings.find((x: Finding) => x.rule === d.code && x.start.line === d.range.start.line && x.start.character === d.range.start.character && x.fix);
      if (!f?.fix) continue;
      out.push({ title: f.fix.title, kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: true, edit: { changes: { [uri]: f.fix.edits } } });
    }
    return out;
  }

  private filePath(uri: string): string | null {
    try {
      return uri.startsWith('file:') ? fileURLToPath(uri) : null;
    } catch {
      return null;
    }
  }

  /** Live channels created by an object's creating call. */
  private channelsOf(uri: string, o: IpcObject): ChannelInfo[] {
    const file = this.filePath(uri);
    if (!file || !this.live.size) return [];
    return this.live.createdAt(file, o.call.startPosition.row + 1, o.call.endPosition.row + 1);
  }

  /** Objects made in the file (not their aliases), one per creating call. */
  private creations(a: PythonAnalysis): IpcObject[] {
    const seen = new Set<number>();
    return a.model.objects.filter((o) => !seen.has(o.call.id) && !!seen.add(o.call.id));
  }

  private codeLenses(uri: string): CodeLens[] {
    const a = this.analysisOf(uri);
    if (!a) return [];
    const lenses: CodeLens[] = [];
    for (const s of a.tree.rootNode.namedChildren) {
      if (s?.type !== 'if_statement' || !isMainGuard(s)) continue;
      const range = { start: { line: s.startPosition.row, character: 0 }, end: { line: s.startPosition.row, character: 0 } };
      lenses.push({ range, command: { title: '$(run) Run with IPC Scope', command: LanguageCommands.run, arguments: [uri] } });
      lenses.push({ range, command: { title: '$(debug-alt) Debug with IPC Scope', command: LanguageCommands.debug, arguments: [uri] } });
    }
    for (const o of this.creations(a)) {
      for (const c of this.channelsOf(uri, o)) {
        const line = o.binding.startPosition.row;
        lenses.push({ range: { start: { line, character: 0 }, end: { line, character: 0 } }, command: { title: `$(eye) ${c.type} ${liveLabel(c)} — show in IPC Scope`, command: LanguageCommands.revealChannel, arguments: [c.id] } });
      }
    }
    return lenses;
  }

  private hover(uri: string, line: number, character: number): Hover | null {
    const a = this.analysisOf(uri);
    if (!a) return null;
    let node = a.tree.rootNode.namedDescendantForPosition({ row: line, column: character });
    if (node?.type !== 'identifier') return null;
    // `money.value`: hovering `value` tells about `money`.
    const parent = node.parent;
    if (parent?.type === 'attribute' && parent.childForFieldName('attribute')?.id === node.id) {
      const obj = parent.childForFieldName('object');
      if (obj?.type === 'identifier') node = obj;
    }
    const o = a.model.resolve(node);
    if (!o) return null;
    const end = o.end ? ` (${o.end === 'recv' ? 'receive' : 'send'} end of Pipe(duplex=False))` : '';
    const parts = [`**${escapeMarkdown(o.ctor)}** \`${o.name.replace(/`/g, '')}\`${end} — created at line ${o.call.startPosition.row + 1}`];
    const live = this.channelsOf(uri, o);
    if (live.length) parts.push(...live.map(liveMarkdown));
    else parts.push(this.live.size ? '_No live channel was created on that line in this run._' : '_Run it with IPC Scope to see its live contents here._');
    return { contents: { kind: MarkupKind.Markdown, value: parts.join('\n\n') }, range: { start: { line: node.startPosition.row, character: node.startPosition.column }, end: { line: node.endPosition.row, character: node.endPosition.column } } };
  }

  private inlayHints(uri: string, fromLine: number, toLine: number): InlayHint[] {
    const a = this.analysisOf(uri);
    if (!a || !this.live.size) return [];
    const hints: InlayHint[] = [];
    for (const o of this.creations(a)) {
      const row = o.binding.endPosition.row;
      if (row < fromLine || row > toLine) continue;
      const live = this.channelsOf(uri, o);
      if (!live.length) continue;
      const lineText = a.text.split('\n', row + 1)[row] ?? '';
      hints.push({ position: { line: row, character: lineText.replace(/\r$/, '').length }, label: `  ${live.map(liveLabel).join(' | ')}`, paddingLeft: true });
    }
    return hints;
  }

  private symbols(uri: string): DocumentSymbol[] {
    const a = this.analysisOf(uri);
    if (!a) return [];
    return this.creations(a).map((o) => {
      const range = { start: { line: o.binding.startPosition.row, character: o.binding.startPosition.column }, end: { line: o.binding.endPosition.row, character: o.binding.endPosition.column } };
      const sel = { start: { line: o.call.startPosition.row, character: o.call.startPosition.column }, end: { line: o.call.endPosition.row, character: o.call.endPosition.column } };
      return { name: o.name, detail: `${o.ctor}${o.many ? ' (list)' : ''}`, kind: KIND_SYMBOL[o.kind] ?? SymbolKind.Variable, range, selectionRange: sel };
    });
  }
}

/**
 * The language server's diagnostics on a large Python file: parse + IPC model + every rule, against
 * a plain tree-sitter parse of the same text (interleaved rounds, medians, after warming up).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { PythonAnalysis, treeEdit } from '../../server/src/lang/analysis';
import { PythonParser } from '../../server/src/lang/pythonParser';

/** A file of at least `lines` lines of real multiprocessing code: the examples and the corpus, repeated. */
export function largePythonFile(root: string, lines: number): string {
  const dirs = [path.join(root, 'examples'), path.join(root, 'test', 'corpus', 'lang')];
  const sources = dirs.flatMap((d) => fs.readdirSync(d).filter((f) => f.endsWith('.py')).sort().map((f) => fs.readFileSync(path.join(d, f), 'utf8')));
  const out: string[] = [];
  let n = 0;
  for (let i = 0; n < lines; i++) {
    const s = sources[i % sources.length];
    out.push(s);
    n += s.split('\n').length;
  }
  return out.join('\n').split('\n').slice(0, lines).join('\n');
}

export interface LanguageBench {
  lines: number;
  bytes: number;
  findings: number;
  /** A plain tree-sitter parse of the whole text. */
  parseMs: number;
  /** Diagnostics from scratch: whole parse, IPC model, every rule. */
  diagnosticsMs: number;
  /** Diagnostics after a one-line edit, as in the editor: tree edit, incremental parse, model, rules. */
  editDiagnosticsMs: number;
  /** The same three as CPU time of this process (wall time also counts waiting for a CPU on a busy machine). */
  cpu: { parseMs: number; diagnosticsMs: number; editDiagnosticsMs: number };
  ratio: number;
}

/** `root`: the repository (out/bench.js sits in out/). */
export async function benchLanguage(root = path.resolve(__dirname, '..'), lines = 5000, rounds = 21): Promise<LanguageBench> {
  const text = largePythonFile(root, lines);
  const parser = await PythonParser.load();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  // The edit: a line in the middle typed over (`x = 1` ↔ `x = 2`), alternately.
  const row = Math.floor(lines / 2);
  const edited = (k: number) => {
    const ls = text.split('\n');
    ls.splice(row, 0, `x = ${k}`);
    return ls.join('\n');
  };
  let findings = 0;
  for (let i = 0; i < 3; i++) {
    parser.parse(text).delete();
    const a = PythonAnalysis.run(parser, text);
    findings = a.findings.length;
    a.dispose();
  }
  const parse: number[] = [];
  const diagnostics: number[] = [];
  const afterEdit: number[] = [];
  const cpu = { parse: [] as number[], diagnostics: [] as number[], afterEdit: [] as number[] };
  const cpuMs = (from: NodeJS.CpuUsage) => {
    const u = process.cpuUsage(from);
    return (u.user + u.system) / 1000;
  };
  let doc = TextDocument.create('file:///bench.py', 'python', 0, edited(0));
  let current = PythonAnalysis.run(parser, doc.getText());
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    let c = process.cpuUsage();
    parser.parse(text).delete();
    parse.push(performance.now() - t);
    cpu.parse.push(cpuMs(c));
    t = performance.now();
    c = process.cpuUsage();
    PythonAnalysis.run(parser, text).dispose();
    diagnostics.push(performance.now() - t);
    cpu.diagnostics.push(cpuMs(c));
    const change = { range: { start: { line: row, character: 4 }, end: { line: row, character: 5 } }, text: String((r + 1) % 10) };
    t = performance.now();
    c = process.cpuUsage();
    current.tree.edit(treeEdit(doc, change));
    doc = TextDocument.update(doc, [change], r + 1);
    const next = PythonAnalysis.run(parser, doc.getText(), current.tree);
    afterEdit.push(performance.now() - t);
    cpu.afterEdit.push(cpuMs(c));
    current.dispose();
    current = next;
  }
  current.dispose();
  const parseMs = median(parse);
  const diagnosticsMs = median(diagnostics);
  return { lines: text.split('\n').length, bytes: Buffer.byteLength(text), findings, parseMs, diagnosticsMs, editDiagnosticsMs: median(afterEdit), ratio: diagnosticsMs / parseMs, cpu: { parseMs: median(cpu.parse), diagnosticsMs: median(cpu.diagnostics), editDiagnosticsMs: median(cpu.afterEdit) } };
}

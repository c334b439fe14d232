/**
 * One analysed Python source: its tree, the IPC model read from it and the rules' findings.
 * The tree stays alive (the model points into it) until `dispose()`.
 */
import { IpcModel } from './ipcModel';
import type { Range, TextDocument } from 'vscode-languageserver-textdocument';
import { Edit, PythonParser, Tree } from './pythonParser';
import { Finding, runRules } from './rules';

export class PythonAnalysis {
  private constructor(
    readonly text: string,
    readonly tree: Tree,
    readonly model: IpcModel,
    readonly findings: Finding[],
    /** Syntax errors in the tree: findings are from the parts that parsed. */
    readonly syntaxErrors: boolean,
  ) {}

  /** `old`: the previous text's tree, edited to match `text` (an incremental parse); left to the caller to delete. */
  static run(parser: PythonParser, text: string, old?: Tree | null): PythonAnalysis {
    const tree = parser.parse(text, old);
    try {
      const model = new IpcModel(tree.rootNode, parser.find(tree.rootNode), text);
      return new PythonAnalysis(text, tree, model, runRules(model, text), tree.rootNode.hasError);
    } catch (e) {
      tree.delete();
      throw e;
    }
  }

  dispose(): void {
    this.tree.delete();
  }
}

/**
 * The tree edit for one ranged change of `doc` (before the change is applied). Positions are
 * UTF-16 code units on both sides: LSP counts them so, and web-tree-sitter parses a JS string so.
 */
export function treeEdit(doc: TextDocument, change: { range: Range; text: string }): Edit {
  const startIndex = doc.offsetAt(change.range.start);
  const oldEndIndex = doc.offsetAt(change.range.end);
  const start = doc.positionAt(startIndex);
  const oldEnd = doc.positionAt(oldEndIndex);
  const lines = change.text.split('\n');
  return new Edit({
    startIndex,
    oldEndIndex,
    newEndIndex: startIndex + change.text.length,
    startPosition: { row: start.line, column: start.character },
    oldEndPosition: { row: oldEnd.line, column: oldEnd.character },
    newEndPosition: { row: start.line + lines.length - 1, column: (lines.length === 1 ? start.character : 0) + lines[lines.length - 1].length },
  });
}

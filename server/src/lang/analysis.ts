/**
 * One analysed Python source: its tree, the IPC model read from it and the rules' findings.
 * The tree stays alive (the model points into it) until `dispose()`.
 */
import { IpcModel } from './ipcModel';
import { PythonParser, Tree } from './pythonParser';
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

  static run(parser: PythonParser, text: string): PythonAnalysis {
    const tree = parser.parse(text);
    try {
      const model = new IpcModel(tree.rootNode, parser.interesting(tree.rootNode));
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

/**
 * Python parsing with tree-sitter (web-tree-sitter and the tree-sitter-python grammar, both wasm).
 * The wasm files are copied next to the bundles by scripts/build.mjs and shipped in the .vsix, so
 * nothing here depends on node_modules or the repository's layout at run time.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Edit, Language, Node, Parser, Tree } from 'web-tree-sitter';

export { Edit };
export type { Node, Tree };

export const PARSER_WASM = 'web-tree-sitter.wasm';
export const PYTHON_WASM = 'tree-sitter-python.wasm';

/** The bundle's own directory, or its parent (the test bundles live in out/test/). */
export function wasmDir(): string {
  for (const dir of [__dirname, dirname(__dirname)]) if (existsSync(join(dir, PYTHON_WASM))) return dir;
  throw new Error(`IPC Scope: ${PYTHON_WASM} is missing next to ${__dirname}; rebuild with scripts/build.mjs`);
}

/**
 * What the analysis looks at, by node type, and the kind of each. They are found in one walk
 * inside the wasm (descendantsOfType): a query over the same types costs half again as much.
 */
const KINDS: Record<string, string> = {
  function_definition: 'function',
  lambda: 'function',
  call: 'call',
  assignment: 'assignment',
  augmented_assignment: 'augmented',
  import_statement: 'import',
  import_from_statement: 'import',
  with_statement: 'with',
  for_statement: 'for',
  while_statement: 'while',
};
const TYPES = Object.keys(KINDS);

/** One node the analysis looks at, in document order, and its kind. */
export interface Found {
  kind: string;
  node: Node;
}

export class PythonParser {
  private constructor(private readonly parser: Parser) {}

  /** Loads the wasm runtime and the grammar (once per process; later calls reuse it). */
  static load(): Promise<PythonParser> {
    loading ??= (async () => {
      const dir = wasmDir();
      await Parser.init({ locateFile: (file: string) => join(dir, file) });
      const language = await Language.load(join(dir, PYTHON_WASM));
      const parser = new Parser();
      parser.setLanguage(language);
      return new PythonParser(parser);
    })();
    return loading;
  }

  /**
   * A syntax tree; the caller must `delete()` it (trees live in wasm memory). With `old` (a tree of
   * the previous text, `edit()`ed for each change since) only the changed parts are parsed again.
   */
  parse(text: string, old?: Tree | null): Tree {
    const tree = this.parser.parse(text, old ?? null);
    if (!tree) throw new Error('tree-sitter returned no tree');
    return tree;
  }

  /** Every node the analysis looks at, in document order (parents before their children). */
  find(root: Node): Found[] {
    const nodes = root.descendantsOfType(TYPES);
    const out: Found[] = new Array(nodes.length);
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i];
      out[i] = { kind: KINDS[node.type], node };
    }
    return out;
  }
}

let loading: Promise<PythonParser> | null = null;

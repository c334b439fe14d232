/**
 * Python parsing with tree-sitter (web-tree-sitter and the tree-sitter-python grammar, both wasm).
 * The wasm files are copied next to the bundles by scripts/build.mjs and shipped in the .vsix, so
 * nothing here depends on node_modules or the repository's layout at run time.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Edit, Language, Node, Parser, Query, Tree } from 'web-tree-sitter';

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
 * What the analysis looks at, found in one pass by a query run inside the wasm: each pattern's
 * first capture names the match, the others are its parts (fewer calls into the wasm later).
 */
const PATTERNS = `
(function_definition) @function
(lambda) @function
(call) @call
(assignment left: (_) @left right: (_) @right) @assignment
(augmented_assignment left: (_) @left) @augmented
(import_statement) @import
(import_from_statement) @import
(with_statement) @with
(for_statement left: (_) @left right: (_) @right) @for
`;

/** One match: its kind (the pattern's first capture) and its captured nodes by name. */
export interface Found {
  kind: string;
  node: Node;
  parts: Record<string, Node>;
}

export class PythonParser {
  private constructor(
    private readonly parser: Parser,
    private readonly query: Query,
  ) {}

  /** Loads the wasm runtime and the grammar (once per process; later calls reuse it). */
  static load(): Promise<PythonParser> {
    loading ??= (async () => {
      const dir = wasmDir();
      await Parser.init({ locateFile: (file: string) => join(dir, file) });
      const language = await Language.load(join(dir, PYTHON_WASM));
      const parser = new Parser();
      parser.setLanguage(language);
      const query = new Query(language, PATTERNS);
      return new PythonParser(parser, query);
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

  /** Every match of the patterns in the tree, in document order. */
  find(root: Node): Found[] {
    const out: Found[] = [];
    for (const m of this.query.matches(root)) {
      const [first, ...rest] = m.captures;
      if (!first) continue;
      const parts: Record<string, Node> = {};
      for (const c of rest) parts[c.name] = c.node;
      out.push({ kind: first.name, node: first.node, parts });
    }
    return out;
  }
}

let loading: Promise<PythonParser> | null = null;

/**
 * Python parsing with tree-sitter (web-tree-sitter and the tree-sitter-python grammar, both wasm).
 * The wasm files are copied next to the bundles by scripts/build.mjs and shipped in the .vsix, so
 * nothing here depends on node_modules or the repository's layout at run time.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Language, Node, Parser, Query, Tree } from 'web-tree-sitter';

export type { Node, Tree };

export const PARSER_WASM = 'web-tree-sitter.wasm';
export const PYTHON_WASM = 'tree-sitter-python.wasm';

/** The bundle's own directory, or its parent (the test bundles live in out/test/). */
export function wasmDir(): string {
  for (const dir of [__dirname, dirname(__dirname)]) if (existsSync(join(dir, PYTHON_WASM))) return dir;
  throw new Error(`IPC Scope: ${PYTHON_WASM} is missing next to ${__dirname}; rebuild with scripts/build.mjs`);
}

/** Node types the analysis looks at, found in one pass by a query run inside the wasm. */
const INTERESTING = ['call', 'assignment', 'augmented_assignment', 'import_statement', 'import_from_statement', 'if_statement', 'with_statement', 'for_statement'];

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
      const query = new Query(language, INTERESTING.map((t) => `(${t}) @${t}`).join('\n'));
      return new PythonParser(parser, query);
    })();
    return loading;
  }

  /** A syntax tree; the caller must `delete()` it (trees live in wasm memory). */
  parse(text: string): Tree {
    const tree = this.parser.parse(text);
    if (!tree) throw new Error('tree-sitter returned no tree');
    return tree;
  }

  /** Every interesting node of the tree, in document order. */
  interesting(root: Node): Node[] {
    return this.query.captures(root).map((c) => c.node);
  }
}

let loading: Promise<PythonParser> | null = null;

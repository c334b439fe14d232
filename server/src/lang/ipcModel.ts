/**
 * What a Python file does with processes and IPC, read from its tree-sitter syntax tree: which
 * names are bound to which multiprocessing objects (queues, pipe ends, shared values, processes,
 * pools…), where each was created, and which functions receive them as a Process's arguments.
 *
 * Resolution is by name and scope (a function's locals, the parameters a Process target receives,
 * then the module's globals), the way a reader follows the code; anything it cannot follow is
 * left unresolved, so the rules built on it stay quiet rather than guess.
 */
import type { Found, Node } from './pythonParser';

export type IpcKind = 'Process' | 'Pool' | 'Queue' | 'Pipe' | 'Value' | 'Array' | 'SharedMemory' | 'Lock' | 'Semaphore' | 'Event' | 'Barrier' | 'Manager';

/** multiprocessing constructors by the name they are called with. */
const MP_KINDS: Record<string, IpcKind> = {
  Process: 'Process',
  Pool: 'Pool',
  Queue: 'Queue',
  JoinableQueue: 'Queue',
  SimpleQueue: 'Queue',
  Pipe: 'Pipe',
  Value: 'Value',
  RawValue: 'Value',
  Array: 'Array',
  RawArray: 'Array',
  SharedMemory: 'SharedMemory',
  ShareableList: 'SharedMemory',
  Lock: 'Lock',
  RLock: 'Lock',
  Semaphore: 'Semaphore',
  BoundedSemaphore: 'Semaphore',
  Condition: 'Lock',
  Event: 'Event',
  Barrier: 'Barrier',
  Manager: 'Manager',
};

export interface IpcObject {
  kind: IpcKind;
  /** The constructor's own name: Queue, JoinableQueue, RawValue, SharedMemory, … */
  ctor: string;
  /** The variable it is bound to (for a Pipe, each end is an object of its own). */
  name: string;
  call: Node;
  /** The statement that binds it (assignment or with). */
  binding: Node;
  /** function_definition or module whose name it is. */
  scope: Node;
  /** A list of them, e.g. `[ctx.Process(...) for i in range(n)]`. */
  many: boolean;
  /** With `with … as name:` (closed by the with). */
  managed: boolean;
  /** For Pipe(duplex=False): the first end only receives, the second only sends. */
  end: 'recv' | 'send' | null;
  peer: IpcObject | null;
}

export interface MethodCall {
  call: Node;
  /** The name the method is called on (`q` in `q.get()`). */
  receiver: string;
  method: string;
  /** What the receiver refers to, when known. */
  obj: IpcObject | null;
}

/**
 * `left = right` or `left += right`. Its sides are fetched from the wasm only when looked at: the
 * left starts where the statement does (its first name is read from the source), and in a plain
 * `name = …` the name and where the right side starts are read from the source too.
 */
export class Assignment {
  private leftNode: Node | null = null;
  constructor(
    readonly node: Node,
    /** Where the right side starts (-1 for `left += …`: the rules never look at it). */
    readonly rightStart: number,
    /** The left side when it is a name read from the source; null when only the tree can tell. */
    readonly leftName: string | null,
    private rightNode: Node | null = null,
  ) {}
  get left(): Node {
    // Every assignment has a left side: the grammar's rule starts with it.
    return (this.leftNode ??= this.node.childForFieldName('left')!);
  }
  get right(): Node {
    return (this.rightNode ??= this.node.childForFieldName('right')!);
  }
}

export const isFunctionScope = (n: Node) => n.type === 'function_definition' || n.type === 'lambda';

/** `__name__ == "__main__"` (either way round). */
export function isMainGuard(ifStatement: Node): boolean {
  const c = ifStatement.childForFieldName('condition');
  if (!c || c.type !== 'comparison_operator' || c.namedChildCount !== 2 || !c.children.some((t) => t?.type === '==')) return false;
  const [a, b] = c.namedChildren;
  const isName = (n: Node | null) => n?.type === 'identifier' && n.text === '__name__';
  const isMain = (n: Node | null) => n?.type === 'string' && /^[rbuf]*(['"]{1,3})__main__\1$/i.test(n.text);
  return (isName(a) && isMain(b)) || (isMain(a) && isName(b));
}

/** Names bound by a function's parameters, in order. */
export function parameterNames(fn: Node): string[] {
  const params = fn.childForFieldName('parameters');
  const out: string[] = [];
  for (const p of params?.namedChildren ?? []) {
    if (!p) continue;
    if (p.type === 'identifier') out.push(p.text);
    else if (p.type === 'typed_parameter') out.push(p.namedChildren[0]?.type === 'identifier' ? p.namedChildren[0].text : '');
    else if (p.type === 'default_parameter' || p.type === 'typed_default_parameter') out.push(p.childForFieldName('name')?.text ?? '');
    else if (p.type === 'list_splat_pattern' || p.type === 'dictionary_splat_pattern' || p.type === 'keyword_separator' || p.type === 'positional_separator') break;
  }
  return out;
}

/** A Python identifier (ASCII letters, digits, _, and any non-ASCII letter), matched where it starts. */
const NAME = /[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*/y;
/** The modules the rules look at: names from any other module are never followed. */
const RULE_MODULES = new Set(['multiprocessing', 'os', 'signal', 'sys', 'tempfile', 'shutil', 'posix_ipc', 'sysv_ipc']);
/** `a.b.c` as one piece of ASCII text: an attribute whose parts are all names (or a keyword). */
const DOTTED = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$/;
/** `name =` (not `==`) and the blanks after it, matched where an assignment starts. */
const NAME_EQUALS = /[A-Za-z_]\w*[ \t]*=(?!=)[ \t]*/y;
/** `a.b.c(` or `f(`, matched where a call starts. */
const DOTTED_CALL = /[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*\(/y;
/** Python's keywords: never an identifier in the tree. */
const KEYWORDS = new Set(['False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield']);
/** The keywords a function_definition node starts with, up to its name. */
const DEF = /(?:async\s+)?def\s+/y;

export class IpcModel {
  /** Local name → fully qualified name, from the imports ("mp" → "multiprocessing"). */
  readonly imports = new Map<string, string>();
  /** Names bound to `multiprocessing.get_context(...)`: they create objects like the module does. */
  readonly contexts = new Set<string>();
  readonly objects: IpcObject[] = [];
  readonly methodCalls: MethodCall[] = [];
  /** The calls callee() can name: those whose text starts with an imported name or a context. */
  readonly calls: Node[];
  readonly augmented: Assignment[] = [];
  /** `left = right` (not `left: type` alone). */
  readonly assignments: Assignment[] = [];
  readonly withStatements: Node[] = [];
  /** Functions outside any other function, by name (a Process's target); made on first use. */
  private functionsByName: Map<string, Node> | null = null;
  /** Every name something is bound to (in any scope): most identifiers are ruled out by it. */
  private boundNames = new Set<string>();
  private readonly locals = new Map<string, IpcObject>();
  private readonly params = new Map<string, IpcObject>();
  /** The extents of the while loops, by start. */
  private readonly whileLoops: Array<{ start: number; end: number }> = [];
  /** Functions and lambdas by start, each with the index of the one it is nested in (-1: none). */
  private readonly scopes: Array<{ node: Node; start: number; end: number; outer: number }> = [];
  private readonly calleeCache = new Map<number, string | null>();
  /** Calls whose function starts with another call (`f(x)(y)`, `mp.get_context(m).Queue()`), by id. */
  private readonly chainedCalls = new Set<number>();
  /** Per call, its argument_list's (or generator's) named children: several rules look at them. */
  private readonly argumentsCache = new Map<number, { list: boolean; args: Node[] }>();
  private readonly parameterNamesCache = new Map<number, string[]>();
  private readonly callsByObject = new Map<IpcObject, MethodCall[]>();
  private readonly sharersCache = new Map<IpcObject, number>();
  /** Per Process: the objects it is given and the target parameter receiving each. */
  readonly processArguments = new Map<IpcObject, Array<{ obj: IpcObject; fn: Node; name: string }>>();

  /**
   * `source`: the parsed text. A name's text is read from it at the node's start (a field of the
   * node) rather than through the node (a call into the wasm per name): it is the hot path.
   */
  constructor(
    readonly root: Node,
    found: Found[],
    private readonly source: string,
  ) {
    const loops: Array<{ node: Node; left: Node; right: Node }> = [];
    const calls: Node[] = [];
    const clean = !root.hasError;
    const open: number[] = [];
    for (let i = 0; i < found.length; i++) {
      const { kind, node: n } = found[i];
      switch (kind) {
        case 'function': {
          // Nodes come in document order, so the enclosing function is on the stack.
          while (open.length && this.scopes[open[open.length - 1]].end <= n.startIndex) open.pop();
          this.scopes.push({ node: n, start: n.startIndex, end: n.endIndex, outer: open.length ? open[open.length - 1] : -1 });
          open.push(this.scopes.length - 1);
          break;
        }
        case 'call': {
          calls.push(n);
          // Nodes come parents first: one starting here too is inside this call's function.
          if (found[i + 1]?.node.startIndex === n.startIndex) this.chainedCalls.add(n.id);
          // `name.method(…)`, read at the call's start: a query pattern for it costs more than the
          // whole parse. Spaced-out forms (`q . get ()`) are left out, so rules stay quiet on them.
          const receiver = this.nameAt(n.startIndex);
          const dot = n.startIndex + receiver.length;
          if (receiver && this.source[dot] === '.') {
            const method = this.nameAt(dot + 1);
            if (method && this.source[dot + 1 + method.length] === '(') this.methodCalls.push({ call: n, receiver, method, obj: null });
          }
          break;
        }
        case 'assignment': {
          // `name = value` in a tree without errors: the value starts after the `=` and its blanks
          // (on the same line: not after a line continuation or a comment).
          NAME_EQUALS.lastIndex = n.startIndex;
          const valueAt = clean && NAME_EQUALS.test(this.source) ? NAME_EQUALS.lastIndex : -1;
          const next = valueAt === -1 ? '' : this.source.charAt(valueAt);
          const plain = next !== '' && !'\\#\r\n'.includes(next);
          const name = plain ? this.nameAt(n.startIndex) : '';
          if (plain && !KEYWORDS.has(name)) {
            this.assignments.push(new Assignment(n, valueAt, name));
          } else {
            const right = n.childForFieldName('right');
            if (right) this.assignments.push(new Assignment(n, right.startIndex, null, right));
          }
          break;
        }
        case 'augmented':
          this.augmented.push(new Assignment(n, -1, null));
          break;
        case 'import':
          this.readImport(n);
          break;
        case 'with':
          this.withStatements.push(n);
          break;
        case 'while':
          this.whileLoops.push({ start: n.startIndex, end: n.endIndex });
          break;
        case 'for': {
          const left = n.childForFieldName('left');
          const right = n.childForFieldName('right');
          if (left && right) loops.push({ node: n, left, right });
          break;
        }
      }
    }
    // Contexts first: `ctx = mp.get_context(m)` makes `ctx.Queue()` a multiprocessing Queue.
    for (const a of this.assignments) {
      if (!this.mayQualifyAt(a.rightStart)) continue;
      const name = a.leftName ?? (a.left.type === 'identifier' ? a.left.text : null);
      if (name !== null && a.right.type === 'call' && this.qualify(a.right) === 'multiprocessing') this.contexts.add(name);
    }
    // Most calls name nothing the rules know: the rules need not go through them all, several times.
    this.calls = calls.filter((c) => this.mayQualify(c));
    for (const a of this.assignments) this.bindAssignment(a);
    for (const w of this.withStatements) this.bindWith(w);
    for (const f of loops) this.bindLoopVariable(f.node, f.left, f.right);
    for (const o of [...this.objects]) if (o.kind === 'Process') this.bindTargetParameters(o);
    for (const key of [...this.locals.keys(), ...this.params.keys()]) this.boundNames.add(key.slice(key.indexOf(':') + 1));
    for (const mc of this.methodCalls) {
      // Most receivers name no object at all: a set lookup rules them out.
      if (!this.isBound(mc.receiver)) continue;
      mc.obj = this.resolveName(mc.receiver, mc.call);
      if (!mc.obj) continue;
      const calls = this.callsByObject.get(mc.obj);
      if (calls) calls.push(mc);
      else this.callsByObject.set(mc.obj, [mc]);
    }
  }

  /** Whether `node` starts inside some while loop (a cheap test before walking up the tree). */
  inWhileLoop(node: Node): boolean {
    const at = node.startIndex;
    return this.whileLoops.some((w) => w.start <= at && at < w.end);
  }

  private argumentsOf(call: Node): { list: boolean; args: Node[] } {
    let a = this.argumentsCache.get(call.id);
    if (!a) {
      const node = call.childForFieldName('arguments');
      a = { list: node?.type === 'argument_list', args: (node?.namedChildren ?? []).filter((x): x is Node => !!x) };
      this.argumentsCache.set(call.id, a);
    }
    return a;
  }

  /** The value of a call's keyword argument `name=value`, or null. */
  keywordArgument(call: Node, name: string): Node | null {
    for (const a of this.argumentsOf(call).args) {
      // It starts with its name: the other arguments are ruled out without a call into the wasm.
      if (this.source.startsWith(name, a.startIndex) && a.type === 'keyword_argument' && a.childForFieldName('name')?.text === name) return a.childForFieldName('value');
    }
    return null;
  }

  /** A call's arguments given by position (not `name=`, `*` or `**` ones). */
  positionalArguments(call: Node): Node[] {
    const { list, args } = this.argumentsOf(call);
    if (!list) return [];
    return args.filter((a) => a.type !== 'keyword_argument' && a.type !== 'comment' && a.type !== 'list_splat' && a.type !== 'dictionary_splat');
  }

  /** Whether some object is known by this name somewhere (a cheap test before resolve()). */
  isBound(name: string): boolean {
    return this.boundNames.has(name);
  }

  /** A top-level function (or method) by name: its name is read after `def` in the source. */
  functionNamed(name: string): Node | undefined {
    if (!this.functionsByName) {
      this.functionsByName = new Map();
      for (const s of this.scopes) {
        if (s.outer !== -1) continue;
        DEF.lastIndex = s.start;
        const def = DEF.exec(this.source);
        if (!def) continue; // a lambda
        const fnName = this.nameAt(s.start + def[0].length);
        if (fnName && !this.functionsByName.has(fnName)) this.functionsByName.set(fnName, s.node);
      }
    }
    return this.functionsByName.get(name);
  }

  /** The function (or the module) whose local names `node` uses, from the functions' extents. */
  scopeOf(node: Node): Node {
    const at = node.startIndex;
    // The last function starting at or before `at`, then out through its enclosing ones.
    let lo = 0;
    let hi = this.scopes.length - 1;
    let i = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.scopes[mid].start <= at) {
        i = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    while (i >= 0) {
      const s = this.scopes[i];
      // A def's own name and decorators belong outside it; its parameters and body inside.
      if (at < s.end && (at > s.start || node.id !== s.node.id)) return s.node;
      i = s.outer;
    }
    return this.root;
  }

  /** Whether an expression's first name is imported or a context (what qualify() needs), read from its text alone. */
  private mayQualify(expr: Node): boolean {
    return this.mayQualifyAt(expr.startIndex);
  }

  private mayQualifyAt(index: number): boolean {
    const first = this.nameAt(index);
    if (first === '' || this.contexts.has(first)) return first !== '';
    const module = this.imports.get(first);
    if (module === undefined) return false;
    const dot = module.indexOf('.');
    return RULE_MODULES.has(dot === -1 ? module : module.slice(0, dot));
  }

  /** The Python name that starts at `index` of the source ("" if none does). */
  nameAt(index: number): string {
    NAME.lastIndex = index;
    return NAME.test(this.source) ? this.source.slice(index, NAME.lastIndex) : '';
  }

  /**
   * The dotted name an expression stands for, following imports and contexts: `mp.Queue` →
   * "multiprocessing.Queue", `ctx.Process` → "multiprocessing.Process", `fork` → "os.fork";
   * `mp.get_context("spawn")` → "multiprocessing". Null for anything else.
   */
  qualify(expr: Node | null): string | null {
    if (!expr) return null;
    switch (expr.type) {
      case 'identifier':
        return this.qualifyName(this.source.slice(expr.startIndex, expr.endIndex));
      case 'attribute': {
        // Read from the source: one call into the wasm for the end, not several per part.
        const text = this.source.slice(expr.startIndex, expr.endIndex);
        const q = DOTTED.test(text) ? this.qualifyDotted(text) : undefined;
        if (q !== undefined) return q;
        const base = this.qualify(expr.childForFieldName('object'));
        const attr = expr.childForFieldName('attribute')?.text;
        return base && attr ? `${base}.${attr}` : null;
      }
      case 'call': {
        const fn = this.qualify(expr.childForFieldName('function'));
        return fn === 'multiprocessing.get_context' || fn === 'multiprocessing.context.get_context' ? 'multiprocessing' : null;
      }
      default:
        return null;
    }
  }

  private qualifyName(name: string): string | null {
    return this.imports.get(name) ?? (this.contexts.has(name) ? 'multiprocessing' : null);
  }

  /** qualify() of `a.b.c` read as text; undefined if a part is a keyword (no name in the tree: it knows what that is). */
  private qualifyDotted(text: string): string | null | undefined {
    const names = text.split('.');
    if (names.some((n) => KEYWORDS.has(n))) return undefined;
    if (names.length === 1) return this.qualifyName(text);
    const base = this.qualifyName(names[0]);
    return base ? base + text.slice(names[0].length) : null;
  }

  /** The name of the function a call calls, qualified ("os.waitpid"), or null. */
  callee(call: Node): string | null {
    let q = this.calleeCache.get(call.id);
    if (q === undefined) {
      q = null;
      // A call's text starts with its function's: most calls are ruled out without looking further.
      if (this.mayQualify(call)) {
        // `a.b.c(` with no call inside starting there: its function is that name, read from the source.
        DOTTED_CALL.lastIndex = call.startIndex;
        const fromText = !this.chainedCalls.has(call.id) && DOTTED_CALL.test(this.source) ? this.qualifyDotted(this.source.slice(call.startIndex, DOTTED_CALL.lastIndex - 1)) : undefined;
        q = fromText !== undefined ? fromText : this.qualify(call.childForFieldName('function'));
      }
      this.calleeCache.set(call.id, q);
    }
    return q;
  }

  /** The multiprocessing constructor a call is, with its kind, or null. */
  constructorOf(call: Node): { kind: IpcKind; ctor: string } | null {
    const q = this.callee(call);
    if (!q || !q.startsWith('multiprocessing.')) return null;
    const ctor = q.slice(q.lastIndexOf('.') + 1);
    const kind = Object.prototype.hasOwnProperty.call(MP_KINDS, ctor) ? MP_KINDS[ctor] : undefined;
    return kind ? { kind, ctor } : null;
  }

  /** The object an identifier refers to at its place, or null. */
  resolve(id: Node): IpcObject | null {
    if (id.type !== 'identifier') return null;
    return this.resolveName(this.nameAt(id.startIndex), id);
  }

  /** The object `name` refers to where `at` is. */
  resolveName(name: string, at: Node): IpcObject | null {
    const scope = this.scopeOf(at);
    return this.locals.get(`${scope.id}:${name}`) ?? this.params.get(`${scope.id}:${name}`) ?? this.locals.get(`${this.root.id}:${name}`) ?? null;
  }

  /** Method calls on an object (through every name it is known by). */
  callsOn(obj: IpcObject, methods?: string[]): MethodCall[] {
    const all = this.callsByObject.get(obj) ?? [];
    return methods ? all.filter((m) => methods.includes(m.method)) : all;
  }

  private readImport(n: Node): void {
    if (n.type === 'import_statement') {
      for (const name of n.childrenForFieldName('name')) {
        if (!name) continue;
        if (name.type === 'aliased_import') {
          const alias = name.childForFieldName('alias')?.text;
          const full = name.childForFieldName('name')?.text;
          if (alias && full) this.imports.set(alias, full);
        } else {
          // `import a.b` binds `a`.
          const first = name.text.split('.')[0];
          this.imports.set(first, first);
        }
      }
      return;
    }
    const module = n.childForFieldName('module_name');
    if (!module || module.type !== 'dotted_name') return; // relative imports are the user's own modules
    for (const name of n.childrenForFieldName('name')) {
      if (!name) continue;
      if (name.type === 'aliased_import') {
        const alias = name.childForFieldName('alias')?.text;
        const orig = name.childForFieldName('name')?.text;
        if (alias && orig) this.imports.set(alias, `${module.text}.${orig}`);
      } else {
        this.imports.set(name.text, `${module.text}.${name.text}`);
      }
    }
  }

  /** Callers write every field out: V8 builds `{ ...c, name }` on a slow path, microseconds per object. */
  private add(o: IpcObject): IpcObject {
    this.objects.push(o);
    const key = `${o.scope.id}:${o.name}`;
    if (!this.locals.has(key)) this.locals.set(key, o);
    return o;
  }

  private bindAssignment(assignment: Assignment): void {
    // Only `name = mp.X(...)` and `[...]` can bind an object: most assignments stop here.
    if (this.source[assignment.rightStart] !== '[' && !this.mayQualifyAt(assignment.rightStart)) return;
    const { node: a, right } = assignment;
    const rightType = right.type;
    if (rightType !== 'call' && rightType !== 'list_comprehension' && rightType !== 'list') return;
    if (rightType === 'call' && !this.mayQualify(right)) return;
    const name = assignment.leftName ?? (assignment.left.type === 'identifier' ? assignment.left.text : null);
    const scope = this.scopeOf(a);
    if (rightType === 'call') {
      const c = this.constructorOf(right);
      if (!c) return;
      const left = name === null ? assignment.left : null;
      if (c.kind === 'Pipe' && left && (left.type === 'pattern_list' || left.type === 'tuple_pattern') && left.namedChildCount === 2) {
        const [first, second] = left.namedChildren;
        const duplexArg = this.keywordArgument(right, 'duplex') ?? this.positionalArguments(right)[0] ?? null;
        const oneWay = duplexArg?.type === 'false';
        if (first?.type !== 'identifier' || second?.type !== 'identifier') return;
        const r = this.add({ kind: 'Pipe', ctor: c.ctor, name: first.text, call: right, binding: a, scope, many: false, managed: false, end: oneWay ? 'recv' : null, peer: null });
        const s = this.add({ kind: 'Pipe', ctor: c.ctor, name: second.text, call: right, binding: a, scope, many: false, managed: false, end: oneWay ? 'send' : null, peer: r });
        r.peer = s;
        return;
      }
      if (name !== null) this.add({ kind: c.kind, ctor: c.ctor, name, call: right, binding: a, scope, many: false, managed: false, end: null, peer: null });
      return;
    }
    if (name === null) return;
    // `[ctx.Process(...) for …]` or `[ctx.Process(...), ctx.Process(...)]`
    let calls: Node[] = [];
    if (right.type === 'list_comprehension') calls = [right.childForFieldName('body')].filter((b): b is Node => b?.type === 'call');
    else if (right.type === 'list') calls = right.namedChildren.filter((x): x is Node => x?.type === 'call');
    if (!calls.length || (right.type === 'list' && calls.length !== right.namedChildCount)) return;
    const kinds = calls.map((x) => this.constructorOf(x));
    const first = kinds[0];
    if (!first || kinds.some((k) => !k || k.kind !== first.kind)) return;
    this.add({ kind: first.kind, ctor: first.ctor, name, call: calls[0], binding: a, scope, many: true, managed: false, end: null, peer: null });
  }

  private bindWith(w: Node): void {
    const clause = w.namedChildren.find((c) => c?.type === 'with_clause');
    for (const item of clause?.namedChildren ?? []) {
      const value = item?.childForFieldName('value');
      if (value?.type !== 'as_pattern') continue;
      const call = value.namedChildren[0];
      const target = value.childForFieldName('alias')?.namedChildren[0];
      if (call?.type !== 'call' || target?.type !== 'identifier') continue;
      const c = this.constructorOf(call);
      if (c) this.add({ kind: c.kind, ctor: c.ctor, name: target.text, call, binding: w, scope: this.scopeOf(w), many: false, managed: true, end: null, peer: null });
    }
  }

  /** `for p in procs:` — p is each of the processes in `procs`. */
  private bindLoopVariable(f: Node, left: Node, right: Node): void {
    if (left.type !== 'identifier' || right.type !== 'identifier') return;
    const obj = this.resolve(right);
    if (obj?.many) this.locals.set(`${this.scopeOf(f).id}:${left.text}`, obj);
  }

  /** `Process(target=worker, args=(q, v))`: inside `worker`, its parameters are q and v. */
  private bindTargetParameters(p: IpcObject): void {
    const target = this.keywordArgument(p.call, 'target');
    const args = this.keywordArgument(p.call, 'args');
    if (target?.type !== 'identifier' || !args || (args.type !== 'tuple' && args.type !== 'list')) return;
    const fn = this.functionNamed(target.text);
    if (!fn) return;
    let names = this.parameterNamesCache.get(fn.id);
    if (!names) this.parameterNamesCache.set(fn.id, (names = parameterNames(fn)));
    const given: Array<{ obj: IpcObject; fn: Node; name: string }> = [];
    args.namedChildren.forEach((arg, i) => {
      if (arg?.type !== 'identifier' || !names[i]) return;
      const obj = this.resolve(arg);
      if (!obj) return;
      given.push({ obj, fn, name: names[i] });
      const key = `${fn.id}:${names[i]}`;
      if (!this.params.has(key)) this.params.set(key, obj);
    });
    this.processArguments.set(p, given);
  }

  /** How many processes are given `obj` as an argument (a list of processes counts as two). */
  sharers(obj: IpcObject): number {
    let n = this.sharersCache.get(obj);
    if (n === undefined) {
      n = 0;
      for (const [p, given] of this.processArguments) if (given.some((g) => g.obj === obj)) n += p.many ? 2 : 1;
      this.sharersCache.set(obj, n);
    }
    return n;
  }

  /** The function a Process runs and the parameter that receives `obj`, when known. */
  targetParameter(p: IpcObject, obj: IpcObject): { fn: Node; name: string } | null {
    // A loop, not find(): the rules ask for every pair of processes and queues.
    const given = this.processArguments.get(p);
    if (given) for (const g of given) if (g.obj === obj) return g;
    return null;
  }
}

/**
 * The IPC rules: mistakes in multiprocessing code that the multiprocessing guidelines warn about,
 * found on the syntax tree (never by matching text). Each finding says what is wrong and why, and
 * carries a fix when one can be made without guessing the program's intent.
 */
import type { LanguageRule, RuleLevel } from '../../../protocol/protocol';
import { IpcModel, IpcObject, isFunctionScope, isMainGuard } from './ipcModel';
import type { Node } from './pythonParser';

export interface Pos {
  line: number;
  character: number;
}
export interface Edit {
  range: { start: Pos; end: Pos };
  newText: string;
}
export interface Finding {
  rule: LanguageRule;
  start: Pos;
  end: Pos;
  message: string;
  fix: { title: string; edits: Edit[] } | null;
}

export const RULE_DEFAULTS: Record<LanguageRule, RuleLevel> = {
  unguardedProcess: 'error',
  unjoinedProcess: 'warning',
  forkWithoutWait: 'warning',
  unlockedSharedUpdate: 'warning',
  resourceNeverUnlinked: 'warning',
  blockingReceiveLoop: 'warning',
  joinBeforeDrain: 'warning',
  wrongPipeEnd: 'error',
};

/** One line on each rule: shown with the diagnostic's code and in the settings. */
export const RULE_TITLES: Record<LanguageRule, string> = {
  unguardedProcess: 'Process or Pool created at module level without an `if __name__ == "__main__":` guard',
  unjoinedProcess: 'Process started and never joined, or Pool never closed and joined',
  forkWithoutWait: 'os.fork() in a program that never waits for its children and does not ignore SIGCHLD',
  unlockedSharedUpdate: 'Read-modify-write of a shared Value/Array outside its lock',
  resourceNeverUnlinked: 'SharedMemory(create=True), a FIFO or a named semaphore that is never unlinked',
  blockingReceiveLoop: 'get()/recv() without a timeout in a loop that has no way out',
  joinBeforeDrain: 'join() on a process that puts into a queue, before the queue is drained',
  wrongPipeEnd: 'The wrong end of Pipe(duplex=False) used',
};

const pos = (p: { row: number; column: number }): Pos => ({ line: p.row, character: p.column });

function finding(rule: LanguageRule, node: Node, message: string, fix: Finding['fix'] = null): Finding {
  return { rule, start: pos(node.startPosition), end: pos(node.endPosition), message, fix };
}

const line1 = (n: Node) => n.startPosition.row + 1;

function ancestors(n: Node, stopAtFunction = true): Node[] {
  const out: Node[] = [];
  for (let p = n.parent; p; p = p.parent) {
    out.push(p);
    if (stopAtFunction && isFunctionScope(p)) break;
  }
  return out;
}

/** The statement (direct child of a block or the module) that holds `n`. */
function statementOf(n: Node): Node {
  let s = n;
  while (s.parent && s.parent.type !== 'block' && s.parent.type !== 'module') s = s.parent;
  return s;
}

/** Inside `if __name__ == "__main__":` (its body, not its else). */
function underMainGuard(n: Node): boolean {
  return ancestors(n, false).some((a) => a.type === 'block' && a.parent?.type === 'if_statement' && a.parent.childForFieldName('consequence')?.id === a.id && isMainGuard(a.parent));
}

// ---- editing helpers -------------------------------------------------------------------------

/**
 * The source's lines (without their line breaks, as `text.split(/\r?\n/)` gives them). Only fixes
 * read them, a few lines each: the line starts are found once and no other line is copied.
 */
class SourceLines {
  private starts: number[] | null = null;
  constructor(readonly text: string) {}

  /** Line `row`, or "" past the last. */
  line(row: number): string {
    const starts = (this.starts ??= lineStarts(this.text));
    if (row < 0 || row >= starts.length) return '';
    let end = row + 1 < starts.length ? starts[row + 1] - 1 : this.text.length;
    if (end > starts[row] && row + 1 < starts.length && this.text[end - 1] === '\r') end--;
    return this.text.slice(starts[row], end);
  }

  get count(): number {
    return (this.starts ??= lineStarts(this.text)).length;
  }
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function indentOf(src: SourceLines, row: number): string {
  return /^[ \t]*/.exec(src.line(row))![0];
}
/** One more level than `indent`, in the file's own style. */
function deeper(indent: string): string {
  return indent.includes('\t') ? `${indent}\t` : `${indent}    `;
}
/** Whether a statement is alone on its lines (nothing before or after it), so it can be moved or wrapped. */
function aloneOnItsLines(src: SourceLines, stmt: Node): boolean {
  const first = src.line(stmt.startPosition.row);
  const last = src.line(stmt.endPosition.row);
  return first.slice(0, stmt.startPosition.column).trim() === '' && /^\s*(#.*)?$/.test(last.slice(stmt.endPosition.column));
}
/** Re-indents whole lines [from, to] by `extra` (blank lines stay blank). */
function indentLines(src: SourceLines, from: number, to: number, extra: string): string {
  const out: string[] = [];
  for (let row = from; row <= to && row < src.count; row++) {
    const l = src.line(row);
    out.push(l.trim() ? extra + l : l);
  }
  return out.join('\n');
}
function lineRange(src: SourceLines, from: number, to: number): Edit['range'] {
  return { start: { line: from, character: 0 }, end: { line: to, character: src.line(to).length } };
}
/** Text inserted as new lines after line `row`. */
function insertAfter(src: SourceLines, row: number, text: string): Edit {
  const end = src.line(row).length;
  return { range: { start: { line: row, character: end }, end: { line: row, character: end } }, newText: `\n${text}` };
}

// ---- the rules -------------------------------------------------------------------------------

/** 1: a Process/Pool made while the module is imported runs again in every spawn/forkserver child. */
function unguardedProcess(m: IpcModel, src: SourceLines, out: Finding[]): void {
  for (const call of m.calls) {
    const c = m.constructorOf(call);
    if (!c || (c.kind !== 'Process' && c.kind !== 'Pool')) continue;
    // In a def or lambda: known from the functions' extents, without walking up the tree.
    if (m.scopeOf(call) !== m.root || underMainGuard(call)) continue;
    const stmt = statementOf(call);
    let fix: Finding['fix'] = null;
    if (stmt.parent?.type === 'module' && aloneOnItsLines(src, stmt)) {
      // Wrap this statement and the module-level statements after it, up to the next definition or import.
      let last = stmt;
      for (let s = stmt.nextNamedSibling; s && !['function_definition', 'class_definition', 'decorated_definition', 'import_statement', 'import_from_statement'].includes(s.type) && !(s.type === 'if_statement' && isMainGuard(s)); s = s.nextNamedSibling) {
        if (s.type !== 'comment') last = s;
      }
      const from = stmt.startPosition.row;
      const to = last.endPosition.row;
      fix = {
        title: 'Move into an `if __name__ == "__main__":` guard',
        edits: [{ range: lineRange(src, from, to), newText: `if __name__ == "__main__":\n${indentLines(src, from, to, '    ')}` }],
      };
    }
    out.push(
      finding(
        'unguardedProcess',
        call.childForFieldName('function') ?? call,
        `${c.ctor}() is created at module level, outside \`if __name__ == "__main__":\`. With the spawn and forkserver start methods every child imports this module again and would create it again (RuntimeError: "An attempt has been made to start a new process before the current process has finished its bootstrapping phase"). Put it under the guard.`,
        fix,
      ),
    );
  }
}

/** Identifiers naming `name` in `scope` other than as the receiver of a method call or attribute. */
function escapes(m: IpcModel, obj: IpcObject): boolean {
  const scope = obj.scope;
  for (const id of scope.descendantsOfType('identifier')) {
    if (!id || id.text !== obj.name || m.resolve(id) !== obj) continue;
    const p = id.parent;
    if (!p) continue;
    if (p.type === 'attribute' && p.childForFieldName('object')?.id === id.id) {
      // p.daemon = True: a daemon is never joined on purpose.
      if (p.childForFieldName('attribute')?.text === 'daemon' && p.parent?.type === 'assignment') return true;
      continue;
    }
    if (p.type === 'assignment' && p.childForFieldName('left')?.id === id.id) continue;
    if (p.type === 'for_statement' && (p.childForFieldName('left')?.id === id.id || p.childForFieldName('right')?.id === id.id)) continue;
    if (p.type === 'as_pattern_target' || p.type === 'with_item') continue;
    return true; // passed, returned, stored, yielded: someone else may join it
  }
  return false;
}

/** 2: a started Process nobody joins; a Pool nobody closes. */
function unjoinedProcess(m: IpcModel, src: SourceLines, out: Finding[]): void {
  for (const o of m.objects) {
    if ((o.kind !== 'Process' && o.kind !== 'Pool') || o.managed) continue;
    if (o.kind === 'Process' && m.keywordArgument(o.call, 'daemon')?.type === 'true') continue;
    const used = m.callsOn(o);
    const done = used.filter((u) => (o.kind === 'Process' ? u.method === 'join' : ['close', 'terminate', 'join', '__exit__'].includes(u.method)));
    if (done.length) continue;
    if (o.kind === 'Process' && !used.some((u) => u.method === 'start')) continue;
    if (escapes(m, o)) continue;
    // The fix goes after the last statement, in the binding's block, that uses the object.
    const bindingStatement = statementOf(o.binding);
    const block = bindingStatement.parent;
    let fix: Finding['fix'] = null;
    if (block && (block.type === 'block' || block.type === 'module') && aloneOnItsLines(src, bindingStatement)) {
      let last = bindingStatement;
      for (let s = bindingStatement.nextNamedSibling; s; s = s.nextNamedSibling) {
        if (s.descendantsOfType('identifier').some((id) => id && m.resolve(id) === o)) last = s;
      }
      const terminal = last.type === 'return_statement' || last.type === 'raise_statement';
      const indent = indentOf(src, o.binding.startPosition.row);
      const lines =
        o.kind === 'Process'
          ? o.many
            ? [`${indent}for ${o.name}_process in ${o.name}:`, `${deeper(indent)}${o.name}_process.join()`]
            : [`${indent}${o.name}.join()`]
          : [`${indent}${o.name}.close()`, `${indent}${o.name}.join()`];
      const text = lines.join('\n');
      if (!terminal) fix = { title: o.kind === 'Process' ? `Join ${o.name}` : `Close and join ${o.name}`, edits: [insertAfter(src, last.endPosition.row, text)] };
    }
    const what =
      o.kind === 'Process'
        ? `${o.many ? 'The processes in' : 'Process'} \`${o.name}\` ${o.many ? 'are' : 'is'} started and never joined: until join() the finished child stays a zombie, its exit code is never checked, and the program may end before it.`
        : `Pool \`${o.name}\` is never closed and joined: its workers live on until the pool is garbage-collected, and work still queued may be lost. Call close() and join(), or use \`with ... as ${o.name}:\`.`;
    out.push(finding('unjoinedProcess', o.call, what, fix));
  }
}

const WAITS = ['os.wait', 'os.waitpid', 'os.wait3', 'os.wait4', 'os.waitid'];

/** 3: fork() with nobody to reap the children. */
function forkWithoutWait(m: IpcModel, out: Finding[]): void {
  // Most files never fork: one look at each call's name rules them out before the other passes.
  const forks = m.calls.filter((c) => {
    const q = m.callee(c);
    return q === 'os.fork' || q === 'os.forkpty';
  });
  if (!forks.length) return;
  if (m.calls.some((c) => WAITS.includes(m.callee(c) ?? ''))) return;
  const ignoresSigchld = m.calls.some((c) => {
    if (m.callee(c) !== 'signal.signal') return false;
    const [sig, handler] = m.positionalArguments(c);
    return !!sig && !!handler && /SIGCHLD$/.test(m.qualify(sig) ?? '') && /SIG_IGN$/.test(m.qualify(handler) ?? '');
  });
  if (ignoresSigchld) return;
  for (const f of forks) {
    out.push(
      finding(
        'forkWithoutWait',
        f,
        'os.fork() here, but the program never calls os.wait()/os.waitpid() and does not ignore SIGCHLD: each child that exits stays a zombie (STAT Z) until this parent exits. Reap it with os.waitpid(pid, 0), or call signal.signal(signal.SIGCHLD, signal.SIG_IGN) if you never need the exit status.',
      ),
    );
  }
}

/** Held a lock around `n`: an enclosing `with v.get_lock():` / `with lock:`, or an acquire() before it in its block. */
function underLock(src: SourceLines, n: Node): boolean {
  for (const a of ancestors(n)) {
    if (a.type === 'with_statement') {
      const clause = a.namedChildren.find((c) => c?.type === 'with_clause');
      for (const item of clause?.namedChildren ?? []) {
        let v = item?.childForFieldName('value') ?? null;
        if (v?.type === 'as_pattern') v = v.namedChildren[0];
        if (!v) continue;
        if (v.type === 'identifier' || v.type === 'attribute') return true; // `with lock:`
        if (v.type === 'call' && /(^|\.)(get_lock|acquire|Lock|RLock)$/.test(v.childForFieldName('function')?.text ?? '')) return true;
      }
    }
  }
  // lock.acquire() earlier in this block or in an enclosing one (try: … finally: lock.release()).
  for (let stmt: Node | null = statementOf(n); stmt && !isFunctionScope(stmt); stmt = stmt.parent?.parent ? statementOf(stmt.parent.parent) : null) {
    for (let s = stmt.previousNamedSibling, end = stmt.startIndex; s; end = s.startIndex, s = s.previousNamedSibling) {
      // Only a statement whose text says `acquire` can call it: the others are not walked.
      const at = src.text.indexOf('acquire', s.startIndex);
      if (at === -1 || at >= end) continue;
      if (s.descendantsOfType('call').some((c) => c?.childForFieldName('function')?.childForFieldName('attribute')?.text === 'acquire')) return true;
    }
    if (stmt.parent?.type === 'module') break;
  }
  return false;
}

/** 4: `v.value += 1` on a shared Value: a read and a write, with a gap another process can use. */
function unlockedSharedUpdate(m: IpcModel, src: SourceLines, out: Finding[]): void {
  const check = (node: Node, target: Node) => {
    // `money.value` and `counts[0]` start with the object's name: most targets are ruled out by it.
    if (!m.isBound(m.nameAt(target.startIndex))) return;
    let base: Node | null = null;
    let isValue = false;
    if (target.type === 'attribute' && target.childForFieldName('attribute')?.text === 'value') {
      base = target.childForFieldName('object');
      isValue = true;
    } else if (target.type === 'subscript') {
      base = target.childForFieldName('value');
    }
    if (base?.type !== 'identifier') return;
    const obj = m.resolve(base);
    if (!obj || (isValue ? obj.kind !== 'Value' : obj.kind !== 'Array')) return;
    if (obj.ctor.startsWith('Raw') || m.keywordArgument(obj.call, 'lock')?.type === 'false') return; // no lock to take
    if (underLock(src, node)) return;
    // A race needs two writers: the processes given the object, and the parent if it writes here.
    const inParent = m.scopeOf(node).id === obj.scope.id;
    if (m.sharers(obj) + (inParent ? 1 : 0) < 2) return;
    const stmt = statementOf(node);
    let fix: Finding['fix'] = null;
    if (stmt.parent && (stmt.parent.type === 'block' || stmt.parent.type === 'module') && aloneOnItsLines(src, stmt)) {
      const indent = indentOf(src, stmt.startPosition.row);
      const inner = deeper(indent).slice(indent.length);
      fix = {
        title: `Hold ${base.text}.get_lock() around it`,
        edits: [{ range: lineRange(src, stmt.startPosition.row, stmt.endPosition.row), newText: `${indent}with ${base.text}.get_lock():\n${indentLines(src, stmt.startPosition.row, stmt.endPosition.row, inner)}` }],
      };
    }
    out.push(
      finding(
        'unlockedSharedUpdate',
        node,
        `\`${target.text}\` is read and then written: another process can write between the two and its update is lost. The ${obj.kind}'s own lock guards each access alone, not both. Hold \`with ${base.text}.get_lock():\` around it (${obj.kind} created at line ${line1(obj.call)}).`,
        fix,
      ),
    );
  };
  // An assignment's target starts where the assignment does: most are ruled out before fetching it.
  for (const a of m.augmented) if (m.isBound(m.nameAt(a.node.startIndex))) check(a.node, a.left);
  for (const a of m.assignments) {
    // v.value = v.value + 1 (the right side reads what the left side writes)
    // A plain name on the left is neither an attribute nor a subscript.
    if (!m.isBound(m.nameAt(a.node.startIndex)) || a.leftName !== null) continue;
    const { node, left, right } = a;
    const type = left.type;
    if ((type === 'attribute' || type === 'subscript') && right.text.includes(left.text) && right.descendantsOfType(type).some((d) => d?.text === left.text)) check(node, left);
  }
}

/** 5: named resources that outlive the program unless unlinked. */
function resourceNeverUnlinked(m: IpcModel, out: Finding[]): void {
  const unlinkedNames = new Set(m.methodCalls.filter((c) => c.method === 'unlink' || c.method === 'remove').map((c) => c.receiver));
  for (const o of m.objects) {
    if (o.kind !== 'SharedMemory' || o.ctor !== 'SharedMemory' || m.keywordArgument(o.call, 'create')?.type !== 'true') continue;
    if (unlinkedNames.has(o.name) || o.managed) continue;
    out.push(
      finding(
        'resourceNeverUnlinked',
        o.call,
        `SharedMemory \`${o.name}\` is created (create=True) and never unlinked: the block stays in /dev/shm after the program ends (and the resource tracker warns about a leak). Call ${o.name}.close() and then ${o.name}.unlink() once every process is done with it.`,
      ),
    );
  }
  const removes = m.methodCalls.some((c) => c.method === 'unlink' || c.method === 'cleanup') || m.calls.some((c) => ['os.unlink', 'os.remove', 'shutil.rmtree'].includes(m.callee(c) ?? ''));
  const isTempDir = (call: Node) => m.callee(call) === 'tempfile.TemporaryDirectory';
  for (const c of m.calls) {
    const q = m.callee(c);
    if (!q) continue;
    if (q === 'os.mkfifo' && !removes) {
      const inTempDir = ancestors(c, false).some((a) => a.type === 'with_statement' && a.descendantsOfType('call').some((x) => !!x && x.startIndex < (a.childForFieldName('body')?.startIndex ?? 0) && isTempDir(x)));
      if (!inTempDir) out.push(finding('resourceNeverUnlinked', c, 'os.mkfifo() makes a file that stays after the program ends: nothing here removes it. Call os.unlink(path) when both ends are done, or create it in a tempfile.TemporaryDirectory().'));
    }
    // posix_ipc / sysv_ipc objects created with O_CREAT / IPC_CREAT outlive the program.
    const m2 = /^(posix_ipc|sysv_ipc)\.(Semaphore|SharedMemory|MessageQueue)$/.exec(q);
    const creates = () => (c.childForFieldName('arguments')?.descendantsOfType(['attribute', 'identifier']) ?? []).some((x) => !!x && /\.(O_CREAT|O_CREX|IPC_CREAT|IPC_CREX)$/.test(m.qualify(x) ?? ''));
    if (m2 && creates()) {
      const bound = c.parent?.type === 'assignment' && c.parent.childForFieldName('left')?.type === 'identifier' ? c.parent.childForFieldName('left')!.text : null;
      const freeing = m2[1] === 'posix_ipc' ? `unlink_${m2[2].replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase()}` : '';
      const freed = (bound && unlinkedNames.has(bound)) || (freeing && m.calls.some((x) => m.callee(x) === `posix_ipc.${freeing}`));
      if (!freed) out.push(finding('resourceNeverUnlinked', c, `This named ${m2[1]} ${m2[2]} is created and never ${m2[1] === 'posix_ipc' ? 'unlinked' : 'removed'}: it stays in the system after the program ends. Call ${m2[1] === 'posix_ipc' ? '.unlink()' : '.remove()'} on it when done.`));
    }
  }
}

const EXIT_CALLS = ['sys.exit', 'os._exit', 'exit', 'quit'];

/** A `while True:` loop with no break, return, raise or exit inside (nested functions aside). */
function loopWithoutExit(m: IpcModel, loop: Node): boolean {
  const cond = loop.childForFieldName('condition');
  if (!cond || !(cond.type === 'true' || (cond.type === 'integer' && cond.text !== '0'))) return false;
  const body = loop.childForFieldName('body');
  if (!body) return false;
  for (const n of body.descendantsOfType(['break_statement', 'return_statement', 'raise_statement', 'call'])) {
    if (!n) continue;
    const type = n.type;
    // Most calls in a loop exit nothing: ruled out before looking where they are.
    if (type === 'call' && !isExitCall(m, n)) continue;
    // A nested function's own exits (its scope, from the functions' extents, starts inside the loop).
    const scope = m.scopeOf(n);
    if (scope !== m.root && scope.startIndex > loop.startIndex) continue;
    if (type === 'break_statement') {
      const nearest = ancestors(n).find((a) => a.type === 'while_statement' || a.type === 'for_statement');
      if (nearest?.id === loop.id) return false;
      continue;
    }
    return false;
  }
  return true;
}

function isExitCall(m: IpcModel, call: Node): boolean {
  const q = m.callee(call);
  if (q !== null) return EXIT_CALLS.includes(q);
  // `exit()` or `quit()`: the name starts the call's text.
  const first = m.nameAt(call.startIndex);
  if (!first.startsWith('exit') && !first.startsWith('quit')) return false;
  const fn = call.childForFieldName('function');
  return EXIT_CALLS.includes(fn?.type === 'identifier' ? fn.text : '');
}

/** 6a: a blocking get()/recv() in a loop that can never end. */
function blockingReceiveLoop(m: IpcModel, out: Finding[]): void {
  const endlessLoops = new Map<number, boolean>();
  for (const mc of m.methodCalls) {
    if (!['get', 'recv', 'recv_bytes'].includes(mc.method)) continue;
    const obj = mc.obj;
    if (obj && obj.kind !== 'Queue' && obj.kind !== 'Pipe') continue;
    // Most calls are in no while loop at all: ruled out before looking at their arguments or up the tree.
    if (!m.inWhileLoop(mc.call)) continue;
    const pos = m.positionalArguments(mc.call);
    if (m.keywordArgument(mc.call, 'timeout') || m.keywordArgument(mc.call, 'block')) continue;
    if (mc.method === 'get' ? pos.length > 1 || (pos.length === 1 && pos[0].type !== 'true') : pos.length > 0) continue;
    const loop = ancestors(mc.call).find((a) => a.type === 'while_statement' || a.type === 'for_statement');
    if (!loop || loop.type !== 'while_statement') continue;
    // A loop with several receives is walked once.
    let endless = endlessLoops.get(loop.id);
    if (endless === undefined) endlessLoops.set(loop.id, (endless = loopWithoutExit(m, loop)));
    if (!endless) continue;
    // recv() raising EOFError (or get() an exception) into an except clause is a way out.
    if (ancestors(mc.call).some((a) => a.type === 'try_statement' && a.namedChildren.some((c) => c?.type === 'except_clause' || c?.type === 'except_group_clause'))) continue;
    out.push(
      finding(
        'blockingReceiveLoop',
        mc.call,
        `\`${mc.call.text}\` waits forever, inside a \`while True:\` loop with no break, return or raise: when the sender stops or dies this process hangs and can only be killed. Send a sentinel (e.g. None) and break on it, or pass a timeout and handle ${mc.method === 'get' ? 'queue.Empty' : 'the timeout (conn.poll(timeout))'}.`,
      ),
    );
  }
}

/** 6b: join() before get(): the child cannot exit until its queued item is read (the documented deadlock). */
function joinBeforeDrain(m: IpcModel, out: Finding[]): void {
  // The receivers of put() and get() as "function id:name", so a target parameter is looked up, not searched for.
  const putters = new Set<string>();
  const getters = new Set<string>();
  for (const c of m.methodCalls) {
    if (c.method === 'put') putters.add(`${m.scopeOf(c.call).id}:${c.receiver}`);
    else if (c.method === 'get') getters.add(`${m.scopeOf(c.call).id}:${c.receiver}`);
  }
  const queues = m.objects.filter((q) => q.kind === 'Queue' && q.ctor !== 'SimpleQueue');
  // Per queue, the processes whose target gets from it: found once, not for every pair of process and queue.
  const drainers = new Map<IpcObject, IpcObject[]>();
  const drainersOf = (q: IpcObject): IpcObject[] => {
    let d = drainers.get(q);
    if (!d) {
      d = m.objects.filter((other) => {
        if (other.kind !== 'Process') return false;
        const t = m.targetParameter(other, q);
        return !!t && getters.has(`${t.fn.id}:${t.name}`);
      });
      drainers.set(q, d);
    }
    return d;
  };
  for (const p of m.objects) {
    if (p.kind !== 'Process' || p.many || !m.processArguments.get(p)?.length) continue;
    for (const q of queues) {
      const param = m.targetParameter(p, q);
      if (!param || !putters.has(`${param.fn.id}:${param.name}`)) continue;
      if (drainersOf(q).some((other) => other !== p)) continue;
      const gets = m.callsOn(q, ['get']).filter((c) => m.scopeOf(c.call).id === p.scope.id);
      const joins = m.callsOn(p, ['join']).filter((c) => m.scopeOf(c.call).id === p.scope.id);
      const firstGet = Math.min(...gets.map((g) => g.call.startIndex));
      const early = joins.find((j) => j.call.startIndex < firstGet && gets.length > 0);
      if (!early) continue;
      out.push(
        finding(
          'joinBeforeDrain',
          early.call,
          `\`${p.name}\` puts into \`${q.name}\` (in ${param.fn.childForFieldName('name')?.text}()), and this join() comes before \`${q.name}.get()\` (line ${line1(gets[0].call)}). A process that has put items on a queue does not exit until they are all flushed into the pipe, so joining before draining can deadlock once the items exceed the pipe's buffer. Get the items first, then join.`,
        ),
      );
    }
  }
}

/** 7: Pipe(duplex=False) returns (receive end, send end). */
function wrongPipeEnd(m: IpcModel, out: Finding[]): void {
  for (const mc of m.methodCalls) {
    const obj = mc.obj;
    if (!obj?.end) continue;
    const wrong = obj.end === 'recv' ? ['send', 'send_bytes'].includes(mc.method) : ['recv', 'recv_bytes', 'recv_bytes_into', 'poll'].includes(mc.method);
    if (!wrong) continue;
    const other = obj.peer?.name ?? 'the other end';
    out.push(
      finding(
        'wrongPipeEnd',
        mc.call,
        obj.end === 'recv'
          ? `\`${mc.receiver}\` is the receiving end of Pipe(duplex=False) (line ${line1(obj.call)}): it cannot ${mc.method}() (OSError: connection is read-only). Pipe(duplex=False) returns (receive end, send end): send on \`${other}\`.`
          : `\`${mc.receiver}\` is the sending end of Pipe(duplex=False) (line ${line1(obj.call)}): it cannot ${mc.method}() (OSError: connection is write-only). Pipe(duplex=False) returns (receive end, send end): receive on \`${other}\`.`,
      ),
    );
  }
}

/** Every finding of every rule on one file's model. */
export function runRules(m: IpcModel, text: string): Finding[] {
  const src = new SourceLines(text);
  const out: Finding[] = [];
  unguardedProcess(m, src, out);
  unjoinedProcess(m, src, out);
  forkWithoutWait(m, out);
  unlockedSharedUpdate(m, src, out);
  resourceNeverUnlinked(m, out);
  blockingReceiveLoop(m, out);
  joinBeforeDrain(m, out);
  wrongPipeEnd(m, out);
  return out.sort((a, b) => a.start.line - b.start.line || a.start.character - b.start.character);
}

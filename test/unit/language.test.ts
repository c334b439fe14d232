/**
 * The language features over a real LSP connection (out/server.js --stdio): every rule fires on the
 * corpus's bad snippets and on nothing else there or in examples/, each quick fix gives code Python
 * parses and that no longer triggers the rule, settings turn rules off and change severity, code
 * lenses and symbols, bad input, and a hover during a live run that shows the real queue depth.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { CodeAction, CodeLens, Diagnostic, DocumentSymbol, Hover, InlayHint, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { ChannelsUpdate, LanguageCommands, LanguageMethods, LanguageRule, LanguageRules, LspMethods, MessageChannelInfo, RuntimeEnvResult, WatchResult } from '../../protocol/protocol';
import { RULE_DEFAULTS } from '../../server/src/lang/rules';
import { examplesDir, killAll, python, repoRoot, until } from './helpers';
import { LspServer, startLspServer } from './lspClient';

const corpusDir = path.join(repoRoot, 'test', 'corpus', 'lang');

/**
 * What the rules rightly find in examples/: each is a deliberate mistake the example demonstrates.
 * Anything else found there is a false positive.
 */
const EXAMPLE_FINDINGS: Record<string, Array<[number, LanguageRule]>> = {
  // join() before get(), on purpose: the documented deadlock.
  'join_deadlock.py': [[35, 'joinBeforeDrain']],
  // The parent forks and exits without waiting: a child that exited first would be a zombie.
  'orphan.py': [[21, 'forkWithoutWait']],
  // The lost-update race without --lock.
  'value_race.py': [[21, 'unlockedSharedUpdate']],
};

/** `# expect: rule` markers of a corpus file, as "line:rule" (1-based lines). */
function expectedIn(text: string): string[] {
  const out: string[] = [];
  text.split('\n').forEach((l, i) => {
    const m = /# expect: (\w+)/.exec(l);
    if (m) out.push(`${i + 1}:${m[1]}`);
  });
  return out;
}

const found = (ds: Diagnostic[]) => ds.map((d) => `${d.range.start.line + 1}:${d.code}`);

describe('language features over LSP (stdio)', () => {
  let lsp: LspServer;
  const published = new Map<string, PublishDiagnosticsParams[]>();
  let version = 1;

  const uriOf = (file: string) => pathToFileURL(file).href;

  /** Waits for the diagnostics of a given document version. */
  const diagnosticsFor = (uri: string, v: number) =>
    until(`diagnostics of ${uri} v${v}`, () => published.get(uri)?.find((p) => p.version === v)?.diagnostics, 30_000, 20);

  async function open(file: string, text = fs.readFileSync(file, 'utf8')): Promise<{ uri: string; diagnostics: Diagnostic[]; v: number }> {
    const uri = uriOf(file);
    const v = version++;
    await lsp.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: v, text } });
    return { uri, diagnostics: await diagnosticsFor(uri, v), v };
  }
  async function change(uri: string, text: string): Promise<Diagnostic[]> {
    const v = version++;
    await lsp.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: [{ text }] });
    return diagnosticsFor(uri, v);
  }
  async function close(uri: string): Promise<void> {
    await lsp.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  before(async () => {
    lsp = startLspServer();
    lsp.conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      published.set(p.uri, [...(published.get(p.uri) ?? []), p]);
    });
    lsp.conn.listen();
    const init = (await lsp.conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: { workspace: { inlayHint: { refreshSupport: true } } } })) as { capabilities: Record<string, unknown> };
    for (const cap of ['codeActionProvider', 'codeLensProvider', 'hoverProvider', 'inlayHintProvider', 'documentSymbolProvider']) assert.ok(init.capabilities[cap], cap);
    await lsp.conn.sendNotification('initialized', {});
    lsp.conn.onRequest('workspace/inlayHint/refresh', () => null);
    lsp.conn.onRequest('workspace/codeLens/refresh', () => null);
  });

  after(async () => {
    killAll();
    await lsp.stop();
  });

  test('every rule fires on its bad snippets, and on nothing else in the corpus and examples/', async () => {
    const counts = Object.fromEntries(LanguageRules.map((r) => [r, { tp: 0, fp: 0, fn: 0 }])) as Record<LanguageRule, { tp: number; fp: number; fn: number }>;
    const files = [
      ...fs.readdirSync(corpusDir).filter((f) => f.endsWith('.py')).map((f) => ({ file: path.join(corpusDir, f), corpus: true })),
      ...fs.readdirSync(examplesDir).filter((f) => f.endsWith('.py')).map((f) => ({ file: path.join(examplesDir, f), corpus: false })),
    ];
    const problems: string[] = [];
    let goodFiles = 0;
    for (const { file, corpus } of files) {
      const text = fs.readFileSync(file, 'utf8');
      const expected = corpus ? expectedIn(text) : (EXAMPLE_FINDINGS[path.basename(file)] ?? []).map(([l, r]) => `${l}:${r}`);
      if (!expected.length) goodFiles++;
      const { uri, diagnostics } = await open(file, text);
      await close(uri);
      const got = found(diagnostics);
      for (const d of diagnostics) {
        assert.equal(d.source, 'IPC Scope');
        assert.ok(String(d.message).length > 60, `a message that explains: ${String(d.message)}`);
      }
      for (const g of got) {
        const rule = g.split(':')[1] as LanguageRule;
        if (expected.includes(g)) counts[rule].tp++;
        else {
          counts[rule].fp++;
          problems.push(`false positive ${path.relative(repoRoot, file)}:${g}`);
        }
      }
      for (const e of expected) {
        if (!got.includes(e)) {
          counts[e.split(':')[1] as LanguageRule].fn++;
          problems.push(`missed ${path.relative(repoRoot, file)}:${e}`);
        }
      }
    }
    const total = Object.values(counts).reduce((a, c) => ({ tp: a.tp + c.tp, fp: a.fp + c.fp, fn: a.fn + c.fn }), { tp: 0, fp: 0, fn: 0 });
    console.log(`rules over ${files.length} files (${files.filter((f) => f.corpus).length} corpus, ${files.filter((f) => !f.corpus).length} examples; ${goodFiles} with nothing to find):`);
    for (const r of LanguageRules) console.log(`  ${r.padEnd(22)} TP ${counts[r].tp}  FP ${counts[r].fp}  FN ${counts[r].fn}`);
    console.log(`  ${'total'.padEnd(22)} TP ${total.tp}  FP ${total.fp}  FN ${total.fn}`);
    assert.deepEqual(problems, []);
    for (const r of LanguageRules) assert.ok(counts[r].tp >= 1, `${r} fires at least once`);
  });

  test('each quick fix gives code that Python parses and that no longer triggers the rule', async () => {
    let applied = 0;
    const bad = fs.readdirSync(corpusDir).filter((f) => f.startsWith('bad_')).map((f) => path.join(corpusDir, f));
    for (const file of [...bad, path.join(examplesDir, 'value_race.py')]) {
      const text = fs.readFileSync(file, 'utf8');
      const { uri, diagnostics } = await open(file, text);
      for (const d of diagnostics) {
        const actions = (await lsp.conn.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } })) as CodeAction[];
        if (!actions.length) continue;
        const fix = actions[0];
        assert.equal(fix.kind, 'quickfix');
        const edits = fix.edit?.changes?.[uri];
        assert.ok(edits?.length, `${fix.title} edits the file`);
        const fixed = TextDocument.applyEdits(TextDocument.create(uri, 'python', 0, text), edits);
        const parsed = spawnSync(python, ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { input: fixed, encoding: 'utf8' });
        assert.equal(parsed.status, 0, `${path.basename(file)} after "${fix.title}" parses:\n${fixed}\n${parsed.stderr}`);
        const after = await change(uri, fixed);
        const same = (x: Diagnostic[]) => x.filter((y) => y.code === d.code).length;
        assert.equal(same(after), same(diagnostics) - 1, `${path.basename(file)}: "${fix.title}" removes that ${d.code} finding:\n${fixed}`);
        await change(uri, text);
        applied++;
      }
      await close(uri);
    }
    console.log(`quick fixes applied and checked: ${applied}`);
    assert.ok(applied >= 8, `quick fixes for rules 1, 2 and 4 (got ${applied})`);
  });

  test('incremental edits (the tree is edited and parsed again in part) give what a fresh parse gives', async () => {
    const file = path.join(corpusDir, 'bad_value_race.py');
    const text = fs.readFileSync(file, 'utf8');
    const { uri, diagnostics } = await open(file, text);
    assert.deepEqual(found(diagnostics), ['6:unlockedSharedUpdate', '7:unlockedSharedUpdate', '16:unlockedSharedUpdate']);
    let doc = TextDocument.create(uri, 'python', 0, text);
    const edit = async (range: { start: { line: number; character: number }; end: { line: number; character: number } }, newText: string) => {
      const v = version++;
      doc = TextDocument.update(doc, [{ range, text: newText }], v);
      await lsp.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: [{ range, text: newText }] });
      return diagnosticsFor(uri, v);
    };
    // Non-ASCII text before the race shifts UTF-16 offsets and byte offsets differently.
    await edit({ start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, '# café 😀 — déjà vu\n');
    // Wrap line 7 (now 8) in the lock, in two edits, as a user would type it.
    const line = doc.getText().split('\n').findIndex((l) => l.includes('counts[0] = counts[0] + 1'));
    await edit({ start: { line, character: 8 }, end: { line, character: 8 } }, 'with counts.get_lock():\n            ');
    const after = await edit({ start: { line: 2, character: 0 }, end: { line: 3, character: 0 } }, '');
    const fresh = await open(path.join(os.tmpdir(), 'ipc-scope-fresh.py'), doc.getText());
    assert.deepEqual(found(after), found(fresh.diagnostics));
    assert.deepEqual(found(after), ['6:unlockedSharedUpdate', '17:unlockedSharedUpdate']);
    await close(uri);
    await close(fresh.uri);
  });

  test('package.json has a setting for every rule, defaulting to the server\'s level', () => {
    const props = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).contributes.configuration.properties as Record<string, { default: string; enum: string[] }>;
    for (const r of LanguageRules) {
      const p = props[`ipcScope.diagnostics.${r}`];
      assert.ok(p, r);
      assert.equal(p.default, RULE_DEFAULTS[r]);
      assert.deepEqual(p.enum, ['off', 'error', 'warning', 'information', 'hint']);
    }
  });

  test('settings turn a rule off and change its severity', async () => {
    const file = path.join(corpusDir, 'bad_value_race.py');
    const { uri, diagnostics } = await open(file);
    assert.ok(diagnostics.every((d) => d.severity === 2), 'warnings by default');
    await lsp.conn.sendNotification(LanguageMethods.configure, { rules: { unlockedSharedUpdate: 'hint' } });
    const hinted = await until('hint severity', () => published.get(uri)?.at(-1)?.diagnostics.every((d) => d.severity === 4) && published.get(uri)!.at(-1)!.diagnostics.length === diagnostics.length, 10_000, 20);
    assert.ok(hinted);
    await lsp.conn.sendNotification(LanguageMethods.configure, { rules: { unlockedSharedUpdate: 'off', wrongPipeEnd: 'nonsense' } });
    await until('no diagnostics with the rule off', () => published.get(uri)?.at(-1)?.diagnostics.length === 0, 10_000, 20);
    await lsp.conn.sendNotification(LanguageMethods.configure, { rules: {} });
    await until('the rule back on', () => published.get(uri)?.at(-1)?.diagnostics.length === diagnostics.length, 10_000, 20);
    await close(uri);
  });

  test('code lenses run and debug the file above its main guard; the outline lists its IPC objects', async () => {
    const file = path.join(examplesDir, 'queue_producer_consumer.py');
    const { uri } = await open(file);
    const lenses = (await lsp.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } })) as CodeLens[];
    const guardLine = fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.startsWith('if __name__ == "__main__":'));
    assert.deepEqual(
      lenses.map((l) => [l.range.start.line, l.command?.command, l.command?.arguments]),
      [
        [guardLine, LanguageCommands.run, [uri]],
        [guardLine, LanguageCommands.debug, [uri]],
      ],
    );
    const symbols = (await lsp.conn.sendRequest('textDocument/documentSymbol', { textDocument: { uri } })) as DocumentSymbol[];
    assert.deepEqual(
      symbols.map((s) => `${s.name}:${s.detail}`),
      // fill_first() (the --fill-first mistake), then main().
      ['bounded:Queue', 'results:Queue', 'cons:Process', 'q:Queue', 'results:Queue', 'consumed:Value', 'prod:Process', 'cons:Process'],
    );
    // Without a run, a hover still says what the name is and where it was made.
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const getLine = lines.findIndex((l) => l.includes('item = q.get()'));
    const hover = (await lsp.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: getLine, character: lines[getLine].indexOf('q.get') } })) as Hover;
    const value = (hover.contents as { value: string }).value;
    // consumer() gets the queue of main() or of fill_first() (the --fill-first mistake): either is named.
    const made = lines.flatMap((l, i) => (/= ctx\.Queue\(maxsize=args\.maxsize\)/.test(l) ? [i + 1] : []));
    assert.equal(made.length, 2);
    assert.match(value, /^\*\*Queue\*\* `(q|bounded)` — created at line \d+/);
    assert.ok(made.includes(Number(/created at line (\d+)/.exec(value)![1])), value);
    await close(uri);
  });

  test('bad input: syntax errors, mixed tabs and spaces, non-UTF-8 bytes and a 1 MB file give partial results, never a crash', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-scope-lang-'));
    const race = fs.readFileSync(path.join(corpusDir, 'bad_value_race.py'), 'utf8');
    // A syntax error after the race: the race is still found.
    const broken = `${race}\ndef oops(:\n    return ]\n`;
    const r1 = await open(path.join(dir, 'broken.py'), broken);
    assert.ok(found(r1.diagnostics).includes('6:unlockedSharedUpdate'), JSON.stringify(found(r1.diagnostics)));
    // Tabs in one function, spaces in another.
    const mixed = race.replace('    for _ in range(n):\n        money.value += 1', '\tfor _ in range(n):\n\t\tmoney.value += 1');
    assert.notEqual(mixed, race);
    const r2 = await open(path.join(dir, 'mixed.py'), mixed);
    assert.ok(found(r2.diagnostics).includes('6:unlockedSharedUpdate'), JSON.stringify(found(r2.diagnostics)));
    // The tab-indented quick fix keeps tabs.
    const d = r2.diagnostics.find((x) => x.range.start.line === 5)!;
    const [fix] = (await lsp.conn.sendRequest('textDocument/codeAction', { textDocument: { uri: r2.uri }, range: d.range, context: { diagnostics: [d] } })) as CodeAction[];
    assert.match(fix.edit!.changes![r2.uri][0].newText, /^\t\twith money\.get_lock\(\):\n\t\t\tmoney\.value \+= 1 {2}# expect: unlockedSharedUpdate$/);
    // Bytes that are not UTF-8, decoded as an editor would (U+FFFD), and lone surrogates.
    const bytes = Buffer.concat([Buffer.from('# \xff\xfe caf'), Buffer.from([0xe9, 0xff, 0x80, 0x0a]), Buffer.from(race)]);
    const r3 = await open(path.join(dir, 'bytes.py'), `${bytes.toString('utf8')}\ns = "\ud800"\n`);
    assert.ok(found(r3.diagnostics).some((f) => f.endsWith(':unlockedSharedUpdate')));
    // 1 MB: the race repeated in many functions.
    const chunks: string[] = [];
    let size = 0;
    for (let i = 0; size < 1 << 20; i++) {
      const c = `def deposit_${i}(money, n):\n    for _ in range(n):\n        money.value += 1\n\n\n`;
      chunks.push(c);
      size += c.length;
    }
    const big = `import multiprocessing as mp\n\n${chunks.join('')}def main():\n    money = mp.Value("i", 0)\n    procs = [mp.Process(target=deposit_0, args=(money, 1)) for _ in range(2)]\n    for p in procs:\n        p.start()\n    for p in procs:\n        p.join()\n`;
    const t0 = performance.now();
    const r4 = await open(path.join(dir, 'big.py'), big);
    console.log(`1 MB file (${big.length} chars, ${big.split('\n').length} lines): diagnostics in ${(performance.now() - t0).toFixed(0)} ms over LSP`);
    assert.deepEqual(found(r4.diagnostics), ['5:unlockedSharedUpdate']);
    // An empty file and one of only garbage.
    assert.deepEqual((await open(path.join(dir, 'empty.py'), '')).diagnostics, []);
    assert.deepEqual((await open(path.join(dir, 'garbage.py'), ')))(((\0\0\0 def class : : :\n\t \t  x')).diagnostics, []);
    // The server is still there.
    const lenses = await lsp.conn.sendRequest('textDocument/codeLens', { textDocument: { uri: r1.uri } });
    assert.ok(Array.isArray(lenses));
    for (const r of [r1, r2, r3, r4]) await close(r.uri);
    fs.rmSync(dir, { recursive: true, force: true });
    assert.doesNotMatch(lsp.stderr(), /Error/);
  });

  test('during a live run, a hover on a queue shows its real depth and one on a Value its value; inlay hints too', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-scope-live-'));
    const file = path.join(dir, 'held_queue.py');
    // Three items stay in the queue and the Value stays 42 until the test closes stdin.
    const source = [
      'import multiprocessing as mp',
      'import sys',
      '',
      '',
      'def main():',
      '    q = mp.Queue()',
      '    for i in range(3):',
      '        q.put({"n": i})',
      '    v = mp.Value("i", 42)',
      '    print("ready", flush=True)',
      '    sys.stdin.read()',
      '',
      '',
      'if __name__ == "__main__":',
      '    main()',
      '',
    ].join('\n');
    fs.writeFileSync(file, source);
    const channelUpdates: ChannelsUpdate[] = [];
    lsp.conn.onNotification(LspMethods.channels, (u: ChannelsUpdate) => void channelUpdates.push(u));
    const { uri } = await open(file, source);
    const env = await lsp.conn.sendRequest<RuntimeEnvResult>(LspMethods.runtimeEnv, {});
    const prog = spawn(python, ['-m', 'ipcscope', file], { env: { ...process.env, ...env.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise((res) => prog.once('exit', res));
    try {
      const w = await lsp.conn.sendRequest<WatchResult>(LspMethods.watch, { pid: prog.pid, label: 'held_queue.py', launched: true });
      assert.equal(w.ok, true, w.message);
      // The depth the server's channel model has for the queue created on line 6.
      const queue = await until('the queue with 3 items in the channel model', async () => {
        const u = await lsp.conn.sendRequest<ChannelsUpdate>(LspMethods.channelsSnapshot, {});
        return u.channels.find((c): c is MessageChannelInfo => c.kind === 'queue' && c.createdAt.endsWith('held_queue.py:6') && c.depth === 3);
      }, 30_000);
      assert.equal(queue.written, 3);
      const hoverAt = async (line: number, character: number) => {
        const h = (await lsp.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line, character } })) as Hover | null;
        return (h?.contents as { value: string } | undefined)?.value ?? '';
      };
      // Hover `q` in `q.put(...)` (line 8): the live depth, and the items waiting in it.
      const qHover = await until('a live hover on q', async () => {
        const v = await hoverAt(7, 8);
        return v.includes('**Live**') ? v : null;
      }, 20_000);
      assert.match(qHover, /\*\*Queue\*\* `q` — created at line 6/);
      assert.match(qHover, /depth 3 · 3 in · 0 out/);
      assert.match(qHover, /put by pid \d+: \{'n': 2\}/);
      const vHover = await until('a live hover on v', async () => {
        const v = await hoverAt(8, 4);
        return v.includes('**Live**') ? v : null;
      }, 20_000);
      assert.match(vHover, /\*\*Value\*\* `v` — created at line 9/);
      assert.match(vHover, /Value — = 42 · 0 writes — used by pid \d+/);
      const hints = (await lsp.conn.sendRequest('textDocument/inlayHint', { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 15, character: 0 } } })) as InlayHint[];
      const labels = hints.map((h) => `${h.position.line + 1}:${String(h.label).trim()}`);
      assert.ok(labels.includes('6:depth 3 · 3 in · 0 out'), JSON.stringify(labels));
      assert.ok(labels.some((l) => /^9:= 42/.test(l)), JSON.stringify(labels));
      // A code lens on the creation line reveals the channel in the panel.
      const lenses = (await lsp.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } })) as CodeLens[];
      assert.ok(lenses.some((l) => l.range.start.line === 5 && l.command?.command === LanguageCommands.revealChannel && l.command.arguments?.[0] === queue.id));
    } finally {
      prog.stdin!.end();
      await exited;
      await close(uri);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

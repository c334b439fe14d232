/**
 * Run records through the language server (out/server.js over stdio), the way the extension uses it:
 * a program launched under the subreaper launcher with the server's runtime environment; the leak
 * report notification when its main process ends; the run exported and a saved run loaded back.
 */
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ProtocolConnection } from 'vscode-languageserver-protocol/node';
import { ExportRunResult, LeakReport, LoadRunResult, LspMethods, RunRecordMethods, RuntimeEnvResult, WatchResult } from '../../protocol/protocol';
import { parseSavedRun } from '../../server/src/core/runRecord';
import { examplesDir, python, repoRoot, track, until } from './helpers';
import { LspServer, startLspServer } from './lspClient';
import { checkChromeTrace } from './traceSchema';

describe('run records over LSP (launched programs)', () => {
  let server: LspServer;
  let conn: ProtocolConnection;
  const reports: LeakReport[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-scope-records-lsp-'));
  const programs: ChildProcess[] = [];

  before(async () => {
    server = startLspServer();
    conn = server.conn;
    conn.onNotification(RunRecordMethods.leakReport, (r: LeakReport) => void reports.push(r));
    conn.listen();
    await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
    await conn.sendNotification('initialized', {});
    await conn.sendNotification(LspMethods.configure, { refreshIntervalMs: 250, scope: 'program' });
  });

  after(async () => {
    for (const p of programs) if (p.pid) try { process.kill(-p.pid, 'SIGKILL'); } catch { /* gone */ }
    await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** Like "Run Python File with IPC Scope": runtimeEnv, then python -m ipcscope FILE, then watch it as launched. */
  async function launch(file: string, args: string[]): Promise<{ pid: number; out: () => string }> {
    const r = await conn.sendRequest<RuntimeEnvResult>(LspMethods.runtimeEnv, {});
    const p = spawn(python, ['-m', 'ipcscope', file, ...args], { env: { ...process.env, ...r.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    programs.push(p);
    let out = '';
    p.stdout!.on('data', (d) => (out += d));
    p.stderr!.on('data', (d) => (out += d));
    const w = await conn.sendRequest<WatchResult>(LspMethods.watch, { pid: p.pid, label: path.basename(file), launched: true });
    assert.equal(w.ok, true, w.message);
    return { pid: p.pid!, out: () => out };
  }

  test('a leaky program: the report names its SharedMemory, FIFO, zombie and running child with their lines', async () => {
    const leaky = path.join(repoRoot, 'test', 'programs', 'leaky.py');
    const dir = fs.mkdtempSync(path.join(tmp, 'leaky-'));
    const run = await launch(leaky, [dir, '--child-seconds', '120']);
    const report = await until('the leak report', () => reports.find((r) => r.program === 'leaky.py'), 60_000);
    const shmName = /shm (\S+)/.exec(run.out())?.[1];
    try {
      const src = fs.readFileSync(leaky, 'utf8').split('\n');
      const lineOf = (text: string) => `${leaky}:${src.findIndex((l) => l.includes(text)) + 1}`;
      const byKind = (k: string) => report.items.filter((i) => i.kind === k);
      assert.deepEqual(byKind('shm').map((i) => [i.name, i.createdAt]), [[shmName, lineOf('SharedMemory(create=True')]]);
      assert.deepEqual(byKind('fifo').map((i) => [i.path, i.createdAt]), [[path.join(dir, 'leaky.fifo'), lineOf('os.mkfifo(fifo)')]]);
      assert.deepEqual(byKind('zombie').map((i) => i.createdAt), [lineOf('if os.fork() == 0')], JSON.stringify(report));
      assert.deepEqual(byKind('running').map((i) => i.createdAt), [lineOf('sleeper = os.fork()')], JSON.stringify(report));
      assert.notEqual(report.mainPid, run.pid, 'the main process is the program, not the launcher');
    } finally {
      for (const i of report.items) if (i.kind === 'running' && i.pid) track(i.pid);
      if (shmName) fs.rmSync(path.join('/dev/shm', shmName), { force: true });
    }
  });

  test('a program that cleans up: an empty report; the run exports as a valid trace and a saved run that loads', async () => {
    const before = reports.length;
    await launch(path.join(examplesDir, 'fifo_lines.py'), ['--lines', '4']);
    const report = await until('the leak report', () => reports.slice(before).find((r) => r.program === 'fifo_lines.py'), 60_000);
    assert.deepEqual(report.items, []);
    const trace = await conn.sendRequest<ExportRunResult>(RunRecordMethods.exportRun, { format: 'trace' });
    assert.deepEqual(checkChromeTrace(JSON.parse(trace.text)), []);
    assert.ok(trace.messages >= 6, `the FIFO's 4 writes (reads may take several at once), the queue's put and get: ${trace.messages}`);
    const saved = await conn.sendRequest<ExportRunResult>(RunRecordMethods.exportRun, { format: 'json' });
    const loaded = await conn.sendRequest<LoadRunResult>(RunRecordMethods.loadRun, { text: saved.text });
    assert.equal(loaded.ok, true, loaded.message);
    assert.deepEqual(loaded.run, parseSavedRun(saved.text));
    assert.deepEqual(loaded.run!.leaks?.items, []);
    assert.ok(loaded.run!.channels.some((c) => c.type === 'FIFO' || c.id.startsWith('fifo:')), 'the FIFO channel');
    const bad = await conn.sendRequest<LoadRunResult>(RunRecordMethods.loadRun, { text: '{"format":"ipc-scope-run","version":1,"label":"<b>x</b>"' });
    assert.equal(bad.ok, false);
    assert.match(bad.message, /^Could not open the saved run: it is not JSON/);
  });
});

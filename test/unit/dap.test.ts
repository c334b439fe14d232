/**
 * The debug adapter, driven by a real DAP client (@vscode/debugadapter-testsupport's DebugClient)
 * over stdio, against the real runtime and the example programs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { examplesDir, killAll, python, repoRoot, until } from './helpers';

const adapter = path.join(repoRoot, 'out', 'dap.js');
const queueExample = path.join(examplesDir, 'queue_producer_consumer.py');
const raceExample = path.join(examplesDir, 'value_race.py');

/** The 1-based line of the first line containing text. */
export function lineOf(file: string, text: string): number {
  const i = fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text));
  assert.ok(i >= 0, `${text} not found in ${file}`);
  return i + 1;
}

let dc: DebugClient;
let output = '';

beforeEach(async () => {
  dc = new DebugClient(process.execPath, adapter, 'ipcscope', undefined, true);
  dc.defaultTimeout = 30_000;
  output = '';
  dc.on('output', (e: DebugProtocol.OutputEvent) => {
    if (e.body.category === 'stdout' || e.body.category === 'stderr') output += e.body.output;
  });
  await dc.start();
});

afterEach(async () => {
  await dc.stop().catch(() => {});
});
after(killAll);

async function launch(program: string, args: string[], setup: () => Promise<unknown>, extra: Record<string, unknown> = {}): Promise<void> {
  const initialized = dc.waitForEvent('initialized');
  await dc.initializeRequest({ adapterID: 'ipcscope', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  await Promise.all([
    (async () => {
      await initialized;
      await setup();
      await dc.configurationDoneRequest();
    })(),
    dc.launchRequest({ program, args, python, ...extra } as DebugProtocol.LaunchRequestArguments),
  ]);
}

async function stopped(): Promise<DebugProtocol.StoppedEvent> {
  return (await dc.waitForEvent('stopped')) as DebugProtocol.StoppedEvent;
}

async function variables(ref: number): Promise<Map<string, DebugProtocol.Variable>> {
  const r = await dc.variablesRequest({ variablesReference: ref });
  return new Map(r.body.variables.map((v) => [v.name, v]));
}

async function scopes(threadId: number): Promise<{ frame: DebugProtocol.StackFrame; scopes: Map<string, DebugProtocol.Scope> }> {
  const st = await dc.stackTraceRequest({ threadId });
  const frame = st.body.stackFrames[0];
  const sc = await dc.scopesRequest({ frameId: frame.id });
  return { frame, scopes: new Map(sc.body.scopes.map((s) => [s.name, s])) };
}

async function exited(): Promise<number> {
  const e = (await dc.waitForEvent('exited', 60_000)) as DebugProtocol.ExitedEvent;
  return e.body.exitCode;
}

describe('debug adapter (DAP) with the real runtime', () => {
  test('a line breakpoint on q.put stops before the item is enqueued; continuing delivers it', { timeout: 90_000 }, async () => {
    const putLine = lineOf(queueExample, 'q.put({"seq": i');
    let bps: DebugProtocol.SetBreakpointsResponse | undefined;
    await launch(queueExample, ['--items', '3', '--start-method', 'fork'], async () => {
      bps = await dc.setBreakpointsRequest({ source: { path: queueExample }, breakpoints: [{ line: putLine }, { line: 1 }] });
    });
    assert.equal(bps!.body.breakpoints[0].verified, true);
    assert.equal(bps!.body.breakpoints[1].verified, false, 'a line that does not send or receive');
    assert.match(bps!.body.breakpoints[1].message ?? '', /does not send or receive/);

    const ev = await stopped();
    assert.equal(ev.body.reason, 'breakpoint');
    assert.match(ev.body.description ?? '', /before sending/);
    const pid = ev.body.threadId!;
    const threads = await dc.threadsRequest();
    assert.ok(threads.body.threads.some((t) => t.id === pid && /producer/.test(t.name)), JSON.stringify(threads.body.threads));
    const { frame, scopes: sc } = await scopes(pid);
    assert.equal(frame.line, putLine);
    assert.equal(frame.source?.path, queueExample);
    assert.equal(frame.name, 'producer');
    const msg = await variables(sc.get('Message')!.variablesReference);
    assert.equal(msg.get('msg')?.value, "{'seq': 0, 'text': 'item 0'}");
    // Not enqueued yet: the queue has seen no put.
    const channel = await variables(sc.get('Channel')!.variablesReference);
    assert.match(channel.get('id')?.value ?? '', /^queue:\d+$/);
    assert.equal(channel.get('written · read')?.value ?? '0 · 0', '0 · 0');
    const locals = await variables(sc.get('Locals')!.variablesReference);
    assert.equal(locals.get('i')?.value, '0');
    // Evaluate in the paused frame.
    const ev2 = await dc.evaluateRequest({ expression: 'i + 40', frameId: frame.id, context: 'repl' });
    assert.equal(ev2.body.result, '40');
    const bad = await dc.evaluateRequest({ expression: 'nope(', frameId: frame.id, context: 'repl' }).then(() => null, (e: Error) => e);
    assert.match(String(bad?.message), /SyntaxError/);

    await dc.setBreakpointsRequest({ source: { path: queueExample }, breakpoints: [] });
    await dc.continueRequest({ threadId: pid });
    assert.equal(await exited(), 0);
    assert.match(output, /consumer got 3 items in order: True/);
  });

  test('"Every receive / get" with a condition stops only on matching payloads', { timeout: 90_000 }, async () => {
    await launch(queueExample, ['--items', '6', '--start-method', 'fork'], async () => {
      await dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'recv', condition: 'isinstance(msg, dict) and msg["seq"] % 2 == 1' }] });
    });
    const seen: string[] = [];
    for (let k = 0; k < 3; k++) {
      const ev = await stopped();
      const { scopes: sc } = await scopes(ev.body.threadId!);
      const msg = await variables(sc.get('Message')!.variablesReference);
      seen.push(msg.get('msg')!.value);
      await dc.continueRequest({ threadId: ev.body.threadId! });
    }
    assert.deepEqual(seen, ["{'seq': 1, 'text': 'item 1'}", "{'seq': 3, 'text': 'item 3'}", "{'seq': 5, 'text': 'item 5'}"]);
    assert.equal(await exited(), 0);
    assert.match(output, /consumer got 6 items in order: True/);
  });

  test('a data breakpoint on a shared Value stops on the racy +=', { timeout: 90_000 }, async () => {
    const raceLine = lineOf(raceExample, 'money.value += 1  # read, then write');
    await launch(raceExample, ['--n', '200', '--processes', '2', '--start-method', 'fork'], async () => {
      await dc.setBreakpointsRequest({ source: { path: raceExample }, breakpoints: [{ line: raceLine }] });
    });
    const first = await stopped();
    const pid = first.body.threadId!;
    const { scopes: sc } = await scopes(pid);
    const locals = await variables(sc.get('Locals')!.variablesReference);
    assert.match(locals.get('money')?.value ?? '', /Synchronized\(/);
    const info = await dc.dataBreakpointInfoRequest({ variablesReference: sc.get('Locals')!.variablesReference, name: 'money' });
    assert.match(info.body.dataId ?? '', /^shared:/);
    assert.deepEqual(info.body.accessTypes, ['write']);
    await dc.setBreakpointsRequest({ source: { path: raceExample }, breakpoints: [] });
    const set = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, hitCondition: '5' }] });
    assert.equal(set.body.breakpoints[0].verified, true);
    // The other depositor may be stopped on the line breakpoint too: continue every process.
    for (const t of (await dc.threadsRequest()).body.threads) await dc.continueRequest({ threadId: t.id });
    for (;;) {
      const ev = await stopped();
      if (ev.body.reason !== 'data breakpoint') {
        await dc.continueRequest({ threadId: ev.body.threadId! });
        continue;
      }
      assert.match(ev.body.description ?? '', /changed: \d+ → \d+/);
      const top = (await dc.stackTraceRequest({ threadId: ev.body.threadId! })).body.stackFrames[0];
      assert.equal(top.line, raceLine);
      await dc.setDataBreakpointsRequest({ breakpoints: [] });
      await dc.continueRequest({ threadId: ev.body.threadId! });
      break;
    }
    assert.equal(await exited(), 0);
    assert.match(output, /final value \d+ \(expected 400\)/);
  });
});

describe('pausing never loses or reorders a message', () => {
  const program = path.join(repoRoot, 'test', 'programs', 'echo_10k.py');
  for (const method of ['fork', 'spawn']) {
    test(`pause/continue 1000 times during a 10k-message run (${method}): the output is identical`, { timeout: 300_000 }, async () => {
      // 2 ms between messages: the run lasts 20 s or more, long enough for 1000 pauses on a loaded machine.
      const args = ['10000', method, '0.002'];
      const plain = spawn(python, [program, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let plainOut = '';
      plain.stdout.on('data', (d: Buffer) => (plainOut += d.toString()));
      plain.stderr.on('data', (d: Buffer) => (plainOut += d.toString()));
      const plainExit = new Promise<number | null>((resolve) => plain.on('exit', (code) => resolve(code)));
      const threads = new Set<number>();
      let ended = false;
      dc.on('thread', (e: DebugProtocol.ThreadEvent) => (e.body.reason === 'started' ? threads.add(e.body.threadId) : threads.delete(e.body.threadId)));
      const exit = exited().finally(() => (ended = true));
      await launch(program, args, async () => {});
      await until('the parent and the consumer', () => threads.size >= 2 || null, 30_000);
      const pids = [...threads];
      let cycles = 0;
      const perProcess = new Map<number, number>();
      const t0 = Date.now();
      for (; cycles < 1000 && !ended; cycles++) {
        // One process paused at a time, the other running: a user clicking Pause and Continue.
        const pid = pids[cycles % 2];
        const next = stopped();
        await dc.pauseRequest({ threadId: pid });
        const ev = await next;
        assert.equal(ev.body.threadId, pid);
        assert.equal(ev.body.reason, 'pause');
        perProcess.set(pid, (perProcess.get(pid) ?? 0) + 1);
        await dc.continueRequest({ threadId: pid });
      }
      const ms = Date.now() - t0;
      assert.equal(await exit, 3);
      assert.equal(await plainExit, 3);
      assert.equal(cycles, 1000, 'the program ended before 1000 pauses');
      assert.equal(output, plainOut, 'the same lines, in the same order');
      console.log(`# ${method}: ${cycles} pause/continue cycles (${[...perProcess.values()].join(' + ')}) in ${ms} ms; ${plainOut.split('\n').length - 1} lines identical to a plain run`);
    });
  }
});

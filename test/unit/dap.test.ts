/**
 * The debug adapter, driven by a real DAP client (@vscode/debugadapter-testsupport's DebugClient)
 * over stdio, against the real runtime and the example programs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { runtimeEnv } from '../../server/src/hub/env';
import { Hub } from '../../server/src/hub/hub';
import { descendantNamed, examplesDir, killAll, lineOf, procState, python, repoRoot, start, until } from './helpers';

const adapter = path.join(repoRoot, 'out', 'dap.js');
const queueExample = path.join(examplesDir, 'queue_producer_consumer.py');
const raceExample = path.join(examplesDir, 'value_race.py');
const targets = path.join(repoRoot, 'test', 'programs', 'debug_targets.py');

let dc: DebugClient;
/** Stops that came while launch() still waited for its answers (an entry stop can): stopped() returns them first. */
let early: DebugProtocol.StoppedEvent[] = [];
let launching = false;
/** The session's events, in order (shown when a stop that a test waits for never comes). */
let seen: string[] = [];
let output = '';
let consoleText = '';
let stderrText = '';

beforeEach(async () => {
  dc = new DebugClient(process.execPath, adapter, 'ipcscope', undefined, true);
  dc.defaultTimeout = 30_000;
  output = consoleText = stderrText = '';
  early = [];
  seen = [];
  dc.on('stopped', (e: DebugProtocol.StoppedEvent) => {
    if (launching) early.push(e);
  });
  for (const name of ['stopped', 'continued', 'thread', 'exited', 'terminated']) {
    dc.on(name, (e: DebugProtocol.Event) => seen.push(`${name}${e.body?.reason ? ` (${e.body.reason}${e.body.threadId ? ` ${e.body.threadId}` : ''})` : ''}`));
  }
  dc.on('output', (e: DebugProtocol.OutputEvent) => {
    if (e.body.category === 'stdout' || e.body.category === 'stderr') output += e.body.output;
    if (e.body.category === 'console') consoleText += e.body.output;
    if (e.body.category === 'stderr') stderrText += e.body.output;
  });
  await dc.start();
});

afterEach(async () => {
  // An adapter a test killed never answers disconnect.
  await Promise.race([dc.stop().catch(() => {}), new Promise((r) => setTimeout(r, 3000))]);
});
after(killAll);

async function launch(program: string, args: string[], setup: () => Promise<unknown>, extra: Record<string, unknown> = {}): Promise<void> {
  const initialized = dc.waitForEvent('initialized');
  await dc.initializeRequest({ adapterID: 'ipcscope', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  launching = true;
  try {
    await Promise.all([
      (async () => {
        await initialized;
        await setup();
        await dc.configurationDoneRequest();
      })(),
      dc.launchRequest({ program, args, python, ...extra } as DebugProtocol.LaunchRequestArguments),
    ]);
  } finally {
    launching = false;
  }
}

async function stopped(): Promise<DebugProtocol.StoppedEvent> {
  const e = early.shift();
  if (e) return e;
  try {
    return (await dc.waitForEvent('stopped')) as DebugProtocol.StoppedEvent;
  } catch (err) {
    // What the session did meanwhile, so that a stop that never comes can be told from one that was missed.
    const tail = (s: string) => JSON.stringify(s.slice(-1500));
    throw new Error(`${(err as Error).message}; events seen: ${seen.join(', ') || 'none'}; program output ${tail(output)}; console ${tail(consoleText)}`);
  }
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

describe('debug adapter: logpoints, hit counts, function breakpoints, entry, attach', () => {
  test('a logpoint prints without stopping; a hit count stops on the Nth hit only', { timeout: 90_000 }, async () => {
    const putLine = lineOf(queueExample, 'q.put({"seq": i');
    const getLine = lineOf(queueExample, 'item = q.get()');
    await launch(queueExample, ['--items', '5', '--start-method', 'fork'], () =>
      dc.setBreakpointsRequest({ source: { path: queueExample }, breakpoints: [{ line: putLine, logMessage: 'put seq={msg["seq"]} in {process}' }, { line: getLine, hitCondition: '3' }] }),
    );
    const ev = await stopped();
    const { scopes: sc } = await scopes(ev.body.threadId!);
    assert.equal((await variables(sc.get('Message')!.variablesReference)).get('msg')?.value, "{'seq': 2, 'text': 'item 2'}", 'the third get');
    await dc.setBreakpointsRequest({ source: { path: queueExample }, breakpoints: [] });
    await dc.continueRequest({ threadId: ev.body.threadId! });
    assert.equal(await exited(), 0);
    for (let i = 0; i < 5; i++) assert.match(consoleText, new RegExp(`put seq=${i} in producer`));
  });

  test('a function breakpoint by channel name (queue:results) and stop on entry', { timeout: 90_000 }, async () => {
    await launch(queueExample, ['--items', '2', '--start-method', 'spawn'], () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'queue:results' }, { name: 'nonsense:x' }] }).then((r) => {
      assert.equal(r.body.breakpoints[0].verified, true);
      assert.equal(r.body.breakpoints[1].verified, false);
      assert.match(r.body.breakpoints[1].message ?? '', /not a channel/);
    }), { stopOnEntry: true });
    const entry = await stopped();
    assert.equal(entry.body.reason, 'entry');
    const top = (await dc.stackTraceRequest({ threadId: entry.body.threadId! })).body.stackFrames[0];
    assert.equal(top.source?.path, queueExample);
    assert.equal(top.line, 1);
    await dc.continueRequest({ threadId: entry.body.threadId! });
    const ev = await stopped();
    assert.equal(ev.body.reason, 'function breakpoint');
    assert.match(ev.body.description ?? '', /queue "results"/);
    const { scopes: sc } = await scopes(ev.body.threadId!);
    assert.equal((await variables(sc.get('Message')!.variablesReference)).get('msg')?.value, '[0, 1]', "the consumer's results");
    await dc.continueRequest({ threadId: ev.body.threadId! });
    const again = await stopped();
    assert.match(again.body.description ?? '', /after receiving on queue "results"/, 'the parent gets it: stops again');
    await dc.continueRequest({ threadId: again.body.threadId! });
    assert.equal(await exited(), 0);
  });

  test('a function breakpoint by variable name stops on a queue used right after it is made', { timeout: 60_000 }, async () => {
    await launch(targets, ['named'], () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'queue:results' }] }).then(() => undefined));
    const put = await stopped();
    assert.equal(put.body.reason, 'function breakpoint');
    assert.match(put.body.description ?? '', /queue "results"/);
    const { scopes: sc } = await scopes(put.body.threadId!);
    assert.equal((await variables(sc.get('Message')!.variablesReference)).get('msg')?.value, "'first'");
    await dc.continueRequest({ threadId: put.body.threadId! });
    const got = await stopped();
    assert.match(got.body.description ?? '', /after receiving on queue "results"/);
    await dc.continueRequest({ threadId: got.body.threadId! });
    assert.equal(await exited(), 0);
    assert.match(output, /got first/);
  });

  test('attach by pid to a program run with `ipc-scope run`; detaching lets it run on', { timeout: 90_000 }, async () => {
    const run = start(process.execPath, [path.join(repoRoot, 'out', 'cli.js'), 'run', '--', python, targets, 'wait', '60']);
    let out = '';
    run.stdout!.on('data', (d: string) => (out += d));
    const programPid = await until('the program', () => descendantNamed(run.pid!, 'python') ?? descendantNamed(run.pid!, path.basename(python)), 20_000);
    const init = dc.waitForEvent('initialized');
    await dc.initializeRequest({ adapterID: 'ipcscope', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    await init;
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'queue:*', condition: 'op == "recv"' }] });
    await dc.configurationDoneRequest();
    await dc.attachRequest({ pid: programPid } as DebugProtocol.AttachRequestArguments);
    const ev = await stopped();
    assert.match(ev.body.description ?? '', /after receiving on queue/);
    await dc.disconnectRequest({ terminateDebuggee: false });
    await until('the program to finish', () => (/done/.test(out) ? true : null), 30_000);
  });
});

describe('debug adapter: step, stop all, terminate', () => {
  test('step runs the process to its next send or receive', { timeout: 60_000 }, async () => {
    const putLine = lineOf(queueExample, 'q.put({"seq": i');
    await launch(queueExample, ['--items', '3', '--start-method', 'fork'], () => dc.setBreakpointsRequest({ source: { path: queueExample }, breakpoints: [{ line: putLine }] }));
    const first = await stopped();
    await dc.setBreakpointsRequest({ source: { path: queueExample }, breakpoints: [] });
    const next = stopped();
    await dc.nextRequest({ threadId: first.body.threadId! });
    const step = await next;
    assert.equal(step.body.reason, 'step');
    assert.equal(step.body.threadId, first.body.threadId);
    assert.equal(step.body.text, "{'seq': 1, 'text': 'item 1'}", 'the next put of the same process');
    await dc.continueRequest({ threadId: step.body.threadId! });
    assert.equal(await exited(), 0);
  });

  test('stopAll: when one process stops, the others stop at their next send or receive', { timeout: 60_000 }, async () => {
    // The consumer stops on its 5th get; the producer, which puts every 50 ms, stops at its next put.
    const getLine = lineOf(targets, 'item = q.get()');
    const stops: DebugProtocol.StoppedEvent[] = [];
    dc.on('stopped', (e: DebugProtocol.StoppedEvent) => stops.push(e));
    await launch(targets, ['wait', '40'], () => dc.setBreakpointsRequest({ source: { path: targets }, breakpoints: [{ line: getLine, hitCondition: '5' }] }), { stopAll: true });
    await until('both processes stopped', () => (new Set(stops.map((e) => e.body.threadId)).size >= 2 ? true : null), 30_000);
    assert.equal(stops[0].body.reason, 'breakpoint');
    assert.equal(stops[1].body.reason, 'pause');
    assert.match(stops[1].body.description ?? '', /before sending on queue/);
    await dc.setBreakpointsRequest({ source: { path: targets }, breakpoints: [] });
    await dc.continueRequest({ threadId: stops[0].body.threadId! }); // stopAll: continues every process
    assert.equal(await exited(), 0);
    assert.match(output, /done/);
  });

  test('terminate stops the whole tree, stopped processes included', { timeout: 60_000 }, async () => {
    const putLine = lineOf(queueExample, 'q.put({"seq": i');
    await launch(queueExample, ['--items', '3', '--start-method', 'fork'], () => dc.setBreakpointsRequest({ source: { path: queueExample }, breakpoints: [{ line: putLine }] }));
    const ev = await stopped();
    const pids = (await dc.threadsRequest()).body.threads.map((t) => t.id);
    assert.ok(pids.includes(ev.body.threadId!));
    const terminated = dc.waitForEvent('terminated');
    await dc.terminateRequest();
    await terminated;
    await until('every process gone', () => (pids.every((p) => !fs.existsSync(`/proc/${p}`) || /^Z/.test(procState(p) ?? 'Z')) ? true : null), 20_000);
  });
});

describe('debug adapter: a shared hub (as the language server\'s)', () => {
  test('a launched program is debugged; another program on the same hub is not stopped', { timeout: 90_000 }, async () => {
    const hub = new Hub();
    await hub.start();
    try {
      const putLine = lineOf(queueExample, 'q.put({"seq": i');
      // Another program reporting to the same hub, not launched by this debug session.
      const other = start(python, [queueExample, '--items', '5', '--consumer-pause', '0.2'], { env: runtimeEnv(hub, process.env) as Record<string, string> });
      let otherOut = '';
      other.stdout!.on('data', (d: string) => (otherOut += d));
      const otherExit = new Promise<number | null>((resolve) => other.on('exit', (code) => resolve(code)));
      await launch(queueExample, ['--items', '3'], () => dc.setBreakpointsRequest({ source: { path: queueExample }, breakpoints: [{ line: putLine }] }), { hub: { path: hub.socketPath, token: hub.token } });
      const ev = await stopped();
      const threads = (await dc.threadsRequest()).body.threads.map((t) => t.id);
      assert.ok(!threads.includes(other.pid!), 'the other program is not a thread of this session');
      assert.equal(await otherExit, 0, 'the other program ran through the breakpoint line without stopping');
      assert.match(otherOut, /consumer got 5 items in order: True/);
      await dc.setBreakpointsRequest({ source: { path: queueExample }, breakpoints: [] });
      await dc.continueRequest({ threadId: ev.body.threadId! });
      assert.equal(await exited(), 0);
    } finally {
      await hub.stop();
    }
  });
});

describe('debug adapter: launch options', () => {
  test('startMethod makes the program and its children use that start method', { timeout: 60_000 }, async () => {
    await launch(targets, ['method'], async () => {}, { startMethod: 'spawn' });
    assert.equal(await exited(), 0);
    assert.match(output, /parent spawn child spawn/);
  });
});

describe('debug adapter: bad input', () => {
  test('breakpoints in a non-Python file, and on a line past the end, are unverified with a reason', { timeout: 60_000 }, async () => {
    const readme = path.join(repoRoot, 'README.md');
    let r: DebugProtocol.SetBreakpointsResponse | undefined;
    let r2: DebugProtocol.SetBreakpointsResponse | undefined;
    await launch(queueExample, ['--items', '1'], async () => {
      r = await dc.setBreakpointsRequest({ source: { path: readme }, breakpoints: [{ line: 1 }] });
      r2 = await dc.setBreakpointsRequest({ source: { path: queueExample }, breakpoints: [{ line: 99_999 }, { line: lineOf(queueExample, 'q.put({"seq": i'), hitCondition: 'sometimes' }] });
    });
    assert.equal(r!.body.breakpoints[0].verified, false);
    assert.match(r!.body.breakpoints[0].message ?? '', /Python files only/);
    assert.match(r2!.body.breakpoints[0].message ?? '', /past the end/);
    assert.match(r2!.body.breakpoints[1].message ?? '', /hit count "sometimes" is not understood/);
    assert.equal(await exited(), 0);
  });

  for (const [what, condition, reason] of [
    ['does not parse', 'msg[', /SyntaxError/],
    ['raises', 'msg["nope"] == 1', /KeyError: 'nope'/],
  ] as const) {
    test(`a condition that ${what} is reported and does not stop the program`, { timeout: 60_000 }, async () => {
      const putLine = lineOf(queueExample, 'q.put({"seq": i');
      const changed = dc.waitForEvent('breakpoint');
      await launch(queueExample, ['--items', '3'], () => dc.setBreakpointsRequest({ source: { path: queueExample }, breakpoints: [{ line: putLine, condition }] }));
      const ev = (await changed) as DebugProtocol.BreakpointEvent;
      assert.equal(ev.body.breakpoint.verified, false);
      assert.match(ev.body.breakpoint.message ?? '', reason);
      assert.equal(await exited(), 0);
      assert.match(output, /consumer got 3 items in order: True/);
      assert.match(stderrText, reason);
    });
  }

  test('a process that exits while stopped: its thread goes, the program goes on', { timeout: 60_000 }, async () => {
    const putLine = lineOf(targets, 'q.put("hello")');
    const gone = new Promise<number>((resolve) => dc.on('thread', (e: DebugProtocol.ThreadEvent) => e.body.reason === 'exited' && resolve(e.body.threadId)));
    await launch(targets, ['exit'], () => dc.setBreakpointsRequest({ source: { path: targets }, breakpoints: [{ line: putLine }] }));
    const ev = await stopped();
    process.kill(ev.body.threadId!, 'SIGKILL');
    assert.equal(await gone, ev.body.threadId);
    assert.equal(await exited(), 0);
    assert.match(output, /child exit -9/);
    assert.match(consoleText, new RegExp(`process ${ev.body.threadId} exited while stopped`));
  });

  test('attach to a process without the runtime: a clear message', { timeout: 30_000 }, async () => {
    const plain = start(python, ['-c', 'import time; time.sleep(30)']);
    await dc.initializeRequest({ adapterID: 'ipcscope', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    const err = await dc.attachRequest({ pid: plain.pid } as DebugProtocol.AttachRequestArguments).then(() => null, (e: Error) => e);
    assert.match(String(err?.message), new RegExp(`process ${plain.pid} was not started with the IPC Scope runtime`));
    const none = await dc.attachRequest({ pid: 999_999_999 } as DebugProtocol.AttachRequestArguments).then(() => null, (e: Error) => e);
    assert.match(String(none?.message), /there is no process 999999999/);
  });

  test('fail-open: the adapter killed while a process is stopped, the program runs on and loses nothing', { timeout: 90_000 }, async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-scope-dap-')), 'got.txt');
    const putLine = lineOf(targets, 'q.put({"seq": i})');
    await launch(targets, ['file', file, '2000'], () => dc.setBreakpointsRequest({ source: { path: targets }, breakpoints: [{ line: putLine, hitCondition: '500' }] }));
    const ev = await stopped();
    const producer = ev.body.threadId!;
    (dc as unknown as { _adapterProcess: { kill(sig: string): void } })._adapterProcess.kill('SIGKILL');
    await until('the program to finish', () => (!fs.existsSync(`/proc/${producer}`) ? true : null), 60_000);
    await until('every item written', () => (fs.readFileSync(file, 'utf8').split('\n').length - 1 === 2000 ? true : null), 30_000);
    assert.deepEqual(fs.readFileSync(file, 'utf8').trim().split('\n').map(Number), Array.from({ length: 2000 }, (_, i) => i));
  });
});

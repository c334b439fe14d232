/**
 * Run records with real processes: the leak report of `ipc-scope run` names what a program left
 * behind (with creation lines) and nothing for programs that clean up; a run exported as a Chrome
 * trace passes the trace schema check; a saved run reads back the same, and bad files are refused.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { LeakReport, MessageChannelInfo, ProcessInfo, SavedRun, SavedRunLimits, WatchTarget } from '../../protocol/protocol';
import { RunRecorder, SavedRunError, parseSavedRun } from '../../server/src/core/runRecord';
import { syntheticProcesses } from '../bench/webviewBench';
import { TraceEvent, toChromeTrace } from '../../server/src/core/traceExport';
import { examplesDir, killAll, python, repoRoot, runJson, start, track, until } from './helpers';
import { LeakWatch } from '../../server/src/core/leaks';
import type { HubEvent } from '../../server/src/hub/hub';
import { ProcScanner } from '../../server/src/inspect/scanner';
import { checkChromeTrace } from './traceSchema';

const leaky = path.join(repoRoot, 'test', 'programs', 'leaky.py');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-scope-records-'));

after(() => {
  killAll();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const kinds = (r: LeakReport) => r.items.map((i) => i.kind);

describe('leak report (ipc-scope run, real processes)', () => {
  test('names the SharedMemory never unlinked, the FIFO left behind, the zombie and the child still running, with their lines', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'leaky-'));
    const r = runJson([python, leaky, dir, '--child-seconds', '120'], 120_000);
    const shmName = /shm (\S+)/.exec(r.programOut)?.[1];
    const sleeper = Number(/sleeper (\d+)/.exec(r.programOut)?.[1]);
    try {
      assert.equal(r.status, 0, r.programOut);
      const report = r.leaks;
      assert.ok(report, 'a leak report line');
      const src = fs.readFileSync(leaky, 'utf8').split('\n');
      const lineOf = (text: string) => `${leaky}:${src.findIndex((l) => l.includes(text)) + 1}`;
      const shm = report.items.find((i) => i.kind === 'shm');
      assert.ok(shm, JSON.stringify(report));
      assert.equal(shm.name, shmName);
      assert.equal(shm.createdAt, lineOf('SharedMemory(create=True'));
      const fifo = report.items.find((i) => i.kind === 'fifo');
      assert.ok(fifo, JSON.stringify(report));
      assert.equal(fifo.path, path.join(dir, 'leaky.fifo'));
      assert.equal(fifo.createdAt, lineOf('os.mkfifo(fifo)'));
      const zombie = report.items.find((i) => i.kind === 'zombie');
      assert.ok(zombie, `the zombie: ${JSON.stringify(report)}`);
      assert.equal(zombie.createdAt, lineOf('if os.fork() == 0'));
      assert.match(zombie.detail, new RegExp(`parent \\(pid ${report.mainPid} `));
      const running = report.items.filter((i) => i.kind === 'running');
      assert.deepEqual(running.map((i) => i.pid), [sleeper], JSON.stringify(running));
      assert.equal(running[0].createdAt, lineOf('sleeper = os.fork()'));
      assert.match(running[0].fix, /^os\.waitpid\(pid, 0\) for it/, 'the fix for a child of os.fork, not of a Process');
      assert.deepEqual(kinds(report), ['shm', 'fifo', 'zombie', 'running'], 'nothing else (no helper, no false zombie)');
    } finally {
      if (sleeper) track(sleeper);
      if (shmName) fs.rmSync(path.join('/dev/shm', shmName), { force: true });
    }
  });

  test('a child started by subprocess and left running: named with the line that started it and the fix for a Popen; a spawn child is reported as started too', () => {
    const program = path.join(tmp, 'leaves_subprocess.py');
    fs.writeFileSync(program, [
      'import multiprocessing as mp, subprocess, sys',
      'if __name__ == "__main__":',
      '    w = mp.get_context("spawn").Process(target=print)',
      '    w.start()',
      '    w.join()',
      '    s = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)',
      '    print("sleeper", s.pid, w.pid, file=sys.stderr, flush=True)',
      '',
    ].join('\n'));
    const r = runJson([python, program], 120_000);
    const [sleeper, worker] = (/sleeper (\d+) (\d+)/.exec(r.programOut) ?? []).slice(1).map(Number);
    try {
      assert.equal(r.status, 0, r.programOut);
      const spawned = r.events.filter((e) => e.k === 'process.spawn').map((e) => [e.x?.via, e.x?.child, e.loc]);
      assert.deepEqual(spawned.filter(([via]) => via === 'spawn'), [['spawn', worker, `${program}:4`]], JSON.stringify(spawned));
      assert.deepEqual(spawned.filter(([via]) => via === 'subprocess'), [['subprocess', sleeper, `${program}:6`]], JSON.stringify(spawned));
      const running = r.leaks?.items.filter((i) => i.kind === 'running') ?? [];
      assert.deepEqual(running.map((i) => [i.pid, i.createdAt]), [[sleeper, `${program}:6`]], JSON.stringify(r.leaks));
      assert.match(running[0].fix, /^wait\(\) for it/);
    } finally {
      if (sleeper) track(sleeper);
    }
  });

  test('a Process the forkserver started, left running: named with the start() line of the process that asked for it', () => {
    const program = path.join(tmp, 'leaves_forkserver_child.py');
    fs.writeFileSync(program, [
      'import multiprocessing as mp, os, sys, time',
      'def work():',
      '    pid = os.fork()  # its own fork: the user\'s line, though it runs below the forkserver\'s loop',
      '    if pid == 0: os._exit(0)',
      '    os.waitpid(pid, 0)',
      '    time.sleep(6)',
      'if __name__ == "__main__":',
      '    p = mp.get_context("forkserver").Process(target=work)',
      '    p.start()',
      '    print("child", p.pid, file=sys.stderr, flush=True)',
      '    os._exit(0)  # no join at exit',
      '',
    ].join('\n'));
    const r = runJson([python, program], 120_000);
    const child = Number(/child (\d+)/.exec(r.programOut)?.[1]);
    assert.equal(r.status, 0, r.programOut);
    const started = r.events.filter((e) => (e.k === 'process.spawn' || e.k === 'os.fork') && e.x?.child === child).map((e) => [e.k, e.x?.via ?? null, e.loc]);
    assert.deepEqual(started.sort(), [['os.fork', null, ''], ['process.spawn', 'forkserver', `${program}:9`]], JSON.stringify(started));
    const ownFork = r.events.filter((e) => e.k === 'os.fork' && e.pid === child).map((e) => [e.x?.via, e.loc]);
    assert.deepEqual(ownFork, [['os.fork', `${program}:3`]]);
    const running = r.leaks?.items.filter((i) => i.kind === 'running') ?? [];
    assert.deepEqual(running.map((i) => [i.pid, i.createdAt]), [[child, `${program}:9`]], JSON.stringify(r.leaks));
    assert.match(running[0].fix, /^join\(\)/);
  });

  for (const [name, args] of [
    ['fifo_lines.py', []],
    ['pi_shared_memory.py', ['--workers', '3', '--terms', '30000']],
    ['pi_shared_memory.py', ['--workers', '3', '--terms', '30000', '--mmap']],
    ['pi_shared_memory.py', ['--workers', '2', '--terms', '30000', '--start-method', 'spawn']],
  ] as Array<[string, string[]]>) {
    test(`flags nothing for ${name} ${args.join(' ')}, which cleans up`, () => {
      const r = runJson([python, path.join(examplesDir, name), ...args], 120_000);
      assert.equal(r.status, 0, r.programOut);
      assert.ok(r.leaks, 'a leak report line');
      assert.deepEqual(r.leaks.items, [], JSON.stringify(r.leaks.items));
      assert.ok(r.events.some((e) => e.k === 'shm.unlink' || e.k === 'fifo.unlink' || e.k === 'shared.new'), 'the runtime reported the objects');
      assert.ok(r.leaks.checked.some((c) => c.startsWith('/dev/shm')), 'says what it checked');
    });
  }
});

describe('Chrome trace schema checker', () => {
  const ok = () => ({
    traceEvents: [
      { ph: 'M', name: 'process_name', pid: 1, tid: 1, args: { name: 'p' } },
      { ph: 'X', name: 'life', pid: 1, tid: 1, ts: 0, dur: 10 },
      { ph: 'B', name: 'wait', pid: 1, tid: 2, ts: 1 },
      { ph: 'E', pid: 1, tid: 2, ts: 2 },
      { ph: 'i', s: 't', name: 'send', pid: 1, tid: 1, ts: 3 },
      { ph: 's', cat: 'm', name: 'm', id: 7, pid: 1, tid: 1, ts: 3 },
      { ph: 'f', bp: 'e', cat: 'm', name: 'm', id: 7, pid: 1, tid: 1, ts: 4 },
    ] as Array<Record<string, unknown>>,
  });
  test('accepts a valid trace and finds each kind of mistake', () => {
    assert.deepEqual(checkChromeTrace(ok()), []);
    const broken = (f: (t: ReturnType<typeof ok>) => void) => {
      const t = ok();
      f(t);
      return checkChromeTrace(t);
    };
    assert.match(broken((t) => (t.traceEvents[1].ts = '0')).join(), /ts "0" is not/);
    assert.match(broken((t) => (t.traceEvents[1].pid = 'a')).join(), /pid is not an integer/);
    assert.match(broken((t) => t.traceEvents.splice(3, 1)).join(), /B on 1\/2 never ended/);
    assert.match(broken((t) => t.traceEvents.splice(2, 1)).join(), /E on 1\/2 with no open B/);
    assert.match(broken((t) => (t.traceEvents[6].id = 8)).join(), /flow end m:8 without a start/);
    assert.match(broken((t) => t.traceEvents.splice(6, 1)).join(), /never ends/);
    assert.match(broken((t) => delete t.traceEvents[1].dur).join(), /X with dur/);
    assert.match(broken((t) => t.traceEvents.push({ ph: 'X', name: 'x', pid: 1, tid: 1, ts: 5, dur: 10 })).join(), /overlaps/);
    assert.match(broken((t) => t.traceEvents.splice(0, 1)).join(), /no process_name/);
    assert.match(broken((t) => (t.traceEvents[4].ph = 'Q')).join(), /unknown phase/);
    assert.match(broken((t) => (t.traceEvents[6].ts = 11)).join(), /flow f at 11 has no slice around it/);
  });
});

describe('trace export and saved runs (a real example run)', () => {
  const traceFile = path.join(tmp, 'queue.trace.json');
  const savedFile = path.join(tmp, 'queue.ipcscope.json');
  let run: ReturnType<typeof runJson>;
  test('ipc-scope run --trace FILE --save=FILE of the queue example', () => {
    run = runJson([python, path.join(examplesDir, 'queue_producer_consumer.py'), '--items', '6'], 120_000, ['--trace', traceFile, `--save=${savedFile}`]);
    assert.equal(run.status, 0, run.programOut);
  });

  test('the trace is valid Chrome Trace JSON: processes, lifetimes, messages and send → receive arrows', () => {
    const text = fs.readFileSync(traceFile, 'utf8');
    const trace = JSON.parse(text) as { traceEvents: TraceEvent[] };
    assert.deepEqual(checkChromeTrace(trace), []);
    const ev = trace.traceEvents;
    const pids = new Set(run.events.map((e) => e.pid));
    const named = new Set(ev.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => e.pid));
    for (const pid of pids) assert.ok(named.has(pid), `process_name for pid ${pid}`);
    const lifetimes = ev.filter((e) => e.ph === 'X' && e.cat === 'process');
    assert.ok(lifetimes.length >= pids.size, `a lifetime per process (${lifetimes.length})`);
    const puts = run.events.filter((e) => e.k === 'queue.put').length;
    assert.ok(puts >= 6, `puts ${puts}`);
    const instants = ev.filter((e) => e.ph === 'i' && e.cat === 'message');
    assert.ok(instants.length >= 12, `put and get instants: ${instants.length}`);
    const flows = ev.filter((e) => e.ph === 's');
    assert.ok(flows.length >= 6, `an arrow per item: ${flows.length}`);
    // Each arrow goes from a put to a get in another process.
    const finish = new Map(ev.filter((e) => e.ph === 'f').map((e) => [e.id, e]));
    assert.ok(flows.some((s) => finish.get(s.id)!.pid !== s.pid), 'arrows cross processes');
  });

  test('the saved run reads back as the same run (export → load → same model)', () => {
    const text = fs.readFileSync(savedFile, 'utf8');
    const original = JSON.parse(text) as SavedRun;
    const loaded = parseSavedRun(text);
    assert.deepEqual(loaded, original);
    assert.ok(loaded.processes.length + loaded.ended.length >= 3, 'the processes');
    assert.ok(loaded.channels.some((c) => c.kind === 'queue'), 'the queue');
    assert.ok(loaded.states.length > 0, 'the states seen');
    assert.deepEqual(loaded.leaks?.items, [], 'a clean run');
    assert.deepEqual(toChromeTrace(loaded), JSON.parse(fs.readFileSync(traceFile, 'utf8')), 'the same trace from the loaded run');
    // A run saved before channels had their blocked calls still reads (with none); a malformed list does not.
    const older = { ...original, channels: original.channels.map((c) => ({ ...c, blocked: undefined })) };
    const fromOlder = parseSavedRun(JSON.stringify(older));
    assert.ok(fromOlder.channels.filter((c): c is MessageChannelInfo => c.kind === 'queue').every((c) => Array.isArray(c.blocked) && c.blocked.length === 0));
    const bad = { ...original, channels: original.channels.map((c) => (c.kind === 'queue' ? { ...c, blocked: [{ pid: 'x' }] } : c)) };
    assert.throws(() => parseSavedRun(JSON.stringify(bad)), /blocked\[0\]\.pid should be a number/);
  });

  test('malformed and hostile files give a clear error, big ones are bounded', () => {
    const good = JSON.parse(fs.readFileSync(savedFile, 'utf8')) as SavedRun;
    const fails = (text: string, re: RegExp) => assert.throws(() => parseSavedRun(text), (e: Error) => e instanceof SavedRunError && re.test(e.message));
    fails('{"format": "ipc-scope-run", ', /not JSON/);
    fails('[1, 2]', /expected a JSON object/);
    fails('{"format": "other"}', /not a saved IPC Scope run/);
    fails(fs.readFileSync(traceFile, 'utf8'), /Chrome trace/);
    fails(JSON.stringify({ ...good, version: 99 }), /newer IPC Scope/);
    fails(JSON.stringify({ ...good, processes: [{ ...good.processes.concat(good.ended)[0], pid: '12' }] }), /processes\[0\]\.pid should be a number/);
    fails(JSON.stringify({ ...good, channels: [{ ...good.channels[0], kind: '__proto__' }] }), /channels\[0\]\.kind should be one of/);
    fails(JSON.stringify({ ...good, states: new Array(200_000).fill(good.states[0]) }), /at most 100000/);
    fails(' '.repeat((64 << 20) + 1), /at most 64 MB/);
    // Hostile strings are kept as plain data (the panel renders them as text); long ones are cut.
    const evil = '<img src=x onerror="alert(1)">';
    const p = { ...good.processes.concat(good.ended)[0], name: evil, command: 'x'.repeat(100_000) };
    const loaded = parseSavedRun(JSON.stringify({ ...good, label: evil, processes: [p], __proto__: { polluted: true } }));
    assert.equal(loaded.label, evil);
    assert.equal(loaded.processes[0].name, evil);
    assert.equal(loaded.processes[0].command.length, 16_384);
    assert.equal(({} as { polluted?: boolean }).polluted, undefined);
  });
});

describe('every kind of channel round-trips and every trace is valid', () => {
  for (const [name, args] of [
    ['semaphore_workers.py', ['--workers', '4', '--limit', '2']],
    ['pool.py', []],
    ['shared_values.py', []],
    ['manager_objects.py', []],
    ['pipe_ping_pong.py', []],
    ['socketpair_echo.py', []],
    ['zombie.py', ['--hold', '1.5']],
  ] as Array<[string, string[]]>) {
    test(`${name} ${args.join(' ')}`, () => {
      const trace = path.join(tmp, `${name}.trace.json`);
      const saved = path.join(tmp, `${name}.ipcscope.json`);
      const r = runJson([python, path.join(examplesDir, name), ...args], 120_000, [`--trace=${trace}`, `--save=${saved}`]);
      assert.equal(r.status, 0, r.programOut);
      const text = fs.readFileSync(saved, 'utf8');
      const loaded = parseSavedRun(text);
      assert.deepEqual(loaded, JSON.parse(text));
      assert.ok(loaded.channels.length > 0 || name === 'zombie.py', 'channels');
      const t = JSON.parse(fs.readFileSync(trace, 'utf8')) as { traceEvents: TraceEvent[] };
      assert.deepEqual(checkChromeTrace(t), []);
      if (name === 'semaphore_workers.py') assert.ok(t.traceEvents.some((e) => e.ph === 'B' && e.cat === 'blocking'), 'waits for the semaphore as B/E');
      assert.deepEqual(r.leaks?.items, [], 'the examples leave nothing behind');
    });
  }
});

describe('huge runs are bounded', () => {
  test('a run at every limit exports and reads back in bounded time; one over a limit is refused', () => {
    const L = SavedRunLimits;
    const processes = syntheticProcesses(L.processes);
    const states = Array.from({ length: L.states }, (_, i) => ({ key: processes[i % processes.length].key, at: processes[0].startedAt + 1 + Math.floor(i / processes.length) * 50, stat: i % 2 ? 'S' : 'R', blockedOn: '' }));
    const recorder = new RunRecorder();
    recorder.observe(processes, processes[0].startedAt);
    let run = recorder.build({ label: 'huge', watch: null, processes, ended: [], channels: null, leaks: null });
    run = { ...run, states };
    const t0 = performance.now();
    const trace = toChromeTrace(run);
    const traceMs = performance.now() - t0;
    const text = JSON.stringify(run);
    const t1 = performance.now();
    const loaded = parseSavedRun(text);
    const loadMs = performance.now() - t1;
    assert.equal(loaded.states.length, L.states);
    assert.deepEqual(checkChromeTrace(trace), []);
    const traceBytes = JSON.stringify(trace).length;
    console.log(`# ${L.processes} processes, ${L.states} states: saved run ${(text.length / 1048576).toFixed(1)} MB read back in ${loadMs.toFixed(0)} ms; trace ${trace.traceEvents.length} events, ${(traceBytes / 1048576).toFixed(1)} MB in ${traceMs.toFixed(0)} ms`);
    assert.ok(text.length < L.bytes, 'a run at every limit fits the file limit');
    assert.ok(loadMs < 60_000 && traceMs < 60_000, 'bounded time (generous: 2 shared CPUs under load)');
    assert.throws(() => parseSavedRun(JSON.stringify({ ...run, processes: syntheticProcesses(L.processes + 1) })), /at most 5000/);
    // The recorder itself stops at the limit and counts what it did not keep.
    const r = new RunRecorder();
    for (let round = 0; round * processes.length <= L.states; round++) r.observe(processes.map((p) => ({ ...p, stat: round % 2 ? 'S' : 'R' })), round);
    r.observe(processes.map((p) => ({ ...p, stat: 'D' })), 1);
    assert.equal(r.build({ label: 'x', watch: null, processes: [], ended: [], channels: null, leaks: null }).states.length, L.states);
    assert.ok(r.dropped > 0);
  });
});

describe('processes known only from the runtime', () => {
  const event = (k: string, pid: number, ts: number): HubEvent => ({ k: k as HubEvent['k'], ch: '', n: 0, ts, loc: '', size: -1, pv: '', pf: '', pid, key: `${pid}@7` });
  const build = (r: RunRecorder) => r.build({ label: 'x', watch: null, processes: [], ended: [], channels: null, leaks: null, now: 5_000 });

  test("one whose connection closed (the hub's process.exit) is saved as ended; one that exec'd another Python is alive again", () => {
    const r = new RunRecorder();
    r.ingest([event('process.start', 11, 1_000_000), event('queue.put', 11, 2_000_000), event('process.start', 12, 1_500_000)]);
    r.ingest([event('process.exit', 11, 3_000_000)]);
    let run = build(r);
    assert.deepEqual(run.ended.map((p) => p.pid), [11]);
    assert.deepEqual(run.processes.map((p) => p.pid), [12], 'still connected: running');
    // The same pid and start time: its exec'd program's runtime says hello and reports again.
    r.ingest([event('process.exit', 12, 4_000_000), event('process.start', 12, 4_500_000)]);
    run = build(r);
    assert.deepEqual(run.processes.map((p) => p.pid), [12]);
  });
});

describe('trace export edge cases', () => {
  test('a start time off by the boot-time rounding, and a sender with no process record, still give a valid trace', () => {
    const [a, b] = syntheticProcesses(2);
    const run = new RunRecorder().build({ label: 'edge', watch: null, processes: [], ended: [], channels: null, leaks: null });
    const t = 5_000_000_000; // ns
    const wall = t / 1e6 + run.monoToWallMs;
    const msg = (id: number, pid: number, write: boolean, ns: number, link: number) => ({ id, ch: 'pipe:1', ts: ns, pid, op: write ? 'write' : 'read', write, preview: "b'x'", size: 1, truncated: false, loc: 'x.py:1', seq: 1, link });
    const edge = {
      ...run,
      // a's record says it started a second after it sent; 999 sent too but has no record.
      processes: [{ ...a, startedAt: Math.round(wall) + 1000, ended: null }, { ...b, startedAt: Math.round(wall) - 10, ended: null }],
      timeline: { messages: [msg(1, a.pid, true, t, 2), msg(2, b.pid, false, t + 1e6, 1), msg(3, 999, true, t + 2e6, 4), msg(4, b.pid, false, t + 3e6, 3)] },
    };
    const trace = toChromeTrace(edge);
    assert.deepEqual(checkChromeTrace(trace), []);
    assert.equal(trace.traceEvents.filter((e) => e.ph === 'f').length, 2, 'both arrows');
    assert.ok(trace.traceEvents.some((e) => e.ph === 'M' && e.pid === 999 && e.args?.name === 'pid 999'));
  });
});

describe('leak report without the scans', () => {
  test('a zombie seen while the main process lived is kept when a later scan finds the main process exited but not yet reaped (Z), its zombie already reaped by init', () => {
    const [a, b] = syntheticProcesses(2);
    const main: ProcessInfo = { ...a, pid: 500, ppid: 1, key: '500@1', state: 'S', stat: 'S', zombie: null, orphan: null, ended: null };
    const zombie: ProcessInfo = { ...b, pid: 501, ppid: 500, key: '501@2', state: 'Z', stat: 'Z', argv: [], zombie: { parentPid: 500, parentName: 'python3', explanation: '', fix: '' }, orphan: null, ended: null };
    const watch = new LeakWatch({}, () => null);
    const w: WatchTarget = { pid: 500, key: '500@1', label: 'prog.py', launched: false };
    const t0 = Date.now();
    watch.begin({ now: t0 });
    assert.equal(watch.afterScan([main, zombie], { watch: w, programEnded: false, now: t0 + 1000 }), null, 'the main process lives: no report yet');
    // Its parent (the CLI, the editor) has not reaped it yet: it shows as Z, and init already took and reaped its child.
    const exited: ProcessInfo = { ...main, state: 'Z', stat: 'Z', zombie: { parentPid: 1, parentName: 'node', explanation: '', fix: '' } };
    const report = watch.afterScan([exited], { watch: w, programEnded: false, now: t0 + 2000 });
    assert.deepEqual(report?.items.map((i) => [i.kind, i.pid]), [['zombie', 501]]);
  });

  test('a forked child no scan caught is still found running, from /proc, with its fork line', async () => {
    const child = start('sleep', ['30']);
    const scanner = new ProcScanner();
    await until('the child in /proc', () => scanner.readOne(child.pid!));
    const watch = new LeakWatch({}, (pid) => scanner.readOne(pid));
    watch.begin({ now: Date.now() - 5000 });
    const fork = { k: 'os.fork', ch: '', n: 1, ts: 0, loc: '/x/prog.py:7', size: -1, pv: '', pf: '', pid: 1, key: '1@1', x: { child: child.pid! } } as HubEvent;
    watch.ingest([fork]);
    const report = watch.report('prog.py', []);
    assert.deepEqual(report.items.map((i) => [i.kind, i.pid, i.createdAt]), [['running', child.pid, '/x/prog.py:7']]);
    // Once its parent has reaped it, it is not listed.
    watch.ingest([{ ...fork, k: 'os.wait', x: { child: child.pid!, status: 0 } } as HubEvent]);
    assert.deepEqual(watch.report('prog.py', []).items, []);
  });

  test("multiprocessing's helpers are never leaks, known by how they were started (an exiting one has an empty command line); a forkserver's Process is one", async () => {
    const child = start('sleep', ['30']); // its command line is not a helper's: only the event can say
    const scanner = new ProcScanner();
    await until('the child in /proc', () => scanner.readOne(child.pid!));
    const watch = new LeakWatch({}, (pid) => scanner.readOne(pid));
    watch.begin({ now: Date.now() - 5000 });
    const spawned = (via: string) => ({ k: 'process.spawn', ch: '', n: 1, ts: 0, loc: '/x/prog.py:7', size: -1, pv: '', pf: '', pid: 1, key: '1@1', x: { child: child.pid!, start: 1, via } }) as HubEvent;
    for (const via of ['resource_tracker', 'forkserver_server']) {
      watch.ingest([spawned(via)]);
      assert.deepEqual(watch.report('prog.py', []).items, [], via);
    }
    watch.ingest([spawned('forkserver')]);
    assert.deepEqual(watch.report('prog.py', []).items.map((i) => [i.kind, i.pid, i.createdAt]), [['running', child.pid, '/x/prog.py:7']]);
  });
});

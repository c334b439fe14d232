/** `ipc-scope run` with the real runtime and real example programs: what the hub receives, and fail-open. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { Hub } from '../../server/src/hub/hub';
import { runtimeEnv } from '../../server/src/cli/run';
import { StreamMessageReader, StreamMessageWriter, createProtocolConnection } from 'vscode-languageserver-protocol/node';
import { LspMethods, RuntimeEnvResult } from '../../protocol/protocol';
import { escapeRegExp, examplesDir, family, lineOf, previewText as text, python, repoRoot, runJson, until } from './helpers';

const cli = path.join(repoRoot, 'out', 'cli.js');

const START_METHODS = ['fork', 'spawn', 'forkserver'];

describe('ipc-scope run', () => {
  for (const method of START_METHODS) {
    test(`queue producer/consumer (${method}): every item seen in order, depth within maxsize`, () => {
      const r = runJson([python, path.join(examplesDir, 'queue_producer_consumer.py'), '--start-method', method, '--items', '8', '--maxsize', '3', '--consumer-pause', '0.01']);
      assert.equal(r.status, 0, r.programOut);
      assert.match(r.programOut, /consumer got 8 items in order: True/);
      const created = r.events.find((e) => e.k === 'queue.new' && e.x?.maxsize === 3)!;
      assert.ok(created, 'the bounded queue was reported at its creation line');
      assert.match(created.loc, /queue_producer_consumer\.py:\d+$/);
      const ch = created.ch;
      const puts = r.events.filter((e) => e.k === 'queue.put' && e.ch === ch);
      const gets = r.events.filter((e) => e.k === 'queue.get' && e.ch === ch).sort((a, b) => a.ts - b.ts);
      assert.equal(puts.length, 9, '8 items and the sentinel');
      assert.equal(gets.length, 9);
      assert.notEqual(puts[0].pid, gets[0].pid, 'producer and consumer are different processes');
      const items = [...Array.from({ length: 8 }, (_, i) => `{'seq': ${i}, 'text': 'item ${i}'}`), 'None'];
      assert.deepEqual(gets.map(text), items);
      assert.deepEqual([...puts].sort((a, b) => a.ts - b.ts).map(text), items, 'each put carries its item, in order');
      for (const e of [...puts, ...gets]) assert.ok(typeof e.x?.depth === 'number' && e.x.depth >= 0 && e.x.depth <= 3, `depth ${e.x?.depth}`);
      assert.ok(puts.every((p) => /queue_producer_consumer\.py:\d+$/.test(p.loc)), 'source line of each put');
    });
  }

  test('tracebacks read as without IPC Scope: 27 failing IPC calls and an uncaught error, no frame of the runtime', () => {
    const program = [python, path.join(repoRoot, 'test', 'programs', 'failing_calls.py'), '--uncaught'];
    const plain = spawnSync(program[0], program.slice(1), { encoding: 'utf8', timeout: 60_000 });
    assert.equal(plain.status, 1, plain.stderr);
    const r = runJson(program);
    assert.equal(r.status, 1);
    assert.doesNotMatch(r.programOut, /ipcscope[/\\]/, 'no frame of the runtime');
    // The one standard-library frame of each function a hook re-implements (runtime/tests/test_tracebacks.py).
    const replaced = /^ {2}File "[^"]*(connection\.py", line \d+, in (recv|send)|<string>", line \d+, in setvalue|sharedctypes\.py", line \d+, in __setitem__)\n( {4}.*\n)*/gm;
    const expected = plain.stdout.replace(replaced, '') + plain.stderr;
    assert.equal(plain.stdout.match(replaced)?.length, 4);
    assert.equal(r.programOut, expected);
  });

  test('duplex and one-way Pipe: both directions seen, with payloads', () => {
    const r = runJson([python, path.join(examplesDir, 'pipe_ping_pong.py'), '--rounds', '3']);
    assert.equal(r.status, 0, r.programOut);
    const sends = r.events.filter((e) => e.k === 'conn.send');
    const recvs = r.events.filter((e) => e.k === 'conn.recv');
    const pings = sends.filter((e) => text(e).startsWith("('ping'"));
    const pongs = sends.filter((e) => text(e).startsWith("('pong'"));
    assert.equal(pings.length, 3);
    assert.equal(pongs.length, 3);
    assert.notEqual(pings[0].pid, pongs[0].pid, 'each direction from its own process');
    assert.deepEqual(recvs.filter((e) => e.pid === pings[0].pid && e.pf === 'pickle').map(text), ["('pong', 0)", "('pong', 1)", "('pong', 2)"]);
    assert.deepEqual(recvs.filter((e) => e.pf === 'bytes').map(text), ['line 0', 'line 1', 'line 2']);
  });

  test('the exit status is the program\'s, and os.wait results are decoded', () => {
    const r = runJson([python, path.join(examplesDir, 'zombie.py'), '--hold', '0.2', '--code', '3']);
    assert.equal(r.status, 0);
    const wait = r.events.find((e) => e.k === 'os.wait')!;
    assert.equal(wait.x?.exitCode, 3);
    const fork = r.events.find((e) => e.k === 'os.fork')!;
    assert.equal(fork.x?.child, wait.x?.child);
    const bad = spawnSync(process.execPath, [cli, 'run', '--', python, '-c', 'import sys; print("out"); sys.exit(4)'], { encoding: 'utf8' });
    assert.equal(bad.status, 4);
    assert.match(bad.stdout, /^out$/m);
  });

  test('fail-open: with no hub, or a hub that dies mid-run, the program runs untouched', async () => {
    const program = [path.join(examplesDir, 'pipe_ping_pong.py'), '--rounds', '3000'];
    const plain = spawnSync(python, program, { encoding: 'utf8' });
    assert.equal(plain.status, 0);
    const hub = new Hub();
    await hub.start();
    const noHub = spawnSync(python, program, { encoding: 'utf8', env: { ...runtimeEnv(hub), IPCSCOPE_HUB: '/nonexistent/hub.sock' } });
    assert.equal(noHub.status, 0, noHub.stderr);
    assert.equal(noHub.stdout, plain.stdout);
    assert.equal(noHub.stderr, '');
    // A hub that goes away while the program talks.
    const child = spawn(python, program, { env: runtimeEnv(hub), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    await new Promise<void>((resolve) => hub.once('events', () => resolve()));
    await hub.stop();
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, err);
    assert.equal(out, plain.stdout);
    assert.equal(err, '');
  });

  test('a hub too busy to take the last events before exit: the program exits on time and they are counted as dropped', async () => {
    // 20k os.pipe writes and reads: 40k events, more than the socket holds while the hub does not read.
    const program = ['-c', 'import os\nr, w = os.pipe()\nfor i in range(20000):\n    os.write(w, b"x"); os.read(r, 1)\nprint("done")'];
    const run = async (stallMs: number, expected?: number) => {
      const hub = new Hub();
      let stalled = false;
      hub.on('events', () => {
        if (stalled || !stallMs) return;
        stalled = true;
        const end = Date.now() + stallMs;
        while (Date.now() < end); // the hub's thread is busy: it reads nothing meanwhile
      });
      await hub.start();
      try {
        const child = spawn(python, program, { env: runtimeEnv(hub), stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
        const settled = () => hub.clients.size > 0 && [...hub.clients.values()].every((c) => !c.connected) && (expected === undefined || hub.stats.received + hub.stats.droppedByRuntime >= expected);
        await until('every event received or counted as dropped', () => settled() || null, 20_000).catch(() => undefined);
        return { code, out, received: hub.stats.received, dropped: hub.stats.droppedByRuntime, errors: hub.errors };
      } finally {
        await hub.stop();
      }
    };
    const all = await run(0);
    assert.equal(all.dropped, 0);
    const busy = await run(6_000, all.received);
    assert.equal(busy.code, 0);
    assert.equal(busy.out, 'done\n');
    assert.ok(busy.dropped > 0, `the hub could not take every event before the program exited (${JSON.stringify(busy)})`);
    assert.equal(busy.received + busy.dropped, all.received, 'every event was either received or counted as dropped');
    assert.match(busy.errors.join('\n'), /could not send its last \d+ events/);
  });

  /** Runs `command` under `ipc-scope run`, hands `check` its output so far, then kills the program (stuck children too). */
  async function runAndCheck(command: string[], check: (out: () => string) => Promise<void>, flags: string[] = []): Promise<void> {
    const child = spawn(process.execPath, [cli, 'run', ...flags, '--', ...command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    try {
      await check(() => out);
    } finally {
      const program = [...family(child.pid!)].filter((p) => p !== child.pid);
      child.kill('SIGTERM');
      for (const p of program) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await new Promise((r) => child.once('exit', r));
      child.stdout.destroy();
      child.stderr.destroy();
    }
  }

  /** The deadlock `run` tells, once, within 15 s. */
  async function toldOnce(out: () => string, title: RegExp): Promise<string> {
    const started = Date.now();
    await until('the deadlock told', () => /ipc-scope: DEADLOCK/.test(out()) || null, 20_000);
    assert.match(out(), title);
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(out().match(/ipc-scope: DEADLOCK/g)!.length, 1, 'told once');
    assert.ok(Date.now() - started < 15_000);
    return out();
  }

  test('run tells a deadlock as soon as it is confirmed (join before drain), once', async () => {
    // The parent's stuck child holds the queue's read end too: nothing ever unblocks it.
    await runAndCheck([python, path.join(examplesDir, 'join_deadlock.py')], async (out) => {
      const text = await toldOnce(out, /ipc-scope: DEADLOCK Deadlock: pid \d+ \(python3?\) joins pid \d+/);
      assert.match(text, /ipc-scope: {3}fix: Drain the queue before joining/);
      // The item stuck in the pipe is reported while it is stuck (before its write, which never ends).
      assert.match(text, /pid \d+ queue\.put queue:\d+ depth=1 b'x+' … \(1048585 bytes, preview truncated\) {2}@ join_deadlock\.py:19/);
    });
  });

  test('run tells a put on a full Queue that only its own process reads (fill before starting the consumer)', async () => {
    await runAndCheck([python, path.join(examplesDir, 'queue_producer_consumer.py'), '--fill-first'], async (out) => {
      const text = await toldOnce(out, /ipc-scope: DEADLOCK Deadlock: pid \d+ \(python3?\) puts into a full queue that nobody else reads/);
      assert.match(text, /main thread in futex \(Queue\.put\(\) waiting for room in pipe:\[\d+\] = Queue\)/);
      assert.match(text, /in Queue\.put\(\) \(the queue is full\) .*at \S*queue_producer_consumer\.py:\d+/);
      assert.match(text, /fix: Start the consumer before filling a bounded queue/);
      // Each put's depth is the queue's right after it (not when the feeder thread got to send it).
      assert.deepEqual([...text.matchAll(/queue\.put queue:\d+ depth=(\d+)/g)].map((m) => Number(m[1])), [1, 2, 3]);
    });
  });

  test('run tells a full Queue and a consumer waiting for a go that comes after the puts: both processes, each waiting on the other', async () => {
    const code = [
      'import multiprocessing as mp',
      'def consume(q, go):',
      '    go.recv()',
      '    while q.get() is not None: pass',
      'if __name__ == "__main__":',
      '    q = mp.Queue(2); here, there = mp.Pipe()',
      '    c = mp.Process(target=consume, args=(q, there)); c.start()',
      '    print("filling", flush=True)',
      '    for i in range(5): q.put(i)',
      '    here.send("go"); q.put(None); c.join()',
    ].join('\n');
    await runAndCheck([python, '-c', code], async (out) => {
      const text = await toldOnce(out, /ipc-scope: DEADLOCK Deadlock: pid \d+ \(python3?\) and pid \d+ \(python3?\) wait on each other/);
      assert.match(text, /Queue\.put\(\) waiting for room in pipe:\[\d+\]/);
      assert.match(text, /read\(fd \d+ → [a-z]+:\[\d+\]/);
    });
  });

  test('run tells a child blocked sending a large message on a Pipe its parent reads only after join(): the send is a reported blocking call', async () => {
    const code = [
      'import multiprocessing as mp',
      'def child(conn):',
      '    conn.send(b"x" * (1 << 20))',
      'if __name__ == "__main__":',
      '    here, there = mp.Pipe()',
      '    c = mp.Process(target=child, args=(there,)); c.start()',
      '    print("joining", flush=True)',
      '    c.join(); here.recv()',
    ].join('\n');
    await runAndCheck([python, '-c', code], async (out) => {
      const text = await toldOnce(out, /ipc-scope: DEADLOCK Deadlock: pid \d+ \(python3?\) and pid \d+ \(python3?\) wait on each other|joins pid \d+/);
      assert.match(text, /pid \d+ op\.block conn:\d+ op=send tid=\d+ \(blocked since [\d.]+ ms\) {2}@ <string>:3/);
      assert.match(text, /in Connection\.send\(\) \(the pipe is full: waiting for its reader\)/);
    });
  });

  test("run tells two consumers of an empty Queue whose writer is gone; the one waiting for the queue's read lock names it as the Queue's", async () => {
    const program = path.join(repoRoot, 'test', 'programs', 'empty_queue.py');
    const at = `${escapeRegExp(program)}:${lineOf(program, 'q = mp.Queue()')}`;
    await runAndCheck([python, program, '2'], async (out) => {
      const text = await toldOnce(out, /ipc-scope: DEADLOCK Deadlock: /);
      // One consumer reads the pipe holding the queue's read lock; the other waits for that lock.
      assert.match(text, /read\(fd \d+ → pipe:\[\d+\] = Queue\)/);
      assert.match(text, new RegExp(`futex \\(a lock shared with other processes, in sem:/\\S+ = Queue \\(created at ${at}\\)\\)`));
    });
  });

  test('run tells two processes taking two Locks in opposite orders, with the acquire() each is in and the Locks by their lines', async () => {
    const program = path.join(repoRoot, 'test', 'programs', 'lock_order.py');
    const [waits, a, b] = [lineOf(program, 'with second:'), lineOf(program, 'a = mp.Lock()'), lineOf(program, 'b = mp.Lock()')];
    const at = escapeRegExp(program);
    // The kernel's semaphores are the program's Locks (joined by inode, from what the runtime reported), with their lines.
    await runAndCheck([python, program], async (out) => {
      const text = await toldOnce(out, /ipc-scope: DEADLOCK Deadlock: pid \d+ \(python3?\) and pid \d+ \(python3?\) each wait for a lock that another of them holds/);
      assert.equal(text.match(new RegExp(`in acquire\\(\\) on Lock \\(created at ${at}:\\d+\\) at ${at}:${waits}: main thread in futex \\(acquire\\(\\) of Lock sem:/\\S+ = Lock`, 'g'))?.length, 2, text);
      const locks = [...text.matchAll(new RegExp(`acquire\\(\\) of Lock sem:/\\S+ = Lock \\(created at ${at}:(\\d+)\\)`, 'g'))].map((m) => Number(m[1])).sort((x, y) => x - y);
      assert.deepEqual(locks, [a, b], text);
      assert.match(text, /held by pid \d+\)/);
      const source = /source: (.*)/.exec(text)![1];
      for (const line of [a, b, waits]) assert.ok(source.includes(`lock_order.py:${line}`), source);
      assert.match(text, /fix: Take the locks in the same order in every process/);
    });
  });

  // A healthy program whose producer waits for room again and again (the consumer is slow, not stuck) is not a deadlock.
  test('a slow consumer of a full Queue is not a deadlock', () => {
    const r = spawnSync(process.execPath, [cli, 'run', '--', python, path.join(examplesDir, 'queue_producer_consumer.py'), '--items', '6', '--maxsize', '1', '--consumer-pause', '0.5'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /op\.block queue:\d+ op=put/, 'the producer waited for room long enough to be reported');
    assert.doesNotMatch(r.stdout, /DEADLOCK/);
  });

  for (const method of ['fork', 'spawn']) {
    test(`fail-open (${method}): the language server killed during 10k messages, the program's output and exit code are unchanged`, async () => {
      const program = [path.join(repoRoot, 'test', 'programs', 'echo_10k.py'), '10000', method];
      const plain = spawnSync(python, program, { encoding: 'utf8', maxBuffer: 64 << 20 });
      assert.equal(plain.status, 3, plain.stderr);
      assert.equal(plain.stdout.split('\n').length, 10_002);
      const server = spawn(process.execPath, [path.join(repoRoot, 'out', 'server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'ignore'] });
      const conn = createProtocolConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
      conn.onError(() => {});
      conn.listen();
      await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
      const { env } = await conn.sendRequest<RuntimeEnvResult>(LspMethods.runtimeEnv, {});
      const child = spawn(python, program, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      // Kill the server once the program is well into its messages (and reporting them).
      await until('the first thousand messages', () => out.split('\n').length > 1000 || child.exitCode !== null, 60_000, 5);
      const linesAtKill = out.split('\n').length;
      server.kill('SIGKILL');
      conn.dispose();
      assert.equal(await exited, 3, err);
      assert.equal(err, '');
      assert.equal(out, plain.stdout, 'every message arrived, once, in order');
      assert.ok(linesAtKill < 9000, `the server died mid-run (after ${linesAtKill} of 10000 lines)`);
    });
  }
});

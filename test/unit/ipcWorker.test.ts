/** The OS view's /proc reads in a worker thread: what the main thread gets equals its own reading, changes arrive, and a worker that cannot start or dies leaves the work to the main thread. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import type { OsIpcObject } from '../../protocol/protocol';
import { IpcGather, IpcObjectScanner } from '../../server/src/inspect/ipcObjects';
import { FreshRead, IpcGatherer, PARALLEL_AT, ReadJob } from '../../server/src/inspect/ipcGatherer';
import { decodeChunk, decodeReads, encodeChunk, encodeReads } from '../../server/src/inspect/ipcWire';
import { MessageChannel } from 'node:worker_threads';
import { PIPE_AND_SOCKETPAIR_TO_CHILD, family, killAll, startPython, until, waitForOutput } from './helpers';

// Run as a plain script by the last test: one gathering, then the process must end by itself.
if (process.env.IPC_SCOPE_GATHER_ONCE) {
  void new IpcObjectScanner().gather({ socketPeers: false }).then((g) => console.log(`gathered in the ${g.gatheredIn}`));
} else {
  after(killAll);

  describe('gathering in a worker thread', () => {
    /** A parent and child joined by a pipe and a socketpair; on SIGUSR1 the parent opens one more pipe and prints its inode. */
    const startPair = () =>
      startPython(`${PIPE_AND_SOCKETPAIR_TO_CHILD}
import signal
more = []
def open_pipe(*_):
    more.append(os.pipe())
    print("pipe", os.fstat(more[-1][0]).st_ino, flush=True)
signal.signal(signal.SIGUSR1, open_pipe)
print("ready", os.fstat(w).st_ino, flush=True)
while True: time.sleep(120)
`);

    /** A family's share of a gathering, comparable across gatherings: each process's fds and the objects it holds. */
    function familyView(g: IpcGather, pids: Set<number>) {
      const procs = [...pids].sort((a, b) => a - b).map((pid) => {
        const p = g.procs.get(pid);
        return p && { pid, name: p.name, state: p.state, fds: [...p.fds].sort((x, y) => x[0] - y[0]), sleeping: p.sleeping.map((s) => [s.tid, s.raw]) };
      });
      const held = (o: OsIpcObject) => o.holders.some((h) => pids.has(h.pid));
      const objects = [...g.objects.values()].filter(held).map((o) => ({ ...o, holders: o.holders.filter((h) => pids.has(h.pid)) })).sort((a, b) => a.id.localeCompare(b.id));
      return { procs, objects };
    }

    test('the worker reads what the main thread reads, and later looks bring the changes', async () => {
      const child = startPair();
      const [, pipeIno] = (await waitForOutput(child, /ready (\d+)\n/)).map(Number);
      const pids = await until('parent and child', () => {
        const f = family(child.pid!);
        return f.size === 2 ? f : null;
      });
      const inWorker = new IpcObjectScanner();
      const onMain = new IpcObjectScanner(undefined, undefined, undefined, { workerFile: null });
      const first = await inWorker.gather();
      assert.equal(first.gatheredIn, 'worker', inWorker.workerProblem ?? '');
      assert.equal(inWorker.workerProblem, null);
      assert.ok(first.objects.has(`pipe:[${pipeIno}]`));
      const here = await onMain.gather();
      assert.equal(here.gatheredIn, 'main');
      assert.deepEqual(familyView(first, pids), familyView(here, pids));

      // A new pipe: the next look (a change to the last one, in the worker) has it, as a fresh look here does.
      process.kill(child.pid!, 'SIGUSR1');
      const [, newIno] = (await waitForOutput(child, /pipe (\d+)\n/)).map(Number);
      const second = await inWorker.gather();
      assert.equal(second.gatheredIn, 'worker');
      assert.ok(second.objects.has(`pipe:[${newIno}]`), 'the new pipe');
      assert.ok(!first.objects.has(`pipe:[${newIno}]`), 'an earlier gathering is left as it was');
      assert.deepEqual(familyView(second, pids), familyView(await new IpcObjectScanner(undefined, undefined, undefined, { workerFile: null }).gather(), pids));

      // Gone: its processes and objects leave the next look.
      process.kill(-child.pid!, 'SIGKILL');
      const third = await until('the pair gone', async () => {
        const g = await inWorker.gather();
        return [...pids].every((pid) => !g.procs.has(pid)) ? g : null;
      });
      assert.ok(!third.objects.has(`pipe:[${pipeIno}]`) && !third.objects.has(`pipe:[${newIno}]`));
    });

    /** A parent with `n` sleeping children, each holding one end of a pipe it shares with the next: enough for a first look to be read by two threads. */
    async function startMany(n: number): Promise<Set<number>> {
      const holder = startPython(`
import os, sys, time
ends = [os.pipe() for _ in range(${n})]
for i in range(${n}):
    if os.fork() == 0:
        keep = (ends[i][0], ends[(i + 1) % ${n}][1])
        for r, w in ends:
            for fd in (r, w):
                if fd not in keep: os.close(fd)
        time.sleep(3600)
        os._exit(0)
for r, w in ends:
    os.close(r)
    os.close(w)
print("ready", flush=True)
time.sleep(3600)
`);
      await waitForOutput(holder, /ready/);
      return until(`${n} children`, () => {
        const f = family(holder.pid!);
        return f.size === n + 1 ? f : null;
      });
    }

    test('a first look of many processes is read by two threads, and reads what one thread reads', async () => {
      const pids = await startMany(PARALLEL_AT + 20);
      await new IpcObjectScanner().gather(); // the worker and its helper thread start
      // A new scanner's look is a first look; the helper, started by the look before, takes a share.
      const cold = await until('a look the helper took part in', async () => {
        const g = await new IpcObjectScanner().gather();
        return (g.readByHelper ?? 0) > 0 ? g : null;
      });
      assert.ok(cold.readByHelper! < cold.procs.size, `the helper read ${cold.readByHelper} of ${cold.procs.size}`);
      const alone = await new IpcObjectScanner(undefined, undefined, undefined, { workerFile: null }).gather();
      assert.equal(alone.readByHelper, 0);
      const view = familyView(cold, pids);
      assert.deepEqual(view, familyView(alone, pids));
      assert.equal(view.objects.filter((o) => o.kind === 'pipe' && o.holders.length === 2).length, PARALLEL_AT + 20, 'every pipe, with its two ends in two children');
    });

    test("a helper thread that loses its answer costs nothing: the gathering reads what it lacks", async () => {
      const pids = await startMany(PARALLEL_AT + 20);
      const gatherer = new IpcGatherer(undefined, undefined, undefined, Infinity);
      let helped = 0;
      gatherer.helper = {
        prepare: () => undefined,
        // It really reads its share (from another gatherer), and then its answer is lost.
        read: async (job) => {
          await new IpcGatherer(undefined, undefined, undefined, Infinity).helpRead(job, (read) => (helped += read.length));
          return null;
        },
      };
      const g = await gatherer.gather();
      assert.ok(helped > 0, 'the helper took a share');
      assert.equal(g.readByHelper, 0);
      const alone = await new IpcGatherer(undefined, undefined, undefined, Infinity).gather();
      assert.deepEqual(familyView(g, pids), familyView(alone, pids));
    });

    test('a look at some pids only is whole, and leaves the next full look right', async () => {
      const child = startPair();
      await waitForOutput(child, /ready/);
      const scanner = new IpcObjectScanner();
      const full = await scanner.gather();
      const some = await scanner.gather({ pids: [child.pid!] });
      assert.equal(some.gatheredIn, 'worker');
      assert.deepEqual([...some.procs.keys()], [child.pid!]);
      const again = await scanner.gather();
      assert.ok(again.procs.size > 1 && again.procs.has(child.pid!));
      assert.equal(again.objects.size > 0, true);
      assert.ok(Math.abs(again.procs.size - full.procs.size) < 50, `${again.procs.size} vs ${full.procs.size} processes`);
    });

    test('a worker that cannot start, or dies, leaves the gathering to the main thread', async () => {
      const child = startPair();
      const [, pipeIno] = (await waitForOutput(child, /ready (\d+)\n/)).map(Number);
      const missing = new IpcObjectScanner(undefined, undefined, undefined, { workerFile: path.join(os.tmpdir(), 'no-such-dir', 'ipcWorker.js') });
      const g = await missing.gather();
      assert.equal(g.gatheredIn, 'main');
      assert.match(missing.workerProblem ?? '', /Cannot find module/);
      assert.ok(g.objects.has(`pipe:[${pipeIno}]`));

      // A worker that starts, then exits on its first request.
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-worker-'));
      const dying = path.join(dir, 'ipcWorker.js');
      fs.writeFileSync(dying, "require('node:worker_threads').parentPort.once('message', () => process.exit(7));\n");
      try {
        const scanner = new IpcObjectScanner(undefined, undefined, undefined, { workerFile: dying });
        const first = await scanner.gather();
        assert.equal(first.gatheredIn, 'main');
        assert.match(scanner.workerProblem ?? '', /exited \(7\)/);
        assert.ok(first.objects.has(`pipe:[${pipeIno}]`));
        const next = await scanner.gather();
        assert.equal(next.gatheredIn, 'main', 'it stays on the main thread');
        assert.ok(next.objects.has(`pipe:[${pipeIno}]`));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    test('a worker that never answers is given up on: the look runs on the main thread', async () => {
      const child = startPair();
      const [, pipeIno] = (await waitForOutput(child, /ready (\d+)\n/)).map(Number);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-worker-'));
      const stuck = path.join(dir, 'ipcWorker.js');
      fs.writeFileSync(stuck, "require('node:worker_threads').parentPort.on('message', () => {});\n");
      try {
        const scanner = new IpcObjectScanner(undefined, undefined, undefined, { workerFile: stuck, workerAnswerMs: 500 });
        const t0 = performance.now();
        const first = await scanner.gather();
        assert.equal(first.gatheredIn, 'main');
        assert.match(scanner.workerProblem ?? '', /did not answer in 0.5 s/);
        assert.ok(first.objects.has(`pipe:[${pipeIno}]`));
        assert.ok(performance.now() - t0 < 15_000, 'not held for long');
        assert.equal((await scanner.gather()).gatheredIn, 'main', 'it stays on the main thread');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    test('what crosses between threads arrives whole: every field of every process, object and raw read', async () => {
      // A family with a bit of everything: a pipe and a socketpair, a mapped shared-memory segment, a second
      // thread asleep, a zombie.
      const child = startPython(`${PIPE_AND_SOCKETPAIR_TO_CHILD}
import threading
from multiprocessing import shared_memory
seg = shared_memory.SharedMemory(create=True, size=8192)
seg.buf[0] = 1
threading.Thread(target=time.sleep, args=(120,), name="napper", daemon=True).start()
if os.fork() == 0:
    os._exit(3)
time.sleep(0.2)
print("ready", seg.name, flush=True)
try:
    time.sleep(120)
finally:
    seg.close(); seg.unlink()
`);
      const [, segment] = await waitForOutput(child, /ready (\S+)\n/);
      // (and the resource tracker the segment starts)
      const pids = await until('parent, child and zombie', () => {
        const f = family(child.pid!);
        return f.size >= 3 ? f : null;
      });
      const g = await new IpcGatherer(undefined, undefined, undefined, Infinity).gather();
      const procs = [...g.procs.values()];
      const objects = [...g.objects.values()];
      assert.ok(objects.some((o) => o.kind === 'shm' && o.label.endsWith(segment) && o.holders.some((h) => h.pid === child.pid && h.mode === 'map')), 'the segment, mapped by the parent');
      assert.ok(g.procs.get(child.pid!)!.sleeping.some((t) => t.syscall && t.comm), 'a sleeping thread with its syscall and name');
      assert.ok([...pids].some((pid) => g.procs.get(pid)?.state === 'Z'), 'the zombie');
      assert.deepEqual(decodeChunk(encodeChunk({ procs, objects })), { procs, objects });

      const job: ReadJob = {
        procRoot: '/proc',
        shmDir: '/dev/shm',
        mqueueDir: '/dev/mqueue',
        pids: Int32Array.from([...pids, 0x7ffffffe]), // and a pid that is not there
        wants: new Uint8Array(pids.size + 1).fill(3),
        state: new Int32Array(2),
      };
      const read: [number, FreshRead][] = [];
      await new IpcGatherer(undefined, undefined, undefined, Infinity).helpRead(job, (chunk) => read.push(...chunk));
      assert.equal(read.length, pids.size + 1);
      assert.ok(read.some(([, f]) => f === null) && read.some(([, f]) => f !== null && 'zombie' in f) && read.some(([, f]) => f !== null && 'ran' in f && f.maps.length > 0));
      // Through a real thread boundary, as the helper's answers go.
      const { port1, port2 } = new MessageChannel();
      const crossed = new Promise<string>((resolve) => port2.once('message', resolve));
      port1.postMessage(encodeReads(read));
      const back = decodeReads(await crossed);
      port1.close();
      assert.deepEqual(back, read);
      for (const [, f] of back) if (f && 'ran' in f) assert.ok(Buffer.isBuffer(f.ran.counts) || typeof f.ran.counts === 'string' || f.ran.counts === null, 'run counts compare as Buffers again');
    });

    test('an idle worker does not keep the process alive', () => {
      const r = spawnSync(process.execPath, [__filename], { env: { ...process.env, IPC_SCOPE_GATHER_ONCE: '1' }, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.signal, null, `it did not end by itself: ${r.stderr}`);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /gathered in the worker/);
    });
  });
}

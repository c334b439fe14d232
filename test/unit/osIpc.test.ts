/** The OS view of IPC with real processes: edges and directions, shared memory owners, blocked-on, deadlocks, and bad input. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { LspMethods, MessageChannelInfo, OsIpcUpdate, WatchResult } from '../../protocol/protocol';
import { OsIpcMonitor } from '../../server/src/core/osIpc';
import { IpcObjectScanner } from '../../server/src/inspect/ipcObjects';
import { decodeSyscall } from '../../server/src/inspect/syscalls';
import { PIPE_AND_SOCKETPAIR_TO_CHILD, descendantNamed, examplesDir, family, killAll, python, repoRoot, runJson, start, startPython, until, waitForOutput } from './helpers';
import { startLspServer } from './lspClient';
import { BlockedOps, describeOp } from '../../server/src/core/blockedOps';
import { ChannelModel } from '../../server/src/core/channels';
import { EventKinds, RUNTIME_SOCKET_PREFIX } from '../../protocol/runtime';

after(killAll);

async function look(root: number, monitor = new OsIpcMonitor()): Promise<OsIpcUpdate> {
  const pids = family(root);
  return monitor.update((pid) => pids.has(pid));
}

test('syscall lines decoded (x86-64): int arguments, timeouts, private futexes', { skip: process.arch !== 'x64' ? 'x86-64 syscall numbers' : false }, () => {
  const line = (nr: number, ...args: string[]) => [nr, ...args, ...Array(6 - args.length).fill('0x0'), '0x7ffe0', '0x7f00'].join(' ');
  assert.equal(decodeSyscall(line(61, '0xffffffff', '0x7ffe372b2fcc'))?.waitPid, -1, 'wait4(-1) shown as a 32-bit 0xffffffff');
  assert.equal(decodeSyscall(line(61, '0x3e3e'))?.waitPid, 0x3e3e);
  assert.deepEqual(pick(decodeSyscall(line(0, '0x5', '0x7f00', '0x100'))), { name: 'read', fd: 5, timed: false });
  assert.deepEqual(pick(decodeSyscall(line(1, '0x4', '0x7f00', '0x100009'))), { name: 'write', fd: 4, timed: false });
  assert.equal(decodeSyscall(line(202, '0x7f00', '0x189', '0x0', '0x0'))?.timed, false, 'FUTEX_WAIT_BITSET|PRIVATE, no timeout');
  assert.equal(decodeSyscall(line(202, '0x7f00', '0x89', '0x0', '0x7f5b60'))?.timed, true, 'with a timeout');
  assert.equal(decodeSyscall(line(7, '0x7f00', '0x1', '0xffffffff'))?.timed, false, 'poll(-1)');
  assert.equal(decodeSyscall(line(7, '0x7f00', '0x1', '0x64'))?.timed, true, 'poll(100 ms)');
  assert.equal(decodeSyscall(line(230, '0x1', '0x0', '0x7ffe'))?.timed, true, 'a sleep');
  assert.equal(decodeSyscall('running'), null);
  assert.equal(decodeSyscall('-1 0x7ffe 0x7f00'), null);
});
const pick = (d: ReturnType<typeof decodeSyscall>) => d && { name: d.name, fd: d.fd, timed: d.timed };

describe('IPC objects and edges from /proc', () => {
  test('an os.pipe and a socketpair between parent and child: a one-way pipe edge parent → child and a two-way socket edge', async () => {
    const child = startPython(`${PIPE_AND_SOCKETPAIR_TO_CHILD}
print(os.getpid(), pid, os.fstat(w).st_ino, os.fstat(a.fileno()).st_ino, os.fstat(b.fileno()).st_ino if False else 0, flush=True)
time.sleep(120)
`);
    const [, parent, kid, pipeIno, sockIno] = (await waitForOutput(child, /(\d+) (\d+) (\d+) (\d+) 0\n/)).map(Number);
    const u = await until('the pipe and socket edges', async () => {
      const r = await look(child.pid!);
      return r.edges.some((e) => e.object === `pipe:[${pipeIno}]`) && r.edges.some((e) => e.kind === 'unix') ? r : null;
    });
    const pipeEdges = u.edges.filter((e) => e.object === `pipe:[${pipeIno}]`);
    assert.deepEqual(pipeEdges.map((e) => [e.from, e.to, e.direction]), [[parent, kid, 'one-way']], 'only parent → child');
    assert.equal(pipeEdges[0].text, `pid ${parent} writes → pid ${kid} reads, pipe:[${pipeIno}]`);
    const pipe = u.objects.find((o) => o.id === `pipe:[${pipeIno}]`)!;
    assert.deepEqual(pipe.holders.map((h) => [h.pid, h.mode]).sort(), [[parent, 'w'], [kid, 'r']].sort());
    const sockEdges = u.edges.filter((e) => e.kind === 'unix' && [e.from, e.to].includes(parent) && [e.from, e.to].includes(kid));
    assert.equal(sockEdges.length, 1, JSON.stringify(u.edges));
    assert.equal(sockEdges[0].direction, 'both');
    const parentEnd = u.objects.find((o) => o.id === `socket:[${sockIno}]`)!;
    assert.ok(parentEnd.peer, 'the socket knows its peer (ss)');
    assert.deepEqual(u.objects.find((o) => o.id === parentEnd.peer)!.holders.map((h) => h.pid), [kid]);
    // Both sleep: blocked-on says so, with a timeout (never a deadlock).
    assert.match(u.blocked.find((b) => b.pid === parent)!.text, /nanosleep.*timeout/);
    assert.equal(u.deadlocks.length, 0);
  });

  test('a shell pipeline (yes | head | sleep, no Python) shows its pipe edges in order', async () => {
    const sh = start('sh', ['-c', 'yes | head -c 100000000 | sleep 120']);
    const [yes, head, sleeper] = await until('the pipeline', () => {
      const p = ['yes', 'head', 'sleep'].map((n) => descendantNamed(sh.pid!, n));
      return p.every((x) => x) ? (p as number[]) : null;
    });
    const u = await until('both pipe edges', async () => {
      const r = await look(sh.pid!);
      return r.edges.some((e) => e.from === yes && e.to === head) && r.edges.some((e) => e.from === head && e.to === sleeper) ? r : null;
    });
    const between = u.edges.filter((e) => [yes, head, sleeper].includes(e.from) && [yes, head, sleeper].includes(e.to));
    assert.deepEqual(between.map((e) => `${e.from}->${e.to}`).sort(), [`${yes}->${head}`, `${head}->${sleeper}`].sort());
    assert.ok(between.every((e) => e.kind === 'pipe' && e.direction === 'one-way' && /^pipe:\[\d+\]$/.test(e.object)));
    // head writes into a pipe nobody reads (sleep never does): blocked in write on that pipe.
    const headBlocked = await until('head blocked in write', async () => (await look(sh.pid!)).blocked.find((b) => b.pid === head && /^write\(fd 1 → pipe:/.test(b.text)));
    assert.ok(headBlocked.threads[0].object?.startsWith('pipe:['));
  });

  test('a /dev/shm segment (stdlib SharedMemory) and a System V segment (shmget) appear with their owners', async () => {
    const name = `ipcscope_test_${process.pid}`;
    const child = startPython(`
import ctypes, os, time
from multiprocessing import shared_memory
shm = shared_memory.SharedMemory(name=${JSON.stringify(name)}, create=True, size=8192)
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
sid = libc.shmget(0, 4096, 0o600 | 0o1000)
assert sid >= 0, ctypes.get_errno()
libc.shmat(sid, None, 0)
libc.shmctl(sid, 0, None)  # IPC_RMID now: the segment goes when this process does
print(os.getpid(), sid, flush=True)
time.sleep(120)
`);
    try {
      const [, pid, sid] = (await waitForOutput(child, /(\d+) (\d+)\n/)).map(Number);
      const u = await until('both segments', async () => {
        const r = await look(child.pid!);
        return r.objects.some((o) => o.id === `shm:/${name}`) && r.objects.some((o) => o.id === `sysv-shm:${sid}`) ? r : null;
      });
      const posix = u.objects.find((o) => o.id === `shm:/${name}`)!;
      assert.equal(posix.kind, 'shm');
      assert.equal(posix.size, 8192);
      assert.ok(posix.holders.some((h) => h.pid === pid && h.mode === 'map'), JSON.stringify(posix.holders));
      const sysv = u.objects.find((o) => o.id === `sysv-shm:${sid}`)!;
      assert.equal(sysv.size, 4096);
      assert.deepEqual([...new Set(sysv.holders.map((h) => `${h.pid} ${h.mode}`))].sort(), [`${pid} created`, `${pid} map`]);
      assert.match(sysv.detail, /4096 bytes, 1 attached; created by pid \d+/);
    } finally {
      fs.rmSync(`/dev/shm/${name}`, { force: true });
    }
  });

  test('TCP sockets (IPv4, and IPv6 where the kernel has it): the listener, and both ends of a connection as each other\'s peer, read in the worker and on the main thread alike', async () => {
    const child = startPython(`
import os, socket, time
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen()
client = socket.create_connection(srv.getsockname()); accepted, _ = srv.accept()
port6 = 0
try:
    srv6 = socket.socket(socket.AF_INET6); srv6.bind(("::1", 0)); srv6.listen(); port6 = srv6.getsockname()[1]
except OSError:
    pass  # no IPv6 here
print(os.getpid(), srv.getsockname()[1], client.getsockname()[1], port6, flush=True)
time.sleep(120)
`);
    const [, pid, port, clientPort, port6] = (await waitForOutput(child, /(\d+) (\d+) (\d+) (\d+)\n/)).map(Number);
    for (const workerFile of [undefined, null]) {
      const u = await look(child.pid!, new OsIpcMonitor(new IpcObjectScanner(undefined, undefined, undefined, { workerFile })));
      const tcp = u.objects.filter((o) => o.kind === 'tcp' && o.holders.some((h) => h.pid === pid));
      const labels = tcp.map((o) => o.label).sort();
      const where = workerFile === null ? 'main thread' : 'worker';
      assert.ok(labels.includes(`listening on 127.0.0.1:${port}`), `${where}: ${labels}`);
      const out = tcp.find((o) => o.label === `127.0.0.1:${clientPort} → 127.0.0.1:${port}`);
      const back = tcp.find((o) => o.label === `127.0.0.1:${port} → 127.0.0.1:${clientPort}`);
      assert.ok(out && back, `${where}: ${labels}`);
      assert.equal(out.peer, back.id);
      assert.equal(back.peer, out.id);
      if (port6) assert.ok(labels.includes(`listening on [::1]:${port6}`), `${where}: ${labels}`);
    }
  });
});

describe('blocked-on and deadlocks', () => {
  const lockOrder = path.join(repoRoot, 'test', 'programs', 'lock_order.py');
  const runDeadlock = async (cmd: string, args: string[], ready: RegExp, expectTitle: RegExp) => {
    const child = start(cmd, args);
    await waitForOutput(child, ready, 60_000);
    const t0 = Date.now();
    const monitor = new OsIpcMonitor();
    const u = await until('a deadlock', async () => {
      const r = await look(child.pid!, monitor);
      return r.deadlocks.length ? r : null;
    }, 30_000, 0);
    const ms = Date.now() - t0;
    const d = u.deadlocks[0];
    assert.match(d.title, expectTitle);
    console.log(`# ${path.basename(args.find((a) => a.endsWith('.py')) ?? cmd)}${cmd === process.execPath ? ' (under ipc-scope run)' : ''}: flagged in ${ms} ms: ${d.title}`);
    assert.ok(ms <= 2000, `flagged within 2 s (took ${ms} ms)`);
    // It stays flagged, look after look (no flicker while, say, the runtime's sender thread runs).
    for (let i = 0; i < 5; i++) assert.deepEqual((await look(child.pid!, monitor)).deadlocks.map((x) => x.id), [d.id], `look ${i + 2}`);
    return { u, d, child };
  };

  test('examples/pipe_cycle.py: both processes read first, flagged as a cycle naming both and both pipes', async () => {
    const { d, u } = await runDeadlock(python, [path.join(examplesDir, 'pipe_cycle.py')], /both read first/, /wait on each other/);
    assert.equal(d.pids.length, 2);
    assert.equal(d.objects.length, 2);
    assert.ok(d.objects.every((o) => /^pipe:\[\d+\]$/.test(o)));
    for (const pid of d.pids) assert.match(u.blocked.find((b) => b.pid === pid)!.text, /^read\(fd \d+ → pipe:\[\d+\]\)$/);
    assert.equal(d.explanation.length, 2);
  });

  test('examples/join_deadlock.py: the parent joins a child whose queue feeder cannot write, flagged as join-before-drain', async () => {
    const { d, u } = await runDeadlock(python, [path.join(examplesDir, 'join_deadlock.py')], /joining before draining/, /joins pid \d+ .*queue feeder thread waits for someone to read pipe:\[\d+\]/);
    assert.equal(d.pids.length, 2);
    assert.match(d.fix, /get\(\).*then p\.join\(\)/);
    const parentBlocked = u.blocked.find((b) => b.pid === d.pids.find((p) => u.blocked.find((b) => b.pid === p && /wait4/.test(b.text))))!;
    assert.ok(parentBlocked, 'the parent is blocked in wait4');
  });

  test('the same under the runtime (ipc-scope run): its sender thread does not hide the deadlock', async () => {
    const { u } = await runDeadlock(process.execPath, [path.join(repoRoot, 'out', 'cli.js'), 'run', '--', python, path.join(examplesDir, 'join_deadlock.py')], /joining before draining/, /joins pid \d+/);
    // The runtime's connection to the hub is IPC Scope's own, not the program's IPC (its only Unix sockets are the stdio this test gave it).
    const sockets = u.objects.filter((o) => o.kind === 'unix');
    assert.ok(sockets.length > 0, 'stdio socketpairs are seen');
    assert.deepEqual(sockets.filter((o) => o.holders.some((h) => h.fd !== null && h.fd > 2)), [], JSON.stringify(sockets));
    // The child's threads: its own (main, the queue's feeder) counted; the runtime's listed, marked, not counted.
    const child = u.blocked.find((b) => b.threads.some((t) => /^write\(fd \d+ → pipe/.test(t.text)))!;
    assert.ok(child, JSON.stringify(u.blocked));
    assert.match(child.text, /; 1 other thread blocked too$/, JSON.stringify(child));
    // The runtime's threads may be anywhere (still connecting, say); wherever they are, they are marked.
    assert.deepEqual(child.threads.filter((t) => !t.runtime).map((t) => t.syscall).sort(), ['futex', 'write'], JSON.stringify(child.threads));
    assert.ok(child.threads.filter((t) => /^(recv|poll)/.test(t.text)).every((t) => t.runtime), `the runtime's socket waits are marked: ${JSON.stringify(child.threads)}`);
  });

  test("a runtime's connection the hub has not accepted yet is IPC Scope's own too, known by its end's name", async () => {
    // A hub too busy to accept: the connection waits in the listening socket's backlog, its other end
    // held by no one (and, without an inode yet, unknown to ss). The runtime's end is named (transport.py).
    const child = start(python, ['-c', [
      'import os, socket, tempfile, time',
      'path = os.path.join(tempfile.mkdtemp(prefix="ipc-scope-"), "hub.sock")',
      'hub = socket.socket(socket.AF_UNIX); hub.bind(path); hub.listen(8)',
      `runtime = socket.socket(socket.AF_UNIX); runtime.bind("\\0${RUNTIME_SOCKET_PREFIX}%d-test" % os.getpid()); runtime.connect(path)`,
      'program = socket.socket(socket.AF_UNIX); program.connect(path)',
      'print("ready", runtime.fileno(), program.fileno(), flush=True)',
      'time.sleep(60)',
    ].join('\n')]);
    const [runtimeFd, programFd] = (await waitForOutput(child, /ready (\d+) (\d+)/, 30_000)).slice(1).map(Number);
    const u = await look(child.pid!);
    const held = (fd: number) => u.objects.find((o) => o.kind === 'unix' && o.holders.some((h) => h.pid === child.pid && h.fd === fd));
    assert.equal(held(runtimeFd), undefined, `the runtime's connection is not shown: ${JSON.stringify(u.objects)}`);
    assert.ok(held(programFd), 'an unnamed connection waiting the same way is the program\'s: shown');
  });

  test('two processes taking two Locks in opposite orders: flagged from the kernel alone (futex address → the semaphore both map)', async () => {
    const { d, u } = await runDeadlock(python, [lockOrder], /both stuck/, /wait on each other/);
    assert.equal(d.pids.length, 3, 'both workers, and the parent: it maps both locks and joins a worker');
    const sems = d.explanation.filter((e) => /futex \(a lock shared with other processes, in sem:\/\S+\)/.test(e));
    assert.equal(sems.length, 2, d.explanation.join('\n'));
    assert.equal(new Set(sems.map((e) => /in (sem:\/\S+)\)/.exec(e)![1])).size, 2, 'each waits on another lock');
    assert.match(d.fix, /same order/);
    assert.ok(u.objects.some((o) => o.kind === 'sem' && o.holders.length >= 3));
  });

  test('a Semaphore shared with a process that only sleeps (holding it) is not a deadlock', async () => {
    const code = [
      'import multiprocessing as mp, time',
      'def hold(s):',
      '    with s: time.sleep(60)',
      'if __name__ == "__main__":',
      '    s = mp.Semaphore(1)',
      '    p = mp.Process(target=hold, args=(s,)); p.start(); time.sleep(0.5)',
      '    print("waiting", flush=True)',
      '    s.acquire()',
    ].join('\n');
    const child = start(python, ['-c', code]);
    try {
      await waitForOutput(child, /waiting/, 60_000);
      const monitor = new OsIpcMonitor();
      let blocked = '';
      for (let i = 0; i < 4; i++) {
        const u = await look(child.pid!, monitor);
        assert.deepEqual(u.deadlocks, [], 'the holder sleeps with a timeout: it may release');
        blocked = u.blocked.find((b) => b.pid === child.pid)?.text ?? blocked;
        await new Promise((r) => setTimeout(r, 300));
      }
      assert.match(blocked, /futex \(a lock shared with other processes, in sem:\/\S+\)/);
    } finally {
      killAll();
    }
  });

  test('consumers waiting on an empty Queue whose writers have all exited are flagged', async () => {
    const { d, u } = await runDeadlock(python, [path.join(repoRoot, 'test', 'programs', 'empty_queue.py')], /writers gone/, /./);
    // The consumer reads a pipe only it (and its waiting parent) still hold the write end of.
    const consumer = u.blocked.find((b) => /^read\(fd \d+ → pipe:/.test(b.text) && d.pids.includes(b.pid));
    assert.ok(consumer, JSON.stringify(u.blocked));
    assert.ok(d.objects.some((o) => /^pipe:\[\d+\]$/.test(o)));
  });

  test('a busy producer/consumer and a reader waiting on a live writer are not deadlocks', async () => {
    // The consumer blocks in read on a pipe whose writer sleeps between writes: stuck for a while, never deadlocked.
    const child = startPython(`
import os, time
r, w = os.pipe()
if os.fork() == 0:
    os.close(w)
    while os.read(r, 100): pass
    os._exit(0)
os.close(r)
print("go", flush=True)
for i in range(40):
    os.write(w, b"x"); time.sleep(0.1)
`);
    await waitForOutput(child, /go/);
    const monitor = new OsIpcMonitor();
    let blockedSeen = false;
    const end = Date.now() + 3000;
    while (Date.now() < end) {
      const u = await look(child.pid!, monitor);
      assert.deepEqual(u.deadlocks, []);
      blockedSeen ||= u.blocked.some((b) => b.text.startsWith('read('));
    }
    assert.ok(blockedSeen, 'the reader was seen blocked in read');
  });
});

describe('the language server', () => {
  test('watching pipe_cycle.py sends ipcScope/osIpc with the edges and the deadlock; osIpcSnapshot returns the latest', async () => {
    const server = startLspServer();
    const conn = server.conn;
    const updates: OsIpcUpdate[] = [];
    conn.onNotification(LspMethods.osIpc, (u: OsIpcUpdate) => void updates.push(u));
    conn.listen();
    try {
      await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
      await conn.sendNotification('initialized', {});
      await conn.sendNotification(LspMethods.configure, { refreshIntervalMs: 250, scope: 'program' });
      const child = start(python, [path.join(examplesDir, 'pipe_cycle.py')]);
      const [, parent, kid] = (await waitForOutput(child, /parent (\d+) and child (\d+)/)).map(Number);
      const r = await conn.sendRequest<WatchResult>(LspMethods.watch, { pid: child.pid, label: 'pipe_cycle.py', launched: false });
      assert.equal(r.ok, true, r.message);
      const u = await until('an osIpc update with the deadlock', () => updates.find((x) => x.deadlocks.length), 30_000);
      assert.deepEqual(u.deadlocks[0].pids, [parent, kid].sort((a, b) => a - b));
      assert.ok(u.edges.some((e) => e.from === parent && e.to === kid && e.kind === 'pipe'));
      assert.ok(u.edges.some((e) => e.from === kid && e.to === parent && e.kind === 'pipe'));
      assert.ok(u.blocked.some((b) => b.pid === parent && b.text.startsWith('read(')));
      const snap = await conn.sendRequest<OsIpcUpdate | null>(LspMethods.osIpcSnapshot, {});
      assert.equal(snap?.deadlocks[0]?.id, u.deadlocks[0].id);
    } finally {
      await server.stop();
    }
  });
});

describe('Python calls the runtime reports blocked', () => {
  test('a Queue.get, a put on a full Queue and a Connection.recv that wait 0.6 s are reported with their lines, then their ends; quick ones are not', () => {
    const code = [
      'import multiprocessing as mp, time',
      'def late(q): time.sleep(0.6); q.put("late")',
      'def send(c): time.sleep(0.6); c.send(1)',
      'def drain(f): time.sleep(0.6); f.get(); f.get()',
      'if __name__ == "__main__":',
      '    q = mp.Queue(); p = mp.Process(target=late, args=(q,)); p.start()',
      '    print(q.get())',
      '    p.join()',
      '    a, b = mp.Pipe(); c = mp.Process(target=send, args=(b,)); c.start()',
      '    print(a.recv())',
      '    c.join()',
      '    q.put(1); q.get()',
      '    f = mp.Queue(1); f.put(0); d = mp.Process(target=drain, args=(f,)); d.start()',
      '    f.put(1)',
      '    d.join()',
    ].join('\n');
    const r = runJson([python, '-c', code]);
    assert.equal(r.status, 0, r.programOut);
    // The joins wait for a child's exit, which a loaded machine can make slower than the 0.2 s after
    // which a wait is reported: neither deliberately slow nor surely quick, so not asserted on.
    const ops = r.events.filter((e) => (e.k === EventKinds.opBlock || e.k === EventKinds.opUnblock) && e.x?.op !== 'join');
    const blocks = ops.filter((e) => e.k === EventKinds.opBlock);
    assert.deepEqual(blocks.map((e) => [e.x?.op, e.loc.replace(/^.*:/, 'line ')]), [['get', 'line 7'], ['recv', 'line 10'], ['put', 'line 14']], JSON.stringify(ops));
    assert.match(blocks[0].ch, /^queue:\d+$/);
    assert.match(blocks[1].ch, /^conn:\d+$/);
    assert.match(blocks[2].ch, /^queue:\d+$/);
    assert.equal(ops.filter((e) => e.k === EventKinds.opUnblock).length, 3, 'each ends');
    // The server's record: blocked while in the call, not after.
    const b = new BlockedOps();
    b.ingest(r.events.slice(0, r.events.indexOf(blocks[0]) + 1));
    assert.equal(describeOp(b.of(blocks[0].pid)[0]), 'Queue.get()');
    b.ingest(r.events);
    assert.deepEqual(b.of(blocks[0].pid), []);
    // The channel model: the producer blocked on the full queue, then not.
    const put = blocks[2];
    const channels = new ChannelModel();
    channels.ingest(r.events.slice(0, r.events.indexOf(put) + 1));
    const full = channels.update({ received: 0, dropped: 0, protocolErrors: 0 }, true)!.channels.find((c) => c.id === put.ch) as MessageChannelInfo;
    assert.equal(full.maxsize, 1);
    assert.deepEqual(full.blocked.map((x) => [x.pid, x.op, x.loc]), [[put.pid, 'put', put.loc]]);
    assert.equal(describeOp({ op: 'put', ch: put.ch, targetPid: null, loc: put.loc, since: put.ts, tid: null }), 'Queue.put() (the queue is full)');
    channels.ingest(r.events.slice(r.events.indexOf(put) + 1));
    const after = channels.update({ received: 0, dropped: 0, protocolErrors: 0 }, true)!.channels.find((c) => c.id === put.ch) as MessageChannelInfo | undefined;
    assert.deepEqual(after?.blocked ?? [], [], 'unblocked once the child made room');
  });
});

describe('bad input', () => {
  const isRoot = process.getuid?.() === 0;
  const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;

  test("another user's processes are restricted, not an error (the CLI run as nobody)", { skip: !isRoot || !hasSetpriv ? 'needs root and setpriv' : false }, async () => {
    const mine = startPython('import os, time\nr, w = os.pipe()\nprint(os.getpid(), flush=True)\ntime.sleep(120)');
    const rootPid = Number((await waitForOutput(mine, /(\d+)\n/))[1]);
    const theirs = start('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', python, '-c', 'import os, time\nr, w = os.pipe()\nprint(os.getpid(), os.fstat(r).st_ino, flush=True)\ntime.sleep(120)']);
    const [, nobodyPid, nobodyPipe] = (await waitForOutput(theirs, /(\d+) (\d+)\n/)).map(Number);
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, path.join(repoRoot, 'out', 'cli.js'), 'ipc', '--system', '--json'], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const u = JSON.parse(r.stdout) as OsIpcUpdate;
    const denied = u.restricted.find((x) => x.pid === rootPid);
    assert.ok(denied, 'the root process is listed as restricted');
    assert.match(denied.reason, /permission denied/);
    assert.ok(!u.restricted.some((x) => x.pid === nobodyPid), 'its own process is readable');
    assert.ok(u.objects.some((o) => o.id === `pipe:[${nobodyPipe}]` && o.holders.some((h) => h.pid === nobodyPid && h.mode === 'r')));
    // And root sees the nobody process in full.
    const asRoot = await new OsIpcMonitor().update(null);
    assert.ok(asRoot.objects.some((o) => o.id === `pipe:[${nobodyPipe}]`));
  });

  test('fds that close while being read, and processes that come and go, never break a gathering', async () => {
    const churn = startPython(`
import os
print("go", flush=True)
while True:
    fds = [os.pipe() for _ in range(50)]
    pid = os.fork()
    if pid == 0: os._exit(0)
    for r, w in fds: os.close(r); os.close(w)
    os.waitpid(pid, 0)
`);
    await waitForOutput(churn, /go/);
    const scanner = new IpcObjectScanner();
    let churnSeen = 0;
    for (let i = 0; i < 30; i++) {
      const g = await scanner.gather();
      for (const o of g.objects.values()) for (const h of o.holders) assert.ok(Number.isInteger(h.pid));
      if (g.procs.get(churn.pid!)?.fds.size) churnSeen++;
    }
    assert.ok(churnSeen > 0, 'the churning process was read');
  });

  test('a missing /dev/mqueue is a note, not an error', async () => {
    const g = await new IpcObjectScanner(undefined, '/dev/shm', '/nonexistent/mqueue').gather({ socketPeers: false });
    assert.ok(g.notes.some((n) => n.includes('no /nonexistent/mqueue')), g.notes.join('; '));
    assert.ok(![...g.objects.values()].some((o) => o.kind === 'mqueue'));
  });

  test('a missing ss is a note (sockets without peers), not an error', async () => {
    const s = new IpcObjectScanner();
    s.ssCommand = '/nonexistent/ss';
    const g = await s.gather();
    assert.ok(g.notes.some((n) => n.includes('not found')), g.notes.join('; '));
  });

  test('a process with 10k fds: all its pipes read, in slices (or decoded in chunks) that keep the event loop responsive', async () => {
    const big = startPython(`
import os, resource, time
resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
for _ in range(5000): os.pipe()
print(os.getpid(), len(os.listdir("/proc/self/fd")), flush=True)
time.sleep(120)
`);
    const [, pid, nfds] = (await waitForOutput(big, /(\d+) (\d+)\n/, 60_000)).map(Number);
    assert.ok(nfds >= 10_000);
    // Read on the main thread (no worker), and in the worker (the main thread decodes its answer in chunks).
    for (const workerFile of [null, undefined]) {
      const scanner = new IpcObjectScanner(undefined, undefined, undefined, { workerFile });
      const g = await scanner.gather({ pids: [pid] });
      assert.equal(g.gatheredIn, workerFile === null ? 'main' : 'worker');
      const p = g.procs.get(pid)!;
      assert.ok(p.fds.size >= 10_000, `${p.fds.size} fds`);
      // Its 5000 pipes, each held by both ends (stdout and stderr are pipes too, write end only).
      const pipes = [...g.objects.values()].filter((o) => o.kind === 'pipe' && o.holders.filter((h) => h.pid === pid).map((h) => h.mode).sort().join() === 'r,w');
      assert.equal(pipes.length, 5000);
      console.log(`# 10k fds gathered in the ${g.gatheredIn} thread in ${g.gatherMs.toFixed(1)} ms; on the main thread in ${g.yields + 1} slices, longest ${g.longestSliceMs.toFixed(1)} ms`);
      // Cut into slices of ~2 ms (20k reads: tens of them), or decoded in chunks, not in one go. (How long
      // a slice really lasts depends on the machine's load: the benchmark measures the event-loop stall.)
      assert.ok(g.yields >= 10, `${g.yields} yields`);
    }
  });
});

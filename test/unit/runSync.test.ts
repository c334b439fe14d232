/**
 * Locks and semaphores, Manager objects, Pool, os pipes, FIFOs and sockets: the real examples run
 * under `ipc-scope run --json` (the real hub and runtime), and what the hub received is checked
 * against what the programs printed. Each example also prints the same with and without the runtime.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { HubEvent } from '../../server/src/hub/hub';
import { examplesDir, previewText as text, python, runJson } from './helpers';

const START_METHODS = ['fork', 'spawn', 'forkserver'];
const example = (name: string) => path.join(examplesDir, name);
const run = (name: string, args: string[] = []) => runJson([python, example(name), ...args]);
const byTs = (a: HubEvent, b: HubEvent) => a.ts - b.ts;
const kind = (events: HubEvent[], k: string, ch?: string) => events.filter((e) => e.k === k && (ch === undefined || e.ch === ch)).sort(byTs);
/** The raw bytes of a "bytes" preview, as text. */
const raw = (e: HubEvent) => Buffer.from(e.pv, 'base64').toString('utf8');
const num = (e: HubEvent, field: string): number => {
  const v = e.x?.[field];
  assert.equal(typeof v, 'number', `${e.k} x.${field} is a number: ${JSON.stringify(e.x)}`);
  return v as number;
};
const pids = (events: HubEvent[]) => new Set(events.map((e) => e.pid));
const sameLines = (s: string) => s.split('\n').filter(Boolean).sort();

describe('ipc-scope run: sync, managers, pool, pipes, sockets', () => {
  for (const method of START_METHODS) {
    test(`Semaphore(3) and a Lock (${method}): values stay in range, acquires and releases balance, waiters block`, () => {
      const r = run('semaphore_workers.py', ['--start-method', method, '--workers', '8', '--limit', '3', '--hold', '0.1']);
      assert.equal(r.status, 0, r.programOut);
      const peak = Number(/max concurrency seen (\d+)/.exec(r.programOut)?.[1]);
      assert.ok(peak >= 1 && peak <= 3, r.programOut);

      const news = kind(r.events, 'sync.new');
      const sem = news.find((e) => e.x?.type === 'Semaphore')!;
      const lock = news.find((e) => e.x?.type === 'Lock')!;
      const barrier = news.find((e) => e.x?.type === 'Barrier')!;
      assert.ok(sem && lock && barrier, `one of each: ${JSON.stringify(news.map((e) => e.x))}`);
      assert.match(sem.ch, /^sem:\/mp-.+/);
      assert.match(sem.loc, /semaphore_workers\.py:\d+$/);
      assert.equal(sem.x?.value, 3);
      assert.equal(barrier.x?.maxvalue, 8);
      assert.equal(new Set(news.map((e) => e.ch)).size, news.length, 'a channel per object');
      assert.equal(news.length, 3, 'internal locks (of RawValue, Barrier, Condition) are not reported');

      const acquires = kind(r.events, 'sync.acquire', sem.ch);
      const releases = kind(r.events, 'sync.release', sem.ch);
      const blocks = kind(r.events, 'sync.block', sem.ch);
      assert.equal(acquires.length, 8);
      assert.equal(releases.length, 8);
      assert.ok(blocks.length >= 1, 'with 8 workers let go at once, some wait for the semaphore');
      for (const e of [...acquires, ...releases, ...blocks]) {
        const v = num(e, 'value');
        assert.ok(v >= 0 && v <= 3, `semaphore value ${v} out of [0, 3]`);
        assert.notEqual(e.pid, sem.pid, 'only workers use it');
        assert.match(e.loc, /semaphore_workers\.py:\d+$/);
      }
      assert.ok(pids(acquires).size >= 2, 'acquired in several workers (channel id shared across processes)');
      for (const b of blocks) {
        const after = acquires.find((a) => a.pid === b.pid && a.ts >= b.ts);
        assert.ok(after, `the block of ${b.pid} ends in an acquire`);
        assert.ok(num(after, 'waitedNs') > 0);
      }
      const lockAcq = kind(r.events, 'sync.acquire', lock.ch);
      assert.equal(lockAcq.length, 16);
      assert.equal(kind(r.events, 'sync.release', lock.ch).length, 16);
      for (const e of lockAcq) assert.equal(e.x?.value, 0, 'a held lock has value 0');
      const waits = kind(r.events, 'sync.op', barrier.ch);
      assert.equal(waits.length, 8);
      assert.ok(waits.every((e) => e.x?.op === 'wait'));
    });
  }

  for (const method of START_METHODS) {
    test(`Manager list/dict/Namespace (${method}): calls from workers, final states equal what the program printed`, () => {
      const r = run('manager_objects.py', ['--start-method', method, '--workers', '3']);
      assert.equal(r.status, 0, r.programOut);
      const printedList = /^list: (.*)$/m.exec(r.programOut)![1];
      const printedDict = /^dict: (.*)$/m.exec(r.programOut)![1];
      const printedNs = /^namespace: (.*)$/m.exec(r.programOut)![1];
      const states = kind(r.events, 'manager.state');
      const last = (typeid: string) => {
        const s = states.filter((e) => e.x?.typeid === typeid);
        assert.ok(s.length, `states of the ${typeid}`);
        assert.equal(new Set(s.map((e) => e.ch)).size, 1, `one ${typeid}`);
        return s[s.length - 1];
      };
      const list = last('list');
      const dict = last('dict');
      const ns = last('Namespace');
      assert.match(list.ch, /^manager:.+:[0-9a-f]+$/);
      assert.equal(text(list), printedList);
      assert.equal(list.x?.length, 3);
      const entries = (s: string) => [...s.matchAll(/'(\w+)': (\d+)/g)].map((m) => `${m[1]}=${m[2]}`).sort();
      assert.deepEqual(entries(text(dict)), entries(printedDict));
      assert.equal(text(ns), printedNs);
      const server = list.pid;
      assert.ok(states.every((e) => e.pid === server), 'states come from the manager process');

      const calls = kind(r.events, 'manager.call');
      const appends = calls.filter((e) => e.x?.method === 'append');
      assert.equal(appends.length, 3);
      assert.ok(appends.every((e) => e.ch === list.ch && e.x?.typeid === 'list'), 'client and server name the list alike');
      assert.deepEqual(appends.map(text).sort(), ['(0,)', '(10,)', '(20,)']);
      assert.ok(appends.every((e) => /manager_objects\.py:\d+$/.test(e.loc)), `user lines: ${appends.map((e) => e.loc)}`);
      assert.equal(pids(appends).size, 3, 'one append per worker');
      assert.ok(!pids(appends).has(server));
      const sets = calls.filter((e) => e.ch === dict.ch && e.x?.method === '__setitem__');
      assert.deepEqual(sets.map(text).sort(), ["('worker0', 0)", "('worker1', 1)", "('worker2', 4)"]);
      assert.ok(calls.some((e) => e.ch === ns.ch && e.x?.method === '__setattr__' && text(e) === "('count', 3)"));
      assert.ok(calls.some((e) => e.ch === list.ch && e.x?.method === 'sort'));
      assert.ok(!calls.some((e) => String(e.x?.method).startsWith('#')), 'internal requests are not reported');
      assert.deepEqual(r.events.filter((e) => e.k.startsWith('conn.')), [], "the Manager's own connections (authentication, requests) are not the user's messages");
    });
  }

  test("a user's Listener/Client with an authkey: its messages are reported, the authentication is not", () => {
    const program = [
      'import threading',
      'from multiprocessing.connection import Client, Listener',
      "listener = Listener(('127.0.0.1', 0), authkey=b'secret')",
      'def serve():',
      '    with listener.accept() as c:',
      "        c.send(('echo', c.recv()))",
      'threading.Thread(target=serve).start()',
      "with Client(listener.address, authkey=b'secret') as c:",
      "    c.send('hello')",
      '    print(c.recv())',
    ].join('\n');
    const r = runJson([python, '-c', program]);
    assert.equal(r.status, 0, r.programOut);
    assert.match(r.programOut, /\('echo', 'hello'\)/);
    const conn = r.events.filter((e) => e.k.startsWith('conn.'));
    assert.deepEqual(conn.map((e) => `${e.k} ${text(e)}`).sort(), ["conn.recv 'hello'", "conn.recv ('echo', 'hello')", "conn.send 'hello'", "conn.send ('echo', 'hello')"].sort());
  });

  for (const method of START_METHODS) {
    test(`Pool(4) (${method}): pool.new names its task and result queues, which carry the tasks and results`, () => {
      const r = run('pool.py', ['--start-method', method, '--task-seconds', '0.01', '--tasks', '8']);
      assert.equal(r.status, 0, r.programOut);
      const pool = kind(r.events, 'pool.new');
      assert.equal(pool.length, 1);
      const p = pool[0];
      assert.equal(p.ch, `pool:${p.pid}:${p.ch.split(':')[2]}`);
      assert.equal(p.x?.processes, 4);
      assert.match(p.loc, /pool\.py:\d+$/);
      const tasks = String(p.x?.tasks);
      const results = String(p.x?.results);
      assert.match(tasks, /^queue:\d+$/);
      assert.match(results, /^queue:\d+$/);
      assert.notEqual(tasks, results);
      const created = new Set(kind(r.events, 'queue.new').map((e) => e.ch));
      assert.ok(created.has(tasks) && created.has(results));
      const taken = kind(r.events, 'queue.get', tasks).filter((e) => e.pid !== p.pid);
      const given = kind(r.events, 'queue.put', results).filter((e) => e.pid !== p.pid);
      assert.ok(taken.some((e) => text(e).includes('<__main__.square>')), 'workers take the tasks from the task queue');
      assert.ok(given.some((e) => text(e).includes('(49, ')), 'apply_async(square, 7) comes back on the result queue');
      assert.ok(pids(taken).size >= 1 && [...pids(given)].every((pid) => pids(taken).has(pid)));
    });
  }

  test('os.pipe: the parent writes, the forked child reads the same bytes in order', () => {
    const r = run('os_pipe.py', ['--messages', '5']);
    assert.equal(r.status, 0, r.programOut);
    const created = kind(r.events, 'os.pipe');
    assert.equal(created.length, 1, 'only the program\'s pipe (not multiprocessing\'s or the runtime\'s)');
    const ch = created[0].ch;
    assert.match(ch, /^pipe:\d+$/);
    assert.ok(typeof created[0].x?.read === 'number' && typeof created[0].x?.write === 'number');
    const writes = kind(r.events, 'pipe.write', ch);
    const reads = kind(r.events, 'pipe.read', ch);
    const expected = Array.from({ length: 5 }, (_, i) => `message ${i}\n`);
    assert.deepEqual(writes.map(raw), expected);
    assert.deepEqual(writes.map((e) => e.size), expected.map((s) => s.length));
    assert.equal(reads.map(raw).join(''), expected.join(''));
    assert.ok(writes.every((e) => e.pid === created[0].pid && e.pf === 'bytes'));
    assert.ok(reads.length >= 1 && reads.every((e) => e.pid !== created[0].pid));
    assert.ok(writes.every((e) => /os_pipe\.py:\d+$/.test(e.loc)));
  });

  test('socketpair: both directions after fork, one channel for both ends', () => {
    const r = run('socketpair_echo.py', ['--rounds', '3']);
    assert.equal(r.status, 0, r.programOut);
    const created = kind(r.events, 'socket.new');
    assert.equal(created.length, 1);
    const ch = created[0].ch;
    const m = /^sock:(\d+)-(\d+)$/.exec(ch)!;
    assert.ok(m && Number(m[1]) < Number(m[2]), ch);
    assert.equal(created[0].x?.family, 'AF_UNIX');
    const parent = created[0].pid;
    const sends = kind(r.events, 'socket.send', ch);
    const recvs = kind(r.events, 'socket.recv', ch);
    assert.deepEqual(sends.filter((e) => e.pid === parent).map(raw), ['hello 0\n', 'hello 1\n', 'hello 2\n']);
    assert.deepEqual(sends.filter((e) => e.pid !== parent).map(raw), ['echo HELLO 0\n', 'echo HELLO 1\n', 'echo HELLO 2\n']);
    assert.equal(recvs.filter((e) => e.pid !== parent).map(raw).join(''), 'hello 0\nhello 1\nhello 2\n');
    assert.equal(recvs.filter((e) => e.pid === parent).map(raw).join(''), 'echo HELLO 0\necho HELLO 1\necho HELLO 2\n');
  });

  for (const method of START_METHODS) {
    test(`FIFO (${method}): os.mkfifo, a producer writes lines, a consumer reads them`, () => {
      const r = run('fifo_lines.py', ['--start-method', method, '--lines', '4']);
      assert.equal(r.status, 0, r.programOut);
      assert.match(r.programOut, /FIFO removed: True/);
      const made = kind(r.events, 'os.mkfifo');
      assert.equal(made.length, 1);
      assert.match(made[0].ch, /^fifo:\d+$/);
      assert.match(String(made[0].x?.path), /lines\.fifo$/);
      const writes = kind(r.events, 'pipe.write', made[0].ch);
      const reads = kind(r.events, 'pipe.read', made[0].ch);
      const lines = 'line 0\nline 1\nline 2\nline 3\n';
      assert.equal(writes.map(raw).join(''), lines);
      assert.equal(reads.map(raw).join(''), lines);
      assert.equal(pids(writes).size, 1);
      assert.equal(pids(reads).size, 1);
      assert.notEqual(writes[0].pid, reads[0].pid);
      assert.ok(![writes[0].pid, reads[0].pid].includes(made[0].pid), 'both ends are child processes');
    });
  }

  test('TCP server with 3 clients: a channel per connection, both ends seen', () => {
    const r = run('socket_server.py', ['--family', 'tcp', '--clients', '3']);
    assert.equal(r.status, 0, r.programOut);
    const news = kind(r.events, 'socket.new');
    const server = r.events.find((e) => e.k === 'socket.recv' && raw(e).startsWith('hello from'))!.pid;
    const channels = [...new Set(news.filter((e) => e.pid === server).map((e) => e.ch))];
    assert.equal(channels.length, 3);
    for (const ch of channels) {
      assert.match(ch, /^tcp:127\.0\.0\.1:\d+\|127\.0\.0\.1:\d+$/);
      const recv = kind(r.events, 'socket.recv', ch).filter((e) => e.pid === server);
      const n = /hello from client (\d)/.exec(recv.map(raw).join(''))![1];
      assert.deepEqual(kind(r.events, 'socket.send', ch).filter((e) => e.pid === server).map(raw), [`welcome, ${n}\n`]);
      const client = kind(r.events, 'socket.send', ch).filter((e) => e.pid !== server);
      assert.deepEqual(client.map(raw), [`hello from client ${n}\n`], 'the client end is the same channel');
      assert.ok(news.some((e) => e.ch === ch && e.pid === client[0].pid), 'connect() announced it in the client');
    }
  });

  test('Unix socket server (spawn): "unix:<path>" channel', () => {
    const r = run('socket_server.py', ['--family', 'unix', '--clients', '3', '--start-method', 'spawn']);
    assert.equal(r.status, 0, r.programOut);
    const news = kind(r.events, 'socket.new');
    const chs = new Set(news.map((e) => e.ch));
    assert.equal(chs.size, 1);
    const [ch] = chs;
    assert.match(ch, /^unix:\/.*server\.sock$/);
    assert.equal(news.length, 6, 'accepted 3 times, connected 3 times');
    const got = kind(r.events, 'socket.recv', ch).map(raw).filter((s) => s.startsWith('hello')).sort();
    assert.deepEqual(got, ['hello from client 0\n', 'hello from client 1\n', 'hello from client 2\n']);
  });

  for (const method of START_METHODS) {
    test(`join-before-drain deadlock (${method}): the big put is seen, the parent gives up and drains`, () => {
      const r = run('join_deadlock.py', ['--start-method', method, '--timeout', '2', '--size', String(1 << 20)]);
      assert.equal(r.status, 0, r.programOut);
      assert.match(r.programOut, /deadlock: the child was still alive/);
      assert.match(r.programOut, /drained an item of 1048576 bytes; child exited with 0/);
      const put = kind(r.events, 'queue.put').find((e) => e.size > 1 << 20)!;
      const get = kind(r.events, 'queue.get', put.ch).find((e) => e.size === put.size)!;
      assert.ok(put && get);
      assert.notEqual(put.pid, get.pid);
      assert.ok(get.ts - put.ts >= 0.5e9, `the item sat in the pipe while the parent was joining (${(get.ts - put.ts) / 1e6} ms)`);
    });
  }

  const deterministic: [string, string[], ((s: string) => string)?][] = [
    ['semaphore_workers.py', ['--workers', '6', '--hold', '0.02']],
    ['manager_objects.py', []],
    // which workers took tasks varies from run to run
    ['pool.py', ['--task-seconds', '0.01', '--tasks', '6'], (s) => s.replace(/^workers used: .*$/m, '').replace(/\d{3,}/g, 'N')],
    ['os_pipe.py', []],
    ['socketpair_echo.py', []],
    ['fifo_lines.py', ['--start-method', 'spawn']],
    ['socket_server.py', []],
    ['join_deadlock.py', ['--timeout', '0.5']],
    ['message_queues.py', [], (s) => s.replace(/\d{3,}/g, 'N').replace(/queue id \d+/g, 'queue id N')],
  ];
  for (const [name, args, normalize = (s: string) => s] of deterministic) {
    test(`transparency: ${name} prints the same and exits alike with and without the runtime`, () => {
      const plain = spawnSync(python, [example(name), ...args], { encoding: 'utf8', timeout: 60_000 });
      const traced = run(name, args);
      const both = `plain:\n${plain.stdout}${plain.stderr}\ntraced:\n${traced.programOut}`;
      assert.equal(traced.status, plain.status, both);
      assert.equal(plain.stderr, '', both);
      assert.deepEqual(sameLines(normalize(traced.programOut)), sameLines(normalize(plain.stdout)), both);
    });
  }
});

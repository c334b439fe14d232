/** The channel model fed what real example programs report through the runtime's hooks (every kind). */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { ChannelInfo, ChannelsUpdate, ManagerChannelInfo, MessageChannelInfo, PoolChannelInfo, SharedChannelInfo, SyncChannelInfo } from '../../protocol/protocol';
import { ChannelModel } from '../../server/src/core/channels';
import { examplesDir, python, runJson } from './helpers';

function run(example: string, ...args: string[]): { u: ChannelsUpdate; out: string } {
  const r = runJson([python, path.join(examplesDir, example), ...args]);
  assert.equal(r.status, 0, r.programOut);
  const m = new ChannelModel();
  m.ingest(r.events);
  return { u: m.update({ received: r.events.length, dropped: 0, protocolErrors: 0 })!, out: r.programOut };
}
const of = <K extends ChannelInfo['kind']>(u: ChannelsUpdate, kind: K) => u.channels.filter((c): c is Extract<ChannelInfo, { kind: K }> => c.kind === kind);
const everyWriteDelivered = (u: ChannelsUpdate, prefix: string) => {
  const tl = u.timeline!.messages.filter((m) => m.ch.startsWith(prefix));
  assert.ok(tl.length > 0, `messages on ${prefix}…`);
  const ids = new Set(tl.map((m) => m.id));
  for (const m of tl) assert.ok(m.link !== null && ids.has(m.link), `${m.op} by pid ${m.pid} on ${m.ch} (${m.preview}) is matched`);
};

describe('channel model with real runs', () => {
  test('shared_values.py: Value and Array decoded from their bytes, writes seen, a lock=False array sampled', () => {
    const { u } = run('shared_values.py');
    const shared = of(u, 'shared') as SharedChannelInfo[];
    const by = (type: string, code: string) => shared.find((c) => c.type === type && c.typecode === code)!;
    assert.deepEqual(by('Value', 'i').values, ['42']);
    assert.deepEqual(by('Value', 'd').values, ['2.5']);
    assert.deepEqual(by('Array', 'c').values, ["b'H'", "b'E'", "b'L'", "b'L'", "b'O'"]);
    const numbers = by('Array', 'i');
    assert.deepEqual(numbers.values, ['0', '1', '4', '9', '16', '25', '36', '-7', '-8', '-9']);
    assert.ok(numbers.writes >= 10 && numbers.lastWriter !== null);
    assert.match(numbers.lastLoc, /shared_values\.py:\d+$/);
    const scratch = shared.find((c) => c.typecode === 'd' && !c.lock && c.length === 3)!;
    assert.deepEqual(scratch.values, ['0.5', '1.5', '2.5'], 'no wrapper: seen by sampling');
    assert.ok(shared.every((c) => c.holders.length === 2));
  });

  test('semaphore_workers.py: a Semaphore, a Lock and a Barrier, nobody holding or waiting at the end', () => {
    const { u } = run('semaphore_workers.py', '--workers', '6', '--limit', '2');
    const sync = of(u, 'sync') as SyncChannelInfo[];
    const sem = sync.find((c) => c.type === 'Semaphore')!;
    const lock = sync.find((c) => c.type === 'Lock')!;
    const barrier = sync.find((c) => c.type === 'Barrier')!;
    assert.equal(sem.acquires, 6);
    assert.ok(sem.contended > 0, 'some workers waited for the semaphore');
    assert.equal(lock.acquires, 12);
    for (const c of [sem, lock, barrier]) {
      assert.deepEqual(c.owners, [], `${c.type} is free at the end`);
      assert.deepEqual(c.waiters, [], `nobody waits on the ${c.type}`);
    }
    assert.equal(barrier.maxvalue, 6);
  });

  test('manager_objects.py: each proxied object with its final contents and its calls', () => {
    const { u, out } = run('manager_objects.py');
    const objs = of(u, 'manager') as ManagerChannelInfo[];
    const dict = objs.find((c) => c.typeid === 'dict')!;
    const list = objs.find((c) => c.typeid === 'list')!;
    assert.ok(dict && list, objs.map((c) => c.typeid).join());
    const printed = /dict: (\{.*\})/.exec(out)![1];
    assert.equal(dict.length, (printed.match(/:/g) ?? []).length);
    for (const key of printed.match(/'worker\d'/g) ?? []) assert.ok(dict.state.includes(key), `${key} in ${dict.state}`);
    assert.equal(`list: ${list.state}`, /list: .*/.exec(out)![0]);
    assert.ok(dict.recent.some((r) => r.method === '__setitem__'));
    // The manager's own connections (its requests, their authentication) are not shown as messages.
    assert.ok(!of(u, 'pipe').some((c) => (c as MessageChannelInfo).label.startsWith('Listener/Client')));
  });

  test('pool.py: the Pool with its task and result queues, every task taken and every result delivered', () => {
    const { u } = run('pool.py');
    const pool = of(u, 'pool')[0] as PoolChannelInfo;
    assert.equal(pool.processes, 4);
    const tasks = u.channels.find((c) => c.id === pool.tasks) as MessageChannelInfo;
    const results = u.channels.find((c) => c.id === pool.results) as MessageChannelInfo;
    assert.equal(tasks.label, 'Pool tasks');
    assert.equal(results.label, 'Pool results');
    assert.equal(tasks.written, tasks.read);
    assert.ok(tasks.written > 4);
    assert.ok(results.read >= results.written - 1);
    assert.ok(!u.channels.some((c) => c.id === `conn:${pool.tasks!.slice(6)}`), 'its pipe used directly counts as the queue');
  });

  test('pipe_ping_pong.py: the two ends of a duplex Pipe are paired; every message delivered', () => {
    const { u } = run('pipe_ping_pong.py', '--rounds', '4');
    const pipes = of(u, 'pipe') as MessageChannelInfo[];
    const paired = pipes.filter((c) => c.peer);
    assert.equal(paired.length, 2);
    assert.equal(paired[0].peer, paired[1].id);
    everyWriteDelivered(u, 'conn:');
  });

  test('os_pipe.py, fifo_lines.py, socketpair_echo.py: byte streams, each write matched to the read that took its bytes', () => {
    for (const [example, prefix] of [
      ['os_pipe.py', 'pipe:'],
      ['fifo_lines.py', 'fifo:'],
      ['socketpair_echo.py', 'sock:'],
    ] as const) {
      const { u } = run(example);
      const c = u.channels.find((x) => x.id.startsWith(prefix)) as MessageChannelInfo;
      assert.ok(c, `${example}: a ${prefix} channel`);
      assert.equal(c.pending.length, 0, `${example}: everything written was read`);
      everyWriteDelivered(u, prefix);
      if (prefix === 'fifo:') assert.match(c.label, /\.fifo$/);
      if (prefix === 'sock:') assert.equal(c.type, 'AF_UNIX SOCK_STREAM');
    }
  });
});

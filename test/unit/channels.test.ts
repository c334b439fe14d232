/** The channel model from synthetic runtime events: every event kind, matching, deltas, and hostile or malformed input. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ChannelInfo,
  ChannelLimits,
  ChannelsUpdate,
  ManagerChannelInfo,
  MessageChannelInfo,
  PoolChannelInfo,
  SharedChannelInfo,
  SyncChannelInfo,
} from '../../protocol/protocol';
import { EventKinds, IMAGE_BYTES } from '../../protocol/runtime';
import { ChannelModel, decodeTyped, pyFloat } from '../../server/src/core/channels';
import type { HubEvent } from '../../server/src/hub/hub';
import { ARGS, EVIL, PING, PONG, STATE, b64, ev, le32, pickleStr } from './channelFixtures';

const STATS = { received: 0, dropped: 0, protocolErrors: 0 };
const ITEM0 = 'gASVHQAAAAAAAAB9lCiMA3NlcZRLAIwEdGV4dJSMBml0ZW0gMJR1Lg=='; // {'seq': 0, 'text': 'item 0'}

function byId<T extends ChannelInfo>(u: ChannelsUpdate | null, id: string): T {
  assert.ok(u, 'an update');
  const c = u.channels.find((x) => x.id === id);
  assert.ok(c, `channel ${id} in ${u.channels.map((x) => x.id)}`);
  return c as T;
}

describe('channel model', () => {
  test('a busy queue with two producers: messages ordered as they arrive still take their place by time when a late batch brings earlier ones', () => {
    const m = new ChannelModel();
    const q = 'queue:3001';
    const put = (k: number) => ev(EventKinds.queuePut, q, k % 2 ? 22 : 21, k * 10_000, { size: 20, pv: pickleStr(`item ${k}`), pf: 'pickle' });
    const range = (from: number, to: number) => Array.from({ length: (to - from) / 2 + 1 }, (_, i) => put(from + i * 2));
    // Item k is put at k × 10 µs, by pid 21 (even k) or 22 (odd k). Pid 22's last batch arrives late:
    // enough has arrived before it for the model to order on the way (over 8,192 messages).
    m.ingest(range(0, 9998));
    m.ingest(range(1, 7999));
    m.ingest(range(8001, 8199));
    const c = byId<MessageChannelInfo>(m.update(STATS), q);
    assert.equal(c.written, 9100);
    const shown = m.update(STATS, true)!.timeline!.messages;
    assert.ok(shown.some((x) => x.pid === 22 && x.ts > 8000 * 10_000), 'the late batch is in view');
    for (const x of shown) assert.equal(x.seq, Number(/item (\d+)/.exec(x.preview)![1]) + 1, `put ${x.preview} by pid ${x.pid} is number ${x.seq}`);
  });

  test('a queue: items in order, contents, depth, and each put linked to its get (ordered by time, not arrival)', () => {
    const m = new ChannelModel();
    const q = 'queue:1001';
    m.ingest([ev(EventKinds.queueNew, q, 10, 100, { x: { maxsize: 3, type: 'Queue' }, loc: '/work/app.py:42' })]);
    // The consumer's batch arrives before the producer's.
    m.ingest([
      ev(EventKinds.queueGet, q, 12, 250, { size: 30, pv: ITEM0, pf: 'pickle', x: { depth: 1 } }),
    ]);
    m.ingest([
      ev(EventKinds.queuePut, q, 11, 200, { size: 30, pv: ITEM0, pf: 'pickle', x: { depth: 1 } }),
      ev(EventKinds.queuePut, q, 11, 300, { size: 50, pv: pickleStr(EVIL), pf: 'pickle', x: { depth: 1 } }),
      ev(EventKinds.queuePut, q, 11, 400, { size: 8, pv: pickleStr('third'), pf: 'pickle', x: { depth: 2 } }),
    ]);
    const u = m.update(STATS);
    assert.ok(u && u.full, 'the first update is full');
    const c = byId<MessageChannelInfo>(u, q);
    assert.equal(c.kind, 'queue');
    assert.equal(c.maxsize, 3);
    assert.equal(c.createdAt, '/work/app.py:42');
    assert.deepEqual(c.holders, [10, 11, 12]);
    assert.equal(c.written, 3);
    assert.equal(c.read, 1);
    assert.equal(c.depth, 2);
    assert.deepEqual(c.recent.map((r) => [r.op, r.pid, r.seq]), [['put', 11, 1], ['get', 12, 1], ['put', 11, 2], ['put', 11, 3]]);
    assert.deepEqual(c.pending.map((p) => p.preview), [`'${EVIL}'`, "'third'"], 'the contents: written, not yet read, in order');
    assert.equal(c.recent[0].preview, "{'seq': 0, 'text': 'item 0'}");
    const tl = u.timeline!.messages;
    assert.equal(tl.length, 4);
    const put0 = tl.find((x) => x.op === 'put' && x.seq === 1)!;
    const get0 = tl.find((x) => x.op === 'get')!;
    assert.equal(put0.link, get0.id);
    assert.equal(get0.link, put0.id);
    assert.equal(tl.filter((x) => x.link === null).length, 2, 'the two items still queued have no receive yet');
    const settle = m.update(STATS);
    assert.ok(settle && settle.channels.every((x) => x.rate === 0) && settle.timeline === null, 'then only the rate falls to 0');
    assert.equal(m.update(STATS), null, 'nothing new: no update');
  });

  test("a queue's own semaphores (queue.new's sems) are the queue's in the kernel's view; bad values are ignored", () => {
    const m = new ChannelModel();
    m.ingest([ev(EventKinds.queueNew, 'queue:9', 1001, 1e9, { x: { maxsize: 0, type: 'Queue', sems: [501, 502, -1, 'x', 1.5, 2 ** 60, 0, 0, 7] } as unknown as HubEvent['x'] })]);
    assert.equal(m.semChannel(501), 'queue:9');
    assert.equal(m.semChannel(502), 'queue:9');
    for (const bad of [-1, 1.5, 2 ** 60, 0]) assert.equal(m.semChannel(bad), undefined);
    assert.equal(m.semChannel(7), undefined, 'only the first 8 entries are read');
  });

  test('a Connection end whose first send blocks: known from its op.block as a pipe end, with the blocked send, until it returns', () => {
    const m = new ChannelModel();
    m.ingest([ev(EventKinds.opBlock, 'conn:77', 1002, 1e9, { x: { op: 'send', tid: 1002 } })]);
    const c = byId<MessageChannelInfo>(m.update(STATS), 'conn:77');
    assert.equal(c.kind, 'pipe');
    assert.deepEqual(c.holders, [1002]);
    assert.deepEqual(c.blocked.map((b) => [b.pid, b.op, b.loc]), [[1002, 'send', '/home/dev/project/pipeline.py:10']]);
    m.ingest([ev(EventKinds.opUnblock, 'conn:77', 1002, 2e9, { x: { op: 'send' } }), ev(EventKinds.connSend, 'conn:77', 1002, 2e9, { size: 1 << 20 })]);
    const after = byId<MessageChannelInfo>(m.update(STATS), 'conn:77');
    assert.deepEqual(after.blocked, []);
    assert.equal(after.written, 1);
    // An op.unblock alone (its op.block never seen) makes no channel; nor does one on another kind of id.
    m.ingest([ev(EventKinds.opUnblock, 'conn:78', 1002, 3e9, { x: { op: 'send' } }), ev(EventKinds.opBlock, 'sem:/x', 1002, 3e9, { x: { op: 'send' } })]);
    const ids = m.update(STATS, true)!.channels.map((x) => x.id);
    assert.ok(!ids.includes('conn:78') && !ids.includes('sem:/x'), ids.join(' '));
  });

  test('a duplex Pipe: each end has its own id; sends on one end pair with receives on the other', () => {
    const m = new ChannelModel();
    // As examples/pipe_ping_pong.py reports it: parent 100 on conn:34287, child 101 on conn:34288.
    const a = 'conn:34287';
    const b = 'conn:34288';
    const events: HubEvent[] = [];
    for (let i = 0; i < 3; i++) {
      const t = 1000 * (i + 1);
      events.push(ev(EventKinds.connSend, a, 100, t, { size: 23, pv: PING[i], pf: 'pickle' }));
      events.push(ev(EventKinds.connRecv, b, 101, t + 100, { size: 23, pv: PING[i], pf: 'pickle' }));
      events.push(ev(EventKinds.connSend, b, 101, t + 200, { size: 23, pv: PONG[i], pf: 'pickle' }));
      events.push(ev(EventKinds.connRecv, a, 100, t + 300, { size: 23, pv: PONG[i], pf: 'pickle' }));
    }
    // One-way Pipe(duplex=False): both fds of an os pipe share one inode, so one id.
    const one = 'conn:34294';
    for (let i = 0; i < 3; i++) events.push(ev(EventKinds.connSend, one, 102, 9000 + i, { size: 6, pv: b64(Buffer.from(`line ${i}`)), pf: 'bytes' }));
    for (let i = 0; i < 3; i++) events.push(ev(EventKinds.connRecv, one, 100, 9100 + i, { size: 6, pv: b64(Buffer.from(`line ${i}`)), pf: 'bytes' }));
    m.ingest(events);
    const u = m.update(STATS)!;
    const ca = byId<MessageChannelInfo>(u, a);
    const cb = byId<MessageChannelInfo>(u, b);
    assert.equal(ca.peer, b);
    assert.equal(cb.peer, a);
    assert.equal(ca.kind, 'pipe');
    assert.equal(ca.type, 'Connection');
    assert.equal(ca.depth, 0);
    assert.equal(byId<MessageChannelInfo>(u, one).peer, null, 'a one-way pipe is its own reader');
    assert.deepEqual(byId<MessageChannelInfo>(u, one).recent.filter((r) => !r.write).map((r) => r.preview), ['line 0', 'line 1', 'line 2']);
    const tl = u.timeline!.messages;
    const byMsg = new Map(tl.map((x) => [x.id, x]));
    for (const s of tl.filter((x) => x.write)) {
      const r = byMsg.get(s.link!);
      assert.ok(r, `send ${s.ch} #${s.seq} ${s.preview} is linked`);
      assert.equal(r.preview, s.preview);
      assert.equal(r.seq, s.seq);
      assert.equal(r.link, s.id);
      assert.notEqual(r.pid, s.pid);
      if (s.ch !== one) assert.notEqual(r.ch, s.ch, 'received on the other end');
    }
  });

  test('os.pipe, a FIFO and a socketpair: logs by direction, links, and an os.pipe under a Queue is not shown twice', () => {
    const m = new ChannelModel();
    m.ingest([
      ev(EventKinds.osPipe, 'pipe:500', 1, 1, { x: { read: 3, write: 4 } }),
      ev(EventKinds.pipeWrite, 'pipe:500', 1, 2, { size: 5, pv: b64(Buffer.from('hello')), pf: 'bytes' }),
      ev(EventKinds.pipeRead, 'pipe:500', 2, 3, { size: 5, pv: b64(Buffer.from('hello')), pf: 'bytes' }),
      ev(EventKinds.osMkfifo, 'fifo:600', 1, 4, { x: { path: `/tmp/${EVIL}` } }),
      ev(EventKinds.pipeWrite, 'fifo:600', 1, 5, { size: 2, pv: b64([0xff, 0x00]), pf: 'bytes' }),
      ev(EventKinds.socketNew, 'sock:700-701', 1, 6, { x: { family: 'AF_UNIX', type: 'SOCK_STREAM' } }),
      ev(EventKinds.socketSend, 'sock:700-701', 1, 7, { size: 3, pv: b64(Buffer.from('abc')), pf: 'bytes' }),
      ev(EventKinds.socketSend, 'sock:700-701', 2, 8, { size: 3, pv: b64(Buffer.from('xyz')), pf: 'bytes' }),
      ev(EventKinds.socketRecv, 'sock:700-701', 2, 9, { size: 3, pv: b64(Buffer.from('abc')), pf: 'bytes' }),
      ev(EventKinds.socketRecv, 'sock:700-701', 1, 10, { size: 3, pv: b64(Buffer.from('xyz')), pf: 'bytes' }),
      // multiprocessing's own pipe under a Queue, reported by the os.pipe hook too
      ev(EventKinds.queueNew, 'queue:800', 1, 11, { x: { maxsize: 0, type: 'Queue' } }),
      ev(EventKinds.osPipe, 'pipe:800', 1, 11, { x: { read: 5, write: 6 } }),
    ]);
    const u = m.update(STATS)!;
    const p = byId<MessageChannelInfo>(u, 'pipe:500');
    assert.equal(p.type, 'os.pipe');
    assert.equal(p.depth, 0);
    const f = byId<MessageChannelInfo>(u, 'fifo:600');
    assert.equal(f.type, 'FIFO');
    assert.equal(f.label, `/tmp/${EVIL}`);
    assert.equal(f.depth, 1);
    assert.equal(f.pending[0].preview, 'ff 00', 'bytes that are not text are shown as hex');
    const s = byId<MessageChannelInfo>(u, 'sock:700-701');
    assert.equal(s.kind, 'socket');
    assert.equal(s.type, 'AF_UNIX SOCK_STREAM');
    const tl = u.timeline!.messages;
    const sockSends = tl.filter((x) => x.ch === 'sock:700-701' && x.write);
    for (const snd of sockSends) {
      const rcv = tl.find((x) => x.id === snd.link)!;
      assert.equal(rcv.preview, snd.preview, 'each direction of the socket matched by pid');
    }
    assert.ok(!u.channels.some((c) => c.id === 'pipe:800'));
    assert.ok(u.channels.some((c) => c.id === 'queue:800'));
  });

  test('a shared Value and Array: typed values from the bytes, changed offsets, writes, last writer', () => {
    const m = new ChannelModel();
    const v = 'shared:900:0';
    const arr = 'shared:900:64';
    m.ingest([
      ev(EventKinds.sharedNew, v, 10, 1, { size: 4, pv: b64(le32(0)), pf: 'bytes', x: { type: 'Value', typecode: 'i', length: 1, itemsize: 4, lock: true } }),
      ev(EventKinds.sharedNew, arr, 10, 2, { size: 24, x: { type: 'Array', typecode: 'd', length: 3, itemsize: 8, lock: false } }),
      ev(EventKinds.sharedImage, arr, 10, 3, { size: 24, pv: b64(Buffer.from('AAAAAAAA+D8AAAAAAAAAwJqZmZmZmbk/', 'base64')), pf: 'bytes', x: { offset: 0 } }),
    ]);
    let u = m.update(STATS)!;
    let cv = byId<SharedChannelInfo>(u, v);
    assert.equal(cv.kind, 'shared');
    assert.deepEqual(cv.values, ['0']);
    assert.deepEqual(cv.changed, [], 'a first look is not a change');
    assert.equal(cv.lock, true);
    assert.deepEqual(byId<SharedChannelInfo>(u, arr).values, ['1.5', '-2.0', '0.1']);
    assert.equal(byId<SharedChannelInfo>(u, arr).image, Buffer.from('AAAAAAAA+D8AAAAAAAAAwJqZmZmZmbk/', 'base64').toString('hex'));
    // A write from another process whose batch arrived first, and an older image after it: the newest bytes win.
    const late = new ChannelModel();
    late.ingest([ev(EventKinds.sharedWrite, v, 12, 50, { size: 4, pv: b64(le32(42)), pf: 'bytes', x: { offset: 0, index: 0, value: 42 } })]);
    late.ingest([ev(EventKinds.sharedNew, v, 10, 10, { size: 4, pv: b64(le32(41)), pf: 'bytes', x: { type: 'Value', typecode: 'i', length: 1, itemsize: 4, lock: true } })]);
    assert.deepEqual(byId<SharedChannelInfo>(late.update(STATS), v).values, ['42']);
    m.update(STATS); // rates fall to 0
    m.ingest([ev(EventKinds.sharedWrite, v, 12, 5, { size: 4, pv: b64(le32(258)), pf: 'bytes', loc: '/work/app.py:33', x: { offset: 0, index: 0, value: 258 } })]);
    u = m.update(STATS)!;
    assert.deepEqual(u.channels.map((c) => c.id), [v], 'only what changed is sent');
    cv = byId<SharedChannelInfo>(u, v);
    assert.deepEqual(cv.values, ['258']);
    assert.deepEqual(cv.changed, [0, 1]);
    assert.equal(cv.writes, 1);
    assert.equal(cv.lastWriter, 12);
    assert.equal(cv.lastLoc, '/work/app.py:33');
    assert.deepEqual(cv.recent.map((w) => [w.pid, w.index, w.value]), [[12, 0, '258']]);
    assert.deepEqual(cv.holders, [10, 12]);
  });

  test('SharedMemory and mmap: a bounded byte image from samples, changed bytes between samples', () => {
    const m = new ChannelModel();
    const shm = 'shm:psm_abc';
    const big = 1 << 20;
    m.ingest([
      ev(EventKinds.sharedNew, shm, 1, 1, { size: big, x: { type: 'SharedMemory', typecode: '', length: big, itemsize: 1, lock: false, name: EVIL } }),
      ev(EventKinds.sharedImage, shm, 1, 2, { size: 16, pv: b64(Buffer.from('hello, world!!!!')), pf: 'bytes', x: { offset: 0 } }),
      ev(EventKinds.sharedImage, 'mmap:anon:1:140000', 1, 3, { size: 4, pv: b64([1, 2, 3, 4]), pf: 'bytes', x: { offset: 0 } }),
    ]);
    let u = m.update(STATS)!;
    let c = byId<SharedChannelInfo>(u, shm);
    assert.equal(c.label, EVIL);
    assert.equal(c.size, big);
    assert.equal(c.values, null, 'raw bytes: no typed view');
    assert.equal(c.imageKnown, 16);
    assert.equal(Buffer.from(c.image, 'hex').toString(), 'hello, world!!!!');
    assert.equal(byId<SharedChannelInfo>(u, 'mmap:anon:1:140000').type, 'mmap');
    m.ingest([ev(EventKinds.sharedImage, shm, 2, 4, { size: 5, pv: b64(Buffer.from('HELLO')), pf: 'bytes', x: { offset: 0 } })]);
    m.ingest([ev(EventKinds.sharedImage, shm, 2, 5, { size: IMAGE_BYTES, pv: b64(Buffer.alloc(IMAGE_BYTES, 0x41)), pf: 'bytes', x: { offset: 4000 } })]);
    u = m.update(STATS)!;
    c = byId<SharedChannelInfo>(u, shm);
    assert.deepEqual(c.changed.slice(0, 5), [0, 1, 2, 3, 4]);
    assert.equal(c.imageKnown, IMAGE_BYTES, 'what lies beyond IMAGE_BYTES is not kept');
    assert.equal(c.image.length, IMAGE_BYTES * 2);
  });

  test('a ShareableList: items decoded from its own layout, the changed item marked', () => {
    const m = new ChannelModel();
    const id = 'shm:psm_list';
    const before = 'BgAAAAAAAAAAAAAAAAAAAAgAAAAAAAAAEAAAAAAAAAAYAAAAAAAAACAAAAAAAAAAKAAAAAAAAAAwAAAAAAAAACoAAAAAAAAAAAAAAAAABEBow6kgPGI+AHgAeQAAAAAAAAAAAAAAAAEAAAAAAAAAAHEAAAAAAAAAZAAAAAAAAAA4cwAAAAAAADhzAAAAAAAAeHh4eHh4eD94eHh4eHg/eAAAAQIAAw==';
    const after = 'BgAAAAAAAAAAAAAAAAAAAAgAAAAAAAAAEAAAAAAAAAAYAAAAAAAAACAAAAAAAAAAKAAAAAAAAAAwAAAAAAAAAAcAAAAAAAAAAAAAAAAABEBow6kgPGI+AHgAeQAAAAAAAAAAAAAAAAEAAAAAAAAAAHEAAAAAAAAAZAAAAAAAAAA4cwAAAAAAADhzAAAAAAAAeHh4eHh4eD94eHh4eHg/eAAAAQIAAw==';
    // ShareableList([42, 2.5, 'hé <b>', b'x\x00y', True, None]), then sl[0] = 7
    m.ingest([ev(EventKinds.sharedNew, id, 1, 1, { size: 166, pv: before, pf: 'bytes', x: { type: 'ShareableList', typecode: '', length: 166, itemsize: 1, lock: false, name: 'psm_list', items: 6 } })]);
    let c = byId<SharedChannelInfo>(m.update(STATS), id);
    assert.deepEqual(c.values, ['42', '2.5', "'hé <b>'", "b'x\\x00y'", 'True', 'None']);
    m.ingest([ev(EventKinds.sharedWrite, id, 2, 2, { size: 8, pv: b64(Buffer.from(after, 'base64').subarray(64, 72)), pf: 'bytes', x: { offset: 64, index: 0, value: 7 } })]);
    c = byId<SharedChannelInfo>(m.update(STATS), id);
    assert.equal(c.values![0], '7');
    assert.deepEqual(c.changedValues, [0]);
    assert.equal(c.image, Buffer.from(after, 'base64').toString('hex'));
    // A cut or corrupt layout decodes as nothing, never throws.
    const bad = Buffer.from(before, 'base64');
    bad.writeBigInt64LE(-5n, 0);
    m.ingest([ev(EventKinds.sharedImage, id, 2, 3, { pv: b64(bad), pf: 'bytes', x: { offset: 0 } })]);
    assert.equal(byId<SharedChannelInfo>(m.update(STATS), id).values, null);
  });

  test('typed decoding: every typecode, little-endian, Python-like text', () => {
    const buf = Buffer.alloc(8);
    const one = (code: string, fill: (b: Buffer) => void) => {
      buf.fill(0);
      fill(buf);
      return decodeTyped(buf, code, 1)![0];
    };
    assert.equal(one('b', (b) => b.writeInt8(-5)), '-5');
    assert.equal(one('B', (b) => b.writeUInt8(250)), '250');
    assert.equal(one('h', (b) => b.writeInt16LE(-300)), '-300');
    assert.equal(one('H', (b) => b.writeUInt16LE(65000)), '65000');
    assert.equal(one('i', (b) => b.writeInt32LE(-70000)), '-70000');
    assert.equal(one('I', (b) => b.writeUInt32LE(4000000000)), '4000000000');
    assert.equal(one('l', (b) => b.writeBigInt64LE(-(2n ** 60n))), (-(2n ** 60n)).toString());
    assert.equal(one('L', (b) => b.writeBigUInt64LE(2n ** 64n - 1n)), '18446744073709551615');
    assert.equal(one('q', (b) => b.writeBigInt64LE(-1n)), '-1');
    assert.equal(one('Q', (b) => b.writeBigUInt64LE(7n)), '7');
    assert.equal(one('f', (b) => b.writeFloatLE(0.5)), '0.5');
    assert.equal(one('d', (b) => b.writeDoubleLE(3)), '3.0');
    assert.equal(one('c', (b) => b.writeUInt8(0x41)), "b'A'");
    assert.equal(one('c', (b) => b.writeUInt8(0)), "b'\\x00'");
    assert.equal(one('u', (b) => b.writeUInt32LE(0x263a)), "'\u263a'");
    assert.equal(one('?', (b) => b.writeUInt8(1)), 'True');
    assert.equal(decodeTyped(buf, 'Z', 1), null, 'unknown typecode');
    assert.equal(decodeTyped(buf, 'constructor', 1), null, 'not a property of every object');
    assert.deepEqual(decodeTyped(Buffer.alloc(6), 'i', 5), ['0'], 'only whole elements that are there');
    assert.deepEqual(decodeTyped(Buffer.alloc(8), 'i', 2, 4), ['0'], 'only known bytes');
    assert.equal(decodeTyped(Buffer.alloc(4096), 'B', 4096)!.length, ChannelLimits.values);
    assert.equal(pyFloat(1e-7), '1e-07');
    assert.equal(pyFloat(NaN), 'nan');
  });

  test('locks and semaphores: value, owners per pid, waiters, contention; Event and Condition operations', () => {
    const m = new ChannelModel();
    const lock = 'sem:/mp-lock1';
    const sem = 'sem:/mp-sem2';
    const evt = 'sem:/mp-evt3';
    const cond = 'sem:/mp-cond4';
    m.ingest([
      ev(EventKinds.syncNew, lock, 1, 1, { x: { type: 'Lock', value: 1, maxvalue: 1 } }),
      ev(EventKinds.syncAcquire, lock, 2, 2, { x: { value: 0, waitedNs: 0 } }),
      ev(EventKinds.syncBlock, lock, 3, 3, { x: { value: 0 } }),
      ev(EventKinds.syncBlock, lock, 4, 3, { x: { value: 0 } }),
      ev(EventKinds.syncNew, sem, 1, 1, { x: { type: 'BoundedSemaphore', value: 3, maxvalue: 3 } }),
      ev(EventKinds.syncAcquire, sem, 2, 2, { x: { value: 2 } }),
      ev(EventKinds.syncAcquire, sem, 2, 3, { x: { value: 1 } }),
      ev(EventKinds.syncAcquire, sem, 3, 4, { x: { value: 0 } }),
      ev(EventKinds.syncNew, evt, 1, 1, { x: { type: 'Event', value: 0, maxvalue: 1 } }),
      ev(EventKinds.syncOp, evt, 2, 2, { x: { op: 'wait' } }),
      ev(EventKinds.syncNew, cond, 1, 1, { x: { type: 'Condition', value: 1, maxvalue: 1 } }),
      ev(EventKinds.syncAcquire, cond, 2, 2, { x: { value: 0 } }),
      ev(EventKinds.syncOp, cond, 2, 3, { x: { op: 'wait' } }),
      ev(EventKinds.syncRelease, cond, 2, 3, { x: { value: 1 } }), // wait() gives the lock back
      ev(EventKinds.syncNew, 'sem:/mp-bar', 1, 1, { x: { type: 'Barrier', value: 0, maxvalue: 2 } }),
      ev(EventKinds.syncOp, 'sem:/mp-bar', 2, 2, { x: { op: 'wait' } }),
      ev(EventKinds.syncNew, 'sem:/mp-unbounded', 1, 1, { x: { type: 'Semaphore', value: 0, maxvalue: 2147483647 } }),
    ]);
    let u = m.update(STATS)!;
    let l = byId<SyncChannelInfo>(u, lock);
    assert.equal(l.kind, 'sync');
    assert.equal(l.type, 'Lock');
    assert.equal(l.value, 0);
    assert.deepEqual(l.owners, [{ pid: 2, count: 1 }]);
    assert.deepEqual(l.waiters, [3, 4]);
    const s = byId<SyncChannelInfo>(u, sem);
    assert.deepEqual(s.owners, [{ pid: 2, count: 2 }, { pid: 3, count: 1 }]);
    assert.equal(s.value, 0);
    assert.equal(s.maxvalue, 3);
    assert.deepEqual(byId<SyncChannelInfo>(u, evt).waiters, [2]);
    assert.equal(byId<SyncChannelInfo>(u, evt).flag, false);
    assert.deepEqual(byId<SyncChannelInfo>(u, cond).waiters, [2]);
    assert.deepEqual(byId<SyncChannelInfo>(u, cond).owners, []);
    assert.deepEqual(byId<SyncChannelInfo>(u, 'sem:/mp-bar').waiters, [2]);
    assert.equal(byId<SyncChannelInfo>(u, 'sem:/mp-unbounded').maxvalue, null, 'SEM_VALUE_MAX: unbounded');
    m.ingest([
      ev(EventKinds.syncRelease, lock, 2, 10, { x: { value: 1 } }),
      ev(EventKinds.syncAcquire, lock, 3, 11, { x: { value: 0, waitedNs: 8_500_000 } }),
      ev(EventKinds.syncOp, evt, 1, 12, { x: { op: 'set', flag: true } }),
      ev(EventKinds.syncOp, cond, 1, 13, { x: { op: 'notify_all' } }),
      ev(EventKinds.syncOp, 'sem:/mp-bar', 3, 13, { x: { op: 'wait' } }),
    ]);
    m.ingest([ev(EventKinds.processExit, '', 4, 14)]);
    u = m.update(STATS)!;
    l = byId<SyncChannelInfo>(u, lock);
    assert.deepEqual(l.owners, [{ pid: 3, count: 1 }]);
    assert.deepEqual(l.waiters, [], 'pid 4 exited: it waits no more');
    assert.equal(l.contended, 1);
    assert.equal(l.acquires, 2);
    assert.deepEqual(l.recent.map((r) => r.op), ['acquire', 'block', 'block', 'release', 'acquire']);
    assert.equal(l.recent.at(-1)!.waitedMs, 8.5);
    assert.equal(byId<SyncChannelInfo>(u, evt).flag, true);
    // A semaphore used as a signal: the producer's release may arrive before the consumer's acquire.
    const signal = new ChannelModel();
    signal.ingest([ev(EventKinds.syncNew, 'sem:/sig', 1, 1, { x: { type: 'Semaphore', value: 0, maxvalue: 2147483647 } })]);
    signal.ingest([ev(EventKinds.syncRelease, 'sem:/sig', 2, 20, { x: { value: 1 } })]);
    signal.ingest([ev(EventKinds.syncBlock, 'sem:/sig', 3, 10, { x: { value: 0 } }), ev(EventKinds.syncAcquire, 'sem:/sig', 3, 21, { x: { value: 0, waitedNs: 11 } })]);
    const sig = byId<SyncChannelInfo>(signal.update(STATS), 'sem:/sig');
    assert.deepEqual(sig.owners, [], 'the release paid for the acquire');
    assert.deepEqual(sig.waiters, []);
    assert.equal(sig.value, 0, 'the value reported last in time');
    assert.deepEqual(byId<SyncChannelInfo>(u, evt).waiters, []);
    assert.deepEqual(byId<SyncChannelInfo>(u, cond).waiters, []);
    assert.deepEqual(byId<SyncChannelInfo>(u, 'sem:/mp-bar').waiters, [], 'the last party lets everyone through');
  });

  test("a Barrier whose parties' waits arrive before its creation (their batches overtook the creator's) lets them through", () => {
    const m = new ChannelModel();
    const bar = 'sem:/mp-bar-late';
    m.ingest([2, 3, 4].map((pid) => ev(EventKinds.syncOp, bar, pid, 10 + pid, { x: { op: 'wait' } })));
    assert.deepEqual(byId<SyncChannelInfo>(m.update(STATS), bar).waiters, [2, 3, 4], 'how many parties it has is not known yet');
    m.ingest([ev(EventKinds.syncNew, bar, 1, 1, { x: { type: 'Barrier', value: 0, maxvalue: 3 } })]);
    assert.deepEqual(byId<SyncChannelInfo>(m.update(STATS), bar).waiters, [], 'all 3 parties arrived: nobody waits');
    // Fewer waits than parties: they still wait.
    const some = new ChannelModel();
    some.ingest([ev(EventKinds.syncOp, bar, 2, 12, { x: { op: 'wait' } }), ev(EventKinds.syncNew, bar, 1, 1, { x: { type: 'Barrier', value: 0, maxvalue: 3 } })]);
    assert.deepEqual(byId<SyncChannelInfo>(some.update(STATS), bar).waiters, [2]);
  });

  test('a Manager object: typeid, calls with decoded arguments, latest state decoded safely', () => {
    const m = new ChannelModel();
    const id = `manager:/tmp/pymp-x/listener-${EVIL}:7f01`;
    m.ingest([
      ev(EventKinds.managerCall, id, 5, 1, { size: 30, pv: ARGS, pf: 'pickle', x: { typeid: 'dict', method: '__setitem__' } }),
      ev(EventKinds.managerState, id, 3, 2, { size: 40, pv: STATE, pf: 'pickle', x: { typeid: 'dict', length: 2 } }),
    ]);
    const c = byId<ManagerChannelInfo>(m.update(STATS), id);
    assert.equal(c.kind, 'manager');
    assert.equal(c.typeid, 'dict');
    assert.equal(c.state, "{'hits': 3, '<b>x</b>': [1, 2]}");
    assert.equal(c.length, 2);
    assert.equal(c.calls, 1);
    assert.deepEqual(c.recent.map((r) => [r.pid, r.method, r.args]), [[5, '__setitem__', "(('k', 1), {})"]]);
  });

  test('a Pool links its task and result queues, labelled, whether they were seen before or after', () => {
    const m = new ChannelModel();
    m.ingest([
      ev(EventKinds.queueNew, 'queue:41', 1, 1, { x: { maxsize: 0, type: 'SimpleQueue' } }),
      ev(EventKinds.poolNew, 'pool:1:1', 1, 2, { x: { processes: 4, tasks: 'queue:41', results: 'queue:42' } }),
      ev(EventKinds.queueNew, 'queue:42', 1, 3, { x: { maxsize: 0, type: 'SimpleQueue' } }),
    ]);
    const u = m.update(STATS)!;
    const p = byId<PoolChannelInfo>(u, 'pool:1:1');
    assert.equal(p.processes, 4);
    assert.equal(p.tasks, 'queue:41');
    assert.equal(p.results, 'queue:42');
    assert.equal(byId<MessageChannelInfo>(u, 'queue:41').label, 'Pool tasks');
    assert.equal(byId<MessageChannelInfo>(u, 'queue:42').label, 'Pool results');
    assert.equal(byId<MessageChannelInfo>(u, 'queue:42').pool, 'pool:1:1');
    assert.equal(byId<MessageChannelInfo>(u, 'queue:41').maxsize, null, 'SimpleQueue: unbounded');
  });

  test('malformed events never throw; bad parts are ignored', () => {
    const m = new ChannelModel();
    const bad: unknown[] = [
      null,
      {},
      { k: 42 },
      ev(EventKinds.queuePut, '', 1, 1),
      ev('no.such.kind', 'queue:1', 1, 1),
      ev(EventKinds.queueNew, 'queue:1', 1, 1, { x: [1, 2, 3] as unknown as HubEvent['x'] }),
      ev(EventKinds.queueNew, 'queue:1', 1, 1, { x: { maxsize: 'lots', type: { evil: 1 } } as unknown as HubEvent['x'] }),
      ev(EventKinds.queuePut, 'queue:1', 1, NaN, { size: -99, pv: '!!!not base64***', pf: 'pickle', x: { depth: -3 } }),
      ev(EventKinds.queuePut, 'queue:1', 1, 2, { size: Infinity, pv: 123 as unknown as string, x: null as unknown as HubEvent['x'] }),
      ev(EventKinds.sharedNew, 'shared:1:0', 1, 1, { size: -5, x: { type: 7, typecode: null, length: -1, itemsize: 1e300, lock: 'yes' } as unknown as HubEvent['x'] }),
      ev(EventKinds.sharedWrite, 'shared:1:0', 1, 2, { pv: b64([1, 2, 3, 4]), x: { offset: 1e18 } }),
      ev(EventKinds.sharedWrite, 'shared:1:0', 1, 3, { pv: b64([1, 2, 3, 4]), x: { offset: -8 } }),
      ev(EventKinds.sharedWrite, 'shared:1:0', 1, 4, { pv: b64([1, 2, 3, 4]), x: { offset: 2.5, index: 'x', value: { a: 1 } } as unknown as HubEvent['x'] }),
      ev(EventKinds.sharedImage, 'shared:1:0', 1, 5, { pv: b64(Buffer.alloc(10)), x: { offset: IMAGE_BYTES - 2 } }),
      ev(EventKinds.sharedImage, 'shared:1:0', 1, 5, { pv: b64(Buffer.alloc(10)), x: { offset: 'zero' } as unknown as HubEvent['x'] }),
      ev(EventKinds.syncAcquire, 'sem:x', 1, 1, { x: { value: 'one', waitedNs: -1 } as unknown as HubEvent['x'] }),
      ev(EventKinds.syncRelease, 'sem:x', 9, 2, {}),
      ev(EventKinds.syncRelease, 'sem:x', 9, 3, {}),
      ev(EventKinds.syncOp, 'sem:x', 1, 4, { x: { op: 12 } as unknown as HubEvent['x'] }),
      ev(EventKinds.managerState, 'manager:a:1', 1, 1, { pv: b64([0x80, 0x04, 0x95, 0xff]), pf: 'pickle', x: { length: -1, typeid: ['x'] } as unknown as HubEvent['x'] }),
      ev(EventKinds.poolNew, 'pool:1:2', 1, 1, { x: { processes: -4, tasks: 5, results: 'pool:1:2' } as unknown as HubEvent['x'] }),
      // The same id used by another kind: ignored, the first kind stays.
      ev(EventKinds.syncAcquire, 'queue:1', 1, 9, { x: { value: 0 } }),
      ev(EventKinds.connSend, 'queue:1', 1, 9, { size: 1, pv: b64([1]) }),
      ev(EventKinds.connSend, 'conn:5', 1, 9, { size: 1, pv: b64([1]) }),
      ev(EventKinds.connRecv, 'conn:6', 2, 10, { size: 1, pv: b64([1]) }),
    ];
    assert.doesNotThrow(() => m.ingest(bad as HubEvent[]));
    const u = m.update(STATS)!;
    const q = byId<MessageChannelInfo>(u, 'queue:1');
    assert.equal(q.kind, 'queue');
    assert.equal(q.type, 'Queue');
    assert.equal(q.maxsize, null);
    assert.equal(q.written, 2);
    assert.equal(q.depth, 2, 'a negative depth is not taken: written − read instead');
    const s = byId<SharedChannelInfo>(u, 'shared:1:0');
    assert.equal(s.type, 'Value');
    assert.equal(s.writes, 3);
    assert.ok(s.image.length <= IMAGE_BYTES * 2);
    assert.equal(s.imageKnown, IMAGE_BYTES, 'a sample near the end is cut at IMAGE_BYTES');
    const sync = byId<SyncChannelInfo>(u, 'sem:x');
    assert.deepEqual(sync.owners, [], 'releases without an owner do not go negative');
    assert.equal(sync.value, null);
    const mgr = byId<ManagerChannelInfo>(u, 'manager:a:1');
    assert.equal(mgr.length, null);
    assert.equal(mgr.typeid, '');
    const pool = byId<PoolChannelInfo>(u, 'pool:1:2');
    assert.equal(pool.processes, null);
    assert.equal(pool.tasks, null);
    assert.equal(pool.results, null, 'a pool is not its own queue');
    assert.doesNotThrow(() => JSON.stringify(u));
  });

  test('bounded: recent lists, the timeline, and at most ChannelLimits.channels channels (the most recently active)', () => {
    const m = new ChannelModel();
    const events: HubEvent[] = [];
    for (let i = 0; i < 300; i++) events.push(ev(EventKinds.queuePut, 'queue:1', 1, i + 1, { size: 3, pv: pickleStr(`m${i}`), pf: 'pickle' }));
    for (let i = 0; i < 250; i++) events.push(ev(EventKinds.queueNew, `queue:${1000 + i}`, 1, 1000 + i, { x: { maxsize: 0, type: 'Queue' } }));
    m.ingest(events);
    const u = m.update(STATS)!;
    assert.equal(u.channels.length, ChannelLimits.channels);
    assert.equal(u.omitted, 51);
    assert.ok(!u.channels.some((c) => c.id === 'queue:1'), 'the least recently active is left out');
    assert.equal(u.timeline!.messages.length, ChannelLimits.timeline);
    assert.equal(u.timeline!.messages.at(-1)!.preview, "'m299'");
    m.update(STATS);
    // More activity on the old queue brings it back; the one it replaces is reported removed.
    m.ingest([ev(EventKinds.queueGet, 'queue:1', 2, 5000, { size: 3, pv: pickleStr('m0'), pf: 'pickle' })]);
    const u2 = m.update(STATS)!;
    assert.equal(u2.full, false);
    const q = byId<MessageChannelInfo>(u2, 'queue:1');
    assert.equal(q.recent.length, ChannelLimits.recent);
    assert.equal(q.pending.length, ChannelLimits.pending);
    assert.equal(q.pending.at(-1)!.preview, "'m299'");
    assert.deepEqual(u2.removed, ['queue:1050'], 'the least recently active of those shown');
    // A new run starts from nothing: the next update replaces all.
    m.clear();
    const u3 = m.update(STATS)!;
    assert.equal(u3.full, true);
    assert.deepEqual(u3.channels, []);
    // A panel that loads again asks for everything.
    m.ingest([ev(EventKinds.queueNew, 'queue:9', 1, 1, { x: { maxsize: 2, type: 'Queue' } })]);
    m.update(STATS);
    const all = m.update(STATS, true)!;
    assert.equal(all.full, true);
    assert.deepEqual(all.channels.map((c) => c.id), ['queue:9']);
    assert.ok(all.timeline);
  });
});

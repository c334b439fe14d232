/** Synthetic runtime events of every kind, as one small program would report them (for panel tests). */
import { EventKinds } from '../../protocol/runtime';
import type { HubEvent } from '../../server/src/hub/hub';

export const EVIL = '<img src=x onerror="window.__pwned=true">';

/** A protocol-4 pickle of one str. */
export function pickleStr(s: string): string {
  const b = Buffer.from(s, 'utf8');
  const head = b.length < 256 ? Buffer.from([0x80, 0x04, 0x8c, b.length]) : Buffer.concat([Buffer.from([0x80, 0x04, 0x58]), Buffer.from(Uint32Array.of(b.length).buffer)]);
  return Buffer.concat([head, b, Buffer.from([0x94, 0x2e])]).toString('base64');
}
/** A pickled str item with its real size. */
const item = (text: string) => {
  const pv = pickleStr(text);
  return { size: Buffer.from(pv, 'base64').length, pv, pf: 'pickle' };
};
export const b64 = (bytes: number[] | Buffer) => Buffer.from(bytes).toString('base64');
export const le32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
};
export const STATE = 'gASVIQAAAAAAAAB9lCiMBGhpdHOUSwOMCDxiPng8L2I+lF2UKEsBSwJldS4='; // {'hits': 3, '<b>x</b>': [1, 2]}
export const ARGS = 'gASVDQAAAAAAAACMAWuUSwGGlH2UhpQu'; // (('k', 1), {})
export const PING = ['gASVDAAAAAAAAACMBHBpbmeUSwCGlC4=', 'gASVDAAAAAAAAACMBHBpbmeUSwGGlC4=', 'gASVDAAAAAAAAACMBHBpbmeUSwKGlC4='];
export const PONG = ['gASVDAAAAAAAAACMBHBvbmeUSwCGlC4=', 'gASVDAAAAAAAAACMBHBvbmeUSwGGlC4=', 'gASVDAAAAAAAAACMBHBvbmeUSwKGlC4='];

let n = 0;
export function ev(k: string, ch: string, pid: number, ts: number, more: Partial<HubEvent> = {}): HubEvent {
  return { k: k as HubEvent['k'], ch, n: ++n, ts, loc: '/home/dev/project/pipeline.py:10', size: -1, pv: '', pf: '', pid, key: `${pid}@1`, ...more };
}

/** Pids 1001 (main), 1002 (producer), 1003 (consumer), 1004 (manager server). Times in ns from 1 s. */
export function everyKindEvents(): HubEvent[] {
  const T = 1_000_000_000;
  const ms = (x: number) => T + x * 1_000_000;
  const q = 'queue:2001';
  const out: HubEvent[] = [
    ev(EventKinds.queueNew, q, 1001, ms(0), { x: { maxsize: 3, type: 'Queue' }, loc: '/home/dev/project/pipeline.py:42' }),
  ];
  // Puts every 10 ms from 10, gets every 12 ms from 15: depth as the runtime reports it.
  const putAt = (i: number) => 10 + i * 10;
  const getAt = (j: number) => 15 + j * 12;
  const count = (at: (k: number) => number, n: number, t: number) => Array.from({ length: n }, (_, k) => at(k)).filter((x) => x <= t).length;
  for (let i = 0; i < 6; i++) out.push(ev(EventKinds.queuePut, q, 1002, ms(putAt(i)), { ...item(i === 4 ? EVIL : `item ${i}`), x: { depth: i + 1 - count(getAt, 4, putAt(i)) } }));
  for (let j = 0; j < 4; j++) out.push(ev(EventKinds.queueGet, q, 1003, ms(getAt(j)), { ...item(`item ${j}`), x: { depth: count(putAt, 6, getAt(j)) - j - 1 } }));
  // The producer's next put has waited 0.2 s for room (the runtime's op.block).
  out.push(ev(EventKinds.opBlock, q, 1002, ms(70), { x: { op: 'put' }, loc: '/home/dev/project/pipeline.py:17' }));
  // A duplex Pipe between 1001 and 1003.
  for (let i = 0; i < 3; i++) {
    const t = 20 + i * 20;
    out.push(ev(EventKinds.connSend, 'conn:3001', 1001, ms(t), { size: 23, pv: PING[i], pf: 'pickle' }));
    out.push(ev(EventKinds.connRecv, 'conn:3002', 1003, ms(t + 2), { size: 23, pv: PING[i], pf: 'pickle' }));
    out.push(ev(EventKinds.connSend, 'conn:3002', 1003, ms(t + 4), { size: 23, pv: PONG[i], pf: 'pickle' }));
    out.push(ev(EventKinds.connRecv, 'conn:3001', 1001, ms(t + 6), { size: 23, pv: PONG[i], pf: 'pickle' }));
  }
  out.push(
    ev(EventKinds.osMkfifo, 'fifo:4001', 1001, ms(1), { x: { path: `/tmp/${EVIL}` } }),
    ev(EventKinds.pipeWrite, 'fifo:4001', 1002, ms(30), { size: 6, pv: b64(Buffer.from('hello\n')), pf: 'bytes' }),
    ev(EventKinds.pipeRead, 'fifo:4001', 1003, ms(31), { size: 6, pv: b64(Buffer.from('hello\n')), pf: 'bytes' }),
    ev(EventKinds.socketNew, 'sock:5001-5002', 1001, ms(2), { x: { family: 'AF_UNIX', type: 'SOCK_STREAM' } }),
    ev(EventKinds.socketSend, 'sock:5001-5002', 1001, ms(40), { size: 4, pv: b64(Buffer.from('ping')), pf: 'bytes' }),
    ev(EventKinds.socketRecv, 'sock:5001-5002', 1002, ms(41), { size: 4, pv: b64(Buffer.from('ping')), pf: 'bytes' }),
    ev(EventKinds.socketSend, 'sock:5001-5002', 1002, ms(42), { size: 4, pv: b64(Buffer.from('pong')), pf: 'bytes' }),
    ev(EventKinds.socketRecv, 'sock:5001-5002', 1001, ms(43), { size: 4, pv: b64(Buffer.from('pong')), pf: 'bytes' }),
    // Shared memory.
    ev(EventKinds.sharedNew, 'shared:6001:0', 1001, ms(0), { size: 4, pv: b64(le32(0)), pf: 'bytes', x: { type: 'Value', typecode: 'i', length: 1, itemsize: 4, lock: true } }),
    ev(EventKinds.sharedWrite, 'shared:6001:0', 1003, ms(50), { size: 4, pv: b64(le32(258)), pf: 'bytes', loc: '/home/dev/project/pipeline.py:27', x: { offset: 0, index: 0, value: 258 } }),
    ev(EventKinds.sharedNew, 'shared:6001:16', 1001, ms(0), { size: 24, x: { type: 'Array', typecode: 'd', length: 3, itemsize: 8, lock: true } }),
    ev(EventKinds.sharedImage, 'shared:6001:16', 1001, ms(5), { size: 24, pv: 'AAAAAAAA+D8AAAAAAAAAwJqZmZmZmbk/', pf: 'bytes', x: { offset: 0 } }),
    ev(EventKinds.sharedNew, 'shm:psm_1', 1001, ms(0), { size: 64, x: { type: 'SharedMemory', typecode: '', length: 64, itemsize: 1, lock: false, name: EVIL } }),
    ev(EventKinds.sharedImage, 'shm:psm_1', 1001, ms(5), { size: 64, pv: b64(Buffer.concat([Buffer.from('status: idle  '), Buffer.alloc(50)])), pf: 'bytes', x: { offset: 0 } }),
    ev(EventKinds.sharedImage, 'shm:psm_1', 1002, ms(55), { size: 64, pv: b64(Buffer.concat([Buffer.from('status: busy  '), Buffer.alloc(48), Buffer.from([0xde, 0xad])])), pf: 'bytes', x: { offset: 0 } }),
    // Locks.
    ev(EventKinds.syncNew, 'sem:/mp-lock', 1001, ms(0), { x: { type: 'Lock', value: 1, maxvalue: 1 } }),
    ev(EventKinds.syncAcquire, 'sem:/mp-lock', 1002, ms(60), { x: { value: 0, waitedNs: 0 } }),
    ev(EventKinds.syncBlock, 'sem:/mp-lock', 1003, ms(61), { x: { value: 0 } }),
    ev(EventKinds.syncBlock, 'sem:/mp-lock', 1001, ms(62), { x: { value: 0 } }),
    ev(EventKinds.syncNew, 'sem:/mp-sem', 1001, ms(0), { x: { type: 'BoundedSemaphore', value: 2, maxvalue: 2 } }),
    ev(EventKinds.syncAcquire, 'sem:/mp-sem', 1002, ms(63), { x: { value: 1 } }),
    ev(EventKinds.syncNew, 'sem:/mp-evt', 1001, ms(0), { x: { type: 'Event', value: 0, maxvalue: 1 } }),
    ev(EventKinds.syncOp, 'sem:/mp-evt', 1001, ms(64), { x: { op: 'set', flag: true } }),
    // A Manager dict.
    ev(EventKinds.managerCall, `manager:/tmp/pymp-${EVIL}:7f01`, 1002, ms(70), { size: 30, pv: ARGS, pf: 'pickle', x: { typeid: 'dict', method: '__setitem__' } }),
    ev(EventKinds.managerState, `manager:/tmp/pymp-${EVIL}:7f01`, 1004, ms(71), { size: 40, pv: STATE, pf: 'pickle', x: { typeid: 'dict', length: 2 } }),
    // A Pool with its queues.
    ev(EventKinds.queueNew, 'queue:7001', 1001, ms(0), { x: { maxsize: 0, type: 'SimpleQueue' } }),
    ev(EventKinds.queueNew, 'queue:7002', 1001, ms(0), { x: { maxsize: 0, type: 'SimpleQueue' } }),
    ev(EventKinds.poolNew, 'pool:1001:1', 1001, ms(1), { x: { processes: 2, tasks: 'queue:7001', results: 'queue:7002' } }),
    ev(EventKinds.queuePut, 'queue:7001', 1001, ms(80), { ...item('task 1') }),
    ev(EventKinds.queueGet, 'queue:7001', 1002, ms(81), { ...item('task 1') }),
  );
  return out;
}

/**
 * Shared state under the real runtime and hub (`ipc-scope run --json`): Value / Array writes, raw objects
 * and SharedMemory / mmap sampled, channel ids that agree across processes with every start method, and
 * programs that print the same with and without the runtime.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { HubEvent } from '../../server/src/hub/hub';
import { examplesDir, python, runJson } from './helpers';

const START_METHODS = ['fork', 'spawn', 'forkserver'];

type Run = ReturnType<typeof runJson>;

const example = (name: string) => path.join(examplesDir, name);
const bytes = (e: HubEvent): Buffer => Buffer.from(e.pv, 'base64');
const byTs = (a: HubEvent, b: HubEvent) => a.ts - b.ts;
const on = (r: Run, k: string, ch: string) => r.events.filter((e) => e.k === k && e.ch === ch);
/** The program's first process: it creates the shared objects before any child starts. */
const rootPid = (r: Run): number => r.events.filter((e) => e.k === 'shared.new').sort(byTs)[0].pid;

/** The one shared.new in the program's first process matching `match`. */
function created(r: Run, match: (x: NonNullable<HubEvent['x']>) => boolean): HubEvent {
  const root = rootPid(r);
  const found = r.events.filter((e) => e.k === 'shared.new' && e.pid === root && e.x && match(e.x));
  assert.equal(found.length, 1, `one shared.new matching in ${root}: ${JSON.stringify(found.map((e) => e.x))}`);
  return found[0];
}

/** The contents the hub can rebuild: the creation's bytes, then every write and image at its offset, in time order. */
function replay(r: Run, ch: string, size: number): Buffer {
  const img = Buffer.alloc(size);
  for (const e of r.events.filter((e) => e.ch === ch && e.k.startsWith('shared.')).sort(byTs)) {
    const offset = e.k === 'shared.new' ? 0 : Number(e.x?.offset ?? 0);
    bytes(e).copy(img, offset);
  }
  return img;
}

function lastOf(events: HubEvent[]): HubEvent {
  assert.ok(events.length > 0, 'some events');
  return [...events].sort(byTs)[events.length - 1];
}

function ints(b: Buffer): number[] {
  return Array.from({ length: b.length / 4 }, (_, i) => b.readInt32LE(i * 4));
}

function doubles(b: Buffer): number[] {
  return Array.from({ length: b.length / 8 }, (_, i) => b.readDoubleLE(i * 8));
}

/** The program run directly, without the runtime: its stdout (stderr must be empty). */
function plain(args: string[]): string {
  const r = spawnSync(python, args, { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  return r.stdout;
}

describe('shared state under ipc-scope run', () => {
  const N = 1000;
  for (const method of START_METHODS) {
    for (const lock of [false, true]) {
      test(`Value race (${method}${lock ? ', --lock' : ''}): every write seen, the last is the printed final value`, () => {
        const args = [example('value_race.py'), '--start-method', method, '--n', String(N), '--processes', '2', ...(lock ? ['--lock'] : [])];
        const r = runJson([python, ...args]);
        assert.equal(r.status, 0, r.programOut);
        const m = /final value (\d+) \(expected (\d+)\), lost updates (\d+)/.exec(r.programOut);
        assert.ok(m, r.programOut);
        const final = Number(m[1]);
        assert.equal(Number(m[2]), 2 * N);
        assert.ok(final >= 1 && final <= 2 * N);
        if (lock) assert.equal(final, 2 * N, 'with the lock no update is lost');

        const made = created(r, (x) => x.type === 'Value' && x.typecode === 'i');
        assert.deepEqual(made.x, { type: 'Value', typecode: 'i', length: 1, itemsize: 4, lock: true });
        assert.equal(made.size, 4);
        assert.deepEqual([...bytes(made)], [0, 0, 0, 0]);
        assert.match(made.loc, /value_race\.py:\d+$/);
        assert.match(made.ch, /^shared:\d+:\d+$/);

        const writes = on(r, 'shared.write', made.ch).sort(byTs);
        assert.equal(writes.length, 2 * N, 'one shared.write per `money.value += 1`, none lost');
        const writers = new Set(writes.map((w) => w.pid));
        assert.equal(writers.size, 2, 'both depositors write, with the channel id of the parent');
        assert.ok(!writers.has(made.pid));
        for (const w of writes) {
          assert.equal(w.size, 4);
          assert.equal(w.x?.offset, 0);
          assert.equal(w.x?.index, 0);
          assert.equal(bytes(w).readInt32LE(0), w.x?.value, 'pv holds the value written');
          assert.match(w.loc, /value_race\.py:\d+$/);
        }
        const last = writes[writes.length - 1];
        assert.equal(last.x?.value, final, 'the last write (in time order) is the final value');
        assert.equal(replay(r, made.ch, 4).readInt32LE(0), final);
        if (lock) {
          // Each `+=` holds the lock from its read to its write: the writes count up one by one.
          assert.deepEqual(writes.map((w) => w.x?.value), Array.from({ length: 2 * N }, (_, i) => i + 1));
          assert.equal(r.programOut, plain(args), 'the same output without the runtime');
        } else {
          assert.equal(r.programOut.trim().split('\n').length, 1, `nothing but the result: ${r.programOut}`);
        }
      });
    }
  }

  for (const method of START_METHODS) {
    test(`Value and Array (${method}): creations, the child's writes on the parent's channels, raw contents sampled`, () => {
      const r = runJson([python, example('shared_values.py'), '--start-method', method]);
      assert.equal(r.status, 0, r.programOut);
      const out = r.programOut;
      const counter = created(r, (x) => x.type === 'Value' && x.typecode === 'i');
      const ratio = created(r, (x) => x.type === 'Value' && x.typecode === 'd');
      const text = created(r, (x) => x.type === 'Array' && x.typecode === 'c');
      const numbers = created(r, (x) => x.type === 'Array' && x.typecode === 'i');
      const scratch = created(r, (x) => x.type === 'Array' && x.typecode === 'd');
      assert.deepEqual(text.x, { type: 'Array', typecode: 'c', length: 5, itemsize: 1, lock: true });
      assert.equal(bytes(text).toString('latin1'), 'hello');
      assert.deepEqual(numbers.x, { type: 'Array', typecode: 'i', length: 10, itemsize: 4, lock: true });
      assert.deepEqual(ints(bytes(numbers)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.deepEqual(scratch.x, { type: 'Array', typecode: 'd', length: 3, itemsize: 8, lock: false });
      assert.equal(ratio.size, 8);
      assert.equal(bytes(ratio).readDoubleLE(0), 1.25);
      const chs = [counter, ratio, text, numbers, scratch].map((e) => e.ch);
      assert.equal(new Set(chs).size, 5, 'five objects, five channels');
      assert.equal(new Set(chs.map((c) => c.split(':')[1])).size, 1, 'one arena');

      // The child's writes carry the ids the parent's creations had.
      const child = r.events.find((e) => e.k === 'shared.write')!.pid;
      assert.notEqual(child, counter.pid);
      const writes = r.events.filter((e) => e.k === 'shared.write');
      assert.ok(writes.every((w) => w.pid === child && chs.includes(w.ch)), 'every write on a channel the parent created');
      assert.deepEqual(on(r, 'shared.write', counter.ch).map((w) => w.x?.value), [42]);
      assert.deepEqual(on(r, 'shared.write', ratio.ch).map((w) => w.x?.value), [2.5]);
      const textWrite = on(r, 'shared.write', text.ch);
      assert.deepEqual(textWrite.map((w) => [w.x?.value, bytes(w).toString('latin1')]), [['HELLO', 'HELLO']]);
      const numberWrites = on(r, 'shared.write', numbers.ch).sort(byTs);
      assert.equal(numberWrites.length, 11, 'ten items, then one slice');
      assert.deepEqual(numberWrites.slice(0, 10).map((w) => [w.x?.index, w.x?.offset, w.x?.value]), Array.from({ length: 10 }, (_, i) => [i, 4 * i, i * i]));
      const slice = numberWrites[10];
      assert.deepEqual([slice.x?.index, slice.x?.offset, slice.size, ints(bytes(slice))], [7, 28, 12, [-7, -8, -9]]);
      assert.equal(on(r, 'shared.write', scratch.ch).length, 0, 'lock=False: no wrapper, no writes to see');

      // What the panel rebuilds is what the program printed.
      assert.match(out, /^counter = 42$/m);
      assert.equal(replay(r, counter.ch, 4).readInt32LE(0), 42);
      assert.equal(replay(r, ratio.ch, 8).readDoubleLE(0), Number(/^ratio = (.+)$/m.exec(out)![1]));
      assert.equal(`b'${replay(r, text.ch, 5).toString('latin1')}'`, /^text = (.+)$/m.exec(out)![1]);
      assert.equal(JSON.stringify(ints(replay(r, numbers.ch, 40))).replace(/,/g, ', '), /^numbers = (.+)$/m.exec(out)![1]);
      const scratchImages = on(r, 'shared.image', scratch.ch);
      assert.ok(scratchImages.some((e) => e.pid === child), 'the child sampled the raw array it wrote');
      assert.deepEqual(doubles(bytes(lastOf(scratchImages))), [0.5, 1.5, 2.5]);
      assert.equal(JSON.stringify(doubles(replay(r, scratch.ch, 24))).replace(/,/g, ', '), /^scratch = (.+)$/m.exec(out)![1]);
      assert.ok(r.events.filter((e) => e.ch === scratch.ch && e.k === 'shared.image').every((e) => e.x?.offset === 0 && e.size === 24));

      // Transparency: the same output without the runtime.
      assert.equal(out, plain([example('shared_values.py'), '--start-method', method]));
    });
  }

  for (const method of START_METHODS) {
    for (const useMmap of [false, true]) {
      test(`pi into one shared double (${method}, ${useMmap ? 'mmap of a /dev/shm file' : 'SharedMemory'}): same channel in every worker, last bytes = the printed pi`, () => {
        // Ten forked workers as the example has it; fewer for spawn and forkserver, whose workers each start a Python.
        const workers = method === 'fork' ? 10 : 4;
        const args = [example('pi_shared_memory.py'), '--start-method', method, '--workers', String(workers), '--terms', '200000', ...(useMmap ? ['--mmap'] : [])];
        const r = runJson([python, ...args]);
        assert.equal(r.status, 0, r.programOut);
        const m = /^pi = (\S+)$/m.exec(r.programOut);
        assert.ok(m, r.programOut);
        const pi = Number(m[1]);
        assert.ok(Math.abs(pi - Math.PI) < 1e-9);

        const made = created(r, (x) => x.type === (useMmap ? 'mmap' : 'SharedMemory'));
        if (useMmap) {
          assert.match(made.ch, /^mmap:\d+$/);
          assert.match(String(made.x?.name), /\/pi-\d+$/);
        } else {
          assert.match(made.ch, /^shm:\w+$/);
          assert.equal(made.ch, `shm:${made.x?.name}`);
          assert.equal(made.x?.create, true);
        }
        assert.equal(made.size, 8);
        assert.deepEqual({ ...made.x, name: undefined, create: undefined }, { type: made.x?.type, typecode: '', length: 8, itemsize: 1, lock: false, name: undefined, create: undefined });
        assert.deepEqual([...bytes(made)], [0, 0, 0, 0, 0, 0, 0, 0]);

        // Every worker attached (or mapped the file) and got the parent's channel id.
        const attached = r.events.filter((e) => e.k === 'shared.new' && e.pid !== made.pid);
        assert.equal(new Set(attached.map((e) => e.pid)).size, workers, 'every worker');
        assert.ok(attached.every((e) => e.ch === made.ch), `every worker's id is ${made.ch}: ${[...new Set(attached.map((e) => e.ch))]}`);
        assert.ok(attached.every((e) => /pi_shared_memory\.py:\d+$/.test(e.loc)));
        if (!useMmap) assert.ok(attached.every((e) => e.x?.create === false));

        // Writes through shm.buf / the map are not seen: sampled images, and one at each close.
        const images = on(r, 'shared.image', made.ch);
        assert.ok(images.every((e) => e.size === 8 && e.x?.offset === 0 && bytes(e).length === 8));
        const workerPids = new Set(attached.map((e) => e.pid));
        assert.equal(new Set(images.filter((e) => workerPids.has(e.pid) && /pi_shared_memory\.py:\d+$/.test(e.loc)).map((e) => e.pid)).size, workers, 'a last image from each worker as it closed');
        const last = lastOf([...images, ...on(r, 'shared.write', made.ch)]);
        assert.equal(last.pid, made.pid, 'the parent closed it last');
        assert.equal(bytes(last).readDoubleLE(0), pi, 'the last bytes are the printed pi');

        assert.equal(r.programOut.trim().split('\n').length, 2, `nothing but the result: ${r.programOut}`);
        const line = (s: string) => /^\d+ workers.*$/m.exec(s)?.[0];
        assert.equal(line(r.programOut), line(plain(args)), 'the same result without the runtime');
      });
    }
  }
});

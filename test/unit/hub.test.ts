/** The runtime hub: private socket, token, versioned hello, frame limits, bounded memory. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { MAX_FRAME_BYTES, RUNTIME_PROTOCOL_VERSION } from '../../protocol/runtime';
import { encodeEventsFrame, encodeFrame, FrameReader } from '../../server/src/hub/frames';
import { Hub, HubEvent } from '../../server/src/hub/hub';
import { MarshalValue, readMarshal } from '../../server/src/hub/marshal';

function connect(hub: Hub): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(hub.socketPath, () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends raw bytes, returns every frame the hub answers until it closes (or ms pass). */
/** Frames the hub sends back, less its runtime commands (the `config` that follows welcome): see `commands`. */
function exchange(hub: Hub, ...chunks: Buffer[]): Promise<{ frames: Array<{ t: string; message?: string }>; closed: boolean; commands: MarshalValue[] }> {
  return exchangeAll(hub, ...chunks).then((r) => ({
    ...r,
    frames: r.frames.filter((f) => f.t !== 'command'),
    commands: r.frames.filter((f) => f.t === 'command').map((f) => readMarshal((f as unknown as { body: Buffer }).body)),
  }));
}

function exchangeAll(hub: Hub, ...chunks: Buffer[]): Promise<{ frames: Array<{ t: string; message?: string }>; closed: boolean }> {
  return connect(hub).then(
    (s) =>
      new Promise((resolve) => {
        const reader = new FrameReader(MAX_FRAME_BYTES);
        const frames: Array<{ t: string; message?: string }> = [];
        let closed = false;
        s.on('data', (d) => frames.push(...(reader.push(d) as Array<{ t: string }>)));
        s.on('close', () => {
          closed = true;
          resolve({ frames, closed });
        });
        s.on('error', () => {});
        for (const c of chunks) s.write(c);
        setTimeout(() => {
          s.destroy();
          resolve({ frames, closed });
        }, 400);
      }),
  );
}

const hello = (hub: Hub, extra: object = {}) => encodeFrame({ t: 'hello', v: RUNTIME_PROTOCOL_VERSION, token: hub.token, pid: 4242, ppid: 1, start: 99, argv: ['x.py'], python: '3.11', ...extra });
const events = (n: number, dropped = 0) => encodeEventsFrame(dropped, Array.from({ length: n }, (_, i) => ['queue.put', 'queue:1', i, null, -1, Buffer.alloc(0), '', null]));
/** A binary event frame with this body after the tag. */
const batchFrame = (body: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, body.length + 1, 0x4d]), body]);

describe('hub', () => {
  test('socket in a 0700 directory, socket 0600, token of 48 hex chars', async () => {
    const hub = new Hub({ keep: 1000 });
    await hub.start();
    try {
      assert.equal(fs.statSync(path.dirname(hub.socketPath)).mode & 0o777, 0o700);
      assert.equal(fs.statSync(hub.socketPath).mode & 0o777, 0o600);
      assert.match(hub.token, /^[0-9a-f]{48}$/);
      assert.equal(hub.env().IPCSCOPE_HUB, hub.socketPath);
      // Each run its own token, each accepted; a made-up one is not.
      const [a, b] = [hub.env().IPCSCOPE_TOKEN, hub.env().IPCSCOPE_TOKEN];
      assert.notEqual(a, b);
      assert.ok(![a, b].includes(hub.token));
      for (const token of [a, b]) assert.equal((await exchange(hub, hello(hub, { token }))).frames[0].t, 'welcome');
      assert.equal((await exchange(hub, hello(hub, { token: 'f'.repeat(48) }))).frames[0].message, 'wrong token');
    } finally {
      await hub.stop();
    }
    assert.equal(fs.existsSync(hub.socketPath), false, 'cleaned up');
  });

  test('a good hello is welcomed and events are recorded with the process key', async () => {
    const hub = new Hub({ keep: 1000 });
    await hub.start();
    try {
      const r = await exchange(hub, hello(hub), events(3, 2));
      assert.equal(r.frames[0].t, 'welcome');
      assert.deepEqual(r.commands, [{ t: 'config', debugger: false }], 'then the breakpoints: none, no debugger');
      const evs = hub.events();
      assert.equal(evs.length, 3);
      assert.equal(evs[0].key, '4242@99');
      assert.deepEqual(evs.map((e) => e.n), [1, 2, 3]);
      assert.equal(hub.stats.droppedByRuntime, 2, 'what the runtime could not send is counted');
    } finally {
      await hub.stop();
    }
  });

  test("a runtime's connection that closes ends its process for the models: a process.exit after its last events", async () => {
    const hub = new Hub({ keep: 1000 });
    await hub.start();
    try {
      const seen: HubEvent[] = [];
      hub.on('events', (batch: HubEvent[]) => seen.push(...batch));
      const before = Number(process.hrtime.bigint());
      await exchange(hub, hello(hub), events(2));
      const end = Date.now() + 2000;
      while (!seen.some((e) => e.k === 'process.exit') && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(seen.map((e) => e.k), ['queue.put', 'queue.put', 'process.exit']);
      const exit = seen[2];
      assert.equal(exit.key, '4242@99');
      assert.ok(exit.ts >= before, 'on the runtime clock (CLOCK_MONOTONIC)');
      assert.equal(hub.events().length, 2, 'made by the hub: not a received event');
      assert.equal(hub.stats.received, 2);
    } finally {
      await hub.stop();
    }
  });

  for (const [name, body, message] of [
    ['garbage', Buffer.from('not marshal'), /malformed event batch: marshal type "n"/],
    ['a code object', Buffer.from('c\x00\x00\x00\x00', 'latin1'), /type "c" .* not accepted/],
    ['a cut-off batch', Buffer.from([0x5b, 1, 0, 0, 0, 0x69, 1, 2]), /cut off/],
    ['a list longer than its bytes', Buffer.from([0x5b, 9, 0, 0, 0, 0x69]), /cannot fit/],
    ['a batch that is not [dropped, events]', Buffer.from([0x4e]), /an event batch is \[dropped/],
  ] as const) {
    test(`an event batch with ${name}: a clear error, the hub lives on`, async () => {
      const hub = new Hub({ keep: 1000 });
      await hub.start();
      try {
        const r = await exchange(hub, hello(hub), batchFrame(body));
        assert.equal(r.frames[0]?.t, 'welcome');
        assert.equal(r.frames[1]?.t, 'error');
        assert.match(r.frames[1].message ?? '', message);
        assert.equal(hub.stats.protocolErrors, 1);
        const ok = await exchange(hub, hello(hub), events(1));
        assert.equal(ok.frames[0].t, 'welcome', 'still serving others');
        assert.equal(hub.events().length, 1);
      } finally {
        await hub.stop();
      }
    });
  }

  test('a process that could not send its last events says how many on a new connection: counted as dropped', async () => {
    const hub = new Hub({ keep: 1000 });
    await hub.start();
    try {
      await exchange(hub, hello(hub), events(3, 2));
      const lost = (extra: object) => encodeFrame({ t: 'lost', v: RUNTIME_PROTOCOL_VERSION, token: hub.token, pid: 4242, start: 99, lost: 40, ...extra });
      const r = await exchange(hub, lost({}));
      assert.deepEqual(r.frames, [], 'no answer');
      assert.equal(r.closed, true, 'the hub ends that connection');
      assert.equal(hub.stats.droppedByRuntime, 2 + 40);
      assert.equal(hub.clients.get('4242@99')!.lostAtExit, 40);
      assert.match(hub.errors.join('\n'), /pid 4242 could not send its last 40 events/);
      for (const [bad, message] of [[{ token: 'x'.repeat(48) }, /wrong token/], [{ lost: -1 }, /valid pid and count/], [{ lost: 'many' }, /valid pid and count/], [{ v: 1 }, /version/]] as const) {
        const refused = await exchange(hub, lost(bad));
        assert.match(refused.frames[0]?.message ?? '', message);
      }
      assert.equal(hub.stats.droppedByRuntime, 42, 'refused reports count nothing');
    } finally {
      await hub.stop();
    }
  });

  test('events whose fields have the wrong types are skipped or defaulted, never thrown', async () => {
    const hub = new Hub({ keep: 1000 });
    await hub.start();
    try {
      const odd = encodeEventsFrame(0, [
        42, ['queue.put'], ['conn.send', 7, 'ts', ['f.py'], 'big', 'pv', 3, [1, 2]],
        ['queue.get', 'queue:1', 5, ['f.py', 9], 3, Buffer.from('abc'), 'bytes', JSON.parse('{"__proto__": {"polluted": 1}, "depth": 2}')],
      ]);
      await exchange(hub, hello(hub), odd);
      const evs = hub.events();
      assert.equal(evs.length, 3, 'non-arrays are skipped');
      assert.deepEqual([evs[1].ch, evs[1].ts, evs[1].loc, evs[1].size, evs[1].pv, evs[1].pf, evs[1].x], ['', 0, '', -1, '', '', undefined]);
      assert.equal(evs[2].loc, 'f.py:9');
      assert.equal(Buffer.from(evs[2].pv, 'base64').toString(), 'abc');
      assert.equal(evs[2].x?.depth, 2);
      assert.equal(Object.getPrototypeOf(evs[2].x), Object.prototype, 'no prototype pollution');
      assert.equal(({} as { polluted?: number }).polluted, undefined);
    } finally {
      await hub.stop();
    }
  });

  for (const [name, build, message] of [
    ['wrong token', (h: Hub) => [hello(h, { token: 'nope' })], /wrong token/],
    ['another protocol version', (h: Hub) => [hello(h, { v: 99 })], /version 99 is not supported/],
    ['events before hello', () => [events(1)], /first frame must be "hello"/],
    ['malformed JSON', () => [Buffer.concat([Buffer.from([0, 0, 0, 5]), Buffer.from('{oops')])], /malformed frame/],
    ['a frame over the maximum', () => [Buffer.from([0xff, 0xff, 0xff, 0xff])], /exceeds the maximum/],
    ['JSON that is not a frame', () => [encodeFrame([1, 2, 3])], /not an object with a "t" field/],
  ] as const) {
    test(`${name}: a clear error frame, the connection closed, the hub lives on`, async () => {
      const hub = new Hub({ keep: 1000 });
      await hub.start();
      try {
        const r = await exchange(hub, ...build(hub));
        assert.equal(r.frames[0]?.t, 'error');
        assert.match(r.frames[0].message ?? '', message);
        assert.equal(r.closed, true);
        assert.equal(hub.stats.protocolErrors, 1);
        assert.equal(hub.events().length, 0);
        const ok = await exchange(hub, hello(hub), events(1));
        assert.equal(ok.frames[0].t, 'welcome', 'still serving others');
      } finally {
        await hub.stop();
      }
    });
  }

  test('a frame cut off by a dying process is reported, not a crash', async () => {
    const hub = new Hub({ keep: 1000 });
    await hub.start();
    try {
      const whole = events(2);
      await exchange(hub, hello(hub), whole.subarray(0, whole.length - 7));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(hub.stats.protocolErrors, 1);
      assert.match(hub.errors[0], /closed in the middle of a frame/);
    } finally {
      await hub.stop();
    }
  });

  test('frames split across reads and many frames in one read', async () => {
    const hub = new Hub({ keep: 1000 });
    await hub.start();
    try {
      const all = Buffer.concat([hello(hub), events(5), events(5)]);
      const pieces = [all.subarray(0, 3), all.subarray(3, 50), all.subarray(50)];
      await exchange(hub, ...pieces);
      assert.equal(hub.events().length, 10);
    } finally {
      await hub.stop();
    }
  });

  test('memory stays bounded: the kept recent events are the newest; every event reached the listeners', async () => {
    const hub = new Hub({ keep: 100 });
    const heard: number[] = [];
    hub.on('events', (batch: HubEvent[]) => heard.push(...batch.map((e) => e.n)));
    await hub.start();
    try {
      await exchange(hub, hello(hub), events(250));
      assert.equal(hub.events().length, 100);
      assert.equal(hub.stats.received, 250);
      assert.equal(hub.stats.overwritten, 150);
      assert.equal(hub.events()[0].n, 151, 'oldest overwritten first, order kept');
      assert.deepEqual(heard, Array.from({ length: 250 }, (_, i) => i + 1), 'all delivered, in order');
      assert.equal(hub.stats.droppedByRuntime, 0, 'nothing was lost');
    } finally {
      await hub.stop();
    }
  });

  /** A frame of n queue.put events whose ts count from `from`. */
  const numbered = (n: number, from = 0) => encodeEventsFrame(0, Array.from({ length: n }, (_, i) => ['queue.put', 'queue:1', from + i, null, -1, Buffer.alloc(0), '', null]));

  async function until(done: () => boolean, ms = 20_000): Promise<void> {
    const end = Date.now() + ms;
    while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  }

  test("large batches are handed on in slices: every event, each runtime's in its own order", async () => {
    const hub = new Hub();
    const sizes: number[] = [];
    const seen = new Map<string, number[]>();
    hub.on('events', (batch: HubEvent[]) => {
      sizes.push(batch.length);
      for (const e of batch) (seen.get(e.key) ?? seen.set(e.key, []).get(e.key)!).push(e.ts);
    });
    await hub.start();
    try {
      await Promise.all([1, 2].map((pid) => exchange(hub, hello(hub, { pid }), numbered(2000, 0), numbered(2000, 2000))));
      await until(() => hub.stats.received === 8000);
      assert.equal(hub.stats.received, 8000);
      const all = Array.from({ length: 4000 }, (_, i) => i);
      assert.deepEqual(seen.get('1@99'), all);
      assert.deepEqual(seen.get('2@99'), all);
      assert.ok(Math.max(...sizes) <= 128, `slices of at most 128 events (largest ${Math.max(...sizes)})`);
      assert.equal(hub.backlogBytes, 0);
    } finally {
      await hub.stop();
    }
  });

  test('a runtime that sends faster than the hub takes its events is read no faster: a bounded backlog, nothing lost', async () => {
    const pauseBytes = 256 * 1024;
    const hub = new Hub({ pauseBytes });
    let most = 0;
    let heard = 0;
    let inOrder = true;
    hub.on('events', (batch: HubEvent[]) => {
      most = Math.max(most, hub.backlogBytes);
      for (const e of batch) inOrder &&= e.ts === heard++;
    });
    await hub.start();
    try {
      const frames = 200;
      const s = await connect(hub);
      s.on('error', () => {});
      s.write(hello(hub));
      // Each frame numbered on from the last: 200 frames of 2048 events, about 20 MB, written at once.
      for (let f = 0; f < frames; f++) s.write(numbered(2048, f * 2048));
      await until(() => hub.stats.received === frames * 2048);
      s.destroy();
      assert.equal(hub.stats.received, frames * 2048, 'every event');
      assert.ok(inOrder, 'in the order sent');
      // A backlog above pauseBytes stops reading; what one read brought (up to a frame) may still come.
      assert.ok(most <= pauseBytes + MAX_FRAME_BYTES + 64 * 1024, `backlog at most ${most} bytes`);
      assert.equal(hub.backlogBytes, 0);
    } finally {
      await hub.stop();
    }
  });

  test('a socket left by a dead run is replaced; a live one is refused', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-scope-stale-'));
    const p = path.join(dir, 'hub.sock');
    // A dead run: a socket file with nobody listening.
    const dead = net.createServer();
    await new Promise<void>((r) => dead.listen(p, () => r()));
    await new Promise<void>((r) => {
      (dead as unknown as { _handle: { close(): void } | null })._handle?.close();
      r();
    });
    fs.existsSync(p) || fs.writeFileSync(p, '');
    const hub = new Hub({ socketPath: p });
    await hub.start();
    try {
      const second = new Hub({ socketPath: p });
      await assert.rejects(second.start(), /another IPC Scope hub is listening/);
    } finally {
      await hub.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Runtime benchmarks: a program instrumented (runtime on, real hub) vs the same program plain, run
 * interleaved; strace capturing the same messages; start-up cost; hub ingest rate.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { FrameTypes, PREVIEW_BYTES, RUNTIME_PROTOCOL_VERSION } from '../../protocol/runtime';
import { runtimeEnv } from '../../server/src/cli/run';
import { encodeFrame } from '../../server/src/hub/frames';
import { python } from '../unit/helpers';
import { Hub, HubEvent } from '../../server/src/hub/hub';
import { feedModels } from '../../server/src/hub/feed';
import { ChannelModel } from '../../server/src/core/channels';
import { BlockedOps } from '../../server/src/core/blockedOps';
import { LeakWatch } from '../../server/src/core/leaks';
import { ProcessModel } from '../../server/src/core/model';
import { RunRecorder } from '../../server/src/core/runRecord';
import { median, perRound, verdict } from './measure';

const pingpong = path.resolve(__dirname, '..', 'test', 'bench', 'programs', 'pingpong.py');

function runPython(args: string[], env: NodeJS.ProcessEnv, prefix: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const [cmd, ...rest] = [...prefix, python, ...args];
    const c = spawn(cmd, rest, { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('error', reject);
    c.on('exit', () => resolve(out.trim()));
  });
}

/**
 * The models the language server feeds from its hub (server/src/hub/feed.ts, the same wiring), and
 * its channel update once a second, so the instrumented runs pay what they pay in the editor.
 */
export function listenLikeTheServer(hub: Hub): () => void {
  const channels = new ChannelModel();
  const leaks = new LeakWatch();
  const recorder = new RunRecorder();
  const records = { ingest: (batch: HubEvent[]) => (leaks.ingest(batch), recorder.ingest(batch)) };
  feedModels(hub, { channels, records, blockedOps: new BlockedOps(), model: new ProcessModel() });
  const timer = setInterval(() => channels.update({ received: hub.stats.received, dropped: hub.stats.droppedByRuntime, protocolErrors: 0 }), 1000);
  return () => clearInterval(timer);
}

/**
 * A hub that welcomes each runtime and then reads and drops what it sends: a run against it costs
 * what the runtime's sending costs, without the hub's decoding and models.
 */
async function startDiscardingHub(dir: string): Promise<{ path: string; close: () => void }> {
  const socketPath = path.join(dir, 'discard.sock');
  const server = net.createServer((socket) => {
    let head = Buffer.alloc(0);
    let welcomed = false;
    socket.on('data', (chunk: Buffer) => {
      if (welcomed) return;
      head = Buffer.concat([head, chunk]);
      if (head.length >= 4 && head.length >= 4 + head.readUInt32BE(0)) {
        welcomed = true;
        socket.write(encodeFrame({ t: FrameTypes.welcome, v: RUNTIME_PROTOCOL_VERSION }));
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return { path: socketPath, close: () => server.close() };
}

export async function benchRuntime(opts: { messages: number; rounds: number }): Promise<string[]> {
  const lines: string[] = [];
  const hub = new Hub();
  const stopListening = listenLikeTheServer(hub);
  await hub.start();
  const env = runtimeEnv(hub);
  const hasStrace = spawnSync('strace', ['-V']).status === 0;
  const traceFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-scope-strace-')), 'trace.txt');
  const discarding = await startDiscardingHub(path.dirname(traceFile));
  try {
    for (const kind of ['queue', 'pipe']) {
      const plain: number[] = [];
      const ours: number[] = [];
      const traced: number[] = [];
      const hooksOnly: number[] = [];
      const toDiscarding: number[] = [];
      // CPU of the program's two processes per message (every thread), by variant.
      const cpu: Record<'plain' | 'ours' | 'hooksOnly' | 'toDiscarding', number[]> = { plain: [], ours: [], hooksOnly: [], toDiscarding: [] };
      const pingPong = async (into: keyof typeof cpu, rates: number[], env: NodeJS.ProcessEnv) => {
        const [rate, cpuUs] = (await runPython([pingpong, kind, String(opts.messages), 'cpu'], env)).split(' ').map(Number);
        rates.push(rate);
        cpu[into].push(cpuUs);
      };
      // CPU the hub (this process) spends while an instrumented program runs, per event received.
      let hubCpuUs = 0;
      let hubEvents = 0;
      const before = hub.stats.received;
      for (let r = 0; r < opts.rounds; r++) {
        await pingPong('plain', plain, process.env);
        const cpu0 = process.cpuUsage();
        const got0 = hub.stats.received;
        await pingPong('ours', ours, env);
        const used = process.cpuUsage(cpu0);
        hubCpuUs += used.user + used.system;
        hubEvents += hub.stats.received - got0;
        // The hooks alone: the runtime finds no hub, goes quiet, and the hooks still run.
        await pingPong('hooksOnly', hooksOnly, { ...env, IPCSCOPE_HUB: '/nonexistent/hub.sock' });
        // The runtime sending everything, to a hub that drops it: the rest of the cost is the hub's.
        await pingPong('toDiscarding', toDiscarding, { ...env, IPCSCOPE_HUB: discarding.path });
        // strace keeps what it captured (a file, as our hub keeps events) and as many payload bytes as our previews.
        if (hasStrace && r < 3) traced.push(Number(await runPython([pingpong, kind, String(opts.messages)], process.env, ['strace', '-f', '-qq', '-e', 'trace=read,write', '-s', String(PREVIEW_BYTES), '-o', traceFile])));
      }
      const ratio = median(ours) / median(plain);
      const goal = kind === 'queue' ? 0.85 : 0.8;
      const events = hub.stats.received - before;
      lines.push(`${kind} ping-pong, ${opts.messages} round trips: plain ${median(plain).toFixed(0)} msg/s, instrumented ${median(ours).toFixed(0)} msg/s (${events} events received)`);
      lines.push(`hub and its listeners (channel model, leaks, recorder, blocked-on), CPU while instrumented runs ran (${kind}): ${(hubCpuUs / Math.max(1, hubEvents)).toFixed(2)} µs per event`);
      const added = (v: number[]) => `${median(v) - median(cpu.plain) >= 0 ? '+' : ''}${(median(v) - median(cpu.plain)).toFixed(1)}`;
      lines.push(`program CPU per message, both processes, every thread (${kind}): plain ${median(cpu.plain).toFixed(1)} µs; instrumented ${added(cpu.ours)}; hooks alone ${added(cpu.hooksOnly)}; sending to a hub that drops everything ${added(cpu.toDiscarding)}`);
      lines.push(`RATIO instrumented ÷ plain (${kind}) = ${ratio.toFixed(2)} (goal ≥ ${goal}, ${verdict(ratio >= goal)}; ${perRound(ours, plain)}); hooks alone, no hub: ${(median(hooksOnly) / median(plain)).toFixed(2)}; sending to a hub that drops everything: ${(median(toDiscarding) / median(plain)).toFixed(2)}`);
      if (traced.length) {
        const s = median(ours) / median(traced);
        lines.push(`RATIO instrumented ÷ strace -f -e trace=read,write (${kind}) = ${s.toFixed(1)} (strace ${median(traced).toFixed(0)} msg/s = ${(median(traced) / median(plain)).toFixed(2)}× plain; goal ≥ 9, ${verdict(s >= 9)})`);
      } else lines.push('strace is not installed: the strace comparison was skipped');
    }

    // Start-up: `python -c pass` with and without the runtime (which only loads until a process does IPC).
    const t = async (e: NodeJS.ProcessEnv) => {
      const s = performance.now();
      await runPython(['-c', 'pass'], e);
      return performance.now() - s;
    };
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < 15; r++) {
      a.push(await t(process.env));
      b.push(await t(env));
    }
    const added = median(b) - median(a);
    lines.push(`start-up added to python -c pass: ${added.toFixed(1)} ms (plain ${median(a).toFixed(1)} ms; goal ≤ 30 ms, ${verdict(added <= 30)})`);
  } finally {
    discarding.close();
    stopListening();
    await hub.stop();
    fs.rmSync(path.dirname(traceFile), { recursive: true, force: true });
  }
  return lines.concat(await benchIngest());
}

/**
 * Hub ingest: a synthetic runtime sends 1M events as fast as it can, into the hub and the channel
 * model the server feeds from it (which keeps each channel's recent messages); memory is sampled as
 * it goes.
 */
export async function benchIngest(): Promise<string[]> {
  const lines: string[] = [];
  const ingest = new Hub();
  const channels = new ChannelModel();
  ingest.on('events', (batch: HubEvent[]) => channels.ingest(batch));
  await ingest.start();
  try {
    const total = Number(process.env.BENCH_INGEST_EVENTS ?? 1_000_000);
    const batch = 512;
    // A batch as the runtime makes it: 512 realistic events, marshalled by Python itself.
    const made = spawnSync(python, ['-c', [
      'import marshal, os, sys',
      "evs = [('queue.put', 'queue:123456', 10**12 + i, ('/home/dev/app.py', 42 + i % 3), 24, os.urandom(24), 'pickle', {'depth': i % 4}) for i in range(512)]",
      "sys.stdout.buffer.write(b'M' + marshal.dumps([0, evs], 4))",
    ].join('\n')]);
    const body = made.stdout;
    const frame = Buffer.concat([Buffer.from([0, 0, 0, 0]), body]);
    frame.writeUInt32BE(body.length, 0);
    const heap: number[] = [];
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const s = net.connect(ingest.socketPath, () => {
        s.write(encodeFrame({ t: 'hello', v: RUNTIME_PROTOCOL_VERSION, token: ingest.token, pid: 1, ppid: 0, start: 1, argv: [], python: 'bench' }));
        let sent = 0;
        const pump = () => {
          while (sent < total) {
            sent += batch;
            if (sent % (batch * 200) === 0) {
              (globalThis as { gc?: () => void }).gc?.(); // with node --expose-gc: live memory, not garbage
              heap.push(process.memoryUsage().heapUsed);
            }
            if (!s.write(frame)) return void s.once('drain', pump);
          }
          s.end();
        };
        pump();
      });
      s.on('error', reject);
      ingest.on('disconnect', () => resolve());
    });
    const secs = (performance.now() - t0) / 1000;
    const rate = ingest.stats.received / secs;
    const mb = (x: number) => (x / 1024 / 1024).toFixed(0);
    lines.push(`hub ingest: ${ingest.stats.received} events in ${secs.toFixed(2)} s = ${(rate / 1000).toFixed(0)}k events/s (goal ≥ 200k, ${verdict(rate >= 200_000)}), into the hub and the channel model`);
    // Memory: from when the model's recent messages are full (the second sample, ~200k events) to the end (1M).
    const full = heap[1] ?? 0;
    const last = heap[heap.length - 1] ?? 0;
    // The model's list of messages waiting for their order swings by up to ~3 MB (ORDER_AT in channels.ts).
    const flat = last <= Math.max(full * 1.15, full + 3 * 1024 * 1024);
    lines.push(`hub memory: heap ${mb(full)} MB after 200k events, ${mb(last)} MB after ${total / 1e6}M events (${flat ? 'flat' : 'GROWING'})`);
  } finally {
    await ingest.stop();
  }
  return lines;
}

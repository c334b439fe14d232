/**
 * Debugger benchmarks, through the real adapter (out/dap.js) and a real DAP client:
 * - stop latency: from the put() call (a timestamp the program takes just before it) to the
 *   `stopped` event at the client (both CLOCK_MONOTONIC);
 * - throughput of the ping-pong program with breakpoints set but never hit, vs plain, interleaved.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { runtimeEnv } from '../../server/src/hub/env';
import { Hub } from '../../server/src/hub/hub';
import { python } from '../unit/helpers';
import { median, perRound, verdict } from './measure';
import { listenLikeTheServer } from './runtimeBench';

const here = path.resolve(__dirname, '..', 'test', 'bench', 'programs');
const adapter = path.resolve(__dirname, 'dap.js');
const lineOf = (file: string, text: string) => fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;

/** Stopped events in order, from a listener set before launch (a stop can come before launch resolves). */
class Stops {
  private readonly queue: { ev: DebugProtocol.StoppedEvent; at: number }[] = [];
  private waiting: ((s: { ev: DebugProtocol.StoppedEvent; at: number }) => void) | null = null;

  constructor(dc: DebugClient) {
    dc.on('stopped', (ev: DebugProtocol.StoppedEvent) => {
      const s = { ev, at: Number(process.hrtime.bigint()) };
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = null;
        w(s);
      } else this.queue.push(s);
    });
  }

  next(): Promise<{ ev: DebugProtocol.StoppedEvent; at: number }> {
    const s = this.queue.shift();
    if (s) return Promise.resolve(s);
    return new Promise((resolve) => (this.waiting = resolve));
  }
}

async function session(program: string, args: string[], setup: (dc: DebugClient) => Promise<unknown>, during: (dc: DebugClient, stops: Stops) => Promise<void> = async () => {}): Promise<string> {
  const dc = new DebugClient(process.execPath, adapter, 'ipcscope', undefined, true);
  dc.defaultTimeout = 60_000;
  const stops = new Stops(dc);
  let out = '';
  dc.on('output', (e: DebugProtocol.OutputEvent) => {
    if (e.body.category === 'stdout') out += e.body.output;
  });
  await dc.start();
  try {
    const init = dc.waitForEvent('initialized');
    await dc.initializeRequest({ adapterID: 'ipcscope', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    await init;
    const exited = dc.waitForEvent('exited', 300_000);
    await Promise.all([(async () => {
      await setup(dc);
      await dc.configurationDoneRequest();
    })(), dc.launchRequest({ program, args, python } as DebugProtocol.LaunchRequestArguments)]);
    await during(dc, stops);
    await exited;
    return out.trim();
  } finally {
    await Promise.race([dc.stop().catch(() => {}), new Promise((r) => setTimeout(r, 3000))]);
  }
}

function runPlain(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(python, args, { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('error', reject);
    c.on('exit', () => resolve(out.trim()));
  });
}

export async function benchDebug(opts: { stops: number; messages: number; rounds: number }): Promise<string[]> {
  const lines: string[] = [];
  // Stop latency.
  const latencyProgram = path.join(here, 'stop_latency.py');
  const stopLine = lineOf(latencyProgram, '# STOP HERE');
  const latencies: number[] = [];
  await session(latencyProgram, [String(opts.stops)], (dc) => dc.setBreakpointsRequest({ source: { path: latencyProgram }, breakpoints: [{ line: stopLine }] }), async (dc, stops) => {
    for (let i = 0; i < opts.stops; i++) {
      const { ev, at } = await stops.next();
      latencies.push((at - Number(ev.body.text)) / 1e6);
      await dc.continueRequest({ threadId: ev.body.threadId! });
    }
  });
  const m = median(latencies);
  lines.push(`stop latency, put() call → stopped event at the client, ${latencies.length} stops: median ${m.toFixed(2)} ms, p90 ${[...latencies].sort((a, b) => a - b)[Math.floor(latencies.length * 0.9)].toFixed(2)} ms (goal ≤ 50 ms, ${verdict(m <= 50)})`);

  // Throughput with breakpoints set but never hit.
  const pingpong = path.join(here, 'pingpong.py');
  const elsewhere = path.resolve(__dirname, '..', 'examples', 'queue_producer_consumer.py');
  const unhit = async (dc: DebugClient) => {
    await dc.setBreakpointsRequest({ source: { path: elsewhere }, breakpoints: [{ line: lineOf(elsewhere, 'q.put({"seq": i') }, { line: lineOf(elsewhere, 'item = q.get()') }] });
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'queue:no_such_queue' }, { name: 'shared:*' }] });
  };
  const conditional = (dc: DebugClient) => dc.setBreakpointsRequest({ source: { path: pingpong }, breakpoints: [{ line: lineOf(pingpong, 'a.put(i)'), condition: 'i < 0' }, { line: lineOf(pingpong, 'here.send(i)'), condition: 'i < 0' }] });
  // The runtime with a hub and no debugger, for comparison (what the debugger adds to it); the hub has
  // the language server's listeners, as the adapter's own hub has its channel model.
  const hub = new Hub();
  const stopListening = listenLikeTheServer(hub);
  await hub.start();
  const instrumentedEnv = runtimeEnv(hub);
  for (const kind of ['queue', 'pipe']) {
    const plain: number[] = [];
    const instrumented: number[] = [];
    const armed: number[] = [];
    const cond: number[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      plain.push(Number(await runPlain([pingpong, kind, String(opts.messages)])));
      instrumented.push(Number(await runPlain([pingpong, kind, String(opts.messages)], instrumentedEnv)));
      armed.push(Number(await session(pingpong, [kind, String(opts.messages)], unhit)));
      cond.push(Number(await session(pingpong, [kind, String(opts.messages)], conditional)));
    }
    const ratio = median(armed) / median(plain);
    lines.push(`${kind} ping-pong, ${opts.messages} round trips: plain ${median(plain).toFixed(0)} msg/s; debugged, breakpoints set elsewhere ${median(armed).toFixed(0)} msg/s; conditional breakpoint on the hot line (never true) ${median(cond).toFixed(0)} msg/s`);
    lines.push(`RATIO debugged with unhit breakpoints ÷ plain (${kind}) = ${ratio.toFixed(2)} (goal ≥ 0.8, ${verdict(ratio >= 0.8)}; ${perRound(armed, plain)}); with a false condition evaluated on every message: ${(median(cond) / median(plain)).toFixed(2)}; runtime without a debugger: ${(median(instrumented) / median(plain)).toFixed(2)}`);
  }
  stopListening();
  await hub.stop();
  return lines;
}

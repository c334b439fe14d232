/**
 * ipc-scope run [--json] -- python3 program.py args…
 * Runs a program with a hub, the runtime injected through PYTHONPATH (sitecustomize), and prints
 * every event: JSON lines with --json (the program's stdout then goes to stderr, so stdout stays
 * parseable), a readable log otherwise. Exits with the program's exit status.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { decodePreview } from '../core/preview';
import { runtimeEnv } from '../hub/env';
import { Hub, HubEvent } from '../hub/hub';

export { runtimeEnv };

export function describeEvent(e: HubEvent, t0: number): string {
  const ms = ((e.ts - t0) / 1e6).toFixed(3).padStart(10);
  const x = e.x ? ' ' + Object.entries(e.x).map(([k, v]) => `${k}=${v}`).join(' ') : '';
  let payload = '';
  if (e.pv) {
    const p = decodePreview(Buffer.from(e.pv, 'base64'), e.pf, e.size);
    payload = ` ${p.text}${p.truncated ? ` (${e.size} bytes, preview truncated)` : ''}`;
  }
  const loc = e.loc ? `  @ ${path.basename(e.loc)}` : '';
  return `[${ms} ms] pid ${e.pid} ${e.k}${e.ch ? ' ' + e.ch : ''}${x}${payload}${loc}`;
}

export async function run(command: string[], opts: { json: boolean; out: (s: string) => void }): Promise<number> {
  if (!command.length) throw new Error('run needs a command, e.g. ipc-scope run -- python3 program.py');
  const hub = new Hub();
  await hub.start();
  // process.hrtime and the runtime both read CLOCK_MONOTONIC: times are relative to the start of the run.
  const t0 = Number(process.hrtime.bigint());
  hub.on('events', (batch: HubEvent[]) => {
    for (const e of batch) {
      opts.out(opts.json ? JSON.stringify(e) + '\n' : describeEvent(e, t0) + '\n');
    }
  });
  const child = spawn(command[0], command.slice(1), {
    env: runtimeEnv(hub),
    stdio: ['inherit', opts.json ? process.stderr : 'inherit', 'inherit'],
  });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  }).catch((e: Error) => {
    throw new Error(`cannot run ${command[0]}: ${e.message}`);
  });
  // Let the last frames of exiting processes arrive (each flushes before exit).
  const end = Date.now() + 1500;
  while (Date.now() < end && [...hub.clients.values()].some((c) => c.connected)) await new Promise((r) => setTimeout(r, 20));
  const s = hub.stats;
  if (!opts.json) opts.out(`ipc-scope: ${s.received} events from ${s.clients} processes${s.droppedByRing + s.droppedByRuntime ? `, ${s.droppedByRing + s.droppedByRuntime} dropped` : ''}${s.protocolErrors ? `, ${s.protocolErrors} protocol errors` : ''}\n`);
  await hub.stop();
  process.off('SIGINT', forward);
  process.off('SIGTERM', forward);
  if (exit.signal) return 128 + (require('node:os').constants.signals[exit.signal] ?? 0);
  return exit.code ?? 1;
}

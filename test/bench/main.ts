/**
 * npm run bench — ratios measured side by side in one run (these machines are noisy, so every
 * contender runs interleaved, round after round, and medians are compared). Not a timed test.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import pidtree from 'pidtree';
import psList from 'ps-list';
import { ProcessModel } from '../../server/src/core/model';
import { ProcScanner } from '../../server/src/inspect/scanner';
import { listPids } from '../../server/src/inspect/procfs';
import { collectGarbage, fmt, longestStall, median, time, verdict } from './measure';

const execFileP = promisify(execFile);
const TARGET = Number(process.env.BENCH_PROCESSES ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);


async function spawnSleepers(n: number): Promise<ChildProcess> {
  const have = listPids().length;
  const need = Math.max(0, n - have);
  const holder = spawn('sh', ['-c', `i=0; while [ $i -lt ${need} ]; do sleep 3600 & i=$((i+1)); done; echo ready; wait`], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
  return holder;
}

const PS_ARGS = ['-eo', 'pid=,ppid=,pgid=,sid=,tty=,stat=,ni=,nlwp=,rss=,vsz=,%cpu=,lstart=,wchan:32=,args='];

/** `npm run bench -- --only runtime` (or snapshot, ingest, panel, debug, language, osipc) runs one part. */
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
const part = (name: string) => !only || only === name;

async function main(): Promise<void> {
  console.log(`IPC Scope benchmarks (${new Date().toISOString()}, node ${process.version})`);
  if (part('snapshot')) await benchSnapshot();
  if (part('runtime')) {
    console.log('\n## Runtime: instrumented vs plain (interleaved, medians)');
    try {
      const { benchRuntime } = await import('./runtimeBench');
      for (const line of await benchRuntime({ messages: Number(process.env.BENCH_MESSAGES ?? 100_000), rounds: Number(process.env.BENCH_RUNTIME_ROUNDS ?? 5) })) console.log(line);
    } catch (e) {
      console.log(`runtime benchmark could not run: ${(e as Error).message}`);
    }
  }
  if (only === 'ingest') {
    // Also part of the runtime part (benchRuntime ends with it); alone here.
    console.log('\n## Hub ingest');
    const { benchIngest } = await import('./runtimeBench');
    for (const line of await benchIngest()) console.log(line);
  }
  if (part('panel')) await benchPanel();
  if (part('debug')) {
    console.log('\n## Debugger: stop latency, and throughput with breakpoints set but not hit (interleaved, medians)');
    try {
      const { benchDebug } = await import('./debugBench');
      for (const line of await benchDebug({ stops: 30, messages: Number(process.env.BENCH_MESSAGES ?? 100_000), rounds: Number(process.env.BENCH_RUNTIME_ROUNDS ?? 5) })) console.log(line);
    } catch (e) {
      console.log(`debugger benchmark could not run: ${(e as Error).message}`);
    }
  }
  if (part('language')) {
    const { benchLanguage } = await import('./languageBench');
    const l = await benchLanguage();
    console.log(`\n## Language server: diagnostics on a ${l.lines}-line Python file (${(l.bytes / 1024).toFixed(0)} KiB, ${l.findings} findings; parser warm, medians)`);
    console.log(`after a one-line edit (tree edit, incremental parse, model, every rule): ${fmt(l.editDiagnosticsMs)} (goal ≤ 50 ms, ${verdict(l.editDiagnosticsMs <= 50)})`);
    console.log(`from scratch (whole parse, model, every rule): ${fmt(l.diagnosticsMs)}; plain tree-sitter parse: ${fmt(l.parseMs)}`);
    console.log(`RATIO diagnostics from scratch ÷ plain parse = ${l.ratio.toFixed(2)}`);
    console.log(`CPU time (what a busy machine's wall time hides): after an edit ${fmt(l.cpu.editDiagnosticsMs)}, from scratch ${fmt(l.cpu.diagnosticsMs)}, plain parse ${fmt(l.cpu.parseMs)} (ratio ${(l.cpu.diagnosticsMs / l.cpu.parseMs).toFixed(2)})`);
  }
  if (part('osipc')) {
    console.log(`\n## OS view of IPC: ~${TARGET} processes holding pipes and sockets, ${ROUNDS} interleaved rounds (medians)`);
    const { benchOsIpc } = await import('./osIpcBench');
    for (const line of await benchOsIpc({ processes: TARGET, rounds: ROUNDS })) console.log(line);
  }
}

async function benchSnapshot(): Promise<void> {
  const holder = await spawnSleepers(TARGET);
  try {
    const count = listPids().length;
    console.log(`\n## Process snapshot, ${count} live processes, ${ROUNDS} interleaved rounds (medians)`);
    const warm = new ProcessModel({ scope: 'system' });
    await warm.refresh();
    const t: Record<string, number[]> = { warm: [], cold: [], psList: [], ps: [], pidtree: [] };
    for (let r = 0; r < ROUNDS; r++) {
      t.warm.push(await time(() => warm.refresh()));
      t.cold.push(await time(() => new ProcessModel({ scope: 'system' }).refresh()));
      t.psList.push(await time(() => psList({ all: true })));
      t.ps.push(await time(() => execFileP('ps', PS_ARGS, { maxBuffer: 64 << 20 })));
      t.pidtree.push(await time(() => pidtree(-1)));
    }
    const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)]));
    console.log(`ours, steady refresh (server poll): ${fmt(m.warm)}; ours, cold (first look / CLI): ${fmt(m.cold)}`);
    console.log(`ps-list: ${fmt(m.psList)}; ps -eo (same fields): ${fmt(m.ps)}; pidtree(-1): ${fmt(m.pidtree)}`);
    const r1 = m.warm / m.psList;
    const r2 = m.warm / m.ps;
    console.log(`RATIO ours ÷ ps-list = ${r1.toFixed(2)} (goal ≤ 0.40, ${verdict(r1 <= 0.4)}); cold ÷ ps-list = ${(m.cold / m.psList).toFixed(2)}`);
    console.log(`RATIO ours ÷ ps -eo  = ${r2.toFixed(2)} (goal ≤ 0.60, ${verdict(r2 <= 0.6)}); cold ÷ ps -eo = ${(m.cold / m.ps).toFixed(2)}`);

    const stalls: number[] = [];
    const slices: number[] = [];
    const idle: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      collectGarbage(); // what the rounds above left (their first looks' models) is not this snapshot's to collect
      stalls.push(await longestStall(() => warm.refresh()));
      slices.push((warm.scanner as ProcScanner).lastLongestSliceMs);
      // The same wait with nothing to do: what the machine's load alone stalls.
      idle.push(await longestStall(() => new Promise((resolve) => setTimeout(resolve, m.warm))));
    }
    const worst = Math.max(...stalls);
    console.log(`longest event-loop stall during a snapshot: ${fmt(worst)} (median ${fmt(median(stalls))}; longest scan slice ${fmt(Math.max(...slices))}; idle, the same wait stalls up to ${fmt(Math.max(...idle))}) (goal ≤ 10 ms, ${verdict(worst <= 10)})`);
  } finally {
    try {
      process.kill(-holder.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }

}

async function benchPanel(): Promise<void> {
  console.log(`\n## Panel: applying an update of ${TARGET} processes in Chromium`);
  try {
    const { benchWebviewApply } = await import('./webviewBench');
    const w = await benchWebviewApply({ processes: TARGET, repeats: 15, screenshot: 'test-results/webview-bench.png' });
    console.log(`reset: ${fmt(w.resetMs)}; delta changing all ${TARGET}: median ${fmt(w.medianMs)}, max ${fmt(w.maxMs)} (goal ≤ 16 ms, ${verdict(w.medianMs <= 16)})`);
    if (w.cspViolations.length) console.log(`CSP violations: ${w.cspViolations.join(' | ')}`);
  } catch (e) {
    console.log(`webview benchmark could not run: ${(e as Error).message}`);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);

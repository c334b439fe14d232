/**
 * ipc-scope — the command line for terminal users and scripts.
 *   ipc-scope tree [--pid PID] [--system]        pstree-like view with STAT and zombie/orphan marks
 *   ipc-scope snapshot --json [--pid PID]         the model the panel gets, as JSON
 *   ipc-scope stat STAT                           spell out a STAT code
 *   ipc-scope dap                                 the debug adapter, over stdio
 */
import { describeStat, explainStat } from '../../../protocol/stat';
import { ProcessModel } from '../core/model';
import { renderTextTree } from '../core/textTree';
import { PortableScanner } from '../inspect/portable';
import { serveDebugAdapter } from '../debug/serve';
import { run } from './run';
import { plural } from '../core/textTree';
import { ipcReport, renderIpcReport } from './ipc';
import { procAvailable } from '../inspect/procfs';

const USAGE = `Usage:
  ipc-scope tree [--pid PID] [--system] [--width N]
      Print the process tree (the tree under PID, or every process) with STAT codes,
      zombies and orphans marked and explained.
  ipc-scope snapshot --json [--pid PID] [--system]
      Print the same model the IPC Scope panel receives, as JSON.
  ipc-scope stat STAT
      Explain every letter of a ps STAT code, e.g. "Ssl+".
  ipc-scope ipc [--pid PID] [--system] [--json]
      The kernel's view of IPC: pipes, sockets, shared memory and queues between the
      processes, what each one is blocked on, and deadlocks.
  ipc-scope run [--json] [--trace FILE] [--save FILE] -- COMMAND [ARGS...]
      Run a Python program with the IPC Scope runtime and print what passes through its
      queues, pipes and forks (JSON lines with --json). Exits with the program's status.
      At the end, a leak report: shared memory, semaphores, FIFOs and message queues left
      behind, zombies and children still running, and a summary with the events dropped
      (with --json, the last lines {"t":"leaks",…} and {"t":"summary",…}).
      --trace FILE writes the run as a Chrome Trace Event file (ui.perfetto.dev opens it);
      --save FILE as a saved IPC Scope run ("IPC Scope: Open Saved Run…" loads it).
  ipc-scope dap
      The debug adapter (breakpoints on send/receive) over stdin/stdout, for any DAP client
      (VS Code, nvim-dap, Emacs dap-mode): debug type "ipcscope".
  ipc-scope --version | --help`;

class UsageError extends Error {}

function parseArgs(argv: string[]): { cmd: string; flags: Map<string, string | true>; rest: string[] } {
  const [cmd = '', ...args] = argv;
  const flags = new Map<string, string | true>();
  const rest: string[] = [];
  const takesValue = new Set(['--pid', '--width']);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags.set(a.slice(0, eq), a.slice(eq + 1));
      else if (takesValue.has(a)) {
        if (i + 1 >= args.length) throw new UsageError(`${a} needs a value`);
        flags.set(a, args[++i]);
      } else flags.set(a, true);
    } else rest.push(a);
  }
  return { cmd, flags, rest };
}

/** The flags each command takes: any other is a usage error, not silently ignored. */
const FLAGS: Record<string, string[]> = {
  tree: ['--pid', '--system', '--width'],
  snapshot: ['--json', '--pid', '--system'],
  ipc: ['--pid', '--system', '--json'],
  stat: [],
};

function checkFlags(cmd: string, flags: Map<string, string | true>): void {
  const known = FLAGS[cmd];
  if (!known) return;
  for (const f of flags.keys()) if (!known.includes(f)) throw new UsageError(`unknown option for ${cmd}: ${f}`);
}

function pidFlag(flags: Map<string, string | true>): number | null {
  const v = flags.get('--pid');
  if (v === undefined) return null;
  if (v === true || !/^\d+$/.test(v) || Number(v) <= 0) throw new UsageError(`--pid needs a process id (a positive integer), got "${v === true ? '' : v}"`);
  return Number(v);
}

async function modelFor(pid: number | null, system: boolean): Promise<ProcessModel> {
  // Without /proc (macOS, BSD) fall back to ps-list/pidtree, with fewer fields.
  const scanner = procAvailable() ? undefined : new PortableScanner();
  if (scanner) await scanner.scan();
  const model = new ProcessModel({ scope: pid === null || system ? 'system' : 'program', scanner });
  if (pid !== null) model.setWatch(pid);
  await model.refresh();
  return model;
}

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  if (argv[0] === 'dap') return serveDebugAdapter();
  if (argv[0] === 'run') {
    // Everything after "--" (or after the run flags) is the program's command line, untouched.
    const args = argv.slice(1);
    const dash = args.indexOf('--');
    const flags = dash >= 0 ? args.slice(0, dash) : args.filter((a, i) => a.startsWith('--') && args.slice(0, i).every((b) => b.startsWith('--')));
    const command = dash >= 0 ? args.slice(dash + 1) : args.slice(flags.length);
    const files: { trace?: string; save?: string } = {};
    for (let i = 0; i < flags.length; i++) {
      const f = flags[i];
      const file = /^--(trace|save)(?:=(.*))?$/.exec(f);
      if (!file) {
        if (f !== '--json') throw new UsageError(`unknown option for run: ${f}`);
        continue;
      }
      const value = file[2] ?? (dash >= 0 ? flags[++i] : undefined);
      if (!value) throw new UsageError(`${f} needs a file name${dash < 0 ? ' (or put the command after "--")' : ''}`);
      files[file[1] as 'trace' | 'save'] = value;
    }
    if (!command.length) throw new UsageError('run needs a command, e.g. ipc-scope run -- python3 program.py');
    return run(command, { json: flags.includes('--json'), out, ...files });
  }
  const { cmd, flags, rest } = parseArgs(argv);
  checkFlags(cmd, flags);
  switch (cmd) {
    case 'tree': {
      const width = flags.get('--width');
      if (width !== undefined && (width === true || !/^\d+$/.test(width) || Number(width) < 20)) throw new UsageError(`--width needs a number of columns (at least 20), got "${width === true ? '' : width}"`);
      const model = await modelFor(pidFlag(flags), flags.has('--system'));
      const snap = model.snapshot();
      out(renderTextTree(snap.processes, { width: width ? Number(width) : 0, color: process.stdout.isTTY === true }) + '\n');
      const s = snap.stats;
      out(`${plural(s.processes, 'process', 'processes')}, ${plural(s.zombies, 'zombie')}, ${plural(s.orphans, 'orphan')}${s.restricted ? `, ${s.restricted} restricted` : ''}\n`);
      return 0;
    }
    case 'snapshot': {
      if (!flags.has('--json')) throw new UsageError('snapshot prints JSON: add --json');
      const model = await modelFor(pidFlag(flags), flags.has('--system'));
      out(JSON.stringify(model.snapshot(), null, 2) + '\n');
      return 0;
    }
    case 'ipc': {
      if (!procAvailable()) throw new Error("ipc reads the kernel's view of IPC from /proc: it needs Linux");
      const pid = pidFlag(flags);
      const system = pid === null || flags.has('--system');
      const report = await ipcReport(await modelFor(pid, system), system);
      out(flags.has('--json') ? JSON.stringify(report, null, 2) + '\n' : renderIpcReport(report));
      return 0;
    }
    case 'stat': {
      if (rest.length !== 1 || !/^[A-Za-z<+]+$/.test(rest[0])) throw new UsageError('stat needs one STAT code, e.g. "Ssl+"');
      out(describeStat(rest[0]) + '\n');
      return explainStat(rest[0]).some((l) => l.title === 'unknown') ? 1 : 0;
    }
    case '--version':
    case 'version':
      out(`ipc-scope ${VERSION}\n`);
      return 0;
    case '':
    case '--help':
    case '-h':
    case 'help':
      out(USAGE + '\n');
      return 0;
    default:
      throw new UsageError(`unknown command "${cmd}"`);
  }
}

declare const IPC_SCOPE_VERSION: string | undefined;
const VERSION = typeof IPC_SCOPE_VERSION === 'string' ? IPC_SCOPE_VERSION : 'dev';

/** Exits once stdout has taken everything written: a pipe takes a large report in several writes,
 * and process.exit() alone drops what is still queued (an `ipc --json` of 2000 processes was cut). */
function exitAfterOutput(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

if (require.main === module) {
  main(process.argv.slice(2)).then(exitAfterOutput, (e: Error) => {
    process.stderr.write(`ipc-scope: ${e.message}\n`);
    if (e instanceof UsageError) process.stderr.write(USAGE + '\n');
    exitAfterOutput(e instanceof UsageError ? 2 : 1);
  });
}


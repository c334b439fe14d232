/** Shared helpers for tests that drive real processes. */
import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodePreview } from '../../server/src/core/preview';
import type { LeakReport } from '../../protocol/protocol';
import type { HubEvent } from '../../server/src/hub/hub';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const examplesDir = path.join(repoRoot, 'examples');
export const runtimeDir = path.join(repoRoot, 'runtime');
/**
 * The real interpreter, not a launcher script: pyenv's `python3` shim is a bash script that forks
 * helpers before it execs Python, and those would show up as the program's children.
 */
export const python = resolveInterpreter(process.env.IPC_SCOPE_TEST_PYTHON || 'python3');

function resolveInterpreter(cmd: string): string {
  try {
    return execFileSync(cmd, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim() || cmd;
  } catch {
    return cmd;
  }
}

const started: ChildProcess[] = [];
const extraPids: number[] = [];

/** Also kill this pid (e.g. a grandchild in its own session) in killAll(). */
export function track(pid: number): void {
  extraPids.push(pid);
}

/** Starts a process that is killed (with its group) when killAll() runs. */
export function start(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, ...opts.env }, cwd: opts.cwd });
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  started.push(child);
  return child;
}

export function startPython(code: string, args: string[] = []): ChildProcess {
  return start(python, ['-c', code, ...args]);
}

/**
 * Python that forks a child joined to its parent by a pipe (parent writes, child reads) and a
 * socketpair (one end each); the child sleeps, and the parent goes on with the code that follows,
 * holding `w` (the pipe's write end), `a` (its socket end) and `pid` (the child's).
 */
export const PIPE_AND_SOCKETPAIR_TO_CHILD = `
import os, socket, time
r, w = os.pipe()
a, b = socket.socketpair()
pid = os.fork()
if pid == 0:
    os.close(w); a.close()
    time.sleep(120); os._exit(0)
os.close(r); b.close()
`;

export function startExample(name: string, args: string[] = [], launcher = false): ChildProcess {
  const file = path.join(examplesDir, name);
  if (launcher) return start(python, ['-m', 'ipcscope', file, ...args], { env: { PYTHONPATH: runtimeDir } });
  return start(python, ['-u', file, ...args]);
}

/** Resolves with the first stdout line matching re (its match), rejects after ms. */
export function waitForOutput(child: ChildProcess, re: RegExp, ms = 10_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${re} in output: ${JSON.stringify(buf)} stderr: ${JSON.stringify(err)}`)), ms);
    child.stderr!.on('data', (d: string) => (err += d));
    const onData = (d: string) => {
      buf += d;
      const m = re.exec(buf);
      if (m) {
        clearTimeout(t);
        child.stdout!.off('data', onData);
        resolve(m);
      }
    };
    child.stdout!.on('data', onData);
  });
}

export async function until<T>(what: string, fn: () => T | Promise<T>, ms = 10_000, every = 100): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last as NonNullable<T>;
    await sleep(every);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
}

/** The 1-based line of the first line of `file` containing `text`. */
export function lineOf(file: string, text: string): number {
  const i = fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`${text} not found in ${file}`);
  return i + 1;
}

/** `text` as a regular expression matching it literally (a file path in an expected message). */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function killAll(): void {
  for (const pid of extraPids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  for (const c of started.splice(0)) {
    // A grandchild may hold our pipes open: do not let it keep the test runner alive.
    c.stdout?.destroy();
    c.stderr?.destroy();
    c.unref();
    try {
      if (c.pid) process.kill(-c.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    try {
      c.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/** `ps -o stat=` for each pid, or every pid when none are given. */
export function psStats(): Map<number, string> {
  const out = execFileSync('ps', ['-eo', 'pid=,stat='], { encoding: 'utf8' });
  const m = new Map<number, string>();
  for (const line of out.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length === 2) m.set(Number(parts[0]), parts[1]);
  }
  return m;
}

export function procState(pid: number): string | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return s.slice(s.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return null;
  }
}

/** Pids of the given processes and all their descendants, from /proc. */
export function family(roots: number | Iterable<number>): Set<number> {
  const kids = new Map<number, number[]>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const s = fs.readFileSync(`/proc/${e}/stat`, 'latin1');
      const ppid = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
      kids.set(ppid, [...(kids.get(ppid) ?? []), Number(e)]);
    } catch {
      // gone
    }
  }
  const start = typeof roots === 'number' ? [roots] : [...roots];
  const out = new Set(start);
  const q = [...start];
  while (q.length) for (const c of kids.get(q.pop()!) ?? []) if (!out.has(c)) (out.add(c), q.push(c));
  return out;
}

/** The first descendant of `root` whose comm is `name`, from /proc (null if none yet). */
export function descendantNamed(root: number, name: string): number | null {
  const children = new Map<number, number[]>();
  const comm = new Map<number, string>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const s = fs.readFileSync(`/proc/${entry}/stat`, 'latin1');
      const ppid = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
      comm.set(Number(entry), s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')));
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // vanished while we looked
    }
  }
  const queue = [...(children.get(root) ?? [])];
  while (queue.length) {
    const pid = queue.shift()!;
    if (comm.get(pid) === name) return pid;
    queue.push(...(children.get(pid) ?? []));
  }
  return null;
}

/** Runs a command under `ipc-scope run --json` (the real hub and runtime); the program's output is in programOut. */
export function runJson(args: string[], timeout = 120_000, runFlags: string[] = []): { events: HubEvent[]; status: number | null; programOut: string; leaks: LeakReport | null } {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'out', 'cli.js'), 'run', '--json', ...runFlags, '--', ...args], { encoding: 'utf8', timeout, maxBuffer: 512 << 20 });
  if (r.error) throw new Error(`ipc-scope run failed: ${r.error.message}`);
  const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as HubEvent | { t: 'leaks'; report: LeakReport });
  const events = lines.filter((l): l is HubEvent => 'k' in l);
  const leaks = lines.find((l): l is { t: 'leaks'; report: LeakReport } => 't' in l && l.t === 'leaks')?.report ?? null;
  return { events, status: r.status, programOut: r.stderr, leaks };
}

/** An event's payload as the panel shows it (the restricted decoder). */
export const previewText = (e: HubEvent): string => decodePreview(Buffer.from(e.pv, 'base64'), e.pf, e.size).text;

/**
 * Unix socket peers from `ss -xaH` (sock_diag, without walking /proc), run from a worker thread:
 * starting a process blocks the thread that starts it for 10–40 ms (fork, then waiting for the exec),
 * which on the server's thread is an event-loop stall. The worker also parses the output, so the
 * server receives one array of inode pairs.
 */
import { execFile } from 'node:child_process';
import { Worker, isMainThread } from 'node:worker_threads';

/** Self-contained (it runs from a string): runs ss for each request, answers [local, peer, local, peer, …] or null. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { execFile } = require('node:child_process');
const parsePeers = ${parsePeers.toString()};
parentPort.on('message', ({ id, command }) => {
  execFile(command, ['-xaH'], { maxBuffer: 256 << 20 }, (err, stdout) => {
    const pairs = err ? null : Float64Array.from(parsePeers(stdout));
    parentPort.postMessage({ id, pairs }, pairs ? [pairs.buffer] : []);
  });
});
`;

/** `ss -xaH` lines: the local inode is third from the end, the peer's last (0 or * when none). */
function parsePeers(stdout: string): number[] {
  const pairs: number[] = [];
  for (const line of stdout.split('\n')) {
    const c = line.trim().split(/\s+/);
    if (c.length < 8) continue;
    const peer = Number(c[c.length - 1]);
    const local = Number(c[c.length - 3]);
    if (local > 0 && peer > 0) pairs.push(local, peer);
  }
  return pairs;
}

let worker: Worker | null | undefined;
let nextId = 0;
const pending = new Map<number, (pairs: Float64Array | null) => void>();

function peerWorker(): Worker | null {
  if (worker !== undefined) return worker;
  if (!isMainThread) return (worker = null); // already off the main thread (the gathering's worker): run ss from here
  try {
    worker = new Worker(WORKER_SOURCE, { eval: true });
  } catch {
    return (worker = null);
  }
  worker.unref(); // an idle worker never keeps the process alive; a pending request does (ref below)
  worker.on('message', ({ id, pairs }: { id: number; pairs: Float64Array | null }) => {
    pending.get(id)?.(pairs);
    pending.delete(id);
    if (pending.size === 0) worker?.unref();
  });
  const fail = () => {
    worker = null; // the next request starts ss from this thread
    for (const done of pending.values()) done(null);
    pending.clear();
  };
  worker.on('error', fail);
  worker.on('exit', fail);
  return worker;
}

/** inode → peer inode of every connected Unix socket; null without ss. */
export function unixPeers(command: string): Promise<Map<number, number> | null> {
  const toMap = (pairs: ArrayLike<number> | null) => {
    if (!pairs) return null;
    const out = new Map<number, number>();
    for (let i = 0; i + 1 < pairs.length; i += 2) out.set(pairs[i], pairs[i + 1]);
    return out;
  };
  const w = peerWorker();
  if (!w) return new Promise((resolve) => execFile(command, ['-xaH'], { maxBuffer: 256 << 20 }, (err, stdout) => resolve(err ? null : toMap(parsePeers(stdout)))));
  return new Promise((resolve) => {
    const id = nextId++;
    pending.set(id, (pairs) => resolve(toMap(pairs)));
    w.ref();
    w.postMessage({ id, command });
  });
}

/**
 * The kernel's view of IPC, for any process (the reading itself: ipcGatherer.ts). The /proc reads run
 * in a worker thread (ipcWorker.ts, bundled as out/ipcWorker.js): on the server's thread, even cut into
 * 2 ms slices, they stalled the event loop for 24–61 ms on a loaded machine (GC and preemption
 * inside a slice). The main thread only decodes what changed since the last look (ipcWire.ts).
 * When no worker can start, the gathering runs here, in slices.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DEFAULT_PROC_ROOT, listPidsAsync } from './procfs';
import { GatherOptions, IpcGather, IpcGatherer, READER_LIMITS } from './ipcGatherer';
import { Chunk, FromWorker, GatherDelta, ReceivedState, ToWorker, WireGatherOptions, decodeChunk } from './ipcWire';

export type { GatherOptions, IpcGather, ProcIpc, ThreadSample } from './ipcGatherer';

/** out/ipcWorker.js beside the bundle that runs (out/server.js, out/cli.js) or one level up (the tests in out/test/). */
function defaultWorkerFile(): string | null {
  for (const f of [join(__dirname, 'ipcWorker.js'), join(__dirname, '..', 'ipcWorker.js')]) if (existsSync(f)) return f;
  return null;
}

/** How long a look in the worker may take before it is given up on (a first look of 2,000 processes takes about 0.15 s). */
const WORKER_ANSWER_MS = 20_000;

/** A worker's answer to a look: its delta, and its chunks, decoded as they came. */
interface WorkerAnswer {
  delta: GatherDelta;
  chunks: Chunk[];
  /** The longest of the event-loop turns the chunks were decoded in, and how many. */
  longestMs: number;
  turns: number;
}

interface PendingLook {
  resolve: (a: WorkerAnswer) => void;
  reject: (e: Error) => void;
  answer: Omit<WorkerAnswer, 'delta'> & { error: Error | null };
  /** Chunks received, not yet decoded (the first is being decoded next turn). */
  waiting: string[];
  /** The answer came while chunks still waited: settles once they are decoded. */
  settle: (() => void) | null;
}

/** One worker thread, shared by every scanner that names its file; idle, it never keeps the process alive. */
class GatherWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, PendingLook>();
  private nextId = 0;
  /** It could not start, or died: its scanners gather on the main thread from now on. */
  failed: Error | null = null;

  constructor(file: string) {
    this.worker = new Worker(file, { resourceLimits: READER_LIMITS });
    this.worker.unref();
    this.worker.on('message', (m: FromWorker) => {
      const p = this.pending.get(m.id);
      if (m.type === 'chunk') {
        // Decoded while the worker encodes the next, one per event-loop turn: Node hands every message
        // that has arrived to one turn, so decoding each as it comes would make that turn long.
        if (!p) return;
        p.waiting.push(m.text);
        if (p.waiting.length === 1) setImmediate(() => this.decodeNext(p));
        return;
      }
      this.pending.delete(m.id);
      if (this.pending.size === 0) this.worker.unref();
      if (!p) return;
      if (m.type === 'failed') p.reject(new Error(m.message));
      else if (p.waiting.length) p.settle = () => this.settle(p, m.delta);
      else this.settle(p, m.delta);
    });
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => this.fail(new Error(`the gathering's worker exited (${code})`)));
  }

  private decodeNext(p: PendingLook): void {
    const t0 = performance.now();
    try {
      if (!p.answer.error) p.answer.chunks.push(decodeChunk(p.waiting[0]));
    } catch (e) {
      p.answer.error = e as Error;
    }
    p.answer.longestMs = Math.max(p.answer.longestMs, performance.now() - t0);
    p.answer.turns++;
    p.waiting.shift();
    if (p.waiting.length) setImmediate(() => this.decodeNext(p));
    else p.settle?.();
  }

  private settle(p: PendingLook, delta: GatherDelta): void {
    if (p.answer.error) p.reject(p.answer.error);
    else p.resolve({ ...p.answer, delta });
  }

  private fail(e: Error): void {
    this.failed ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  request(m: Omit<Extract<ToWorker, { type: 'gather' }>, 'id'>, answerMs: number): Promise<WorkerAnswer> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // A worker stuck (a read of a process in D state, say) is given up on: looks run here from then on.
      const timer = setTimeout(() => {
        this.fail(new Error(`the gathering's worker did not answer in ${answerMs / 1000} s`));
        void this.worker.terminate();
      }, answerMs);
      timer.unref();
      const done = <T>(f: (v: T) => void) => (v: T) => {
        clearTimeout(timer);
        f(v);
      };
      this.pending.set(id, { resolve: done(resolve), reject: done(reject), answer: { chunks: [], longestMs: 0, turns: 0, error: null }, waiting: [], settle: null });
      this.worker.ref();
      this.worker.postMessage({ ...m, id } satisfies ToWorker);
    });
  }

  drop(scanner: number): void {
    if (!this.failed) this.worker.postMessage({ type: 'drop', scanner } satisfies ToWorker);
  }
}

const workers = new Map<string, GatherWorker>();
/** A scanner nobody holds any more: its worker forgets what it read for it. */
const forget = new FinalizationRegistry<{ worker: GatherWorker; scanner: number }>(({ worker, scanner }) => worker.drop(scanner));
let nextScanner = 0;

export interface ScannerOptions {
  /** The worker's bundle (default: out/ipcWorker.js); null: gather on the main thread. */
  workerFile?: string | null;
  /** How long a look in the worker may take before the worker is given up on (default 20 s). */
  workerAnswerMs?: number;
  /** Read a first look with the worker's helper thread too (default true; false: one thread, for comparison). */
  helperThread?: boolean;
}

export class IpcObjectScanner {
  private readonly id = nextScanner++;
  private readonly workerFile: string | null;
  private readonly workerAnswerMs: number;
  private readonly helperThread: boolean;
  private received = new ReceivedState();
  /** The worker must answer with everything: this thread's copy is new or was lost. */
  private resend = true;
  /** Gathers on the main thread when no worker can, and resamples threads (a few files, for the deadlock check). */
  private local: IpcGatherer | null = null;
  /** Gatherings one after another: each applies its change to the last. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Which ss to run for socket peers (tests point it at a missing binary). */
  ssCommand = 'ss';
  /** Longest stretch of the last gathering on the main thread, ms: decoding the worker's answer, or a slice of a gathering done here. */
  lastLongestSliceMs = 0;
  /** Why the last gathering ran on the main thread (null: it ran in the worker). */
  workerProblem: string | null = null;

  constructor(
    private readonly procRoot = process.env.IPC_SCOPE_PROC_ROOT || DEFAULT_PROC_ROOT,
    private readonly shmDir = '/dev/shm',
    private readonly mqueueDir = '/dev/mqueue',
    opts: ScannerOptions = {},
  ) {
    this.workerFile = opts.workerFile === undefined ? defaultWorkerFile() : opts.workerFile;
    this.workerAnswerMs = opts.workerAnswerMs ?? WORKER_ANSWER_MS;
    this.helperThread = opts.helperThread ?? true;
  }

  gather(opts: GatherOptions = {}): Promise<IpcGather> {
    const run = this.queue.then(() => this.gatherNow(opts));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async gatherNow(opts: GatherOptions): Promise<IpcGather> {
    const worker = this.worker();
    if (worker) {
      const t0 = performance.now();
      try {
        const config = { procRoot: this.procRoot, shmDir: this.shmDir, mqueueDir: this.mqueueDir, ssCommand: this.ssCommand, helperThread: this.helperThread };
        const { delta, chunks, longestMs, turns } = await worker.request({ type: 'gather', scanner: this.id, config, opts: await wireOptions(opts, this.procRoot), resend: this.resend }, this.workerAnswerMs);
        this.resend = false;
        let g: IpcGather;
        try {
          g = this.received.apply(delta, chunks, longestMs, turns);
        } catch (e) {
          this.received = new ReceivedState();
          this.resend = true;
          throw e;
        }
        g.gatherMs = performance.now() - t0;
        this.lastLongestSliceMs = g.longestSliceMs;
        this.workerProblem = null;
        return g;
      } catch (e) {
        // The worker died (or failed this look): this look and the next ones run here.
        this.workerProblem = (e as Error).message;
      }
    }
    const g = await this.gatherer().gather(opts);
    g.gatheredIn = 'main';
    this.lastLongestSliceMs = g.longestSliceMs;
    return g;
  }

  /** The shared worker for this scanner's file, started on first use; null when it cannot run. */
  private worker(): GatherWorker | null {
    if (!this.workerFile) {
      this.workerProblem ??= 'no ipcWorker.js beside the bundle';
      return null;
    }
    let w = workers.get(this.workerFile);
    if (!w) {
      try {
        w = new GatherWorker(this.workerFile);
      } catch (e) {
        this.workerProblem = (e as Error).message;
        return null;
      }
      workers.set(this.workerFile, w);
    }
    if (w.failed) {
      this.workerProblem = w.failed.message;
      return null;
    }
    if (!this.registered) {
      forget.register(this, { worker: w, scanner: this.id });
      this.registered = true;
    }
    return w;
  }
  private registered = false;

  private gatherer(): IpcGatherer {
    if (!this.local) this.local = new IpcGatherer(this.procRoot, this.shmDir, this.mqueueDir);
    this.local.ssCommand = this.ssCommand;
    return this.local;
  }

  /**
   * Each thread's syscall now, with its context-switch count: a thread that did not move between two
   * samples was stuck all along. (A few files per thread: read here, no round trip.)
   */
  resample(pid: number): Map<number, string> {
    return this.gatherer().resample(pid);
  }
}

/** The options as they cross to the worker: a detailsFor function asked here about every pid. */
async function wireOptions(opts: GatherOptions, procRoot: string): Promise<WireGatherOptions> {
  const { detailsFor, ...rest } = opts;
  if (typeof detailsFor !== 'function') return { ...rest, detailsFor };
  const pids = opts.pids ?? (await listPidsAsync(procRoot));
  return { ...rest, detailsFor: new Set(pids.filter(detailsFor)) };
}

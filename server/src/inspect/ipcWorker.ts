/**
 * The gathering's worker thread (bundled as out/ipcWorker.js): reads /proc for each IpcObjectScanner
 * on the main thread, keeping each scanner's gatherer (and what it read) between looks, and answers
 * with what changed since its last answer (ipcWire.ts).
 *
 * The same file, started by it with the role "reader", is its helper: a first look reads every process,
 * and two threads share them (ReadJob in ipcGatherer.ts). The helper stops when it has been idle for
 * HELPER_IDLE_MS; later looks reuse what was read and need no help.
 */
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { FreshRead, IpcGatherer, READER_LIMITS, ReadHelper, ReadJob } from './ipcGatherer';
import { FromWorker, SentState, ToWorker, decodeReads, encodeReads } from './ipcWire';

const HELPER_IDLE_MS = 30_000;
const port = parentPort!;

interface ScannerState {
  gatherer: IpcGatherer;
  sent: SentState;
}

interface HelpRequest {
  id: number;
  job: ReadJob;
}

/** Sent per chunk read (encodeReads), then once with done. */
interface HelpAnswer {
  id: number;
  read: string;
  done: boolean;
}

/** The reader thread, started on demand, stopped when idle; a failure answers null (the gathering reads it all). */
class ReaderThread implements ReadHelper {
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, { read: Map<number, FreshRead>; done: (read: Map<number, FreshRead> | null) => void }>();
  private nextId = 1;
  private idle: NodeJS.Timeout | null = null;

  prepare(): void {
    this.stayAwake();
    if (!this.worker) this.start();
    this.idleLater(); // a look too small to need it lets it go
  }

  private start(): void {
    let w: Worker;
    try {
      w = new Worker(__filename, { workerData: { role: 'reader' }, resourceLimits: READER_LIMITS });
    } catch {
      return;
    }
    this.worker = w;
    w.on('message', (m: HelpAnswer) => {
      const job = this.waiting.get(m.id);
      if (!job) return;
      for (const [pid, fresh] of decodeReads(m.read)) job.read.set(pid, fresh);
      if (!m.done) return;
      this.waiting.delete(m.id);
      job.done(job.read);
      this.idleLater();
    });
    const gone = () => {
      if (this.worker !== w) return;
      this.worker = null;
      for (const job of this.waiting.values()) job.done(null);
      this.waiting.clear();
    };
    w.on('error', gone);
    w.on('exit', gone);
  }

  read(job: ReadJob): Promise<Map<number, FreshRead> | null> {
    this.prepare();
    const w = this.worker;
    if (!w) return Promise.resolve(null);
    const id = this.nextId++;
    this.stayAwake();
    return new Promise((resolve) => {
      this.waiting.set(id, { read: new Map(), done: resolve });
      w.postMessage({ id, job } satisfies HelpRequest);
    });
  }

  private stayAwake(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
  }

  private idleLater(): void {
    if (this.waiting.size || this.idle || !this.worker) return;
    this.idle = setTimeout(() => {
      this.idle = null;
      if (this.waiting.size) return;
      const w = this.worker;
      this.worker = null;
      void w?.terminate();
    }, HELPER_IDLE_MS);
    this.idle.unref();
  }
}

function serveAsReader(): void {
  port.on('message', async ({ id, job }: HelpRequest) => {
    try {
      await new IpcGatherer(job.procRoot, job.shmDir, job.mqueueDir, Infinity).helpRead(job, (read) => port.postMessage({ id, read: encodeReads(read), done: false } satisfies HelpAnswer));
    } catch {
      // what it could not read, the gathering reads
    }
    port.postMessage({ id, read: '[]', done: true } satisfies HelpAnswer);
  });
}

function serveAsGatherer(): void {
  const scanners = new Map<number, ScannerState>();
  const reader = new ReaderThread();

  async function answer(m: Extract<ToWorker, { type: 'gather' }>): Promise<void> {
    let reply: FromWorker;
    try {
      let s = scanners.get(m.scanner);
      if (!s) {
        // Nothing on this thread waits for its event loop: no slices.
        s = { gatherer: new IpcGatherer(m.config.procRoot, m.config.shmDir, m.config.mqueueDir, Infinity), sent: new SentState() };
        s.gatherer.helper = m.config.helperThread ? reader : null;
        scanners.set(m.scanner, s);
      }
      if (m.resend) s.sent = new SentState();
      s.gatherer.ssCommand = m.config.ssCommand;
      const g = await s.gatherer.gather(m.opts);
      // Each chunk leaves as soon as it is encoded: the main thread decodes it while this thread encodes the next.
      const send = (text: string) => port.postMessage({ type: 'chunk', id: m.id, text } satisfies FromWorker);
      reply = { type: 'gathered', id: m.id, delta: s.sent.delta(g, m.opts.pids !== undefined, send) };
    } catch (e) {
      reply = { type: 'failed', id: m.id, message: String((e as Error)?.stack ?? e) };
    }
    port.postMessage(reply);
  }

  port.on('message', (m: ToWorker) => {
    if (m.type === 'drop') {
      scanners.delete(m.scanner);
      return;
    }
    void answer(m);
  });
}

if ((workerData as { role?: string } | null)?.role === 'reader') serveAsReader();
else serveAsGatherer();

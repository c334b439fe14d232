/**
 * The gathering's worker thread (bundled as out/ipcWorker.js): reads /proc for each IpcObjectScanner
 * on the main thread, keeping each scanner's gatherer (and what it read) between looks, and answers
 * with what changed since its last answer (ipcWire.ts).
 */
import { parentPort } from 'node:worker_threads';
import { IpcGatherer } from './ipcGatherer';
import { FromWorker, SentState, ToWorker } from './ipcWire';

interface ScannerState {
  gatherer: IpcGatherer;
  sent: SentState;
}

const scanners = new Map<number, ScannerState>();
const port = parentPort!;

port.on('message', (m: ToWorker) => {
  if (m.type === 'drop') {
    scanners.delete(m.scanner);
    return;
  }
  void answer(m);
});

async function answer(m: Extract<ToWorker, { type: 'gather' }>): Promise<void> {
  let reply: FromWorker;
  try {
    let s = scanners.get(m.scanner);
    if (!s) {
      // Nothing on this thread waits for its event loop: no slices.
      s = { gatherer: new IpcGatherer(m.config.procRoot, m.config.shmDir, m.config.mqueueDir, Infinity), sent: new SentState() };
      scanners.set(m.scanner, s);
    }
    if (m.resend) s.sent = new SentState();
    s.gatherer.ssCommand = m.config.ssCommand;
    const g = await s.gatherer.gather(m.opts);
    reply = { type: 'gathered', id: m.id, delta: s.sent.delta(g, m.opts.pids !== undefined) };
  } catch (e) {
    reply = { type: 'failed', id: m.id, message: String((e as Error)?.stack ?? e) };
  }
  port.postMessage(reply, reply.type === 'gathered' ? reply.delta.chunks.map((c) => c.buffer as ArrayBuffer) : []);
}

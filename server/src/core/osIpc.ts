/**
 * One look at the OS view of IPC: gather every process's IPC objects (all of them, so that the
 * other end of a pipe is known even when its holder is outside the program), then edges, blocked-on
 * and confirmed deadlocks for the processes in view. Shared by the language server, the CLI and tests.
 */
import type { OsIpcUpdate } from '../../../protocol/protocol';
import { IpcGather, IpcObjectScanner } from '../inspect/ipcObjects';
import { DeadlockDetector, RuntimeKnowledge, analyseWaits, osIpcUpdate } from './waitFor';

export class OsIpcMonitor {
  readonly scanner: IpcObjectScanner;
  private readonly detector: DeadlockDetector;
  /** The last gathering (for tests and the benchmark). */
  lastGather: IpcGather | null = null;

  constructor(scanner = new IpcObjectScanner(), confirmMs?: number) {
    this.scanner = scanner;
    this.detector = new DeadlockDetector(scanner, confirmMs);
  }

  /** `inView`: the processes shown (null: all); a set crosses to the gathering's worker as is. */
  async update(inView: ReadonlySet<number> | ((pid: number) => boolean) | null, knows?: RuntimeKnowledge, wchanOf?: (pid: number) => string): Promise<OsIpcUpdate> {
    const view = typeof inView === 'function' ? inView : inView ? (pid: number) => inView.has(pid) : () => true;
    // Syscalls and mappings of the processes in view only (one outside is never part of a reported deadlock);
    // every process's fds, so the other end of a pipe is known wherever it is.
    const g = await this.scanner.gather({ detailsFor: inView ?? undefined });
    this.lastGather = g;
    const analysis = analyseWaits(g, view, knows, wchanOf);
    // Deadlocks that touch the view (a stuck program may be waited on by processes outside it).
    const relevant = analysis.candidates.filter((d) => d.pids.some(view) || d.waiting.some(view));
    const deadlocks = await this.detector.check(g, relevant);
    return osIpcUpdate(g, view, analysis, deadlocks, knows);
  }
}

/**
 * The panel's run records: the leak report shown when the watched program ends, and a saved run
 * shown read-only (a banner says so; the live toolbar is hidden until "Back to live"). Text only.
 */
import type { HostToWebview, LeakItem, LeakReport, RunRecordFromWebview, RunRecordToWebview, SavedRun, Snapshot, StatusInfo, WebviewToHost } from '../../protocol/protocol';
import { PROTOCOL_VERSION } from '../../protocol/protocol';
import { baseLoc, el } from './dom';
import { button } from './toolkit';

const KIND_LABEL: Record<string, string> = {
  shm: 'shared memory',
  semaphore: 'semaphore',
  fifo: 'FIFO',
  mqueue: 'message queue',
  zombie: 'zombie',
  running: 'still running',
};

export function isRunRecordMessage(m: unknown): m is RunRecordToWebview {
  const t = m && typeof m === 'object' ? (m as { type?: unknown }).type : undefined;
  return t === 'leaks' || t === 'savedRun' || t === 'live';
}

export class RunRecordsView {
  /** Shown above the tree while a saved run is on screen. */
  readonly banner = el('div', 'saved-run-banner');
  /** The leak report. */
  readonly section = el('section', 'leaks');
  private savedTitle = el('span', 'saved-run-title');
  private saved: SavedRun | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly apply: (m: HostToWebview) => void,
    private readonly post: (m: RunRecordFromWebview | WebviewToHost) => void,
  ) {
    this.banner.hidden = true;
    this.banner.setAttribute('role', 'status');
    this.banner.append(this.savedTitle, button('Back to live', () => this.post({ type: 'closeSavedRun' }), { secondary: true, title: 'Leave the saved run and show the live process tree' }));
    this.section.hidden = true;
    this.section.setAttribute('aria-label', 'Leak report');
  }

  get showingSaved(): boolean {
    return this.saved !== null;
  }

  handle(m: RunRecordToWebview): void {
    switch (m.type) {
      case 'leaks':
        if (!this.saved) this.showLeaks(m.report);
        break;
      case 'savedRun':
        this.showSaved(m.fileName, m.run);
        break;
      case 'live':
        this.saved = null;
        this.banner.hidden = true;
        this.root.classList.remove('saved-run');
        this.showLeaks(null);
        this.post({ type: 'refresh' }); // the live tree and channels again
        break;
    }
  }

  private showSaved(fileName: string, run: SavedRun): void {
    this.saved = run;
    this.root.classList.add('saved-run');
    this.savedTitle.textContent = `Saved run (read-only): ${fileName} — ${run.label}, saved ${new Date(run.savedAt).toLocaleString()}`;
    this.banner.hidden = false;
    const zombies = run.processes.filter((p) => p.zombie).length;
    const orphans = run.processes.filter((p) => p.orphan).length;
    const snapshot: Snapshot = {
      version: PROTOCOL_VERSION,
      seq: 0,
      takenAt: run.savedAt,
      scope: 'program',
      watch: run.watch,
      processes: run.processes,
      ended: run.ended,
      stats: { processes: run.processes.length, zombies, orphans, restricted: 0, scanMs: 0 },
    };
    const root = run.watch ? run.ended.find((p) => p.pid === run.watch!.pid && (!run.watch!.key || p.key === run.watch!.key)) : undefined;
    const status: StatusInfo = { watch: run.watch, scope: 'program', processes: run.processes.length, zombies, orphans, programEnded: root?.ended ?? null };
    this.apply({ type: 'reset', snapshot });
    this.apply({ type: 'status', status });
    this.apply({ type: 'channels', update: { full: true, channels: run.channels, removed: [], timeline: run.timeline, omitted: 0, received: 0, dropped: 0, protocolErrors: 0 } });
    this.showLeaks(run.leaks);
  }

  private showLeaks(report: LeakReport | null): void {
    this.section.hidden = !report;
    if (!report) {
      this.section.replaceChildren();
      return;
    }
    const n = report.items.length + report.omitted;
    const head = el('h3', n ? 'leaks-title has-leaks' : 'leaks-title', n ? `${report.program} left ${n} thing${n === 1 ? '' : 's'} behind` : `${report.program} ended and left nothing behind`);
    const list = el('ul', 'leak-list');
    for (const item of report.items) list.append(this.itemRow(item));
    if (report.omitted) list.append(el('li', 'muted', `… and ${report.omitted} more`));
    const checked = el('p', 'muted leaks-checked', `Checked: ${report.checked.join('; ')}.`);
    this.section.replaceChildren(head, list, checked);
  }

  private itemRow(i: LeakItem): HTMLElement {
    const li = el('li', 'leak-item');
    li.dataset.kind = i.kind;
    const top = el('div', 'leak-head');
    top.append(el('span', `leak-kind leak-kind-${i.kind}`, KIND_LABEL[i.kind] ?? i.kind), el('span', 'leak-name', i.name));
    const created = el('div', 'leak-created', i.createdAt ? `created at ${baseLoc(i.createdAt)}` : 'creation not seen by the runtime');
    if (i.createdAt) created.title = i.createdAt;
    li.append(top, created, el('div', 'leak-detail', i.detail), el('div', 'leak-fix muted', `Fix: ${i.fix}`));
    return li;
  }
}

/** Processes stopped by the debugger (breakpoints on send/receive): where, on what, and Continue. */
import type { PausedProcess } from '../../protocol/debug';
import { baseLoc, el } from './dom';
import { button } from './toolkit';

export class PausedView {
  readonly element = el('section', 'paused');
  private pids = new Set<number>();

  constructor(private readonly onContinue: (pid: number) => void) {
    this.element.id = 'paused';
    this.element.setAttribute('aria-label', 'Paused processes');
    this.element.hidden = true;
  }

  /** Is this pid stopped by the debugger? (the tree marks it) */
  has(pid: number): boolean {
    return this.pids.has(pid);
  }

  update(paused: PausedProcess[]): void {
    this.pids = new Set(paused.map((p) => p.pid));
    this.element.replaceChildren();
    this.element.hidden = paused.length === 0;
    if (!paused.length) return;
    this.element.append(el('h2', 'paused-title', paused.length === 1 ? '1 process paused by the debugger' : `${paused.length} processes paused by the debugger`));
    const list = el('ul', 'paused-list');
    for (const p of paused) {
      const item = el('li', 'paused-item');
      item.dataset.pid = String(p.pid);
      const where = el('div', 'paused-where');
      where.append(el('span', 'pid', String(p.pid)), document.createTextNode(' '), el('span', 'paused-process', p.process || 'process'), document.createTextNode(` ${describe(p)} `), el('span', 'paused-loc', p.loc ? `at ${baseLoc(p.loc)}` : ''));
      item.append(where);
      if (p.message) item.append(el('code', 'paused-message', p.message));
      item.append(button('Continue', () => this.onContinue(p.pid), { secondary: true, title: `Continue pid ${p.pid}`, ariaLabel: `Continue process ${p.pid}` }));
      list.append(item);
    }
    this.element.append(list);
  }
}

function describe(p: PausedProcess): string {
  switch (p.reason) {
    case 'entry':
      return 'stopped on entry';
    case 'pause':
      return `paused${p.channel ? ` on ${p.channel}` : ''}`;
    case 'step':
      return `stepped to ${p.channel || 'its next send or receive'}`;
    default:
      return `hit a breakpoint${p.channel ? ` on ${p.channel}` : ''}`;
  }
}

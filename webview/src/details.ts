/** The details pane for the selected process. Every value goes through textContent. */
import type { ProcessInfo } from '../../protocol/protocol';
import { explainStat } from '../../protocol/stat';
import { formatCpu, formatDuration, formatKb, visible } from './format';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function section(title: string, cls: string, lines: Array<[string, string]>): HTMLElement {
  const s = el('section', `details-section ${cls}`);
  s.appendChild(el('h3', undefined, title));
  for (const [label, text] of lines) {
    const p = el('p');
    if (label) p.appendChild(el('strong', undefined, `${label} `));
    p.appendChild(document.createTextNode(text));
    s.appendChild(p);
  }
  return s;
}

export function renderDetails(host: HTMLElement, p: ProcessInfo | null, now: number): void {
  host.replaceChildren();
  if (!p) {
    host.appendChild(el('p', 'muted', 'Select a process to see its details.'));
    return;
  }
  const head = el('h2', 'details-title', `${visible(p.name)} — pid ${p.pid}`);
  host.appendChild(head);
  if (p.zombie) host.appendChild(section('Zombie', 'zombie-explanation', [['', p.zombie.explanation], ['Fix:', p.zombie.fix]]));
  if (p.orphan) {
    host.appendChild(
      section('Orphan', 'orphan-explanation', [
        ['', p.orphan.explanation],
        ['Original parent:', p.orphan.originalPpid !== null ? `pid ${p.orphan.originalPpid} (${p.orphan.originalParentName ?? '?'})` : 'not seen (exited before IPC Scope looked)'],
        ['Adopted by:', `pid ${p.orphan.adoptedBy} (${p.orphan.adopterKind})`],
        ['Fix:', p.orphan.fix],
      ]),
    );
  }
  if (p.ended) host.appendChild(section('Ended', 'ended-explanation', [['', p.ended.description]]));
  if (p.restricted) host.appendChild(section('Restricted', 'restricted-explanation', [['', p.restrictedReason ?? '']]));
  if (p.blockedOn) host.appendChild(section('Blocked on', 'blocked', [['', p.blockedOn + (p.wchan ? ` (kernel: ${p.wchan})` : '')]]));

  const grid = el('dl', 'details-grid');
  const add = (k: string, v: string) => {
    grid.appendChild(el('dt', undefined, k));
    grid.appendChild(el('dd', undefined, v));
  };
  add('pid', String(p.pid));
  add('parent', String(p.ppid));
  add('process group', String(p.pgid));
  add('session', String(p.sid));
  add('terminal', p.tty);
  add('user', `${p.user} (${p.uid})`);
  add('started', `${new Date(p.startedAt).toLocaleTimeString()} (${formatDuration(now - p.startedAt)} ago)`);
  add('threads', String(p.threads));
  add('nice', String(p.nice));
  add('CPU', `${formatCpu(p.cpuPercent)} (${formatDuration(p.cpuTimeMs)} total)`);
  add('memory', `${formatKb(p.rssKb)} resident, ${formatKb(p.vszKb)} virtual`);
  add('wait channel', p.wchan || '—');
  host.appendChild(grid);

  const stat = el('section', 'details-section stat-explained');
  stat.appendChild(el('h3', undefined, `STAT ${p.stat}`));
  const table = el('table');
  for (const l of explainStat(p.stat)) {
    const tr = el('tr');
    tr.appendChild(el('td', 'stat-letter', l.letter));
    tr.appendChild(el('td', undefined, `${l.title}: ${l.meaning}`));
    table.appendChild(tr);
  }
  stat.appendChild(table);
  host.appendChild(stat);

  const args = el('section', 'details-section argv');
  args.appendChild(el('h3', undefined, 'Command line'));
  if (p.argv === null) args.appendChild(el('p', 'muted', 'unknown (could not be read)'));
  else if (p.argv.length === 0) args.appendChild(el('p', 'muted', `none (${p.state === 'Z' ? 'a zombie keeps no memory' : 'kernel thread'})`));
  else {
    const ol = el('ol', 'argv-list');
    ol.start = 0;
    for (const a of p.argv) ol.appendChild(el('li', undefined, visible(a) || '""'));
    args.appendChild(ol);
  }
  host.appendChild(args);
}

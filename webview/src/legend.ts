/** The STAT legend: every letter ps can print, from the shared table. */
import { FLAG_LETTERS, STATE_LETTERS } from '../../protocol/stat';

export function renderLegend(): HTMLElement {
  const d = document.createElement('details');
  d.className = 'legend';
  const s = document.createElement('summary');
  s.textContent = 'STAT legend';
  d.appendChild(s);
  const table = document.createElement('table');
  table.className = 'stat-table';
  for (const [title, letters] of [['State', STATE_LETTERS], ['Flags', FLAG_LETTERS]] as const) {
    const head = document.createElement('tr');
    const th = document.createElement('th');
    th.colSpan = 2;
    th.textContent = title;
    head.appendChild(th);
    table.appendChild(head);
    for (const l of letters) {
      const tr = document.createElement('tr');
      const a = document.createElement('td');
      a.className = 'stat-letter';
      a.textContent = l.letter;
      const b = document.createElement('td');
      const t = document.createElement('span');
      t.className = 'stat-title';
      t.textContent = l.title;
      b.append(t, document.createTextNode(` — ${l.meaning}`));
      tr.append(a, b);
      table.appendChild(tr);
    }
  }
  d.appendChild(table);
  return d;
}

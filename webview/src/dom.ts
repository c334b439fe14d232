/** DOM helpers for the channel views: elements with text set through textContent only. */

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, cls?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (cls) e.setAttribute('class', cls);
  return e;
}

/** "app.py:42" from "/home/dev/app.py:42". */
export const baseLoc = (loc: string) => loc.split('/').pop() ?? loc;

export const pidList = (pids: number[]) => (pids.length ? pids.map((p) => `pid ${p}`).join(', ') : '—');

/** A line of "label value" facts. */
export function facts(cls: string, items: Array<[string, string] | null | false | undefined>): HTMLElement {
  const p = el('p', `channel-meta ${cls}`);
  let first = true;
  for (const item of items) {
    if (!item) continue;
    if (!first) p.appendChild(document.createTextNode(' · '));
    first = false;
    if (item[0]) p.appendChild(el('span', 'fact-label', `${item[0]} `));
    p.appendChild(el('span', 'fact-value', item[1]));
  }
  return p;
}

/** Makes an element act as a button for mouse and keyboard. */
export function actionable(e: HTMLElement, label: string, run: () => void): void {
  e.tabIndex = 0;
  e.setAttribute('role', 'button');
  e.setAttribute('aria-label', label);
  e.addEventListener('click', run);
  e.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      run();
    }
  });
}

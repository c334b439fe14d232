/**
 * A checker for Chrome Trace Event files (the JSON object format of the Trace Event Format document,
 * as chrome://tracing and ui.perfetto.dev read it). Returns every problem found, [] when none.
 */

const PHASES = new Set(['X', 'B', 'E', 'i', 'I', 's', 't', 'f', 'M', 'C']);
const METADATA = new Set(['process_name', 'thread_name', 'process_sort_index', 'thread_sort_index', 'process_labels']);

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isInt = (v: unknown): v is number => Number.isInteger(v);

export function checkChromeTrace(data: unknown): string[] {
  const problems: string[] = [];
  const bad = (i: number, what: string) => problems.push(`event ${i}: ${what}`);
  const events = Array.isArray(data) ? data : data && typeof data === 'object' ? (data as { traceEvents?: unknown }).traceEvents : undefined;
  if (!Array.isArray(events)) return ['no traceEvents list'];
  if (!Array.isArray(data) && 'displayTimeUnit' in (data as object) && !['ms', 'ns'].includes(String((data as { displayTimeUnit: unknown }).displayTimeUnit))) problems.push('displayTimeUnit is neither "ms" nor "ns"');
  const flowStarts = new Map<string, { ts: number; i: number }>();
  const flowEnds: Array<{ key: string; ts: number; i: number }> = [];
  const stacks = new Map<string, Array<{ ts: number; i: number }>>();
  const slices = new Map<string, Array<{ from: number; to: number; i: number }>>();
  const named = new Set<number>();
  const pids = new Set<number>();
  // B/E are matched in time order per thread (ties: file order), as the viewers do.
  const order = events.map((e, i) => ({ e: e as Record<string, unknown>, i }));
  order.sort((a, b) => (isNum(a.e?.ts) ? (a.e.ts as number) : 0) - (isNum(b.e?.ts) ? (b.e.ts as number) : 0) || a.i - b.i);
  for (const { e, i } of order) {
    if (!e || typeof e !== 'object' || Array.isArray(e)) {
      bad(i, 'not an object');
      continue;
    }
    const ph = e.ph;
    if (typeof ph !== 'string' || !PHASES.has(ph)) {
      bad(i, `unknown phase ${JSON.stringify(ph)}`);
      continue;
    }
    if (!isInt(e.pid)) bad(i, 'pid is not an integer');
    if (!isInt(e.tid)) bad(i, 'tid is not an integer');
    if (ph !== 'E' && typeof e.name !== 'string') bad(i, `${ph} without a name`);
    if (e.args !== undefined && (typeof e.args !== 'object' || e.args === null || Array.isArray(e.args))) bad(i, 'args is not an object');
    const thread = `${String(e.pid)}/${String(e.tid)}`;
    if (ph === 'M') {
      if (!METADATA.has(String(e.name))) bad(i, `unknown metadata ${String(e.name)}`);
      if (String(e.name).endsWith('_name')) {
        const name = (e.args as { name?: unknown } | undefined)?.name;
        if (typeof name !== 'string' || !name) bad(i, `${String(e.name)} without args.name`);
        if (e.name === 'process_name' && isInt(e.pid)) named.add(e.pid);
      }
      continue;
    }
    if (isInt(e.pid)) pids.add(e.pid);
    if (!isNum(e.ts) || e.ts < 0) {
      bad(i, `ts ${JSON.stringify(e.ts)} is not a non-negative number`);
      continue;
    }
    const ts = e.ts;
    switch (ph) {
      case 'X': {
        if (!isNum(e.dur) || e.dur < 0) bad(i, `X with dur ${JSON.stringify(e.dur)}`);
        else {
          const list = slices.get(thread) ?? [];
          list.push({ from: ts, to: ts + e.dur, i });
          slices.set(thread, list);
        }
        break;
      }
      case 'B':
        stacks.set(thread, [...(stacks.get(thread) ?? []), { ts, i }]);
        break;
      case 'E': {
        const stack = stacks.get(thread);
        const open = stack?.pop();
        if (!open) bad(i, `E on ${thread} with no open B`);
        else if (open.ts > ts) bad(i, `E before its B (event ${open.i})`);
        break;
      }
      case 'i':
      case 'I':
        if (e.s !== undefined && !['g', 'p', 't'].includes(String(e.s))) bad(i, `instant scope ${JSON.stringify(e.s)}`);
        break;
      case 's':
      case 't':
      case 'f': {
        if (!isInt(e.id) && typeof e.id !== 'string') bad(i, 'flow event without an id');
        if (typeof e.cat !== 'string') bad(i, 'flow event without a cat');
        const key = `${String(e.cat)}:${String(e.id)}`;
        if (ph === 's') {
          if (flowStarts.has(key)) bad(i, `second flow start for ${key}`);
          flowStarts.set(key, { ts, i });
        } else if (ph === 'f') {
          if (e.bp !== undefined && e.bp !== 'e') bad(i, `flow end bp ${JSON.stringify(e.bp)}`);
          flowEnds.push({ key, ts, i });
        }
        break;
      }
      case 'C':
        if (!e.args || Object.values(e.args as object).some((v) => !isNum(v))) bad(i, 'counter without numeric args');
        break;
    }
  }
  for (const [thread, stack] of stacks) for (const open of stack) problems.push(`event ${open.i}: B on ${thread} never ended`);
  const ended = new Set<string>();
  for (const f of flowEnds) {
    const s = flowStarts.get(f.key);
    if (!s) bad(f.i, `flow end ${f.key} without a start`);
    else if (s.ts > f.ts) bad(f.i, `flow ${f.key} ends before it starts`);
    if (ended.has(f.key)) bad(f.i, `second flow end for ${f.key}`);
    ended.add(f.key);
  }
  for (const [key, s] of flowStarts) if (!ended.has(key)) bad(s.i, `flow start ${key} never ends`);
  // Complete events on one thread must nest (a viewer cannot draw two that partly overlap).
  for (const [thread, list] of slices) {
    list.sort((a, b) => a.from - b.from || b.to - a.to);
    const open: Array<{ to: number; i: number }> = [];
    for (const x of list) {
      while (open.length && open[open.length - 1].to <= x.from) open.pop();
      const parent = open[open.length - 1];
      if (parent && x.to > parent.to) problems.push(`event ${x.i}: X on ${thread} overlaps event ${parent.i} without nesting`);
      open.push(x);
    }
  }
  // Viewers bind a flow event to the slice around it on its thread: one with none draws no arrow.
  for (const { e, i } of order) {
    if (e?.ph !== 's' && e?.ph !== 'f') continue;
    const around = slices.get(`${String(e.pid)}/${String(e.tid)}`) ?? [];
    if (!around.some((x) => x.from <= (e.ts as number) && (e.ts as number) <= x.to)) bad(i, `flow ${String(e.ph)} at ${String(e.ts)} has no slice around it on its thread`);
  }
  for (const pid of pids) if (!named.has(pid)) problems.push(`pid ${pid} has events but no process_name`);
  return problems;
}

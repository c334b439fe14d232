/**
 * A run as a record: the states each process went through (seen by the process model), and the
 * whole run saved as a SavedRun (protocol/protocol.ts) or read back from one. Reading checks every
 * field and bounds every list and string, so a malformed or hostile file gives a clear error or a
 * bounded, plain-data run; nothing in it is evaluated.
 */
import {
  ChannelInfo,
  ChannelsUpdate,
  LeakReport,
  ProcessInfo,
  SAVED_RUN_FORMAT,
  SAVED_RUN_VERSION,
  SavedRun,
  SavedRunLimits,
  StateSpan,
  WatchTarget,
} from '../../../protocol/protocol';
import { EventKinds } from '../../../protocol/runtime';
import type { HubClient, HubEvent } from '../hub/hub';
import { runtimeOnlyInfo } from './model';

/** Wall-clock ms minus CLOCK_MONOTONIC ms (process.hrtime and the runtime both read CLOCK_MONOTONIC). */
export function monoToWallMs(): number {
  return Date.now() - Number(process.hrtime.bigint()) / 1e6;
}

/** A process as the runtime saw it (its first and last event), for those no scan caught. */
interface RuntimeProcess {
  pid: number;
  key: string;
  firstTs: number;
  lastTs: number;
  exited: boolean;
}

export class RunRecorder {
  private states: StateSpan[] = [];
  private lastState = new Map<string, string>();
  private runtime = new Map<string, RuntimeProcess>();
  /** State changes not kept (over SavedRunLimits.states). */
  dropped = 0;

  begin(): void {
    this.states = [];
    this.lastState.clear();
    this.runtime.clear();
    this.dropped = 0;
  }

  /** Runtime events: each process's first and last (a short-lived one may end between two scans). */
  ingest(batch: HubEvent[]): void {
    for (const e of batch) {
      const r = this.runtime.get(e.key);
      if (!r) {
        if (this.runtime.size < SavedRunLimits.processes) this.runtime.set(e.key, { pid: e.pid, key: e.key, firstTs: e.ts, lastTs: e.ts, exited: e.k === EventKinds.processExit });
        continue;
      }
      if (e.k === EventKinds.processExit) r.exited = true;
      else if (r.exited && e.ts > r.lastTs) r.exited = false; // after an exec, the new program's runtime reports
      if (e.ts < r.firstTs) r.firstTs = e.ts;
      if (e.ts > r.lastTs) r.lastTs = e.ts;
    }
  }

  /** After each scan: a span starts for every process whose STAT changed. */
  observe(processes: ProcessInfo[], now: number): void {
    for (const p of processes) {
      const sig = p.stat + '\0' + p.blockedOn;
      if (this.lastState.get(p.key) === sig) continue;
      this.lastState.set(p.key, sig);
      if (this.states.length >= SavedRunLimits.states) {
        this.dropped++;
        continue;
      }
      this.states.push({ key: p.key, at: now, stat: p.stat, blockedOn: p.blockedOn });
    }
  }

  build(input: { label: string; watch: WatchTarget | null; processes: ProcessInfo[]; ended: ProcessInfo[]; channels: ChannelsUpdate | null; leaks: LeakReport | null; clients?: Iterable<HubClient>; now?: number }): SavedRun {
    const ch = input.channels;
    const offset = monoToWallMs();
    const processes = [...input.processes];
    const ended = [...input.ended];
    const known = new Set([...processes, ...ended].map((p) => p.key));
    const clients = new Map([...(input.clients ?? [])].map((c) => [c.key, c]));
    for (const r of this.runtime.values()) {
      if (known.has(r.key)) continue;
      const p = runtimeOnly(r, clients.get(r.key), offset);
      (p.ended ? ended : processes).push(p);
    }
    return {
      format: SAVED_RUN_FORMAT,
      version: SAVED_RUN_VERSION,
      savedAt: input.now ?? Date.now(),
      label: input.label,
      watch: input.watch,
      processes: processes.slice(0, SavedRunLimits.processes),
      ended: ended.slice(-SavedRunLimits.processes),
      states: [...this.states],
      channels: ch ? ch.channels.slice(0, SavedRunLimits.channels) : [],
      timeline: { messages: ch?.timeline?.messages.slice(-SavedRunLimits.messages) ?? [] },
      monoToWallMs: offset,
      leaks: input.leaks,
    };
  }
}

/** A process no scan caught, from what the runtime reported. */
function runtimeOnly(r: RuntimeProcess, client: HubClient | undefined, monoToWall: number): ProcessInfo {
  const at = (ns: number) => Math.round(ns / 1e6 + monoToWall);
  const reported = { key: r.key, pid: r.pid, ppid: client?.ppid ?? 0, startTicks: Number(r.key.split('@')[1]) || 0, argv: client?.argv ?? [], comm: client?.comm ?? '', cmdline: client?.cmdline ?? [] };
  const ended = r.exited
    ? { at: at(r.lastTs), exitCode: null, signal: null, signalName: null, coreDumped: false, description: 'ended between two scans (seen by the IPC Scope runtime only)' }
    : null;
  return runtimeOnlyInfo(reported, { inProgram: true, ended, startedAt: at(r.firstTs) });
}

// ---- reading a saved run back ----------------------------------------------------------------

export class SavedRunError extends Error {}

/**
 * A field's type: a JSON type, '?' suffix for "or null", a nested shape, a list of one, or a list
 * that files saved before the field existed lack (read as empty).
 */
type Spec = 'string' | 'number' | 'boolean' | 'string?' | 'number?' | 'boolean?' | 'any' | Shape | [Spec] | { nullable: Shape } | { absentInOldFiles: [Spec] };
interface Shape {
  [field: string]: Spec;
}

const endShape: Shape = { at: 'number', exitCode: 'number?', signal: 'number?', signalName: 'string?', coreDumped: 'boolean', description: 'string' };
const processShape: Shape = {
  key: 'string', pid: 'number', ppid: 'number', pgid: 'number', sid: 'number', tty: 'string', tpgid: 'number', state: 'string', stat: 'string',
  nice: 'number', threads: 'number', rssKb: 'number', vszKb: 'number', cpuPercent: 'number', cpuTimeMs: 'number', startTicks: 'number',
  startedAt: 'number', uid: 'number', user: 'string', name: 'string', argv: { nullable: { '[]': 'string' } }, command: 'string', wchan: 'string',
  blockedOn: 'string', restricted: 'boolean', restrictedReason: 'string?', inProgram: 'boolean',
  zombie: { nullable: { parentPid: 'number', parentName: 'string', explanation: 'string', fix: 'string' } },
  orphan: { nullable: { originalPpid: 'number?', originalParentName: 'string?', adoptedBy: 'number', adopterKind: 'string', inferred: 'boolean', explanation: 'string', fix: 'string' } },
  ended: { nullable: endShape },
};
const watchShape: Shape = { pid: 'number', key: 'string?', label: 'string', launched: 'boolean' };
const messageShape: Shape = { id: 'number', ch: 'string', ts: 'number', pid: 'number', op: 'string', write: 'boolean', preview: 'string', size: 'number', truncated: 'boolean', loc: 'string', seq: 'number', link: 'number?' };
const common: Shape = { id: 'string', kind: 'string', type: 'string', label: 'string', createdAt: 'string', holders: ['number'], events: 'number', rate: 'number', lastTs: 'number' };
const channelShapes: Record<string, Shape> = {
  queue: { ...common, depth: 'number?', maxsize: 'number?', written: 'number', read: 'number', recent: [messageShape], pending: [messageShape], peer: 'string?', pool: 'string?',
    blocked: { absentInOldFiles: [{ pid: 'number', op: 'string', since: 'number', loc: 'string' }] } },
  shared: {
    ...common, typecode: 'string', length: 'number', itemsize: 'number', size: 'number', lock: 'boolean', values: { nullable: { '[]': 'string' } }, image: 'string',
    imageKnown: 'number', changed: ['number'], changedValues: ['number'], writes: 'number', lastWriter: 'number?', lastLoc: 'string',
    recent: [{ ts: 'number', pid: 'number', offset: 'number', index: 'number?', value: 'string', loc: 'string' }],
  },
  sync: {
    ...common, value: 'number?', maxvalue: 'number?', flag: 'boolean?', owners: [{ pid: 'number', count: 'number' }], waiters: ['number'], acquires: 'number', contended: 'number',
    recent: [{ ts: 'number', pid: 'number', op: 'string', value: 'number?', waitedMs: 'number?', loc: 'string' }],
  },
  manager: { ...common, typeid: 'string', state: 'string', stateTruncated: 'boolean', stateSize: 'number', length: 'number?', calls: 'number', recent: [{ ts: 'number', pid: 'number', method: 'string', args: 'string', loc: 'string' }] },
  pool: { ...common, processes: 'number?', tasks: 'string?', results: 'string?' },
};
channelShapes.pipe = channelShapes.socket = channelShapes.queue;
const leakShape: Shape = {
  program: 'string', mainPid: 'number?', at: 'number', omitted: 'number', checked: ['string'],
  items: [{ kind: 'string', name: 'string', path: 'string?', pid: 'number?', createdAt: 'string', detail: 'string', fix: 'string' }],
};
const LEAK_KINDS = new Set(['shm', 'semaphore', 'fifo', 'mqueue', 'zombie', 'running']);

function check(v: unknown, spec: Spec, at: string, maxItems: number): unknown {
  if (typeof spec === 'string') {
    const nullable = spec.endsWith('?');
    const base = nullable ? spec.slice(0, -1) : spec;
    if (v === null && nullable) return null;
    if (base === 'any') return v;
    if (base === 'number') {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new SavedRunError(`${at} should be a number${nullable ? ' or null' : ''}`);
      return v;
    }
    if (typeof v !== base) throw new SavedRunError(`${at} should be a ${base}${nullable ? ' or null' : ''}`);
    return base === 'string' ? (v as string).slice(0, SavedRunLimits.text) : v;
  }
  if (Array.isArray(spec)) return list(v, spec[0], at, maxItems);
  if ('nullable' in spec && Object.keys(spec).length === 1) return v === null ? null : check(v, spec.nullable as Shape, at, maxItems);
  if ('absentInOldFiles' in spec && Object.keys(spec).length === 1) return v === undefined ? [] : list(v, (spec.absentInOldFiles as [Spec])[0], at, maxItems);
  const shape = spec as Shape;
  if ('[]' in shape) return list(v, shape['[]'], at, maxItems);
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new SavedRunError(`${at} should be an object`);
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [field, s] of Object.entries(shape)) out[field] = check(o[field], s, `${at}.${field}`, maxItems);
  return out;
}

function list(v: unknown, spec: Spec, at: string, maxItems: number): unknown[] {
  if (!Array.isArray(v)) throw new SavedRunError(`${at} should be a list`);
  if (v.length > maxItems) throw new SavedRunError(`${at} has ${v.length} entries; at most ${maxItems} are read`);
  return v.map((item, i) => check(item, spec, `${at}[${i}]`, maxItems));
}

/**
 * A saved run from a file's text, checked and bounded. Throws SavedRunError with a message for
 * people (which field is wrong and how) when it is not one.
 */
export function parseSavedRun(text: string): SavedRun {
  if (text.length > SavedRunLimits.bytes) throw new SavedRunError(`the file is ${Math.round(text.length / 1048576)} MB; a saved run is at most ${SavedRunLimits.bytes / 1048576} MB`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new SavedRunError(`it is not JSON (${(e as Error).message})`);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new SavedRunError('it is not a saved IPC Scope run (expected a JSON object)');
  const o = data as Record<string, unknown>;
  if ('traceEvents' in o) throw new SavedRunError('this is a Chrome trace (open it in ui.perfetto.dev); IPC Scope loads the files of "Export Run as JSON…"');
  if (o.format !== SAVED_RUN_FORMAT) throw new SavedRunError(`it is not a saved IPC Scope run (its "format" is not "${SAVED_RUN_FORMAT}")`);
  if (typeof o.version !== 'number' || !Number.isInteger(o.version) || o.version < 1) throw new SavedRunError('its "version" is not a positive integer');
  if (o.version > SAVED_RUN_VERSION) throw new SavedRunError(`it was saved by a newer IPC Scope (format version ${o.version}; this one reads ${SAVED_RUN_VERSION})`);
  const L = SavedRunLimits;
  const channels = list(o.channels, 'any', 'channels', L.channels).map((c, i) => {
    const kind = c && typeof c === 'object' ? (c as { kind?: unknown }).kind : undefined;
    const shape = typeof kind === 'string' && Object.hasOwn(channelShapes, kind) ? channelShapes[kind] : null;
    if (!shape) throw new SavedRunError(`channels[${i}].kind should be one of ${Object.keys(channelShapes).join(', ')}`);
    return check(c, shape, `channels[${i}]`, L.messages) as ChannelInfo;
  });
  const leaks = o.leaks === null || o.leaks === undefined ? null : (check(o.leaks, leakShape, 'leaks', L.processes) as LeakReport);
  leaks?.items.forEach((item, i) => {
    if (!LEAK_KINDS.has(item.kind)) throw new SavedRunError(`leaks.items[${i}].kind "${item.kind.slice(0, 40)}" is not a kind of leak`);
  });
  return {
    format: SAVED_RUN_FORMAT,
    version: SAVED_RUN_VERSION,
    savedAt: check(o.savedAt, 'number', 'savedAt', 0) as number,
    label: check(o.label, 'string', 'label', 0) as string,
    watch: check(o.watch, { nullable: watchShape }, 'watch', 0) as WatchTarget | null,
    processes: list(o.processes, processShape, 'processes', L.processes) as ProcessInfo[],
    ended: list(o.ended, processShape, 'ended', L.processes) as ProcessInfo[],
    states: list(o.states, { key: 'string', at: 'number', stat: 'string', blockedOn: 'string' }, 'states', L.states) as StateSpan[],
    channels,
    timeline: check(o.timeline, { messages: [messageShape] }, 'timeline', L.messages) as SavedRun['timeline'],
    monoToWallMs: check(o.monoToWallMs, 'number', 'monoToWallMs', 0) as number,
    leaks,
  };
}

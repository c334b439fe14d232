/**
 * From the kernel's view of IPC (inspect/ipcObjects): the edges between processes, what each sleeping
 * process is blocked on, and the wait-for graph with its deadlocks.
 *
 * A thread is stuck when it sleeps, untimed, in a syscall whose waker we can name: a read on a pipe
 * (any process holding its write end), a write (its readers), a socket (the peer end's holders),
 * wait4 (the child), a private futex (its own process's other threads), a shared futex in a /dev/shm
 * or System V mapping (every process mapping that inode), a put on a full Queue the runtime reported
 * (the processes holding its read end). A process is stuck when all its threads are (the runtime's
 * own threads, its sender and command reader, aside). Anything else (a tty, poll, anonymous shared
 * memory, a timeout) could be woken by someone we cannot see, so it is never called a deadlock.
 * The deadlocked set is the greatest set of stuck processes all of whose wakers are in the set; it is
 * reported only when a second sample shows none of its threads moved (context switches unchanged).
 */
import type { BlockedInfo, BlockedThread, DeadlockInfo, OsIpcEdge, OsIpcObject, OsIpcUpdate } from '../../../protocol/protocol';
import { OsIpcLimits } from '../../../protocol/protocol';
import type { IpcGather, IpcObjectScanner, ProcIpc, ThreadSample } from '../inspect/ipcObjects';
import { isReadSyscall, isWriteSyscall } from '../inspect/syscalls';
import { isRuntimeSocketPath, isRuntimeThread } from '../../../protocol/runtime';
import { isHubSocketPath } from '../hub/hub';

/** How long a stuck set must stay unmoved before it is reported, ms. */
export const CONFIRM_MS = 250;
const FUTEX_PRIVATE_FLAG = 128n;
const FULL_PUT = 'futex (Queue.put() waiting for room';

/** What the runtime knows about an object or a process (channels joined by inode), looked up by the server. */
export interface RuntimeKnowledge {
  /** The runtime channel for an OS object (by inode), with its type/name and creation line. */
  channelFor(o: OsIpcObject): { id: string; label: string; createdAt: string } | null;
  /** The Python operation a process is blocked in, if reported ("q.get() on Queue at prog.py:42"), with its line. */
  blockedOp(pid: number): { text: string; loc: string } | null;
  /**
   * The call one thread is blocked in, as the runtime reported it for that thread: its op (put, get,
   * recv…, or acquire of a lock or semaphore, with its type and the pids holding it) and channel id.
   */
  blockedCall(pid: number, tid: number): { op: string; ch: string; type?: string; owners?: number[] } | null;
}

const noKnowledge: RuntimeKnowledge = { channelFor: () => null, blockedOp: () => null, blockedCall: () => null };

/** Edges between distinct processes: pipes writer → reader, sockets both ways between the ends' holders, shared memory between its mappers. */
export function buildEdges(objects: Iterable<OsIpcObject>, objectsById: Map<string, OsIpcObject>, limit: number = OsIpcLimits.edges): { edges: OsIpcEdge[]; omitted: number } {
  const edges: OsIpcEdge[] = [];
  const seen = new Set<string>();
  let omitted = 0;
  const add = (e: OsIpcEdge) => {
    const key = `${e.from}>${e.to}|${e.object}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (edges.length >= limit) omitted++;
    else edges.push(e);
  };
  const pidsWith = (o: OsIpcObject, modes: string[]) => [...new Set(o.holders.filter((h) => modes.includes(h.mode)).map((h) => h.pid))];
  for (const o of objects) {
    if (o.kind === 'pipe' || o.kind === 'fifo' || o.kind === 'mqueue' || o.kind === 'sysv-msg') {
      const writers = pidsWith(o, ['w', 'rw', 'sent']);
      const readers = pidsWith(o, ['r', 'rw', 'received']);
      for (const w of writers) for (const r of readers) if (w !== r) add({ from: w, to: r, object: o.id, kind: o.kind, direction: 'one-way', text: `pid ${w} writes → pid ${r} reads, ${o.id}` });
    } else if ((o.kind === 'unix' || o.kind === 'tcp') && o.peer) {
      const peer = objectsById.get(o.peer);
      if (!peer || peer.id < o.id) continue; // each connection once, from its lower id
      const a = [...new Set(o.holders.map((h) => h.pid))];
      const b = [...new Set(peer.holders.map((h) => h.pid))];
      for (const x of a) for (const y of b) if (x !== y) add({ from: x, to: y, object: o.id, kind: o.kind, direction: 'both', text: `pid ${x} ⇄ pid ${y}, ${o.id} ⇄ ${peer.id}` });
    } else if (o.kind === 'shm' || o.kind === 'sem' || o.kind === 'sysv-shm') {
      const pids = [...new Set(o.holders.map((h) => h.pid))].slice(0, 16);
      for (let i = 0; i < pids.length; i++)
        for (let j = i + 1; j < pids.length; j++) add({ from: pids[i], to: pids[j], object: o.id, kind: o.kind, direction: 'shared', text: `pid ${pids[i]} and pid ${pids[j]} share ${o.id}${o.label ? ` (${o.label})` : ''}` });
    }
  }
  return { edges, omitted };
}

interface ThreadWait {
  sample: ThreadSample;
  text: string;
  object: OsIpcObject | null;
  /** Pids that could wake it; null when we cannot tell (never part of a deadlock). */
  wakers: number[] | null;
  /** A wait on a lock or semaphore shared between processes: an acquire() the runtime reported, or another. */
  lock?: 'acquire' | 'shared';
}

/** Per gathering: inode of each shared mapping -> the pids mapping it, and an object for it. */
const sharedIndex = new WeakMap<IpcGather, { mappers: Map<number, number[]>; objects: Map<number, OsIpcObject> }>();

/**
 * The shared mapping a thread's futex address is in, with every process (in view) mapping the same
 * inode; null when the address is in none (anonymous shared memory: wakers unknown).
 */
function sharedFutex(p: ProcIpc, s: ThreadSample, g: IpcGather): { inode: number; object: OsIpcObject | undefined; mappers: number[] } | null {
  const addr = parseInt(s.raw.split(' ')[1] ?? '', 16);
  if (!Number.isSafeInteger(addr) || !p.sharedMaps.length) return null;
  let inode = -1;
  for (let i = 0; i < p.sharedMaps.length; i += 3) {
    if (addr >= p.sharedMaps[i] && addr < p.sharedMaps[i + 1]) {
      inode = p.sharedMaps[i + 2];
      break;
    }
  }
  if (inode < 0) return null;
  let index = sharedIndex.get(g);
  if (!index) {
    index = { mappers: new Map(), objects: new Map() };
    for (const q of g.procs.values()) {
      for (let i = 2; i < q.sharedMaps.length; i += 3) {
        const list = index.mappers.get(q.sharedMaps[i]) ?? [];
        if (!list.includes(q.pid)) list.push(q.pid);
        index.mappers.set(q.sharedMaps[i], list);
      }
    }
    for (const o of g.objects.values()) if ((o.kind === 'sem' || o.kind === 'shm' || o.kind === 'sysv-shm') && !index.objects.has(o.inode)) index.objects.set(o.inode, o);
    sharedIndex.set(g, index);
  }
  return { inode, object: index.objects.get(inode), mappers: index.mappers.get(inode) ?? [p.pid] };
}

/** What one sleeping thread waits for, in words, and who could wake it. */
function threadWait(p: ProcIpc, s: ThreadSample, g: IpcGather, knows: RuntimeKnowledge): ThreadWait {
  const sc = s.syscall;
  if (!sc) return { sample: s, text: s.raw.startsWith('-1') ? 'sleeping outside a syscall (page fault or stopped)' : 'sleeping', object: null, wakers: null };
  const holders = (o: OsIpcObject | undefined, modes: string[]) => (o ? [...new Set(o.holders.filter((h) => modes.includes(h.mode)).map((h) => h.pid))] : []);
  const timedNote = sc.timed ? ', with a timeout' : '';
  if (sc.fd !== null) {
    const id = p.fds.get(sc.fd);
    const o = id ? g.objects.get(id) : undefined;
    const ch = o ? knows.channelFor(o) : null;
    const what = o ? `${o.id}${o.label ? ` ${o.label}` : ''}${ch ? ` = ${ch.label}` : ''}` : `fd ${sc.fd}`;
    const text = `${sc.name}(fd ${sc.fd}${o ? ` → ${what}` : ''})${timedNote}`;
    if (sc.timed || !o) return { sample: s, text, object: o ?? null, wakers: null };
    const reading = isReadSyscall(sc.name);
    const writing = isWriteSyscall(sc.name);
    let wakers: number[] | null = null;
    if (o.kind === 'pipe' || o.kind === 'fifo') {
      wakers = reading ? holders(o, ['w', 'rw']) : writing ? holders(o, ['r', 'rw']) : null;
    } else if ((o.kind === 'unix' || o.kind === 'tcp') && (reading || writing) && o.peer) {
      const peer = g.objects.get(o.peer);
      wakers = peer ? holders(peer, ['rw']) : null;
    }
    // Nobody we can see holds the other end: someone we cannot read does (else it would get EOF/EPIPE).
    if (wakers && wakers.length === 0) wakers = null;
    return { sample: s, text, object: o, wakers };
  }
  if (sc.waitPid !== null) {
    if (sc.waitPid > 0) return { sample: s, text: `${sc.name}(pid ${sc.waitPid}): waiting for that child to exit`, object: null, wakers: g.procs.has(sc.waitPid) ? [sc.waitPid] : null };
    const kids = [...g.procs.values()].filter((c) => c.ppid === p.pid).map((c) => c.pid);
    return { sample: s, text: `${sc.name}(any child): waiting for a child to exit`, object: null, wakers: kids.length ? kids : null };
  }
  if (sc.name === 'futex') {
    const op = BigInt.asUintN(64, BigInt(s.raw.split(' ')[2] ?? '0'));
    const priv = (op & FUTEX_PRIVATE_FLAG) !== 0n;
    const sharedUntimed = !priv && !sc.timed;
    const call = sharedUntimed ? knows.blockedCall(p.pid, s.tid) : null;
    const full = call?.op === 'put' ? /^queue:(\d+)$/.exec(call.ch) : null;
    if (full) {
      // A put on a full Queue waits on the queue's semaphore, which only a get() releases: the
      // processes that hold the queue's read end could wake it (the kernel shows the pipe, not the semaphore).
      const pipe = g.objects.get(`pipe:[${full[1]}]`);
      const readers = holders(pipe, ['r', 'rw']);
      const ch = pipe ? knows.channelFor(pipe) : null;
      const text = `${FULL_PUT}${pipe ? ` in ${pipe.id}${ch ? ` = ${ch.label}` : ''}` : ''})`;
      return { sample: s, text, object: pipe ?? null, wakers: readers.length ? readers : null };
    }
    const shared = sharedUntimed ? sharedFutex(p, s, g) : null;
    if (shared) {
      // A futex in a mapping of a /dev/shm file (a multiprocessing Lock, Semaphore, Condition, Event, a
      // Queue's semaphores) or a System V segment: any process mapping the same inode could wake it
      // (a Lock's release is not tied to its owner), and only those.
      const named = call ? g.objects.get(call.ch) : undefined;
      const o = named?.inode === shared.inode ? named : shared.object;
      const ch = o ? knows.channelFor(o) : null;
      const name = o ? `${o.id}${ch ? ` = ${ch.label}${ch.createdAt ? ` (created at ${ch.createdAt})` : ''}` : ''}` : `inode ${shared.inode}`;
      const held = call?.owners?.length ? `, held by ${call.owners.map((x) => `pid ${x}`).join(', ')}` : '';
      const what = call?.op === 'acquire' ? `acquire() of ${call.type ?? 'a lock'} ${name}${held}` : `a lock shared with other processes, in ${name}`;
      return { sample: s, text: `futex (${what})`, object: o ?? null, wakers: shared.mappers, lock: call?.op === 'acquire' ? 'acquire' : 'shared' };
    }
    const text = `futex (${priv ? 'a lock or condition of this process' : 'a lock shared with other processes'}${sc.timed ? ', with a timeout' : ''})`;
    // A private futex is woken by another thread of the same process; a shared one by anyone mapping it.
    return { sample: s, text, object: null, wakers: !sc.timed && priv && p.threads > 1 ? [p.pid] : null };
  }
  if (sc.multi) return { sample: s, text: `${sc.name} on several fds${timedNote}`, object: null, wakers: null };
  return { sample: s, text: `${sc.name}${timedNote}`, object: null, wakers: null };
}

export interface WaitAnalysis {
  blocked: BlockedInfo[];
  /** Candidate deadlocks in this sample (not yet confirmed). */
  candidates: DeadlockInfo[];
}

/** Blocked-on for the processes in view, and the deadlocked sets of this sample. */
export function analyseWaits(g: IpcGather, inView: (pid: number) => boolean, knows: RuntimeKnowledge = noKnowledge, wchanOf: (pid: number) => string = () => ''): WaitAnalysis {
  const waits = new Map<number, ThreadWait[]>();
  for (const p of g.procs.values()) if (p.sleeping.length) waits.set(p.pid, p.sleeping.map((s) => threadWait(p, s, g, knows)));

  const blocked: BlockedInfo[] = [];
  for (const [pid, ws] of waits) {
    if (!inView(pid)) continue;
    const threads: BlockedThread[] = ws.filter((w) => w.sample.raw !== 'running').map((w) => {
      const t: BlockedThread = { tid: w.sample.tid, syscall: w.sample.syscall?.name ?? '', fd: w.sample.syscall?.fd ?? null, object: w.object?.id ?? null, timed: !!w.sample.syscall?.timed, text: w.text };
      if (isRuntimeThread(w.sample.comm)) t.runtime = true;
      return t;
    });
    // What the program's own threads wait in (the runtime's threads are listed, marked, but not counted).
    const own = ws.filter((w) => !isRuntimeThread(w.sample.comm));
    if (!own.length) continue;
    const main = own.find((w) => w.sample.tid === pid) ?? own[0];
    const op = knows.blockedOp(pid);
    const others = own.length - 1;
    blocked.push({ pid, wchan: wchanOf(pid), threads, text: `${main.text}${others > 0 ? `; ${others} other thread${others > 1 ? 's' : ''} blocked too` : ''}`, python: op ? op.text : '' });
  }

  // Stuck processes: every thread (but the runtime's own) in an untimed wait on nameable wakers.
  const wakersOf = new Map<number, Set<number>>();
  for (const [pid, ws] of waits) {
    const p = g.procs.get(pid)!;
    if (ws.length < p.threads) continue; // a thread is running
    const own = ws.filter((w) => !isRuntimeThread(w.sample.comm));
    if (!own.length || own.some((w) => w.wakers === null)) continue;
    wakersOf.set(pid, new Set(own.flatMap((w) => w.wakers!)));
  }
  // Greatest fixed point: drop any process one of whose wakers is not stuck.
  let changed = true;
  while (changed) {
    changed = false;
    for (const [pid, ws] of wakersOf) {
      for (const w of ws)
        if (!wakersOf.has(w)) {
          wakersOf.delete(pid);
          changed = true;
          break;
        }
    }
  }
  const candidates = cyclesOf(wakersOf).map((core) => describe(core, wakersOf, waits, g, knows));
  return { blocked, candidates };
}

/** Strongly connected parts of the stuck graph that wait on themselves (a cycle, or a process alone waiting on itself). */
function cyclesOf(graph: Map<number, Set<number>>): number[][] {
  let index = 0;
  const idx = new Map<number, number>();
  const low = new Map<number, number>();
  const stack: number[] = [];
  const on = new Set<number>();
  const out: number[][] = [];
  const visit = (v: number) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: number[] = [];
      let w: number;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || graph.get(v)?.has(v)) out.push(comp.sort((a, b) => a - b));
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

function describe(core: number[], graph: Map<number, Set<number>>, waits: Map<number, ThreadWait[]>, g: IpcGather, knows: RuntimeKnowledge): DeadlockInfo {
  const inCore = new Set(core);
  // Processes that wait on the core without being in it: a parent join()ing, a shell, the launcher.
  const waiting: number[] = [];
  const reaches = (v: number, seen = new Set<number>()): boolean => {
    if (inCore.has(v)) return true;
    if (seen.has(v)) return false;
    seen.add(v);
    return [...(graph.get(v) ?? [])].some((w) => reaches(w, seen));
  };
  for (const v of graph.keys()) if (!inCore.has(v) && reaches(v)) waiting.push(v);
  const name = (pid: number) => `pid ${pid} (${g.procs.get(pid)?.name ?? '?'})`;
  const objects = new Set<string>();
  const lines = new Set<string>();
  const explanation: string[] = [];
  let joinPid: number | null = null;
  let feederWrites: ThreadWait | null = null;
  let fullPut = false;
  let lockWaits = 0;
  let sharedWaits = 0;
  for (const pid of core) {
    const ws = (waits.get(pid) ?? []).filter((w) => !isRuntimeThread(w.sample.comm) && w.wakers);
    const parts = ws.map((w) => {
      if (w.object) objects.add(w.object.id);
      const ch = w.object ? knows.channelFor(w.object) : null;
      if (ch?.createdAt) lines.add(ch.createdAt);
      if (w.sample.syscall?.waitPid && w.sample.syscall.waitPid > 0 && inCore.has(w.sample.syscall.waitPid)) joinPid = pid;
      if (w.object && w.sample.syscall && isWriteSyscall(w.sample.syscall.name) && w.sample.tid !== pid) feederWrites = w;
      if (w.text.startsWith(FULL_PUT)) fullPut = true;
      if (w.lock === 'acquire') lockWaits++;
      if (w.lock) sharedWaits++;
      const others = w.wakers!.filter((x) => x !== pid);
      const who = others.length ? `only ${others.map(name).join(', ')}${w.wakers!.includes(pid) ? ' or itself' : ''} could wake it` : 'only its own threads could wake it';
      return `${w.sample.tid === pid ? 'main thread' : `thread ${w.sample.tid}`} in ${w.text} (${who})`;
    });
    const op = knows.blockedOp(pid);
    if (op?.loc) lines.add(op.loc);
    explanation.push(`${name(pid)}${op ? `, in ${op.text}` : ''}: ${parts.join('; ')}`);
  }
  let title: string;
  let fix: string;
  if (joinPid !== null && feederWrites) {
    const child = core.find((p) => p !== joinPid)!;
    title = `Deadlock: ${name(joinPid)} joins ${name(child)}, whose queue feeder thread waits for someone to read ${(feederWrites as ThreadWait).object!.id}`;
    fix = 'Drain the queue before joining: call q.get() for every item the child put, then p.join() ("Joining processes that use queues" in the multiprocessing docs).';
  } else if (lockWaits >= 2) {
    const locks = core.filter((pid) => (waits.get(pid) ?? []).some((w) => w.lock === 'acquire'));
    title = `Deadlock: ${locks.map(name).join(' and ')} each wait for a lock that another of them holds`;
    fix = 'Take the locks in the same order in every process (or one lock for both), or acquire(timeout=…) and back off.';
  } else if (core.length === 1 && fullPut) {
    title = `Deadlock: ${name(core[0])} puts into a full queue that nobody else reads`;
    fix = 'Start the consumer before filling a bounded queue (or make it larger), or use put(timeout=…) and handle queue.Full.';
  } else if (core.length === 1) {
    title = `Deadlock: ${name(core[0])} waits for something only it could provide (every other writer or peer has gone)`;
    fix = 'Close the ends a process does not use (after fork, close the write end in the reader), and make sure a writer is still running, or send a sentinel before the writers exit.';
  } else {
    title = `Deadlock: ${core.map(name).join(' and ')} wait on each other`;
    fix = sharedWaits
      ? 'Break the cycle: take shared locks and semaphores in the same order in every process and release them before waiting on another process, or acquire/wait with a timeout.'
      : 'Break the cycle: make one side write (or close its end) before it reads, or read with a timeout / poll.';
  }
  return { id: core.join('+'), title, pids: core, waiting: waiting.sort((a, b) => a - b), objects: [...objects], explanation, lines: [...lines], fix, since: 0 };
}

/** Confirms candidates by a second look: a deadlock's threads neither run nor change syscall for CONFIRM_MS. Keeps confirmed ones until they resolve. */
export class DeadlockDetector {
  private confirmed = new Map<string, DeadlockInfo>();
  constructor(private readonly scanner: IpcObjectScanner, private readonly confirmMs = CONFIRM_MS) {}

  async check(g: IpcGather, candidates: DeadlockInfo[]): Promise<DeadlockInfo[]> {
    const next = new Map<string, DeadlockInfo>();
    const fresh: Array<{ c: DeadlockInfo; pids: number[]; first: Array<Map<number, string>> }> = [];
    for (const c of candidates) {
      const known = this.confirmed.get(c.id);
      if (known) {
        next.set(c.id, { ...c, since: known.since });
        continue;
      }
      const pids = [...c.pids, ...c.waiting];
      const first = pids.map((pid) => this.scanner.resample(pid));
      // Still in the syscall the gathering saw.
      const same = pids.every((pid, i) => (g.procs.get(pid)?.sleeping ?? []).every((s) => isRuntimeThread(s.comm) || first[i].get(s.tid)?.startsWith(`${s.raw}|`)));
      if (same) fresh.push({ c, pids, first });
    }
    if (fresh.length) {
      // One wait for all of them.
      await new Promise((r) => setTimeout(r, this.confirmMs));
      for (const { c, pids, first } of fresh) {
        const second = pids.map((pid) => this.scanner.resample(pid));
        const still = pids.every((_, i) => first[i].size === second[i].size && [...first[i]].every(([tid, sig]) => second[i].get(tid) === sig));
        if (still) next.set(c.id, { ...c, since: Date.now() });
      }
    }
    this.confirmed = next;
    return [...next.values()];
  }
}

/** The runtime's connections to IPC Scope's hub (both ends): IPC Scope's own, not the program's IPC. */
function hubConnections(g: IpcGather): Set<string> {
  const ours = new Set<string>();
  for (const o of g.objects.values()) {
    // The hub's end is named by the hub's path; the runtime's end by its own name, even before the hub accepts it.
    if (o.kind !== 'unix' || !(isHubSocketPath(o.label) || isRuntimeSocketPath(o.label))) continue;
    ours.add(o.id);
    if (o.peer) ours.add(o.peer);
  }
  return ours;
}

/** The update the panel gets: objects, edges and blocked-on of the processes in view, and the confirmed deadlocks. */
export function osIpcUpdate(g: IpcGather, inView: (pid: number) => boolean, analysis: WaitAnalysis, deadlocks: DeadlockInfo[], knows: RuntimeKnowledge = noKnowledge): OsIpcUpdate {
  const shown: OsIpcObject[] = [];
  let omitted = 0;
  const ours = hubConnections(g);
  for (const o of g.objects.values()) {
    if (ours.has(o.id) || !o.holders.some((h) => inView(h.pid))) continue;
    if (shown.length >= OsIpcLimits.objects) {
      omitted++;
      continue;
    }
    const ch = knows.channelFor(o);
    shown.push(ch ? { ...o, channel: ch.id, channelLabel: ch.label } : o);
  }
  const byId = new Map(shown.map((o) => [o.id, o]));
  for (const o of shown) if (o.peer && !byId.has(o.peer)) { const p = g.objects.get(o.peer); if (p) byId.set(p.id, p); }
  const { edges, omitted: edgesOmitted } = buildEdges(shown, byId);
  const restricted = [...g.procs.values()].filter((p) => p.restricted && inView(p.pid)).map((p) => ({ pid: p.pid, reason: p.restricted! }));
  return {
    takenAt: g.takenAt,
    objects: shown,
    edges: edges.filter((e) => inView(e.from) || inView(e.to)),
    blocked: analysis.blocked,
    deadlocks,
    restricted,
    omitted: omitted + edgesOmitted,
    gatherMs: Math.round(g.gatherMs * 10) / 10,
    notes: g.notes,
  };
}

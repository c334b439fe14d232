/**
 * Gathers the kernel's view of IPC, for any process: pipes and FIFOs (direction from fdinfo flags), Unix and
 * TCP sockets with their peers, POSIX shared memory, named semaphores and message queues, System V
 * shm / msg / sem, and, for each sleeping thread, the syscall it sleeps in.
 *
 * Read with the same synchronous reader as the scanner (a few µs per file). It runs in a worker thread
 * (ipcWorker.ts, driven by IpcObjectScanner in ipcObjects.ts); on the main thread, when no worker can
 * start, it yields to the event loop whenever a slice has run for SLICE_MS: a process with 10k fds is
 * cut into several slices too.
 * Unix socket peers come from `ss -xaH` (sock_diag; without -p, so it does not walk /proc itself), run
 * from a worker thread (socketPeers.ts); without ss, sockets are listed without peers.
 */
import * as fs from 'node:fs';
import type { OsIpcHolder, OsIpcKind, OsIpcObject } from '../../../protocol/protocol';
import { DEFAULT_PROC_ROOT, ProcFileReader, StatBrief, listPids, listPidsAsync, parseStatBrief } from './procfs';
import { DecodedSyscall, decodeSyscall } from './syscalls';
import { unixPeers } from './socketPeers';
import { isRuntimeThread } from '../../../protocol/runtime';

/** Longest synchronous stretch before yielding on the main thread, ms. */
export const SLICE_MS = 2;
/** An fd table up to this size is listed in one call (~6 µs per 1000 fds). */
const FDS_LISTED_AT_ONCE = 256;

export interface ThreadSample {
  tid: number;
  /** The raw syscall line ("running", "-1 …", "0 0x5 …"), or "" when unreadable. */
  raw: string;
  syscall: DecodedSyscall | null;
  /** The thread's comm (threads of multi-threaded processes only; "" otherwise). */
  comm: string;
}

export interface ProcIpc {
  pid: number;
  ppid: number;
  name: string;
  state: string;
  threads: number;
  /** fd → object id, for the fds that are IPC objects. */
  fds: Map<number, string>;
  /** Sleeping threads' syscalls (only for processes in S or D). */
  sleeping: ThreadSample[];
  restricted: string | null;
  /**
   * Its mappings of /dev/shm files and System V segments, as [start, end, inode] triples, flat (processes
   * in view only): a futex address in one of them is a lock shared with whoever maps the same inode.
   */
  sharedMaps: number[];
}

export interface IpcGather {
  takenAt: number;
  procs: Map<number, ProcIpc>;
  objects: Map<string, OsIpcObject>;
  notes: string[];
  gatherMs: number;
  longestSliceMs: number;
  /** Times it gave the event loop a turn. */
  yields: number;
  /** Processes read by the helper thread (a first look, ReadJob). */
  readByHelper?: number;
  /** Where the /proc reads ran: a worker thread, or the main thread (no worker could start). */
  gatheredIn?: 'worker' | 'main';
}

export interface GatherOptions {
  /** Only these pids (default: every process). */
  pids?: number[];
  /** Look up Unix socket peers with ss (default true). */
  socketPeers?: boolean;
  /** Read sleeping threads' syscalls (default true). */
  syscalls?: boolean;
  /** Syscalls and memory mappings only for these processes (default: all); every process's fds are still read, for the other ends. A set crosses to the worker as is; a function is first asked, on the calling thread, about every pid listed. */
  detailsFor?: ReadonlySet<number> | ((pid: number) => boolean);
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Cuts a gathering into slices of SLICE_MS: `due()` is checked between small steps (a clock read, no
 * promise), `pause()` gives the event loop a turn.
 */
class Slicer {
  private start = performance.now();
  longest = 0;
  yields = 0;

  constructor(private readonly sliceMs: number) {}

  due(): boolean {
    return performance.now() - this.start >= this.sliceMs;
  }

  async pause(): Promise<void> {
    this.close();
    this.yields++;
    await yieldToLoop();
    this.start = performance.now();
  }

  /** Awaits work done off the loop (a file read, ss): the slice ends before it and a new one starts after. */
  async wait<T>(work: Promise<T>): Promise<T> {
    this.close();
    try {
      return await work;
    } finally {
      this.start = performance.now();
    }
  }

  close(): number {
    this.longest = Math.max(this.longest, performance.now() - this.start);
    return this.longest;
  }
}

/** An fd that may be IPC (a pipe, a socket, a path), with what its classification needs, read once. */
export interface RawFd {
  fd: number;
  target: string;
  /** pipe:[N] and socket:[N]: N; 0 for paths. */
  inode: number;
  /** Shared by every gathering that reuses this read (holders are never changed). */
  holder: OsIpcHolder;
}

/** What a process's read depended on: unchanged, the read is still good. */
interface RunMark {
  state: string;
  syscalls: boolean;
  detailed: boolean;
  /** schedstat (a single thread's bytes, or every thread's joined); null when unknown (read again next time). */
  counts: Buffer | string | null;
}

export interface RawIpc {
  ran: RunMark;
  /** From /proc/PID/stat when it was read. */
  st: StatBrief;
  fds: RawFd[];
  maps: string[];
  sleeping: ThreadSample[];
  restricted: string | null;
}

/**
 * The gathering's worker and its helper thread run with this young generation: a first look of 2000
 * processes took 7-17 ms less CPU and 3-9 ms less time than with V8's default (A/B in fresh processes,
 * 4 pairs of 12 rounds; 32 MB was slower than the default, 12 MB in between).
 */
export const READER_LIMITS = { maxYoungGenerationSizeMb: 24 };

/** A first look of at least this many processes is read by two threads. */
export const PARALLEL_AT = 128;
/** The longest line of /proc/net/tcp6 is 178 bytes (tcp's are padded to 150); with room to spare. */
const TCP_LINE_MAX = 256;
/** Processes a thread takes at a time (~5 ms of reading). */
const CHUNK = 32;
/** How long the gathering waits for the helper's last chunks before reading them itself. */
const HELPER_WAIT_MS = 3000;
const WANT_DETAILS = 1;
const WANT_SYSCALLS = 2;
/** ReadJob.state: [the next index to take, whether the helper BEGAN or was told not to (CANCELLED)]. */
const NEXT = 0;
const BEGUN_AT = 1;
const BEGAN = 1;
const CANCELLED = 2;

/** The processes of a first look, shared with a helper thread (SharedArrayBuffers, not copies). */
export interface ReadJob {
  procRoot: string;
  shmDir: string;
  mqueueDir: string;
  pids: Int32Array;
  /** Per pid: WANT_DETAILS, WANT_SYSCALLS. */
  wants: Uint8Array;
  state: Int32Array;
}

/** A first look's processes as handed to the helper, and its answer to come. */
interface SharedReading {
  job: ReadJob;
  theirs: Promise<Map<number, FreshRead> | null>;
}

/** A thread that reads processes for a first look (ipcWorker.ts runs one beside the gathering's). */
export interface ReadHelper {
  /** Starts the thread if it is not running (it takes a while): called as a look begins. */
  prepare(): void;
  /** What the helper read of the job, by pid; null when it failed. */
  read(job: ReadJob): Promise<Map<number, FreshRead> | null>;
}

/** A process as read: null when it is gone, its stat alone for a zombie. */
export type FreshRead = RawIpc | { zombie: RawIpc['st'] } | null;

interface PathFacts {
  kind: 'fifo' | 'shm' | 'sem' | 'mqueue' | 'other';
  inode: number;
  size: number;
}

interface UnixSock {
  path: string;
  type: string;
  state: string;
  /** "Unix stream socket, connected": made once per socket, not per look. */
  detail: string;
}

interface TcpSock {
  local: string;
  remote: string;
  state: string;
}

const TCP_STATES: Record<string, string> = { '01': 'ESTABLISHED', '02': 'SYN_SENT', '03': 'SYN_RECV', '04': 'FIN_WAIT1', '05': 'FIN_WAIT2', '06': 'TIME_WAIT', '07': 'CLOSE', '08': 'CLOSE_WAIT', '09': 'LAST_ACK', '0A': 'LISTEN', '0B': 'CLOSING' };
const UNIX_TYPES: Record<string, string> = { '0001': 'stream', '0002': 'dgram', '0005': 'seqpacket' };

/** Does the reading; keeps what it read to reuse on the next look. Use IpcObjectScanner (ipcObjects.ts), which runs it in a worker. */
export class IpcGatherer {
  private readonly reader = new ProcFileReader();
  /** The socket tables, read whole (up to 256 MB: some 2 million sockets). */
  private readonly tableReader = new ProcFileReader(256 << 20);
  /** What was read per process, by pid (with its start time), reused while the process has not run. */
  private cache = new Map<number, RawIpc>();
  private readonly shmNeedle: string;
  /** What a maps file must hold to map the shared-memory directory ("dev/shm/"): see mapLines. */
  private readonly shmProbe: string;
  /** Unix socket inode → its peer's inode (from ss), kept while the socket lives. */
  private readonly peerCache = new Map<number, number>();
  /** The last /proc/net/unix, by inode: an unchanged line reuses its entry instead of allocating one. */
  private unixCache = new Map<number, UnixSock>();
  /** Which ss to run for socket peers (tests point it at a missing binary). */
  ssCommand = 'ss';
  /** Longest synchronous stretch of the last gathering, ms (for the benchmark). */
  lastLongestSliceMs = 0;
  /** Reads part of a first look in another thread (set by ipcWorker.ts). */
  helper: ReadHelper | null = null;

  constructor(
    private readonly procRoot = process.env.IPC_SCOPE_PROC_ROOT || DEFAULT_PROC_ROOT,
    private readonly shmDir = '/dev/shm',
    private readonly mqueueDir = '/dev/mqueue',
    /** Longest synchronous stretch before yielding (Infinity in a worker: nothing else waits for its loop). */
    private readonly sliceMs = SLICE_MS,
  ) {
    this.shmNeedle = ` ${shmDir}/`;
    this.shmProbe = this.shmNeedle.replace(/^ \/+/, '');
  }

  async gather(opts: GatherOptions = {}): Promise<IpcGather> {
    const t0 = performance.now();
    const takenAt = Date.now();
    const notes: string[] = [];
    const slicer = new Slicer(this.sliceMs);
    // Woken now, so that a helper thread still starting is ready by the time the processes are read.
    const helping = this.helper && this.cache.size === 0 && (!opts.pids || opts.pids.length >= PARALLEL_AT) ? this.helper : null;
    helping?.prepare();

    const objects = new Map<string, OsIpcObject>();
    const obj = (id: string, kind: OsIpcKind, inode: number, label = '', detail = '', size: number | null = null): OsIpcObject => {
      let o = objects.get(id);
      if (!o) {
        o = { id, kind, inode, label, detail, size, holders: [], peer: null, channel: null, channelLabel: '' };
        objects.set(id, o);
      }
      return o;
    };

    // On the main thread the socket tables and the pid list are read on the thread pool, all at once (on
    // the event loop each takes several ms). A worker reads them itself: the kernel writes /proc/net/unix
    // 4 KB per read, and on the pool each read is a round trip, which while the helper thread reads
    // took 5–20 ms of waiting (2,000 sockets) instead of 2 ms of reading.
    const inWorker = this.sliceMs === Infinity;
    const unixRead = inWorker ? null : fs.promises.readFile(`${this.procRoot}/net/unix`).catch(() => null);
    const tcpRead = inWorker ? null : Promise.all(this.tcpTablesInUse().map((f) => fs.promises.readFile(`${this.procRoot}/net/${f}`, 'latin1').catch(() => null)));
    const pidsRead = opts.pids ? Promise.resolve(opts.pids) : inWorker ? Promise.resolve(listPids(this.procRoot)) : listPidsAsync(this.procRoot);
    pidsRead.catch(() => undefined); // its failure is the gathering's, when awaited below
    const pids = await slicer.wait(pidsRead);
    const anySyscalls = opts.syscalls !== false;
    const details = opts.detailsFor;
    const isDetailed = typeof details === 'function' ? details : details ? (pid: number) => details.has(pid) : () => true;
    // A first look reads every process: a helper thread reads some of them meanwhile (two threads read
    // /proc each as fast as one alone: on this 2-CPU machine the look takes 0.6 of one thread's time,
    // measured by npm run bench). It begins now, while this thread reads the socket and shared-memory tables.
    const sharing = helping ? this.shareReading(helping, pids, anySyscalls, isDetailed) : null;
    const unix = await this.readUnixTable(unixRead ? await slicer.wait(unixRead) : this.readWhole('net/unix'), notes, slicer);
    // A connected socket's peer never changes: ask ss only about new ones. On a first look it runs in its
    // own process while we read /proc; later only if a socket some process holds is new (starting a
    // process costs the event loop ~10 ms).
    for (const inode of this.peerCache.keys()) if (!unix.has(inode)) this.peerCache.delete(inode);
    const wantPeers = opts.socketPeers !== false;
    let anyConnected = false;
    for (const u of unix.values()) if (u.state === 'connected') anyConnected = true;
    const earlyPeers = wantPeers && this.peerCache.size === 0 && anyConnected ? unixPeers(this.ssCommand) : null;
    const tcp = tcpTables(tcpRead ? await slicer.wait(tcpRead) : this.tcpTablesInUse().map((f) => this.readTcpTable(f)));
    const shmDev = this.devOf(this.shmDir);
    const mqDev = this.devOf(this.mqueueDir);
    if (mqDev === null) notes.push(`no ${this.mqueueDir}: POSIX message queues are not listed (mount it with: mount -t mqueue none ${this.mqueueDir})`);
    this.listShm(obj, notes);
    if (mqDev !== null) this.listMqueues(obj);
    this.readSysv(obj);

    const pathFacts = new Map<string, PathFacts | null>();
    const procs = new Map<number, ProcIpc>();
    const nextCache = new Map<number, RawIpc>();
    const readAhead = sharing ? await this.finishReading(sharing, slicer) : null;
    for (const pid of pids) {
      if (slicer.due()) await slicer.pause();
      const detailed = isDetailed(pid);
      const syscalls = anySyscalls && detailed;
      // A process that has not run since the last look cannot have changed its fds, maps, syscall or
      // stat. A single-threaded one tells by its schedstat alone (run time, wait time and runs: a
      // reused pid does not repeat all three): one read instead of several.
      let raw = this.cache.get(pid);
      if (!raw || raw.st.threads > 1 || !this.sameRun(raw.ran, raw.st.state, syscalls, detailed, pid)) {
        const fresh = !raw && readAhead?.read.has(pid) ? readAhead.read.get(pid)! : await this.refresh(pid, raw, syscalls, detailed, slicer);
        if (!fresh) continue; // gone
        if ('zombie' in fresh) {
          const st = fresh.zombie;
          procs.set(pid, { pid, ppid: st.ppid, name: st.comm, state: st.state, threads: st.threads, fds: new Map(), sleeping: [], restricted: null, sharedMaps: [] });
          continue;
        }
        raw = fresh;
      }
      nextCache.set(pid, raw);
      const st = raw.st;
      const fds = new Map<number, string>();
      const sharedMaps: number[] = [];
      procs.set(pid, { pid, ppid: st.ppid, name: st.comm, state: st.state, threads: st.threads, fds, sleeping: raw.sleeping, restricted: raw.restricted, sharedMaps });
      for (const f of raw.fds) {
        const o = this.classifyFd(pid, f, pathFacts, shmDev, mqDev, unix, tcp, obj);
        if (!o) continue;
        o.holders.push(f.holder);
        fds.set(f.fd, o.id);
      }
      if (raw.maps.length) this.applyMaps(pid, raw.maps, obj, sharedMaps);
    }
    if (!opts.pids) this.cache = nextCache;

    const remember = (peers: Map<number, number> | null) => {
      if (peers && peers !== this.peerCache) for (const [inode, peer] of peers) if (unix.get(inode)?.state === 'connected') this.peerCache.set(inode, peer);
      return peers;
    };
    // Wait for ss only when a socket some process holds needs its peer (new sockets nobody holds, e.g. another user's, can wait for the next look).
    const unixObjects = new Map<number, OsIpcObject>();
    let held = false;
    for (const o of objects.values()) {
      if (o.kind !== 'unix') continue;
      unixObjects.set(o.inode, o);
      if (wantPeers && o.holders.length && !this.peerCache.has(o.inode) && unix.get(o.inode)?.state === 'connected') held = true;
    }
    const peers = held ? remember(await slicer.wait(earlyPeers ?? unixPeers(this.ssCommand))) : this.peerCache;
    if (!held) void earlyPeers?.then(remember);
    if (peers === null && wantPeers) notes.push(`${this.ssCommand} (iproute2) not found: Unix socket peers are not known`);
    if (peers) {
      for (const o of unixObjects.values()) {
        const peer = peers.get(o.inode);
        // The peer's id is its object's when someone holds it: no new string.
        if (peer) o.peer = unixObjects.get(peer)?.id ?? `socket:[${peer}]`;
      }
    }
    this.pairTcp(objects, tcp);
    this.lastLongestSliceMs = slicer.close();
    return { takenAt, procs, objects, notes, gatherMs: performance.now() - t0, longestSliceMs: slicer.longest, yields: slicer.yields, readByHelper: readAhead?.byHelper ?? 0 };
  }

  /**
   * Which of /proc/net/tcp and tcp6 can list a socket some process holds: those whose sockets are in
   * use, by /proc/net/sockstat(6). Reading one walks the kernel's whole TCP hash (2 ms here), even
   * when it lists nothing (most machines have no IPv6 TCP socket).
   */
  private tcpTablesInUse(): string[] {
    const names: string[] = [];
    for (const [table, stat, label] of [['tcp', 'sockstat', 'TCP: inuse '], ['tcp6', 'sockstat6', 'TCP6: inuse ']]) {
      const b = this.reader.readRecord(`${this.procRoot}/net/${stat}`);
      const at = typeof b === 'string' ? -1 : b.indexOf(label);
      // Unknown (no such file, another layout): read the table.
      if (at < 0 || parseInt((b as Buffer).toString('latin1', at + label.length, at + label.length + 12), 10) !== 0) names.push(table);
    }
    return names;
  }

  /** /proc/net/tcp or tcp6 read on this thread; null when unreadable. */
  private readTcpTable(name: string): string | null {
    const b = this.tableReader.readTable(`${this.procRoot}/net/${name}`, TCP_LINE_MAX);
    return typeof b === 'string' ? null : b.toString('latin1');
  }

  /** A file of /proc (a socket table) read to its end on this thread, copied; null when it cannot be read. */
  private readWhole(name: string): Buffer | null {
    const b = this.tableReader.readBytes(`${this.procRoot}/${name}`);
    return typeof b === 'string' ? null : Buffer.from(b);
  }

  /**
   * A process read again, its cached read kept when its stat and run counts say it has not changed: null
   * when it is gone. The run counts are taken before the rest, so a change made while reading shows next time.
   */
  private async refresh(pid: number, raw: RawIpc | undefined, syscalls: boolean, detailed: boolean, slicer: Slicer): Promise<FreshRead> {
    const statBytes = this.reader.readRecord(`${this.procRoot}/${pid}/stat`);
    if (typeof statBytes === 'string') return null;
    const st = parseStatBrief(statBytes);
    if (!st) return null;
    if (st.state === 'Z' || st.state === 'X') return { zombie: st };
    const ran: RunMark = { state: st.state, syscalls, detailed, counts: this.runCount(pid, st.threads) };
    if (!raw || raw.st.startTicks !== st.startTicks || ran.counts === null || !sameMark(raw.ran, ran)) {
      raw = await this.readRaw(pid, st.state, st.threads, syscalls, detailed, slicer);
      raw.ran = ran;
    }
    raw.st = st;
    return raw;
  }

  /**
   * Hands the pids to the helper thread: each thread takes CHUNK pids at a time from a shared counter, so
   * the split follows how fast each goes (a helper still starting takes none). null for too few pids.
   */
  private shareReading(helper: ReadHelper, pids: number[], anySyscalls: boolean, isDetailed: (pid: number) => boolean): SharedReading | null {
    if (pids.length < PARALLEL_AT) return null;
    const job: ReadJob = {
      procRoot: this.procRoot,
      shmDir: this.shmDir,
      mqueueDir: this.mqueueDir,
      pids: new Int32Array(new SharedArrayBuffer(4 * pids.length)),
      wants: new Uint8Array(new SharedArrayBuffer(pids.length)),
      state: new Int32Array(new SharedArrayBuffer(8)),
    };
    job.pids.set(pids);
    pids.forEach((pid, i) => {
      const detailed = isDetailed(pid);
      job.wants[i] = (detailed ? WANT_DETAILS : 0) | (anySyscalls && detailed ? WANT_SYSCALLS : 0);
    });
    const theirs = helper.read(job);
    return { job, theirs };
  }

  /** Reads this thread's share of a shared reading, then takes the helper's. What the helper could not read (it failed, or was too slow) is read in the gathering's loop. */
  private async finishReading({ job, theirs }: SharedReading, slicer: Slicer): Promise<{ read: Map<number, FreshRead>; byHelper: number }> {
    const read = await this.takeChunks(job, slicer);
    // A helper that has not begun by now is told not to (it would add its start-up to this look).
    if (Atomics.compareExchange(job.state, BEGUN_AT, 0, CANCELLED) === 0) return { read, byHelper: 0 };
    let timer: NodeJS.Timeout | undefined;
    const helped = await Promise.race([theirs, new Promise<null>((resolve) => (timer = setTimeout(resolve, HELPER_WAIT_MS, null)))]);
    clearTimeout(timer);
    if (helped) for (const [pid, fresh] of helped) read.set(pid, fresh);
    return { read, byHelper: helped?.size ?? 0 };
  }

  /** Reads chunks of a ReadJob until none is left: the gathering's side and the helper's (helpRead). */
  private async takeChunks(job: ReadJob, slicer: Slicer, onChunk?: (read: [number, FreshRead][]) => void): Promise<Map<number, FreshRead>> {
    const out = new Map<number, FreshRead>();
    const n = job.pids.length;
    for (;;) {
      const at = Atomics.add(job.state, NEXT, CHUNK);
      if (at >= n) return out;
      const chunk: [number, FreshRead][] = [];
      for (let i = at; i < Math.min(n, at + CHUNK); i++) {
        const pid = job.pids[i];
        chunk.push([pid, await this.refresh(pid, undefined, (job.wants[i] & WANT_SYSCALLS) !== 0, (job.wants[i] & WANT_DETAILS) !== 0, slicer)]);
      }
      if (onChunk) onChunk(chunk);
      else for (const [pid, fresh] of chunk) out.set(pid, fresh);
    }
  }

  /**
   * The helper thread's side of a ReadJob (ipcWorker.ts): each chunk is handed to `onChunk` as it is read
   * (copying it to the other thread then overlaps the reading); false when the gathering no longer wanted it.
   */
  async helpRead(job: ReadJob, onChunk: (read: [number, FreshRead][]) => void): Promise<boolean> {
    if (Atomics.compareExchange(job.state, BEGUN_AT, 0, BEGAN) !== 0) return false;
    await this.takeChunks(job, new Slicer(Infinity), onChunk);
    return true;
  }

  /** Whether a single-threaded process is as it was read: same state and wanted details, and its schedstat unchanged (it has not run). */
  private sameRun(ran: RunMark, state: string, syscalls: boolean, detailed: boolean, pid: number): boolean {
    if (ran.state !== state || ran.syscalls !== syscalls || ran.detailed !== detailed || !(ran.counts instanceof Buffer)) return false;
    const now = this.reader.readRecord(`${this.procRoot}/${pid}/schedstat`);
    return typeof now !== 'string' && now.equals(ran.counts);
  }

  /**
   * Each thread's syscall now, with its context-switch count: a thread that did not move between two
   * samples was stuck all along. The runtime's threads (its sender wakes on its own timer) are left out.
   */
  resample(pid: number): Map<number, string> {
    const out = new Map<number, string>();
    let tids: string[];
    try {
      tids = fs.readdirSync(`${this.procRoot}/${pid}/task`);
    } catch {
      return out;
    }
    for (const tid of tids) {
      const comm = this.reader.readText(`${this.procRoot}/${pid}/task/${tid}/comm`, true);
      if (typeof comm === 'string' && isRuntimeThread(comm.trim())) continue;
      const sc = this.reader.readText(`${this.procRoot}/${pid}/task/${tid}/syscall`, true);
      const status = this.reader.readText(`${this.procRoot}/${pid}/task/${tid}/status`, true);
      if (typeof sc !== 'string' || typeof status !== 'string') continue;
      const switches = /\nvoluntary_ctxt_switches:\s*(\d+)\s*\nnonvoluntary_ctxt_switches:\s*(\d+)/.exec(status);
      out.set(Number(tid), `${sc.trim()}|${switches ? `${switches[1]}/${switches[2]}` : ''}`);
    }
    return out;
  }

  private sleepingThreads(pid: number, threads: number, problems: string[]): ThreadSample[] {
    const read = (path: string): string | null => {
      const r = this.reader.readText(path, true);
      if (typeof r === 'string') return r.trim();
      if (r.error !== 'ENOENT' && r.error !== 'ESRCH') problems.push(`syscall: ${r.error}`);
      return null;
    };
    const sample = (tid: number, base: string, comm: string): ThreadSample | null => {
      const raw = read(`${base}/syscall`);
      // The runtime's threads count even while they run: they never wake the program's IPC (a debugger's
      // resume, which the command reader passes on, wakes a thread that waits with a timeout anyway).
      if (raw === null || (raw === 'running' && !isRuntimeThread(comm))) return null;
      return { tid, raw, syscall: decodeSyscall(raw), comm };
    };
    if (threads <= 1) {
      const s = sample(pid, `${this.procRoot}/${pid}`, '');
      return s ? [s] : [];
    }
    let tids: string[];
    try {
      tids = fs.readdirSync(`${this.procRoot}/${pid}/task`);
    } catch {
      return [];
    }
    const out: ThreadSample[] = [];
    for (const t of tids) {
      const base = `${this.procRoot}/${pid}/task/${t}`;
      const comm = this.reader.readText(`${base}/comm`, true);
      const s = sample(Number(t), base, typeof comm === 'string' ? comm.trim() : '');
      if (s) out.push(s);
    }
    return out;
  }

  /** A path fd that could be a FIFO, shared memory or a message queue (not a tty or /dev/null). */
  private mayBeIpcPath(target: string): boolean {
    return !target.startsWith('/dev/') || target.startsWith(this.shmDir + '/') || target.startsWith(this.mqueueDir + '/');
  }

  private classifyFd(
    pid: number,
    f: RawFd,
    pathFacts: Map<string, PathFacts | null>,
    shmDev: number | null,
    mqDev: number | null,
    unix: Map<number, UnixSock>,
    tcp: Map<number, TcpSock>,
    obj: (id: string, kind: OsIpcKind, inode: number, label?: string, detail?: string, size?: number | null) => OsIpcObject,
  ): OsIpcObject | null {
    const target = f.target;
    const c = target.charCodeAt(0);
    if (c === 0x70 /* p */) return obj(target, 'pipe', f.inode);
    if (c === 0x73 /* s */) {
      const u = unix.get(f.inode);
      if (u) return obj(target, 'unix', f.inode, u.path, u.detail);
      const t = tcp.get(f.inode);
      if (t) return obj(target, 'tcp', f.inode, t.state === 'LISTEN' ? `listening on ${t.local}` : `${t.local} → ${t.remote}`, `TCP ${t.state}`);
      return null; // netlink, UDP, another namespace's socket: not IPC we show
    }
    let facts = pathFacts.get(target);
    if (facts === undefined) {
      facts = null;
      try {
        const s = fs.statSync(`${this.procRoot}/${pid}/fd/${f.fd}`);
        const kind: PathFacts['kind'] = s.isFIFO() ? 'fifo' : shmDev !== null && s.dev === shmDev ? (/\/sem\.[^/]*$/.test(target) ? 'sem' : 'shm') : mqDev !== null && s.dev === mqDev ? 'mqueue' : 'other';
        facts = { kind, inode: s.ino, size: s.size };
      } catch {
        // closed while we looked
      }
      pathFacts.set(target, facts);
    }
    if (!facts || facts.kind === 'other') return null;
    const path = target.replace(/ \(deleted\)$/, '');
    if (facts.kind === 'fifo') return obj(`fifo:[${facts.inode}]`, 'fifo', facts.inode, path, 'named pipe (FIFO)');
    if (facts.kind === 'mqueue') return obj(`mqueue:${path.replace(/^.*\//, '/')}`, 'mqueue', facts.inode, path.replace(/^.*\//, '/'), 'POSIX message queue');
    return shmObject(obj, path, facts.inode, facts.size, target.endsWith(' (deleted)'));
  }

  /** Everything read for one process: its IPC fds (with open mode), its /dev/shm and SysV mappings, its sleeping threads. */
  private async readRaw(pid: number, state: string, threads: number, syscalls: boolean, maps: boolean, slicer: Slicer): Promise<RawIpc> {
    const problems: string[] = [];
    const fds: RawFd[] = [];
    const fdDir = `${this.procRoot}/${pid}/fd`;
    for (const name of await this.listFds(fdDir, problems, slicer)) {
      if (slicer.due()) await slicer.pause();
      const link = `${fdDir}/${name}`;
      try {
        const target = fs.readlinkSync(link);
        const c = target.charCodeAt(0);
        const pipe = c === 0x70 /* p */ && target.startsWith('pipe:[');
        const socket = !pipe && c === 0x73 /* s */ && target.startsWith('socket:[');
        if (!pipe && !socket && (c !== 0x2f /* / */ || !this.mayBeIpcPath(target))) continue; // anon_inode:…, ttys, /dev/null
        // The link's permission bits are the fd's open mode (r-x: read, -wx: write): no fdinfo read needed.
        let mode: OsIpcHolder['mode'] = 'rw';
        if (!socket) {
          const st = fs.lstatSync(link, { throwIfNoEntry: false });
          if (!st) continue; // closed while we looked
          mode = st.mode & 0o400 ? (st.mode & 0o200 ? 'rw' : 'r') : 'w';
        }
        const fd = Number(name);
        fds.push({ fd, target, inode: pipe ? Number(target.slice(6, -1)) : socket ? Number(target.slice(8, -1)) : 0, holder: { pid, fd, mode } });
      } catch {
        // closed while we looked
      }
    }
    // Large processes (browsers, editors) have thousands of mappings: read them only for processes in view.
    const mapped = maps ? this.mapLines(pid) : [];
    if (slicer.due()) await slicer.pause();
    const sleeping = syscalls && (state === 'S' || state === 'D') ? this.sleepingThreads(pid, threads, problems) : [];
    return { ran: { state, syscalls, detailed: maps, counts: null }, st: { ppid: 0, comm: '', state, threads, startTicks: 0 }, fds, maps: mapped, sleeping, restricted: problems.length ? explain(problems) : null };
  }

  /**
   * The names in /proc/PID/fd. A short table in one call (a Dir costs ~20 µs more per process); a long one
   * in batches between slices (10k fds take ~60 ms to list in one call). The directory's size is its
   * number of fds (Linux ≥ 6.2; 0 before, so listed in batches).
   */
  private async listFds(fdDir: string, problems: string[], slicer: Slicer): Promise<string[]> {
    // In a worker nothing waits for this thread's loop: any table is listed in one call, without counting it first.
    const atOnce = this.sliceMs === Infinity;
    let count = 0;
    if (!atOnce) {
      try {
        count = fs.statSync(fdDir, { throwIfNoEntry: false })?.size ?? 0;
      } catch {
        // unreadable: the listing says why
      }
    }
    if (atOnce || (count > 0 && count <= FDS_LISTED_AT_ONCE)) {
      try {
        // readdirSync sorts names as text; the table's own order (by fd) is what a Dir gives.
        return fs.readdirSync(fdDir).sort((a, b) => Number(a) - Number(b));
      } catch (e) {
        problems.push(`fd: ${(e as NodeJS.ErrnoException).code}`);
        return [];
      }
    }
    const names: string[] = [];
    let dir: fs.Dir;
    try {
      dir = fs.opendirSync(fdDir, { bufferSize: 64 });
    } catch (e) {
      problems.push(`fd: ${(e as NodeJS.ErrnoException).code}`);
      return names;
    }
    try {
      for (;;) {
        if (slicer.due()) await slicer.pause();
        const entry = dir.readSync();
        if (!entry) break;
        names.push(entry.name);
      }
    } catch {
      // the process ended while we listed it
    } finally {
      try {
        dir.closeSync();
      } catch {
        // already closed
      }
    }
    return names;
  }

  /** Each thread's schedstat (time on a CPU, time waiting for one, times run): unchanged means it has not run. null when unknown. */
  private runCount(pid: number, threads: number): Buffer | string | null {
    if (threads <= 1) {
      const t = this.reader.readRecord(`${this.procRoot}/${pid}/schedstat`);
      return typeof t === 'string' || t.length === 0 ? null : Buffer.from(t);
    }
    let tids: string[];
    try {
      tids = fs.readdirSync(`${this.procRoot}/${pid}/task`);
    } catch {
      return null;
    }
    const counts: string[] = [];
    for (const tid of tids) {
      const t = this.reader.readRecord(`${this.procRoot}/${pid}/task/${tid}/schedstat`);
      if (typeof t === 'string' || t.length === 0) return null;
      counts.push(`${tid}:${t.toString('latin1').trim()}`);
    }
    return counts.join(',');
  }

  /** The lines of /proc/PID/maps that map /dev/shm or System V shared memory (most processes: none). */
  private mapLines(pid: number): string[] {
    const b = this.reader.readBytes(`${this.procRoot}/${pid}/maps`);
    if (typeof b === 'string') return [];
    // Probed for without the leading " /": a needle that begins with a byte as common in maps as a space
    // or a slash is found several times slower (3.5 KB of maps: 6.8 µs for both, 1.1 µs without).
    if (b.indexOf(this.shmProbe) < 0 && b.indexOf('SYSV') < 0) return [];
    return b.toString('utf8').split('\n').filter((l) => l.includes(this.shmNeedle) || l.includes(' /SYSV'));
  }

  private applyMaps(pid: number, lines: string[], obj: (id: string, kind: OsIpcKind, inode: number, label?: string, detail?: string, size?: number | null) => OsIpcObject, sharedMaps: number[]): void {
    const seen = new Set<string>();
    for (const line of lines) {
      const shmAt = line.indexOf(this.shmNeedle);
      const cols = line.split(/\s+/, 6);
      const inode = Number(cols[4]);
      const [start, end] = cols[0].split('-').map((h) => parseInt(h, 16));
      if (Number.isSafeInteger(start) && Number.isSafeInteger(end)) sharedMaps.push(start, end, inode);
      let o: OsIpcObject;
      if (shmAt < 0) o = obj(`sysv-shm:${inode}`, 'sysv-shm', inode, '', 'System V shared memory');
      else {
        const target = line.slice(shmAt + 1);
        o = shmObject(obj, target.replace(/ \(deleted\)$/, ''), inode, end - start, target.endsWith(' (deleted)'));
      }
      if (seen.has(o.id)) continue;
      seen.add(o.id);
      o.holders.push({ pid, fd: null, mode: 'map' });
    }
  }

  private devOf(dir: string): number | null {
    try {
      return fs.statSync(dir).dev;
    } catch {
      return null;
    }
  }

  private listShm(obj: (id: string, kind: OsIpcKind, inode: number, label?: string, detail?: string, size?: number | null) => OsIpcObject, notes: string[]): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.shmDir);
    } catch {
      notes.push(`no ${this.shmDir}: POSIX shared memory is not listed`);
      return;
    }
    for (const n of names) {
      try {
        const s = fs.statSync(`${this.shmDir}/${n}`);
        if (s.isFile()) shmObject(obj, `${this.shmDir}/${n}`, s.ino, s.size, false);
      } catch {
        // unlinked while we looked
      }
    }
  }

  private listMqueues(obj: (id: string, kind: OsIpcKind, inode: number, label?: string, detail?: string, size?: number | null) => OsIpcObject): void {
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.mqueueDir);
    } catch {
      return;
    }
    for (const n of names) {
      const text = this.reader.readText(`${this.mqueueDir}/${n}`);
      if (typeof text !== 'string') continue;
      const qsize = Number(/QSIZE:(\d+)/.exec(text)?.[1] ?? NaN);
      let inode = 0;
      try {
        inode = fs.statSync(`${this.mqueueDir}/${n}`).ino;
      } catch {
        continue;
      }
      obj(`mqueue:/${n}`, 'mqueue', inode, `/${n}`, `POSIX message queue, ${Number.isFinite(qsize) ? `${qsize} bytes queued` : 'queue size unknown'}`, Number.isFinite(qsize) ? qsize : null);
    }
  }

  /** /proc/sysvipc: segments with their creator and last user, queues with their last sender and receiver, semaphore sets. */
  private readSysv(obj: (id: string, kind: OsIpcKind, inode: number, label?: string, detail?: string, size?: number | null) => OsIpcObject): void {
    const rows = (file: string): string[][] => {
      const t = this.reader.readText(`${this.procRoot}/sysvipc/${file}`);
      if (typeof t !== 'string') return [];
      return t.split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((r) => r.length > 4);
    };
    const keyText = (k: string) => (k === '0' ? 'IPC_PRIVATE' : `key 0x${(Number(k) >>> 0).toString(16).padStart(8, '0')}`);
    for (const r of rows('shm')) {
      const [key, id, , size, cpid, lpid, nattch] = r;
      const o = obj(`sysv-shm:${id}`, 'sysv-shm', Number(id), `${keyText(key)}, id ${id}`, '', Number(size));
      o.label = `${keyText(key)}, id ${id}`;
      o.size = Number(size);
      o.detail = `System V shared memory, ${size} bytes, ${nattch} attached; created by pid ${cpid}, last attach/detach by pid ${lpid}`;
      if (Number(cpid) > 0) o.holders.push({ pid: Number(cpid), fd: null, mode: 'created' });
    }
    for (const r of rows('msg')) {
      const [key, id, , cbytes, qnum, lspid, lrpid] = r;
      const o = obj(`sysv-msg:${id}`, 'sysv-msg', Number(id), `${keyText(key)}, id ${id}`, `System V message queue, ${qnum} messages (${cbytes} bytes) queued`, Number(cbytes));
      if (Number(lspid) > 0) o.holders.push({ pid: Number(lspid), fd: null, mode: 'sent' });
      if (Number(lrpid) > 0) o.holders.push({ pid: Number(lrpid), fd: null, mode: 'received' });
    }
    for (const r of rows('sem')) {
      const [key, id, , nsems] = r;
      obj(`sysv-sem:${id}`, 'sysv-sem', Number(id), `${keyText(key)}, id ${id}`, `System V semaphore set of ${nsems}`);
    }
  }

  /**
   * /proc/net/unix (read off the event loop: thousands of sockets take the kernel ~10 ms to list), parsed
   * from its bytes in slices; a line as it was at the last look reuses that entry (a new or changed line is parsed into a new one).
   */
  private async readUnixTable(b: Buffer | null, notes: string[], slicer: Slicer): Promise<Map<number, UnixSock>> {
    const out = new Map<number, UnixSock>();
    if (!b) {
      notes.push('/proc/net/unix is unreadable: Unix sockets are not listed');
      return out;
    }
    const prev = this.unixCache;
    let at = b.indexOf(0x0a) + 1; // the line after the header
    for (let n = 1; at > 0 && at < b.length; n++) {
      if ((n & 63) === 0 && slicer.due()) await slicer.pause();
      let end = b.indexOf(0x0a, at);
      if (end < 0) end = b.length;
      const sock = unixLine(b, at, end, prev) ?? unixLineAsText(b.toString('latin1', at, end));
      if (sock) out.set(sock[0], sock[1]);
      at = end + 1;
    }
    this.unixCache = out;
    return out;
  }

  /** Two local TCP sockets whose addresses mirror each other are the two ends of one connection. */
  private pairTcp(objects: Map<string, OsIpcObject>, tcp: Map<number, TcpSock>): void {
    const byEnds = new Map<string, string>();
    for (const o of objects.values()) {
      const t = o.kind === 'tcp' ? tcp.get(o.inode) : undefined;
      if (t && t.state !== 'LISTEN') byEnds.set(`${t.local}|${t.remote}`, o.id);
    }
    for (const o of objects.values()) {
      const t = o.kind === 'tcp' ? tcp.get(o.inode) : undefined;
      if (t && t.state !== 'LISTEN') o.peer = byEnds.get(`${t.remote}|${t.local}`) ?? null;
    }
  }
}

/**
 * One /proc/net/unix line ("Num RefCount Protocol Flags Type St Inode [Path]", single spaces between
 * fields after the padding) read from its bytes: [inode, entry], the last look's entry when the line is
 * the same. undefined: not a plain line (tabs, runs of spaces or non-ASCII spaces in the path), read as text.
 */
function unixLine(b: Buffer, at: number, end: number, prev: Map<number, UnixSock>): [number, UnixSock] | null | undefined {
  const starts: number[] = [];
  const ends: number[] = [];
  let i = at;
  for (let f = 0; f < 7; f++) {
    while (i < end && b[i] === 0x20) i++;
    if (i === end) return null; // fewer than 7 fields
    starts.push(i);
    while (i < end && b[i] !== 0x20) {
      const c = b[i];
      if ((c >= 0x09 && c <= 0x0d) || c === 0xa0) return undefined;
      i++;
    }
    ends.push(i);
  }
  let flags = 0;
  for (let j = starts[3]; j < ends[3]; j++) {
    const d = hexDigit(b[j]);
    if (d < 0) return undefined;
    flags = flags * 16 + d;
  }
  let inode = 0;
  for (let j = starts[6]; j < ends[6]; j++) {
    if (b[j] < 0x30 || b[j] > 0x39) return undefined;
    inode = inode * 10 + (b[j] - 0x30);
  }
  while (i < end && b[i] === 0x20) i++;
  const pathStart = i;
  let pathEnd = end;
  while (pathEnd > pathStart && b[pathEnd - 1] === 0x20) pathEnd--;
  for (let j = pathStart; j < pathEnd; j++) {
    const c = b[j];
    if ((c >= 0x09 && c <= 0x0d) || c === 0xa0 || (c === 0x20 && b[j + 1] === 0x20)) return undefined;
  }
  const t = starts[4];
  const known = ends[4] - t === 4 && b[t] === 0x30 && b[t + 1] === 0x30 && b[t + 2] === 0x30 ? UNIX_TYPE_BY_DIGIT[b[t + 3]] : undefined;
  const st = starts[5];
  const connected = ends[5] - st === 2 && b[st] === 0x30 && b[st + 1] === 0x33; // "03"
  const state = (flags & 0x10000) !== 0 ? 'listening' : connected ? 'connected' : 'unconnected';
  const old = prev.get(inode);
  if (old && known !== undefined && old.type === known && old.state === state && sameLatin1(b, pathStart, pathEnd, old.path)) return [inode, old];
  const token = known ?? b.toString('latin1', t, ends[4]);
  return [inode, unixSock(b.toString('latin1', pathStart, pathEnd), UNIX_TYPES[token] ?? token, state)];
}

/** The same line split as text (any line unixLine does not take). */
function unixLineAsText(line: string): [number, UnixSock] | null {
  const c = line.trim().split(/\s+/);
  if (c.length < 7) return null;
  const listening = (parseInt(c[3], 16) & 0x10000) !== 0;
  return [Number(c[6]), unixSock(c.slice(7).join(' '), UNIX_TYPES[c[4]] ?? c[4], listening ? 'listening' : c[5] === '03' ? 'connected' : 'unconnected')];
}

const unixSock = (path: string, type: string, state: string): UnixSock => ({ path, type, state, detail: `Unix ${type} socket, ${state}` });

/** "000N" type codes by their last digit (0001 stream, 0002 dgram, 0005 seqpacket). */
const UNIX_TYPE_BY_DIGIT: Record<number, string | undefined> = { 0x31: 'stream', 0x32: 'dgram', 0x35: 'seqpacket' };

/** /proc/net/tcp and tcp6 (null: unreadable), by inode. */
function tcpTables(texts: Array<string | null>): Map<number, TcpSock> {
  const out = new Map<number, TcpSock>();
  for (const t of texts) {
    if (t === null) continue;
    const lines = t.split('\n');
    for (let i = 1; i < lines.length; i++) {
      const c = lines[i].trim().split(/\s+/);
      if (c.length < 10 || c[9] === '0') continue;
      out.set(Number(c[9]), { local: hexAddr(c[1]), remote: hexAddr(c[2]), state: TCP_STATES[c[3]] ?? c[3] });
    }
  }
  return out;
}

function sameMark(a: RunMark, b: RunMark): boolean {
  if (a.state !== b.state || a.syscalls !== b.syscalls || a.detailed !== b.detailed) return false;
  if (a.counts instanceof Buffer && b.counts instanceof Buffer) return a.counts.equals(b.counts);
  return a.counts === b.counts;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function sameLatin1(b: Buffer, start: number, end: number, s: string): boolean {
  if (end - start !== s.length) return false;
  for (let i = 0; i < s.length; i++) if (b[start + i] !== s.charCodeAt(i)) return false;
  return true;
}

function shmObject(obj: (id: string, kind: OsIpcKind, inode: number, label?: string, detail?: string, size?: number | null) => OsIpcObject, path: string, inode: number, size: number, deleted: boolean): OsIpcObject {
  const base = path.replace(/^.*\//, '');
  const isSem = base.startsWith('sem.');
  const name = `/${isSem ? base.slice(4) : base}`;
  const gone = deleted ? ' (unlinked, still mapped)' : '';
  const o = isSem
    ? obj(`sem:${name}`, 'sem', inode, name, `POSIX named semaphore${gone}`, null)
    : obj(`shm:${name}`, 'shm', inode, name, `POSIX shared memory, ${size} bytes${gone}`, size);
  return o;
}

/** "0100007F:1F90" → "127.0.0.1:8080"; IPv6 as 4 little-endian words. */
function hexAddr(s: string): string {
  const [h, port] = s.split(':');
  const p = parseInt(port, 16);
  if (h.length === 8) {
    const n = parseInt(h, 16);
    return `${n & 255}.${(n >>> 8) & 255}.${(n >>> 16) & 255}.${n >>> 24}:${p}`;
  }
  const bytes: string[] = [];
  for (let w = 0; w < 4; w++) {
    const word = h.slice(w * 8, w * 8 + 8);
    for (let b = 3; b >= 0; b--) bytes.push(word.slice(b * 2, b * 2 + 2));
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(parseInt(bytes[i] + bytes[i + 1], 16).toString(16));
  return `[${groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')}]:${p}`;
}

function explain(problems: string[]): string {
  const denied = problems.some((p) => p.endsWith('EACCES') || p.endsWith('EPERM'));
  const what = denied ? "permission denied (another user's process?)" : 'it ended while being read';
  return `Its fds or syscall could not be read: ${what} [${problems.join(', ')}]`;
}

/**
 * The runtime hub: a Unix socket, in a directory only the user can enter (0700), the socket itself
 * 0600, and a per-run token in the `hello` frame. Each batch is decoded and handed to the 'events'
 * listeners in short slices (SLICE_MS), a runtime's frames in their order. Memory stays flat: the
 * sockets are not read while a large backlog is worked off (it then waits in the socket and in the
 * runtime's bounded buffer). What the runtime could not send is counted (droppedByRuntime), never
 * silently lost. A small ring of recent events can be kept for tests (HubOptions.keep).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { processKey } from '../../../protocol/protocol';
import { EventKinds, FrameTypes, HelloFrame, LostFrame, MAX_FRAME_BYTES, RUNTIME_PROTOCOL_VERSION, RuntimeEvent, RuntimeEnv } from '../../../protocol/runtime';
import type { DebuggerFrame } from '../../../protocol/debug';
import { DebugRelay } from './debugRelay';
import { BinaryEvents, FrameError, FrameReader, encodeFrame } from './frames';
import { Base64Bytes, EventBatchReader, MarshalError, MarshalValue } from './marshal';

export interface HubEvent extends RuntimeEvent {
  pid: number;
  /** process key, pid@starttime */
  key: string;
}

export interface HubClient {
  pid: number;
  ppid: number;
  key: string;
  argv: string[];
  /** Kernel command name and full command line (HelloFrame comm, cmdline), "" and [] when not sent. */
  comm: string;
  cmdline: string[];
  /** Start time, clock ticks after boot. */
  startTicks: number;
  python: string;
  connectedAt: number;
  /** The debug session that launched it (IPCSCOPE_DEBUG), "" when none. */
  debugSession: string;
  events: number;
  /** Events it could not buffer, as its batches report them. */
  droppedByRuntime: number;
  /** Events it still held when it went quiet (a `lost` frame). */
  lostAtExit: number;
  connected: boolean;
}

export interface HubStats {
  clients: number;
  received: number;
  /** Events pushed out of the kept recent events (HubOptions.keep); every one was delivered to the listeners first. */
  overwritten: number;
  /** Reported by runtimes that could not buffer or send them (batches' counts and `lost` frames). */
  droppedByRuntime: number;
  protocolErrors: number;
}

export interface HubOptions {
  /**
   * Recent events kept for events() (tests, benchmarks); 0 by default. Listeners of 'events' get
   * every event as it arrives, and keep what they need: keeping more here only gives the GC a
   * large heap of old events to trace (the hub's CPU per event fell by a third without it).
   */
  keep?: number;
  maxFrameBytes?: number;
  /** Use this socket path instead of a fresh private directory (a stale socket there is replaced). */
  socketPath?: string;
  /** Frame bytes waiting to be handed on above which the runtimes' sockets are not read (PAUSE_BYTES). */
  pauseBytes?: number;
}

/** A unit of the hub's work: step() does a slice of it and says whether it is done. */
interface Work {
  /** Bytes of frames it has still to hand on (its share of the backlog). */
  bytes: number;
  step(): boolean;
}
/** Events handed to the listeners per step. */
const SLICE_EVENTS = 128;
/**
 * The hub works in slices of SLICE_MS and sleeps (a timer turn) between them while it keeps up, so the
 * program's threads find a CPU free when they wake. On 2 vCPUs a Queue ping-pong ran 3% slower when
 * the hub took each of its 4096-event frames in one go (5 ms) than in 0.15 ms slices; a CPU burner
 * showed the same (0.6 ms bursts every 8 ms cost the ping-pong 6%, 0.15 ms every 2 ms nothing measurable).
 */
const SLICE_MS = 0.15;
/** Above this backlog the hub works without sleeping (BUSY_SLICE_MS at a time, then I/O) to catch up. */
const BACKLOG_BYTES = 512 * 1024;
const BUSY_SLICE_MS = 8;
/** Above this backlog the runtimes' sockets are not read until it is down to half (HubOptions.pauseBytes). */
const PAUSE_BYTES = 8 * 1024 * 1024;

/** Errors kept in Hub.errors (the oldest go first). */
const ERRORS_KEPT = 100;

/** A hub listens at <tmpdir>/ipc-scope-XXXXXX/hub.sock (unless given a path). */
const HUB_DIR_PREFIX = 'ipc-scope-';
const HUB_SOCKET_NAME = 'hub.sock';

/** Is this Unix socket path a hub's (the runtime's own connection, not the program's IPC)? */
export function isHubSocketPath(p: string): boolean {
  const parts = p.split('/');
  return parts.length >= 2 && parts[parts.length - 1] === HUB_SOCKET_NAME && parts[parts.length - 2].startsWith(HUB_DIR_PREFIX);
}

export class Hub extends EventEmitter {
  /** The hub's own token (debuggers, and tests); every run also gets one of its own (env()). */
  readonly token = randomBytes(24).toString('hex');
  private readonly tokens = [this.token];
  socketPath = '';
  private dir: string | null = null;
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private readonly ring: (HubEvent | undefined)[];
  private head = 0;
  private size = 0;
  readonly clients = new Map<string, HubClient>();
  /** What went wrong, newest last (the last ERRORS_KEPT). */
  readonly errors: string[] = [];
  readonly stats: HubStats = { clients: 0, received: 0, overwritten: 0, droppedByRuntime: 0, protocolErrors: 0 };
  /** Debuggers connected to this hub, and the processes they stopped. */
  readonly debug = new DebugRelay();
  /** Work waiting for its slice, in arrival order, and the frame bytes it still holds. */
  private readonly work: Work[] = [];
  private backlog = 0;
  private draining = false;
  private drainTimer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  /** Runtimes' sockets not read while the backlog is worked off. */
  private readonly paused = new Set<net.Socket>();

  constructor(private readonly opts: HubOptions = {}) {
    super();
    this.ring = new Array(opts.keep ?? 0);
  }

  /** Environment for a program run under the hub, with a token of its own (a hub serves many runs). */
  env(): Record<string, string> {
    const token = randomBytes(24).toString('hex');
    this.tokens.push(token);
    return { [RuntimeEnv.hub]: this.socketPath, [RuntimeEnv.token]: token };
  }

  async start(): Promise<void> {
    if (this.opts.socketPath) {
      this.socketPath = this.opts.socketPath;
      await removeStaleSocket(this.socketPath);
    } else {
      this.dir = fs.mkdtempSync(path.join(os.tmpdir(), HUB_DIR_PREFIX));
      fs.chmodSync(this.dir, 0o700);
      this.socketPath = path.join(this.dir, HUB_SOCKET_NAME);
    }
    const server = net.createServer((s) => this.accept(s));
    this.server = server;
    const oldMask = process.umask(0o177); // the socket is created 0600
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.socketPath, () => resolve());
      });
    } finally {
      process.umask(oldMask);
    }
    fs.chmodSync(this.socketPath, 0o600);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.finishWork();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
    else if (this.socketPath) fs.rmSync(this.socketPath, { force: true });
  }

  /** Bytes of frames received and not yet handed on to the listeners. */
  get backlogBytes(): number {
    return this.backlog;
  }

  /** The last `keep` events in arrival order (oldest first). */
  events(): HubEvent[] {
    const out: HubEvent[] = [];
    const cap = this.ring.length;
    for (let i = 0; i < this.size; i++) out.push(this.ring[(this.head - this.size + i + cap) % cap]!);
    return out;
  }

  private record(e: HubEvent): void {
    this.stats.received++;
    const cap = this.ring.length;
    if (cap === 0) return;
    if (this.size === cap) this.stats.overwritten++;
    else this.size++;
    this.ring[this.head] = e;
    this.head = (this.head + 1) % cap;
  }

  private noteError(message: string): void {
    this.errors.push(message);
    if (this.errors.length > ERRORS_KEPT) this.errors.shift();
  }

  private protocolError(socket: net.Socket, message: string): void {
    this.stats.protocolErrors++;
    this.noteError(message);
    this.emit('protocolError', message);
    if (!socket.destroyed) socket.end(encodeFrame({ t: FrameTypes.error, message }));
    socket.destroySoon?.();
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    const reader = new FrameReader(this.opts.maxFrameBytes ?? MAX_FRAME_BYTES);
    let client: HubClient | null = null;
    let isDebugger = false;
    let failed = false;
    const fail = (message: string) => {
      failed = true;
      this.protocolError(socket, message);
    };
    socket.on('data', (chunk: Buffer) => {
      if (failed) return;
      let frames: unknown[];
      try {
        frames = reader.push(chunk);
      } catch (e) {
        fail(e instanceof FrameError ? e.message : String(e));
        return;
      }
      for (const f of frames) {
        if (isDebugger) {
          const refused = this.debug.debuggerFrame(f as DebuggerFrame);
          if (refused) {
            fail(refused);
            return;
          }
          continue;
        }
        if (!client && (f as { role?: unknown }).role === 'debugger') {
          const refused = this.checkHello(f as HelloFrame);
          if (refused) {
            fail(refused);
            return;
          }
          isDebugger = true;
          const session = (f as { session?: unknown }).session;
          this.debug.debuggerConnected(socket, typeof session === 'string' ? session : undefined);
          continue;
        }
        if (!client && (f as { t?: unknown }).t === FrameTypes.lost) {
          const refused = this.lost(f as LostFrame);
          if (refused) fail(refused);
          else socket.end();
          return;
        }
        if (!client) {
          const accepted = this.hello(f as HelloFrame);
          if (typeof accepted === 'string') {
            fail(accepted);
            return;
          }
          client = accepted;
          socket.write(encodeFrame({ t: FrameTypes.welcome, v: RUNTIME_PROTOCOL_VERSION }));
          this.debug.runtimeConnected(socket, client);
          this.emit('client', client);
          continue;
        }
        const frame = f as { t: string; body?: unknown };
        if (frame.t !== FrameTypes.events || !Buffer.isBuffer(frame.body)) {
          fail(`unexpected frame "${String(frame.t)}"`);
          return;
        }
        this.later(this.batchWork((frame as BinaryEvents).body, client, fail, () => failed), socket);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.paused.delete(socket);
      if (reader.pending && !failed) {
        this.stats.protocolErrors++;
        this.noteError(`connection from ${client ? `pid ${client.pid}` : 'an unknown process'} closed in the middle of a frame (${reader.pending} bytes)`);
      }
      if (isDebugger) this.debug.debuggerDisconnected(socket);
      if (client) {
        const c = client;
        this.later({ bytes: 0, step: () => (this.closed(c), true) });
      }
    });
  }

  /** A runtime's connection closed, after its last batch was handed on. */
  private closed(client: HubClient): void {
    client.connected = false;
    this.debug.runtimeDisconnected(client);
    // Its connection closes when it exits (or execs, or its runtime goes quiet): what it reported in
    // progress (a wait on a Lock, a blocked get) is over. The models hear it as its process.exit, after
    // its last batch; the clock is CLOCK_MONOTONIC, as the runtime's.
    const exit: HubEvent = { k: EventKinds.processExit, ch: '', n: ++client.events, ts: Number(process.hrtime.bigint()), loc: '', size: -1, pv: '', pf: '', pid: client.pid, key: client.key };
    this.deliver([exit], client);
    this.emit('disconnect', client);
  }

  /** Hands events to the listeners; one that throws costs its own update, not the events after these. */
  private deliver(batch: HubEvent[], client: HubClient): void {
    try {
      this.emit('events', batch, client);
    } catch (e) {
      this.noteError(`a listener of the hub's events failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** An event batch's work: its head read in the first step, then SLICE_EVENTS events a step. */
  private batchWork(body: Buffer, client: HubClient, fail: (message: string) => void, failed: () => boolean): Work {
    let reader: EventBatchReader | null = null;
    let next = 0;
    const locs: LocTexts = new Map();
    const work: Work = {
      bytes: body.length,
      step: () => {
        if (failed()) return true;
        try {
          if (!reader) {
            reader = new EventBatchReader(body);
            if (reader.dropped > client.droppedByRuntime) {
              this.stats.droppedByRuntime += reader.dropped - client.droppedByRuntime;
              client.droppedByRuntime = reader.dropped;
            }
          }
          const count = reader.count;
          const end = Math.min(count, next + SLICE_EVENTS);
          const batch: HubEvent[] = [];
          for (; next < end; next++) {
            const e = toEvent(reader.next(), client, locs);
            if (!e) continue;
            if (e.k.startsWith('debug.')) {
              this.debug.runtimeEvent(e);
              continue;
            }
            this.record(e);
            batch.push(e);
          }
          work.bytes = count ? Math.round((body.length * (count - next)) / count) : 0;
          if (batch.length) this.deliver(batch, client);
          return next >= count;
        } catch (e) {
          if (!(e instanceof MarshalError)) throw e;
          fail(`malformed event batch: ${e.message}`);
          return true;
        }
      },
    };
    return work;
  }

  /** Queues work behind what is queued (a runtime's frames stay in order), and starts on it unless a slice is due. */
  private later(w: Work, from?: net.Socket): void {
    this.work.push(w);
    this.backlog += w.bytes;
    if (from && this.backlog > (this.opts.pauseBytes ?? PAUSE_BYTES) && !this.paused.has(from)) {
      this.paused.add(from);
      from.pause();
    }
    if (!this.draining) {
      this.draining = true;
      this.drain();
    }
  }

  /** Works for a slice (SLICE_MS, or BUSY_SLICE_MS with a backlog), then leaves the rest to a later turn. */
  private readonly drain = (): void => {
    this.drainTimer = null;
    const busy = this.backlog > BACKLOG_BYTES;
    const end = performance.now() + (busy ? BUSY_SLICE_MS : SLICE_MS);
    while (this.work.length) {
      this.stepWork();
      if (performance.now() >= end) break;
    }
    if (this.paused.size && this.backlog <= (this.opts.pauseBytes ?? PAUSE_BYTES) / 2) {
      for (const s of this.paused) s.resume();
      this.paused.clear();
    }
    if (!this.work.length) {
      this.draining = false;
      return;
    }
    this.drainTimer = this.backlog > BACKLOG_BYTES ? setImmediate(this.drain) : setTimeout(this.drain, 0);
  };

  private stepWork(): void {
    const w = this.work[0];
    const before = w.bytes;
    let done = true;
    try {
      done = w.step();
    } catch (e) {
      // Not the program's fault, nor a listener's (deliver): a bug of ours, dropped with its frame.
      this.noteError(`the hub dropped a frame it could not take: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (done) {
      this.backlog -= before;
      this.work.shift();
    } else this.backlog -= before - w.bytes;
  }

  /** Hands on everything queued now (stop()). */
  private finishWork(): void {
    if (this.drainTimer) {
      clearTimeout(this.drainTimer as NodeJS.Timeout);
      clearImmediate(this.drainTimer as NodeJS.Immediate);
      this.drainTimer = null;
    }
    while (this.work.length) this.stepWork();
    this.draining = false;
    this.backlog = 0;
  }

  /** The client, or why it is refused. */
  private checkHello(f: HelloFrame | LostFrame, t: string = FrameTypes.hello): string | null {
    if (f.t !== t) return 'the first frame must be "hello"';
    if (f.v !== RUNTIME_PROTOCOL_VERSION) return `runtime protocol version ${f.v} is not supported (hub speaks ${RUNTIME_PROTOCOL_VERSION})`;
    if (typeof f.token !== 'string' || !this.tokens.some((t) => sameToken(f.token, t))) return 'wrong token';
    return null;
  }

  /** A process reports the events it could not send: counted as dropped (null), or why the report is refused. */
  private lost(f: LostFrame): string | null {
    const refused = this.checkHello(f, FrameTypes.lost);
    if (refused) return refused;
    if (!Number.isInteger(f.pid) || f.pid <= 0 || !Number.isSafeInteger(f.lost) || f.lost < 0) return 'a "lost" frame without a valid pid and count';
    const client = this.clients.get(processKey(f.pid, Number(f.start) || 0));
    if (client) client.lostAtExit += f.lost;
    this.stats.droppedByRuntime += f.lost;
    this.noteError(`pid ${f.pid} could not send its last ${f.lost} events (the hub did not take them in time): counted as dropped`);
    return null;
  }

  private hello(f: HelloFrame): HubClient | string {
    const refused = this.checkHello(f);
    if (refused) return refused;
    if (!Number.isInteger(f.pid) || f.pid <= 0) return 'hello without a valid pid';
    const startTicks = Number(f.start) || 0;
    const key = processKey(f.pid, startTicks);
    const client: HubClient = {
      pid: f.pid,
      ppid: Number(f.ppid) || 0,
      key,
      argv: Array.isArray(f.argv) ? f.argv.map(String) : [],
      comm: typeof f.comm === 'string' ? f.comm.slice(0, 64) : '',
      cmdline: Array.isArray(f.cmdline) ? f.cmdline.slice(0, 4096).map(String) : [],
      startTicks,
      python: String(f.python ?? ''),
      debugSession: typeof f.debug === 'string' ? f.debug.slice(0, 128) : '',
      connectedAt: Date.now(),
      events: 0,
      droppedByRuntime: 0,
      lostAtExit: 0,
      connected: true,
    };
    this.clients.set(key, client);
    this.stats.clients = this.clients.size;
    return client;
  }
}

/** A frame's locations as text, by their decoded [file, line]: a location repeated in a frame is one
 * object there (marshal's back-references), so its text is made once per frame, not per event. */
type LocTexts = Map<MarshalValue[], string>;

/** One wire event (EVENT_FIELDS order) as a HubEvent; null when it is not an event. */
function toEvent(w: MarshalValue, client: HubClient, locs: LocTexts): HubEvent | null {
  if (!Array.isArray(w) || typeof w[0] !== 'string') return null;
  const [k, ch, ts, loc, size, pv, pf, x] = w;
  let locText = typeof loc === 'string' ? loc : '';
  if (Array.isArray(loc) && loc.length === 2) {
    const known = locs.get(loc);
    if (known !== undefined) locText = known;
    else locs.set(loc, (locText = `${String(loc[0])}:${String(loc[1])}`));
  }
  const e: HubEvent = {
    k: k as HubEvent['k'],
    ch: typeof ch === 'string' ? ch : '',
    n: ++client.events,
    ts: typeof ts === 'number' ? ts : 0,
    loc: locText,
    size: typeof size === 'number' ? size : -1,
    pv: pv instanceof Base64Bytes ? pv.base64 : '',
    pf: typeof pf === 'string' ? pf : '',
    pid: client.pid,
    key: client.key,
  };
  if (x && typeof x === 'object' && !Array.isArray(x) && !Buffer.isBuffer(x) && !(x instanceof Base64Bytes)) e.x = x as HubEvent['x'];
  return e;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A socket left by a dead run is replaced; one that still answers is in use. */
async function removeStaleSocket(p: string): Promise<void> {
  if (!fs.existsSync(p)) return;
  const alive = await new Promise<boolean>((resolve) => {
    const c = net.connect(p);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`another IPC Scope hub is listening on ${p}`);
  fs.rmSync(p, { force: true });
}

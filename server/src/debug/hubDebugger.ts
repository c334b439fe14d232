/** The debug adapter's connection to a hub, as a debugger (protocol/debug.ts). */
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import type { DebuggerFrame, RelayFrame } from '../../../protocol/debug';
import { MAX_FRAME_BYTES, RUNTIME_PROTOCOL_VERSION, RuntimeEnv } from '../../../protocol/runtime';
import { FrameReader, encodeFrame } from '../hub/frames';

export interface HubAddress {
  path: string;
  token: string;
}

export class HubDebugger extends EventEmitter {
  private socket: net.Socket | null = null;
  private nextReq = 1;
  private readonly waiting = new Map<number, (frame: RelayFrame) => void>();

  /** Connects and resolves with the hub's welcome. With a session, only the program launched with it is debugged. */
  connect(hub: HubAddress, session?: string): Promise<Extract<RelayFrame, { t: 'welcome' }>> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(hub.path);
      const reader = new FrameReader(MAX_FRAME_BYTES * 16);
      let welcomed = false;
      socket.once('connect', () => socket.write(encodeFrame({ t: 'hello', v: RUNTIME_PROTOCOL_VERSION, token: hub.token, role: 'debugger', session } satisfies DebuggerFrame)));
      socket.on('data', (chunk: Buffer) => {
        let frames: unknown[];
        try {
          frames = reader.push(chunk);
        } catch (e) {
          socket.destroy();
          this.emit('error', e);
          return;
        }
        for (const f of frames as (RelayFrame | { t: 'error'; message: string })[]) {
          if (f.t === 'error') {
            reject(new Error(`the hub refused the debugger: ${f.message}`));
            continue;
          }
          if (!welcomed && f.t === 'welcome') {
            welcomed = true;
            this.socket = socket;
            resolve(f);
            continue;
          }
          if ((f.t === 'channels' || (f.t === 'debug' && f.k === 'debug.reply')) && this.answer(f)) continue;
          this.emit('frame', f);
        }
      });
      socket.on('error', (e) => {
        if (!welcomed) reject(new Error(`cannot reach the IPC Scope hub at ${hub.path}: ${e.message}`));
      });
      socket.on('close', () => {
        this.socket = null;
        for (const done of this.waiting.values()) done({ t: 'debug', pid: 0, k: 'debug.reply', ch: '', loc: '', ts: 0, x: { error: 'the hub went away' } });
        this.waiting.clear();
        if (welcomed) this.emit('close');
      });
    });
  }

  send(frame: DebuggerFrame): void {
    this.socket?.write(encodeFrame(frame));
  }

  /** A variables/evaluate request to a stopped process; resolves with its reply (or an error after timeoutMs). */
  request(pid: number, command: Extract<DebuggerFrame, { t: 'request' }>['command'], timeoutMs = 5000): Promise<Record<string, unknown>> {
    const req = this.nextReq++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(req);
        resolve({ error: `process ${pid} did not answer within ${timeoutMs} ms` });
      }, timeoutMs);
      this.waiting.set(req, (f) => {
        clearTimeout(timer);
        resolve(f.t === 'debug' ? f.x : {});
      });
      this.send({ t: 'request', pid, req, command });
    });
  }

  channels(ids?: string[]): Promise<Extract<RelayFrame, { t: 'channels' }>['channels']> {
    const req = this.nextReq++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(req);
        resolve([]);
      }, 3000);
      this.waiting.set(req, (f) => {
        clearTimeout(timer);
        resolve(f.t === 'channels' ? f.channels : []);
      });
      this.send({ t: 'channels', req, ids });
    });
  }

  close(): void {
    this.socket?.end();
    this.socket = null;
  }

  private answer(f: RelayFrame): boolean {
    const req = f.t === 'channels' ? f.req : f.t === 'debug' ? Number(f.x.req) : NaN;
    const done = this.waiting.get(req);
    if (!done) return false;
    this.waiting.delete(req);
    done(f);
    return true;
  }
}

/** The hub a running program reports to, from its environment; or why there is none. */
export function hubOfProcess(pid: number): HubAddress | string {
  let environ: string;
  try {
    environ = fs.readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `there is no process ${pid}`;
    if (code === 'EACCES') return `process ${pid} belongs to another user: its environment cannot be read`;
    return `cannot read the environment of process ${pid}: ${(e as Error).message}`;
  }
  const vars = new Map(environ.split('\0').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const));
  const path = vars.get(RuntimeEnv.hub);
  const token = vars.get(RuntimeEnv.token);
  if (!path || !token) {
    return `process ${pid} was not started with the IPC Scope runtime (no ${RuntimeEnv.hub} in its environment): start it with "ipc-scope run -- python3 …" or "Run Python File with IPC Scope", or use a launch configuration`;
  }
  return { path, token };
}

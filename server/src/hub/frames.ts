/**
 * Length-prefixed frames (protocol/runtime.ts): 4-byte big-endian length, then UTF-8 JSON for
 * control frames, or EVENTS_TAG + marshal for event batches (handed on undecoded as BinaryEvents).
 */
import { DEBUG_TAG, EVENTS_TAG, FrameTypes } from '../../../protocol/runtime';
import { MarshalValue, writeMarshal } from './marshal';

export class FrameError extends Error {}

/** An event batch frame: its marshal body, read by the hub. */
export interface BinaryEvents {
  t: typeof FrameTypes.events;
  body: Buffer;
}

/** An event batch as the runtime sends it (tests and benchmarks play the runtime with this). */
export function encodeEventsFrame(dropped: number, events: MarshalValue[]): Buffer {
  const body = Buffer.concat([Buffer.from([EVENTS_TAG]), writeMarshal([dropped, events])]);
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

export function encodeFrame(obj: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(obj), 'utf8');
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

/** Splits a byte stream into frames. Throws FrameError on an oversized frame or bad JSON. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes received but not yet a whole frame (non-zero at EOF means a truncated frame). */
  get pending(): number {
    return this.buffered;
  }

  push(chunk: Buffer): unknown[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: unknown[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(4);
      const len = head.readUInt32BE(0);
      if (len > this.maxFrameBytes) throw new FrameError(`frame of ${len} bytes exceeds the maximum of ${this.maxFrameBytes}`);
      if (this.buffered < 4 + len) break;
      const all = this.take(4 + len);
      if (len > 0 && all[4] === EVENTS_TAG) {
        frames.push({ t: FrameTypes.events, body: all.subarray(5) } satisfies BinaryEvents);
        continue;
      }
      if (len > 0 && all[4] === DEBUG_TAG) {
        // A command from the hub to a runtime (seen by tests that play the runtime).
        frames.push({ t: 'command', body: all.subarray(5) });
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(all.toString('utf8', 4));
      } catch (e) {
        throw new FrameError(`malformed frame: ${(e as Error).message}`);
      }
      if (!value || typeof value !== 'object' || typeof (value as { t?: unknown }).t !== 'string') throw new FrameError('malformed frame: not an object with a "t" field');
      frames.push(value);
    }
    return frames;
  }

  /** Makes the first chunk hold at least n bytes (joining chunks only when a frame spans them). */
  private gather(n: number): Buffer {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0];
  }

  private peek(n: number): Buffer {
    return this.gather(n);
  }

  private take(n: number): Buffer {
    const first = this.gather(n);
    const rest = first.subarray(n);
    if (rest.length) this.chunks[0] = rest;
    else this.chunks.shift();
    this.buffered -= n;
    return first.subarray(0, n);
  }
}

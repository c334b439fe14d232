/**
 * A restricted decoder for payload previews. It reads pickle opcodes (protocols 0–5) and builds
 * only plain values: None, bool, int, float, str, bytes, tuple, list, dict, set. Any other object
 * becomes "<ClassName object>" (from its GLOBAL/STACK_GLOBAL, never imported or called). It never
 * executes anything, and a truncated preview decodes as far as it goes. Non-pickle bytes are shown
 * as text when printable, else hex.
 */

export interface Preview {
  /** Python-like text of the value, e.g. "[1, 'a', <Point object>]" */
  text: string;
  /** The preview stopped before the end of the payload. */
  truncated: boolean;
  /** How it was decoded. */
  via: 'pickle' | 'text' | 'hex';
}

class PyFloat {
  constructor(readonly v: number) {}
}
class Obj {
  constructor(readonly className: string) {}
}
class Mark {}
type Value = null | boolean | number | PyFloat | bigint | string | Uint8Array | Value[] | Tuple | Map<Value, Value> | Set<Value> | Obj | Global;
class Tuple {
  constructor(readonly items: Value[]) {}
}
class Global {
  constructor(readonly module: string, readonly name: string) {}
}
class Truncated extends Error {}
class Unsupported extends Error {}

function pyRepr(v: Value | Mark, depth = 0): string {
  if (depth > 20) return '…';
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return String(v);
  if (v instanceof PyFloat) return Number.isNaN(v.v) ? 'nan' : !Number.isFinite(v.v) ? (v.v > 0 ? 'inf' : '-inf') : Number.isInteger(v.v) && Math.abs(v.v) < 1e16 ? `${v.v}.0` : String(v.v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
  if (v instanceof Uint8Array) return `b'${[...v].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x27 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('')}'`;
  if (Array.isArray(v)) return `[${v.map((x) => pyRepr(x, depth + 1)).join(', ')}]`;
  if (v instanceof Tuple) return v.items.length === 1 ? `(${pyRepr(v.items[0], depth + 1)},)` : `(${v.items.map((x) => pyRepr(x, depth + 1)).join(', ')})`;
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${pyRepr(k, depth + 1)}: ${pyRepr(x, depth + 1)}`).join(', ')}}`;
  if (v instanceof Set) return v.size ? `{${[...v].map((x) => pyRepr(x, depth + 1)).join(', ')}}` : 'set()';
  if (v instanceof Obj) return `<${v.className} object>`;
  if (v instanceof Global) return `<${v.module}.${v.name}>`;
  return '?';
}

class Reader {
  pos = 0;
  constructor(readonly b: Uint8Array) {}
  byte(): number {
    if (this.pos >= this.b.length) throw new Truncated();
    return this.b[this.pos++];
  }
  bytes(n: number): Uint8Array {
    if (this.pos + n > this.b.length) throw new Truncated();
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  uint(n: number): number {
    const x = this.bytes(n);
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + x[i];
    return v;
  }
  line(): string {
    const end = this.b.indexOf(0x0a, this.pos);
    if (end < 0) throw new Truncated();
    const s = Buffer.from(this.b.subarray(this.pos, end)).toString('latin1');
    this.pos = end + 1;
    return s;
  }
}

const utf8 = (b: Uint8Array) => Buffer.from(b).toString('utf8');

function decodePickle(data: Uint8Array): { value: Value | undefined; complete: boolean } {
  const r = new Reader(data);
  const stack: (Value | Mark)[] = [];
  const memo = new Map<number, Value>();
  const popMark = (): Value[] => {
    for (let i = stack.length - 1; i >= 0; i--) {
      if (stack[i] instanceof Mark) {
        const items = stack.splice(i) as Value[];
        items.shift();
        return items;
      }
    }
    throw new Unsupported();
  };
  const top = (): Value => stack[stack.length - 1] as Value;
  const pop = (): Value => {
    if (!stack.length) throw new Unsupported();
    return stack.pop() as Value;
  };
  const dictSet = (d: Value, items: Value[]) => {
    if (d instanceof Map) for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
  };
  /** A length-prefixed str or bytes: whole, or, cut off by the preview's end, what there is (then the preview ends). */
  const sized = (n: number, make: (b: Uint8Array) => Value) => {
    const left = r.b.length - r.pos;
    if (n <= left) return stack.push(make(r.bytes(n)));
    stack.push(make(r.bytes(left)));
    throw new Truncated();
  };
  const text = (b: Uint8Array) => utf8(b).replace(/\ufffd$/, ''); // a character cut in two is dropped
  const asObject = (callable: Value): Obj => new Obj(callable instanceof Global ? callable.name : callable instanceof Obj ? callable.className : 'object');
  try {
    for (;;) {
      const op = r.byte();
      switch (op) {
        case 0x80: r.byte(); break; // PROTO
        case 0x95: r.uint(8); break; // FRAME
        case 0x2e: return { value: stack.length ? (stack[stack.length - 1] as Value) : undefined, complete: true }; // STOP
        case 0x4e: stack.push(null); break; // NONE
        case 0x88: stack.push(true); break; // NEWTRUE
        case 0x89: stack.push(false); break; // NEWFALSE
        case 0x4b: stack.push(r.byte()); break; // BININT1
        case 0x4d: stack.push(r.uint(2)); break; // BININT2
        case 0x4a: { const v = r.uint(4); stack.push(v > 0x7fffffff ? v - 0x100000000 : v); break; } // BININT
        case 0x8a: { // LONG1
          const n = r.byte();
          const bytes = r.bytes(n);
          let v = 0n;
          for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
          if (n && bytes[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
          stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
          break;
        }
        case 0x47: stack.push(new PyFloat(Buffer.from(r.bytes(8)).readDoubleBE(0))); break; // BINFLOAT
        case 0x8c: sized(r.byte(), text); break; // SHORT_BINUNICODE
        case 0x58: sized(r.uint(4), text); break; // BINUNICODE
        case 0x8d: sized(r.uint(8), text); break; // BINUNICODE8
        case 0x43: sized(r.byte(), (b) => new Uint8Array(b)); break; // SHORT_BINBYTES
        case 0x42: sized(r.uint(4), (b) => new Uint8Array(b)); break; // BINBYTES
        case 0x8e: sized(r.uint(8), (b) => new Uint8Array(b)); break; // BINBYTES8
        case 0x96: sized(r.uint(8), (b) => new Uint8Array(b)); break; // BYTEARRAY8
        case 0x29: stack.push(new Tuple([])); break; // EMPTY_TUPLE
        case 0x85: stack.push(new Tuple([pop()])); break; // TUPLE1
        case 0x86: { const b = pop(); const a = pop(); stack.push(new Tuple([a, b])); break; } // TUPLE2
        case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(new Tuple([a, b, c])); break; } // TUPLE3
        case 0x28: stack.push(new Mark()); break; // MARK
        case 0x74: stack.push(new Tuple(popMark())); break; // TUPLE
        case 0x5d: stack.push([]); break; // EMPTY_LIST
        case 0x6c: stack.push(popMark()); break; // LIST
        case 0x61: { const v = pop(); const l = top(); if (Array.isArray(l)) l.push(v); break; } // APPEND
        case 0x65: { const items = popMark(); const l = top(); if (Array.isArray(l)) l.push(...items); break; } // APPENDS
        case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
        case 0x64: { const m = new Map<Value, Value>(); dictSet(m, popMark()); stack.push(m); break; } // DICT
        case 0x73: { const v = pop(); const k = pop(); dictSet(top(), [k, v]); break; } // SETITEM
        case 0x75: { const items = popMark(); dictSet(top(), items); break; } // SETITEMS
        case 0x8f: stack.push(new Set()); break; // EMPTY_SET
        case 0x90: { const items = popMark(); const s = top(); if (s instanceof Set) items.forEach((i) => s.add(i)); break; } // ADDITEMS
        case 0x91: stack.push(new Set(popMark())); break; // FROZENSET
        case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
        case 0x71: memo.set(r.byte(), top()); break; // BINPUT
        case 0x72: memo.set(r.uint(4), top()); break; // LONG_BINPUT
        case 0x68: stack.push(memo.get(r.byte()) ?? null); break; // BINGET
        case 0x6a: stack.push(memo.get(r.uint(4)) ?? null); break; // LONG_BINGET
        case 0x63: { const mod = r.line(); const name = r.line(); stack.push(new Global(mod, name)); break; } // GLOBAL
        case 0x93: { const name = pop(); const mod = pop(); stack.push(new Global(String(mod), String(name))); break; } // STACK_GLOBAL
        case 0x52: { pop(); const fn = pop(); stack.push(asObject(fn)); break; } // REDUCE: never called
        case 0x81: { pop(); const cls = pop(); stack.push(asObject(cls)); break; } // NEWOBJ
        case 0x92: { pop(); pop(); const cls = pop(); stack.push(asObject(cls)); break; } // NEWOBJ_EX
        case 0x62: pop(); break; // BUILD: state is dropped, the object stays opaque
        case 0x97: break; // NEXT_BUFFER-less READONLY_BUFFER
        default:
          throw new Unsupported();
      }
    }
  } catch (e) {
    if (e instanceof Truncated) {
      // Close what is open so a cut-off list still shows its first items.
      for (let i = stack.length - 1; i >= 0; i--) {
        if (!(stack[i] instanceof Mark)) continue;
        const items = stack.splice(i + 1) as Value[];
        stack.splice(i, 1);
        const container = stack[i - 1];
        if (Array.isArray(container)) container.push(...items);
        else if (container instanceof Map) dictSet(container, items);
        else if (container instanceof Set) items.forEach((x) => container.add(x));
        else stack.push(new Tuple(items));
      }
      return { value: stack[0] as Value | undefined, complete: false };
    }
    throw e;
  }
}

export function decodePreview(data: Uint8Array, format: string, fullSize: number): Preview {
  const truncated = fullSize > data.length;
  if (format === 'pickle' && data.length >= 2 && data[0] === 0x80) {
    try {
      const { value, complete } = decodePickle(data);
      if (value !== undefined) return { text: pyRepr(value) + (complete ? '' : ' …'), truncated: truncated || !complete, via: 'pickle' };
    } catch {
      /* not a pickle we read: fall through to bytes */
    }
  }
  const text = Buffer.from(data).toString('utf8');
  if (!text.includes('\ufffd') && !/[\u0000-\u0008\u000e-\u001f]/.test(text)) return { text, truncated, via: 'text' };
  return { text: Buffer.from(data).toString('hex').replace(/(..)/g, '$1 ').trim(), truncated, via: 'hex' };
}

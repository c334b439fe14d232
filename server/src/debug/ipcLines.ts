/**
 * Which Python source lines can hold an IPC breakpoint: lines that send or receive (put/get,
 * send/recv, send_bytes/recv_bytes, os.write/os.read) or write a shared Value/Array. A line
 * breakpoint elsewhere would never stop, so it is reported unverified, with the reason.
 */

export type IpcOp = 'send' | 'recv' | 'write';

const CALLS: [RegExp, IpcOp][] = [
  [/\.(put|put_nowait)\s*\(/, 'send'],
  [/\.(send|send_bytes)\s*\(/, 'send'],
  [/\bos\.write\s*\(/, 'send'],
  [/\.(get|get_nowait)\s*\(/, 'recv'],
  [/\.(recv|recv_bytes|recv_bytes_into)\s*\(/, 'recv'],
  [/\bos\.read\s*\(/, 'recv'],
  [/\.value\s*(\+|-|\*|\/\/|\/|%|\||&|\^|<<|>>|\*\*)?=(?!=)/, 'write'],
  [/^\s*[A-Za-z_][\w.]*\s*\[[^\]]*\]\s*(\+|-|\*|\/\/|\/|%|\||&|\^|<<|>>|\*\*)?=(?!=)/, 'write'],
];

/** The code of a line without its comment and with string contents blanked (quotes kept). */
export function codeOf(line: string): string {
  let out = '';
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\') {
        i++;
        out += '  ';
        continue;
      }
      if (line.startsWith(quote, i)) {
        out += quote;
        i += quote.length - 1;
        quote = '';
        continue;
      }
      out += ' ';
      continue;
    }
    if (c === '#') break;
    if (c === '"' || c === "'") {
      quote = line.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
      out += quote;
      i += quote.length - 1;
      continue;
    }
    out += c;
  }
  return out;
}

/** The IPC operations a line performs (empty: none a breakpoint can stop on). */
export function ipcOpsOfLine(line: string): IpcOp[] {
  const code = codeOf(line);
  const ops = new Set<IpcOp>();
  for (const [re, op] of CALLS) if (re.test(code)) ops.add(op);
  return [...ops];
}

/** Why a line breakpoint cannot be verified, or null when it can. */
export function lineBreakpointProblem(path: string, lines: string[] | null, line: number): string | null {
  if (!/\.pyw?$/i.test(path)) return 'IPC Scope breakpoints work in Python files only';
  if (!lines) return `cannot read ${path}`;
  if (line < 1 || line > lines.length) return `line ${line} is past the end of the file (${lines.length} lines)`;
  if (ipcOpsOfLine(lines[line - 1]).length) return null;
  return `line ${line} does not send or receive: IPC Scope stops on put/get, send/recv, send_bytes/recv_bytes, os.write/os.read and Value/Array writes`;
}

/** The variable a line assigns (`results = ctx.Queue()` → "results"), for naming channels. */
export function assignedName(line: string): string {
  const m = /^\s*(?:self\.)?([A-Za-z_]\w*)\s*(?::[^=]+)?=(?!=)/.exec(codeOf(line));
  return m ? m[1] : '';
}

/** uid → user name from /etc/passwd, reloaded when the file changes. */
import * as fs from 'node:fs';

let names = new Map<number, string>();
let loadedMtime = -1;

/** Re-reads /etc/passwd if it changed; call once per scan, not per process. */
export function refreshUserNames(): void {
  try {
    const m = fs.statSync('/etc/passwd').mtimeMs;
    if (m !== loadedMtime) {
      loadedMtime = m;
      names = new Map();
      for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
        const p = line.split(':');
        if (p.length > 3 && !names.has(Number(p[2]))) names.set(Number(p[2]), p[0]);
      }
    }
  } catch {
    /* no passwd: numeric names */
  }
}

export function userName(uid: number): string {
  if (uid < 0) return '?';
  if (loadedMtime === -1) refreshUserNames();
  return names.get(uid) ?? String(uid);
}

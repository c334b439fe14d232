/** Controlling-terminal names from tty_nr, the way ps prints them ("pts/3", "tty1", "ttyS0", "?"). */
import * as fs from 'node:fs';

const unusual = new Map<number, string>();
let devScanned = false;

function scanDev(): void {
  devScanned = true;
  const visit = (dir: string, prefix: string) => {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      try {
        const st = fs.statSync(`${dir}/${n}`);
        if (st.isCharacterDevice() && !unusual.has(st.rdev)) unusual.set(st.rdev, prefix + n);
      } catch {
        /* vanished or unreadable: skip */
      }
    }
  };
  visit('/dev', '');
}

export function ttyName(ttyNr: number): string {
  if (ttyNr === 0) return '?';
  // Linux dev_t encoding used by /proc/PID/stat: major in bits 8-19, minor in 0-7 and 20-31.
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (major >= 136 && major <= 143) return `pts/${minor + (major - 136) * 256}`;
  if (major === 4) return minor < 64 ? `tty${minor}` : `ttyS${minor - 64}`;
  if (!devScanned) scanDev();
  // fs.Stats.rdev uses the glibc encoding (same for small numbers).
  return unusual.get(ttyNr) ?? `${major},${minor}`;
}

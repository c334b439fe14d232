/**
 * The letters of a `ps` STAT code and what they mean (procps-ng, Linux).
 * Shared by the server (explanations, CLI legend) and the panel (tooltips, legend).
 */

export interface StatLetter {
  letter: string;
  title: string;
  meaning: string;
}

/** First letter: the scheduler state (field 3 of /proc/PID/stat). */
export const STATE_LETTERS: readonly StatLetter[] = [
  { letter: 'R', title: 'running', meaning: 'running or runnable (on a CPU or in the run queue)' },
  { letter: 'S', title: 'sleeping', meaning: 'interruptible sleep: waiting for an event (I/O, a lock, a timer, a child)' },
  { letter: 'D', title: 'disk sleep', meaning: 'uninterruptible sleep, usually I/O; signals wait until it returns' },
  { letter: 'T', title: 'stopped', meaning: 'stopped by a job-control signal (SIGSTOP, SIGTSTP, Ctrl+Z)' },
  { letter: 't', title: 'traced', meaning: 'stopped by a debugger during tracing' },
  { letter: 'Z', title: 'zombie', meaning: 'exited, but its parent has not called wait() to collect the status' },
  { letter: 'X', title: 'dead', meaning: 'dead: being removed (should never be seen)' },
  { letter: 'I', title: 'idle', meaning: 'idle kernel thread' },
  { letter: 'W', title: 'paging', meaning: 'paging (not valid since Linux 2.6)' },
  { letter: 'P', title: 'parked', meaning: 'parked kernel thread' },
];

/** Further letters, in the order ps prints them. */
export const FLAG_LETTERS: readonly StatLetter[] = [
  { letter: '<', title: 'high priority', meaning: 'high priority (nice < 0): not nice to other processes' },
  { letter: 'N', title: 'low priority', meaning: 'low priority (nice > 0): nice to other processes' },
  { letter: 'L', title: 'locked pages', meaning: 'has pages locked into memory (mlock, real-time or custom I/O)' },
  { letter: 's', title: 'session leader', meaning: 'session leader (its pid is its session id)' },
  { letter: 'l', title: 'multi-threaded', meaning: 'multi-threaded (more than one thread)' },
  { letter: '+', title: 'foreground', meaning: 'in the foreground process group of its terminal' },
];

const BY_LETTER = new Map<string, StatLetter>();
for (const l of STATE_LETTERS) BY_LETTER.set(`state:${l.letter}`, l);
for (const l of FLAG_LETTERS) BY_LETTER.set(`flag:${l.letter}`, l);

/** Spells out every letter of a STAT string, first letter as a state, the rest as flags. */
export function explainStat(stat: string): StatLetter[] {
  const out: StatLetter[] = [];
  [...stat].forEach((ch, i) => {
    const known = BY_LETTER.get(i === 0 ? `state:${ch}` : `flag:${ch}`);
    out.push(known ?? { letter: ch, title: 'unknown', meaning: `unknown STAT letter "${ch}"` });
  });
  return out;
}

/** One line per letter: "S  sleeping: interruptible sleep …". */
export function describeStat(stat: string): string {
  return explainStat(stat).map((l) => `${l.letter}  ${l.title}: ${l.meaning}`).join('\n');
}

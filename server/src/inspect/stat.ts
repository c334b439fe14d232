/** Builds the STAT string exactly as procps-ng `ps` prints it (see shared/docs/stat.md). */

export interface StatInputs {
  pid: number;
  state: string;
  nice: number;
  vmLckKb: number;
  sid: number;
  threads: number;
  pgid: number;
  tpgid: number;
}

export function buildStat(p: StatInputs): string {
  let s = p.state;
  if (p.nice < 0) s += '<';
  else if (p.nice > 0) s += 'N';
  if (p.vmLckKb > 0) s += 'L';
  if (p.sid === p.pid) s += 's';
  if (p.threads > 1) s += 'l';
  if (p.pgid === p.tpgid) s += '+';
  return s;
}

/** Decodes a wait status (as in /proc/PID/stat exit_code or waitpid) into words. */
export function decodeWaitStatus(status: number): { exitCode: number | null; signal: number | null; coreDumped: boolean } {
  const sig = status & 0x7f;
  if (sig === 0) return { exitCode: (status >> 8) & 0xff, signal: null, coreDumped: false };
  return { exitCode: null, signal: sig, coreDumped: (status & 0x80) !== 0 };
}

const SIGNALS: Record<number, string> = {
  1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 5: 'SIGTRAP', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE',
  9: 'SIGKILL', 10: 'SIGUSR1', 11: 'SIGSEGV', 12: 'SIGUSR2', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM',
  16: 'SIGSTKFLT', 17: 'SIGCHLD', 18: 'SIGCONT', 19: 'SIGSTOP', 20: 'SIGTSTP', 21: 'SIGTTIN', 22: 'SIGTTOU',
  23: 'SIGURG', 24: 'SIGXCPU', 25: 'SIGXFSZ', 26: 'SIGVTALRM', 27: 'SIGPROF', 28: 'SIGWINCH', 29: 'SIGIO',
  30: 'SIGPWR', 31: 'SIGSYS',
};

export function signalName(sig: number): string {
  return SIGNALS[sig] ?? (sig >= 34 && sig <= 64 ? `SIGRTMIN+${sig - 34}` : `signal ${sig}`);
}

export function describeWaitStatus(status: number): string {
  const d = decodeWaitStatus(status);
  if (d.signal === null) return `exited with code ${d.exitCode}`;
  return `killed by ${signalName(d.signal)}${d.coreDumped ? ' (core dumped)' : ''}`;
}

/** Common kernel wait channels in plain words; unknown ones are shown as they are. */
const WCHAN_WORDS: Array<[RegExp, string]> = [
  [/^(do_wait|kernel_wait4|do_waitid)$/, 'waiting for a child to exit (wait/waitpid/join)'],
  [/^(anon_)?pipe_(read|wait_readable)$/, 'reading from an empty pipe'],
  [/^(anon_)?pipe_(write|wait_writable)$/, 'writing to a full pipe'],
  [/^(unix_stream_read_generic|unix_stream_data_wait|unix_dgram_recvmsg|__skb_wait_for_more_packets)$/, 'reading from a socket'],
  [/^(sk_wait_data|tcp_recvmsg.*|inet_csk_accept|unix_wait_for_peer)$/, 'waiting on a socket'],
  [/^(futex_wait.*|futex_do_wait|do_futex)$/, 'waiting on a lock or semaphore (futex)'],
  [/^(hrtimer_nanosleep|do_nanosleep|clock_nanosleep|schedule_hrtimeout_range.*)$/, 'sleeping (timer)'],
  [/^(poll_schedule_timeout.*|do_select|do_sys_poll|do_epoll_wait|ep_poll)$/, 'waiting in select/poll/epoll'],
  [/^(wait_woken|n_tty_read|tty_read)$/, 'waiting for terminal input'],
  [/^(do_sigtimedwait|sigsuspend|sys_pause|__x64_sys_pause|do_signal_stop)$/, 'waiting for a signal'],
  [/^(sem_wait|do_semtimedop|do_msgrcv|do_msgsnd|wq_sleep)$/, 'waiting on System V / POSIX IPC'],
  [/^(fifo_open|wait_for_partner)$/, 'opening a FIFO, waiting for the other end'],
  [/^(ptrace_stop)$/, 'stopped under a debugger'],
];

export function describeWchan(wchan: string, state: string): string {
  if (state === 'R') return '';
  if (state === 'Z') return '';
  if (state === 'T') return 'stopped by a signal (SIGSTOP/SIGTSTP); continue it with SIGCONT';
  if (state === 't') return 'stopped under a debugger';
  if (!wchan) return '';
  let words = wchanWordsCache.get(wchan);
  if (words === undefined) {
    words = WCHAN_WORDS.find(([re]) => re.test(wchan))?.[1] ?? `in kernel function ${wchan}`;
    wchanWordsCache.set(wchan, words);
  }
  return words;
}

/** Kernel functions are few; thousands of processes share them. */
const wchanWordsCache = new Map<string, string>();

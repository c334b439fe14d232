/**
 * /proc/PID/task/TID/syscall decoded: which syscall a sleeping thread is in, the fd or pid it waits
 * on, and whether it will wake up by itself (a timeout). Only syscalls a process blocks in are named.
 */

/** How a blocking syscall's arguments read: which one is the fd / pid, and where its timeout is. */
interface SyscallShape {
  name: string;
  /** Argument index of the fd it blocks on. */
  fd?: number;
  /** wait4/waitid: the pid argument (wait4: arg 0; waitid: idtype arg 0, id arg 1). */
  waitPid?: 'wait4' | 'waitid';
  /** A timeout: 'ptr' (non-NULL pointer means timed), 'ms' (int ms, < 0 means none), 'always' (a sleep). */
  timeout?: { arg: number; form: 'ptr' | 'ms' } | 'always';
  /** futex: timed only for wait operations with a timeout pointer. */
  futex?: true;
  /** poll/select/epoll: waits on several fds we cannot see without reading its memory. */
  multi?: true;
}

const X64: Record<number, SyscallShape> = {
  0: { name: 'read', fd: 0 },
  1: { name: 'write', fd: 0 },
  7: { name: 'poll', timeout: { arg: 2, form: 'ms' }, multi: true },
  17: { name: 'pread64', fd: 0 },
  18: { name: 'pwrite64', fd: 0 },
  19: { name: 'readv', fd: 0 },
  20: { name: 'writev', fd: 0 },
  23: { name: 'select', timeout: { arg: 4, form: 'ptr' }, multi: true },
  34: { name: 'pause' },
  35: { name: 'nanosleep', timeout: 'always' },
  42: { name: 'connect', fd: 0 },
  43: { name: 'accept', fd: 0 },
  44: { name: 'sendto', fd: 0 },
  45: { name: 'recvfrom', fd: 0 },
  46: { name: 'sendmsg', fd: 0 },
  47: { name: 'recvmsg', fd: 0 },
  61: { name: 'wait4', waitPid: 'wait4' },
  64: { name: 'semget' },
  65: { name: 'semop' },
  69: { name: 'msgsnd' },
  70: { name: 'msgrcv' },
  72: { name: 'fcntl', fd: 0 },
  73: { name: 'flock', fd: 0 },
  130: { name: 'rt_sigsuspend' },
  128: { name: 'rt_sigtimedwait', timeout: { arg: 2, form: 'ptr' } },
  202: { name: 'futex', futex: true },
  220: { name: 'semtimedop', timeout: { arg: 3, form: 'ptr' } },
  230: { name: 'clock_nanosleep', timeout: 'always' },
  232: { name: 'epoll_wait', timeout: { arg: 3, form: 'ms' }, multi: true },
  242: { name: 'mq_timedsend', fd: 0, timeout: { arg: 4, form: 'ptr' } },
  243: { name: 'mq_timedreceive', fd: 0, timeout: { arg: 4, form: 'ptr' } },
  247: { name: 'waitid', waitPid: 'waitid' },
  270: { name: 'pselect6', timeout: { arg: 4, form: 'ptr' }, multi: true },
  271: { name: 'ppoll', timeout: { arg: 2, form: 'ptr' }, multi: true },
  281: { name: 'epoll_pwait', timeout: { arg: 3, form: 'ms' }, multi: true },
  288: { name: 'accept4', fd: 0 },
  299: { name: 'recvmmsg', fd: 0 },
  307: { name: 'sendmmsg', fd: 0 },
  441: { name: 'epoll_pwait2', timeout: { arg: 3, form: 'ptr' }, multi: true },
};

const ARM64: Record<number, SyscallShape> = {
  63: { name: 'read', fd: 0 },
  64: { name: 'write', fd: 0 },
  65: { name: 'readv', fd: 0 },
  66: { name: 'writev', fd: 0 },
  67: { name: 'pread64', fd: 0 },
  68: { name: 'pwrite64', fd: 0 },
  72: { name: 'pselect6', timeout: { arg: 4, form: 'ptr' }, multi: true },
  73: { name: 'ppoll', timeout: { arg: 2, form: 'ptr' }, multi: true },
  22: { name: 'epoll_pwait', timeout: { arg: 3, form: 'ms' }, multi: true },
  25: { name: 'fcntl', fd: 0 },
  32: { name: 'flock', fd: 0 },
  98: { name: 'futex', futex: true },
  101: { name: 'nanosleep', timeout: 'always' },
  115: { name: 'clock_nanosleep', timeout: 'always' },
  133: { name: 'rt_sigsuspend' },
  137: { name: 'rt_sigtimedwait', timeout: { arg: 2, form: 'ptr' } },
  182: { name: 'mq_timedsend', fd: 0, timeout: { arg: 4, form: 'ptr' } },
  183: { name: 'mq_timedreceive', fd: 0, timeout: { arg: 4, form: 'ptr' } },
  188: { name: 'msgrcv' },
  189: { name: 'msgsnd' },
  192: { name: 'semtimedop', timeout: { arg: 3, form: 'ptr' } },
  193: { name: 'semop' },
  202: { name: 'accept', fd: 0 },
  203: { name: 'connect', fd: 0 },
  206: { name: 'sendto', fd: 0 },
  207: { name: 'recvfrom', fd: 0 },
  211: { name: 'sendmsg', fd: 0 },
  212: { name: 'recvmsg', fd: 0 },
  242: { name: 'accept4', fd: 0 },
  243: { name: 'recvmmsg', fd: 0 },
  260: { name: 'wait4', waitPid: 'wait4' },
  95: { name: 'waitid', waitPid: 'waitid' },
  269: { name: 'sendmmsg', fd: 0 },
};

const TABLE = process.arch === 'arm64' ? ARM64 : process.arch === 'x64' ? X64 : {};

/** FUTEX_WAIT, FUTEX_WAIT_BITSET, FUTEX_LOCK_PI…: the ops that sleep (op & 127). */
const FUTEX_SLEEPING_OPS = new Set([0, 9, 6, 11, 13]);

export interface DecodedSyscall {
  /** "" when the thread is not in a syscall (running, or stopped elsewhere). */
  name: string;
  nr: number;
  fd: number | null;
  /** wait4/waitid: the pid waited for; -1 = any child. */
  waitPid: number | null;
  timed: boolean;
  /** poll/select/epoll: on fds we cannot see. */
  multi: boolean;
}

/** Parses "nr arg0 … arg5 sp pc" (hex args); "running" and "-1 sp pc" give null. */
export function decodeSyscall(text: string): DecodedSyscall | null {
  const parts = text.trim().split(' ');
  if (parts.length < 7) return null;
  const nr = Number(parts[0]);
  if (!Number.isInteger(nr) || nr < 0) return null;
  const arg = (i: number) => BigInt.asIntN(64, BigInt(parts[1 + i]));
  const shape = TABLE[nr];
  if (!shape) return { name: `syscall ${nr}`, nr, fd: null, waitPid: null, timed: false, multi: false };
  let timed = false;
  const t = shape.timeout;
  if (t === 'always') timed = true;
  else if (t?.form === 'ptr') timed = arg(t.arg) !== 0n;
  else if (t?.form === 'ms') timed = Number(BigInt.asIntN(32, arg(t.arg))) >= 0;
  if (shape.futex) {
    const op = Number(arg(1) & 127n);
    timed = !FUTEX_SLEEPING_OPS.has(op) || arg(3) !== 0n;
  }
  let waitPid: number | null = null;
  // pid_t and idtype are C ints: the kernel may show -1 as 0xffffffff.
  const int = (i: number) => Number(BigInt.asIntN(32, arg(i)));
  if (shape.waitPid === 'wait4') {
    const p = int(0);
    waitPid = p > 0 ? p : -1;
  } else if (shape.waitPid === 'waitid') {
    waitPid = int(0) === 1 ? int(1) : -1; // P_PID = 1; P_ALL/P_PGID: any child
  }
  return { name: shape.name, nr, fd: shape.fd !== undefined ? int(shape.fd) : null, waitPid, timed, multi: !!shape.multi };
}

/** Whether this syscall moves data towards the fd (a writer waiting for a reader). */
export function isWriteSyscall(name: string): boolean {
  return name === 'write' || name === 'writev' || name === 'pwrite64' || name === 'sendto' || name === 'sendmsg' || name === 'sendmmsg' || name === 'mq_timedsend';
}

/** Whether this syscall waits for data from the fd. */
export function isReadSyscall(name: string): boolean {
  return name === 'read' || name === 'readv' || name === 'pread64' || name === 'recvfrom' || name === 'recvmsg' || name === 'recvmmsg' || name === 'mq_timedreceive';
}

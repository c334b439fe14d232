"""POSIX message queues (mq_open/mq_send/mq_receive) and System V message queues (msgget/msgsnd/msgrcv).

Both are kernel message queues, called here through ctypes (the standard library has no wrapper).
A POSIX queue has a name ("/name", visible in /dev/mqueue on Linux), and delivers the message of
highest priority first. A System V queue has a numeric id (see `ipcs -q`), and each message a type
a receiver can select. In both, the parent sends messages and a child process receives them; the
queue is removed at the end. A system that lacks either kind is reported and skipped.

    python3 examples/message_queues.py [--start-method fork|spawn|forkserver] [--messages N]
"""
import argparse
import ctypes
import ctypes.util
import multiprocessing as mp
import os

MSG_SIZE = 128


class MqAttr(ctypes.Structure):
    _fields_ = [("mq_flags", ctypes.c_long), ("mq_maxmsg", ctypes.c_long), ("mq_msgsize", ctypes.c_long),
                ("mq_curmsgs", ctypes.c_long), ("pad", ctypes.c_long * 4)]


class MsgBuf(ctypes.Structure):
    _fields_ = [("mtype", ctypes.c_long), ("mtext", ctypes.c_char * MSG_SIZE)]


def _libs():
    found = [n for n in (ctypes.util.find_library("rt"), ctypes.util.find_library("c")) if n]
    return [ctypes.CDLL(n, use_errno=True) for n in found] + [ctypes.CDLL(None, use_errno=True)]


def _function(name):
    for lib in _libs():
        fn = getattr(lib, name, None)
        if fn is not None:
            return fn
    return None


def _check(result, what):
    if result == -1:
        e = ctypes.get_errno()
        raise OSError(e, f"{what}: {os.strerror(e)}")
    return result


def posix_functions():
    fns = {n: _function(n) for n in ("mq_open", "mq_send", "mq_receive", "mq_close", "mq_unlink")}
    missing = [n for n, f in fns.items() if f is None]
    if missing:
        raise OSError(f"no {', '.join(missing)} in libc/librt")
    fns["mq_open"].restype = ctypes.c_int
    fns["mq_receive"].restype = ctypes.c_ssize_t
    fns["mq_receive"].argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_uint)]
    fns["mq_send"].argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint]
    return fns


def posix_receiver(name: str, count: int, results) -> None:
    f = posix_functions()
    mq = _check(f["mq_open"](name.encode(), os.O_RDONLY), "mq_open")
    buf = ctypes.create_string_buffer(MSG_SIZE)
    prio = ctypes.c_uint()
    got = []
    for _ in range(count):
        n = _check(f["mq_receive"](mq, buf, MSG_SIZE, ctypes.byref(prio)), "mq_receive")
        got.append((prio.value, buf.raw[:n].decode()))
    f["mq_close"](mq)
    results.put(got)


def posix_demo(ctx, messages: int) -> None:
    try:
        f = posix_functions()
        name = f"/ipcscope-example-{os.getpid()}"
        attr = MqAttr(0, max(messages, 1), MSG_SIZE, 0)
        mq = _check(f["mq_open"](name.encode(), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600, ctypes.byref(attr)), "mq_open")
    except OSError as e:
        print(f"POSIX message queues: skipped ({e})", flush=True)
        return
    try:
        for i in range(messages):  # the queue holds them all: nobody reads yet
            text = f"message {i}".encode()
            _check(f["mq_send"](mq, text, len(text), i % 3), "mq_send")
        results = ctx.Queue()
        p = ctx.Process(target=posix_receiver, args=(name, messages, results))
        p.start()
        got = results.get(timeout=60)
        p.join()
        print(f"POSIX queue {name}: received (priority, text), highest priority first: {got}", flush=True)
    finally:
        f["mq_close"](mq)
        f["mq_unlink"](name.encode())


IPC_PRIVATE, IPC_CREAT, IPC_RMID = 0, 0o1000, 0


def sysv_functions():
    fns = {n: _function(n) for n in ("msgget", "msgsnd", "msgrcv", "msgctl")}
    missing = [n for n, f in fns.items() if f is None]
    if missing:
        raise OSError(f"no {', '.join(missing)} in libc")
    fns["msgrcv"].restype = ctypes.c_ssize_t
    fns["msgrcv"].argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_long, ctypes.c_int]
    fns["msgsnd"].argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    return fns


def sysv_receiver(qid: int, count: int, results) -> None:
    f = sysv_functions()
    buf = MsgBuf()
    got = []
    for _ in range(count):
        n = _check(f["msgrcv"](qid, ctypes.byref(buf), MSG_SIZE, 0, 0), "msgrcv")
        got.append((buf.mtype, buf.mtext[:n].decode()))
    results.put(got)


def sysv_demo(ctx, messages: int) -> None:
    try:
        f = sysv_functions()
        qid = _check(f["msgget"](IPC_PRIVATE, IPC_CREAT | 0o600), "msgget")
    except OSError as e:
        print(f"System V message queues: skipped ({e})", flush=True)
        return
    try:
        for i in range(messages):
            text = f"message {i}".encode()
            buf = MsgBuf(1 + i % 2, text)
            _check(f["msgsnd"](qid, ctypes.byref(buf), len(text), 0), "msgsnd")
        results = ctx.Queue()
        p = ctx.Process(target=sysv_receiver, args=(qid, messages, results))
        p.start()
        got = results.get(timeout=60)
        p.join()
        print(f"System V queue id {qid}: received (type, text) in order sent: {got}", flush=True)
    finally:
        f["msgctl"](qid, IPC_RMID, None)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start-method", choices=mp.get_all_start_methods(), default=None)
    ap.add_argument("--messages", type=int, default=5)
    args = ap.parse_args()
    ctx = mp.get_context(args.start_method)
    posix_demo(ctx, args.messages)
    sysv_demo(ctx, args.messages)


if __name__ == "__main__":
    main()

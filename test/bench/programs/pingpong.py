"""Ping-pong of N small messages between two processes over a Queue pair or a Pipe (benchmark).

    python3 pingpong.py queue|pipe N        -> prints "messages/s"
    python3 pingpong.py queue|pipe N cpu    -> prints "messages/s CPU-µs-per-message"

The CPU is both processes' (every thread: a Queue's feeder, the runtime's sender), user and system,
from the first message to the end: less noisy than the rate on a busy machine, and it says where an
instrumented run's time goes.
"""
import multiprocessing as mp
import resource
import sys
import time


def cpu_seconds(who) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def queue_echo(a, b, n):
    for _ in range(n):
        b.put(a.get())


def pipe_echo(conn, n):
    for _ in range(n):
        conn.send(conn.recv())


def main():
    kind, n = sys.argv[1], int(sys.argv[2])
    ctx = mp.get_context("fork")
    if kind == "queue":
        a, b = ctx.Queue(), ctx.Queue()
        p = ctx.Process(target=queue_echo, args=(a, b, n))
        p.start()
        t, cpu = time.perf_counter(), cpu_seconds(resource.RUSAGE_SELF)
        for i in range(n):
            a.put(i)
            b.get()
    else:
        here, there = ctx.Pipe()
        p = ctx.Process(target=pipe_echo, args=(there, n))
        p.start()
        t, cpu = time.perf_counter(), cpu_seconds(resource.RUSAGE_SELF)
        for i in range(n):
            here.send(i)
            here.recv()
    dt = time.perf_counter() - t
    cpu = cpu_seconds(resource.RUSAGE_SELF) - cpu
    p.join()  # the child's CPU is counted once it has been waited for: all of it (forked, it started cheap)
    cpu += cpu_seconds(resource.RUSAGE_CHILDREN)
    print(f"{2 * n / dt:.0f} {cpu / (2 * n) * 1e6:.2f}" if sys.argv[3:] == ["cpu"] else f"{2 * n / dt:.0f}")


if __name__ == "__main__":
    main()

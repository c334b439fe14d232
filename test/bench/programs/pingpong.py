"""Ping-pong of N small messages between two processes over a Queue pair or a Pipe (benchmark).

    python3 pingpong.py queue|pipe N   -> prints "messages/s"
"""
import multiprocessing as mp
import sys
import time


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
        t = time.perf_counter()
        for i in range(n):
            a.put(i)
            b.get()
    else:
        here, there = ctx.Pipe()
        p = ctx.Process(target=pipe_echo, args=(there, n))
        p.start()
        t = time.perf_counter()
        for i in range(n):
            here.send(i)
            here.recv()
    dt = time.perf_counter() - t
    p.join()
    print(f"{2 * n / dt:.0f}")


if __name__ == "__main__":
    main()

"""Puts N timestamps (CLOCK_MONOTONIC ns, taken just before each put) into a Queue (benchmark).

A breakpoint on the put line stops each one: the debugger subtracts the timestamp from the time the
`stopped` event reached it.
"""
import multiprocessing as mp
import sys
import time


def drain(q, n):
    for _ in range(n):
        q.get()


def main():
    n = int(sys.argv[1])
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=drain, args=(q, n))
    p.start()
    for _ in range(n):
        q.put(time.monotonic_ns())  # STOP HERE
    p.join()


if __name__ == "__main__":
    main()

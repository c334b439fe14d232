"""Leaves things behind on purpose, for the leak report's tests: a SharedMemory never unlinked, a
FIFO never removed, a zombie (a child it never waits for) and a child still running when it ends.

    python3 test/programs/leaky.py [DIR] [--linger SECONDS] [--child-seconds SECONDS]

DIR is where the FIFO goes (a new temporary directory when not given).
"""
import argparse
import os
import sys
import tempfile
import time
from multiprocessing import shared_memory


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", nargs="?")
    ap.add_argument("--linger", type=float, default=4, help="seconds the zombie stays visible before the main process ends")
    ap.add_argument("--child-seconds", type=float, default=30)
    args = ap.parse_args()
    args.dir = args.dir or tempfile.mkdtemp(prefix="leaky-")
    shm = shared_memory.SharedMemory(create=True, size=64)  # never unlinked
    fifo = os.path.join(args.dir, "leaky.fifo")
    os.mkfifo(fifo)  # never removed
    print(f"shm {shm.name}", flush=True)
    print(f"fifo {fifo}", flush=True)
    if os.fork() == 0:  # exits at once; never waited for: a zombie
        os._exit(0)
    sleeper = os.fork()
    if sleeper == 0:  # still running after the main process ends
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # holds no one's pipes open (nor the resource tracker's)
            os.dup2(devnull, fd)
        os.closerange(3, 4096)
        time.sleep(args.child_seconds)
        os._exit(0)
    print(f"sleeper {sleeper}", flush=True)
    time.sleep(args.linger)
    shm.close()
    sys.exit(0)


if __name__ == "__main__":
    main()

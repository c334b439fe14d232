"""Looks like a zombie, is not: the main thread exits while another thread runs.

The main thread calls pthread_exit(); the process lives on in its other thread. `ps` then shows
the thread-group leader as "Zl": Z because the leader thread is dead, l because threads remain.
It is not a zombie process: nothing waits to be reaped, and it ends when its last thread does.

    python3 examples/thread_leader_exit.py [--hold SECONDS]
"""
import argparse
import ctypes
import os
import threading
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hold", type=float, default=15.0, help="seconds the worker thread runs")
    args = ap.parse_args()

    def worker() -> None:
        time.sleep(args.hold)
        print("worker: done; the process ends now", flush=True)
        os._exit(0)

    threading.Thread(target=worker, name="worker").start()
    print(f"pid {os.getpid()}: main thread exits now, worker runs {args.hold:g} s (ps shows Zl)", flush=True)
    ctypes.CDLL(None).pthread_exit(None)


if __name__ == "__main__":
    main()

"""The join-before-drain deadlock: a child puts a large item on a Queue and the parent join()s first.

A Queue's put() hands the item to a feeder thread that writes it into a pipe. A process that has
put items does not exit until the feeder has written them all - and a pipe holds only ~64 KiB, so a
large item is written only as someone reads it. If the parent calls p.join() before q.get(), the
child waits for the parent to read and the parent waits for the child to exit: a deadlock (see
"Joining processes that use queues" in the multiprocessing docs). The fix: get() first, then join().

With --timeout N the parent gives up joining after N seconds, drains the queue, and reports the
deadlock (the child then exits). Without it, this program hangs, as the real bug does.

    python3 examples/join_deadlock.py [--start-method fork|spawn|forkserver] [--size BYTES] [--timeout N]
"""
import argparse
import multiprocessing as mp


def child(q, size: int) -> None:
    q.put(b"x" * size)  # returns at once; the feeder thread blocks writing it into the full pipe


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start-method", choices=mp.get_all_start_methods(), default=None)
    ap.add_argument("--size", type=int, default=1 << 20, help="bytes in the item (more than a pipe holds)")
    ap.add_argument("--timeout", type=float, default=None, help="give up joining after N s (default: hang)")
    args = ap.parse_args()
    ctx = mp.get_context(args.start_method)

    q = ctx.Queue()
    p = ctx.Process(target=child, args=(q, args.size), name="putter")
    p.start()
    if args.timeout is None:
        print("joining before draining the queue: this hangs (Ctrl-C to stop)", flush=True)
    p.join(args.timeout)  # the bug: join() before get()
    if p.is_alive():
        print(f"deadlock: the child was still alive after join({args.timeout}) - its feeder waits for us to read", flush=True)
    item = q.get()  # drain: the child's feeder finishes writing and the child exits
    p.join()
    print(f"drained an item of {len(item)} bytes; child exited with {p.exitcode}", flush=True)


if __name__ == "__main__":
    main()

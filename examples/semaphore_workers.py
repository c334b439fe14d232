"""multiprocessing.Semaphore(3) lets at most 3 of N workers into a section at once; a Lock guards a counter.

The workers first meet at a Barrier, so that they all arrive at the semaphore together. Each worker
acquires the semaphore (blocking while 3 others hold it), records that it is inside in a
shared counter under the Lock, works a little, and leaves. The parent prints the highest number of
workers seen inside at the same time: never more than the semaphore's value.

    python3 examples/semaphore_workers.py [--start-method fork|spawn|forkserver] [--workers N] [--limit K]
"""
import argparse
import multiprocessing as mp
import time


def worker(n: int, start, sem, lock, inside, peak, hold: float) -> None:
    start.wait()  # all workers leave the barrier at once
    with sem:  # blocks while `limit` workers are inside
        with lock:
            inside.value += 1
            peak.value = max(peak.value, inside.value)
        time.sleep(hold)
        with lock:
            inside.value -= 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start-method", choices=mp.get_all_start_methods(), default=None)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--limit", type=int, default=3)
    ap.add_argument("--hold", type=float, default=0.1, help="seconds each worker stays inside")
    args = ap.parse_args()
    ctx = mp.get_context(args.start_method)

    start = ctx.Barrier(args.workers)
    sem = ctx.Semaphore(args.limit)
    lock = ctx.Lock()
    inside = ctx.RawValue("i", 0)  # guarded by `lock`
    peak = ctx.RawValue("i", 0)
    procs = [ctx.Process(target=worker, args=(n, start, sem, lock, inside, peak, args.hold)) for n in range(args.workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print(f"{args.workers} workers, semaphore limit {args.limit}: max concurrency seen {peak.value}", flush=True)
    print(f"within the limit: {peak.value <= args.limit}", flush=True)


if __name__ == "__main__":
    main()

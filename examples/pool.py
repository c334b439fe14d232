"""multiprocessing.Pool(4): apply_async, map, close() and join().

A pool starts 4 worker processes up front and hands them tasks. close() says no more tasks will
come; join() waits for the workers to finish and exit. Forgetting close()/join() leaves workers
running until the pool is garbage-collected.

    python3 examples/pool.py [--start-method fork|spawn|forkserver] [--task-seconds S]
"""
import argparse
import multiprocessing as mp
import os
import time


def square(x: int, pause: float) -> tuple:
    time.sleep(pause)
    return x * x, os.getpid()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start-method", choices=mp.get_all_start_methods(), default=None)
    ap.add_argument("--task-seconds", type=float, default=0.5)
    ap.add_argument("--tasks", type=int, default=12)
    args = ap.parse_args()
    ctx = mp.get_context(args.start_method)

    with ctx.Pool(4) as pool:
        print(f"pool of 4 workers ({ctx.get_start_method()}) under parent {os.getpid()}", flush=True)
        pending = pool.apply_async(square, (7, args.task_seconds))
        results = pool.starmap(square, [(i, args.task_seconds) for i in range(args.tasks)])
        value, worker = pending.get(timeout=60)
        print(f"apply_async(square, 7) = {value} (worker {worker})", flush=True)
        print(f"map: {[r for r, _ in results]}", flush=True)
        print(f"workers used: {sorted({w for _, w in results})}", flush=True)
        pool.close()
        pool.join()
    print("pool closed and joined", flush=True)


if __name__ == "__main__":
    main()

"""multiprocessing.Queue: a producer and a consumer, a bounded queue that blocks, get(timeout) and Empty.

The producer puts N numbered items; the consumer gets them in order. Queue(maxsize) makes put()
block while the queue is full; get(timeout=...) raises queue.Empty when nothing arrives in time.
A shared Value counts the items consumed (incremented under its own lock: `+=` reads and writes).

With --fill-first the main process makes a classic mistake: it puts every item into the bounded
queue before starting the consumer, so the put that finds the queue full waits for a get() nobody
will make (a deadlock IPC Scope names; --timeout N makes that put give up with queue.Full).

    python3 examples/queue_producer_consumer.py [--start-method fork|spawn|forkserver] [--items N] [--maxsize M]
                                                [--fill-first [--timeout N]]
"""
import argparse
import multiprocessing as mp
import queue
import time


def producer(q, items: int, pause: float) -> None:
    for i in range(items):
        q.put({"seq": i, "text": f"item {i}"})  # blocks while the queue is full
        time.sleep(pause)
    q.put(None)  # sentinel: no more items


def consumer(q, results, consumed, pause: float) -> None:
    got = []
    while True:
        item = q.get()
        if item is None:
            break
        got.append(item["seq"])
        with consumed.get_lock():
            consumed.value += 1
        time.sleep(pause)
    results.put(got)


def fill_first(ctx, args) -> None:
    bounded = ctx.Queue(maxsize=args.maxsize)
    print(f"filling a queue of {args.maxsize} with {args.items} items before anyone reads it", flush=True)
    try:
        for n in range(args.items):
            bounded.put({"seq": n, "text": f"item {n}"}, timeout=args.timeout)  # the one after maxsize waits for room
    except queue.Full:
        print(f"put() of item {n} gave up after {args.timeout} s: the queue is full and nobody reads it", flush=True)
        raise SystemExit(1)
    results = ctx.Queue()
    cons = ctx.Process(target=consumer, args=(bounded, results, ctx.Value("i", 0), 0.0), name="consumer")
    cons.start()
    bounded.put(None)
    print(f"consumer got {len(results.get())} items", flush=True)
    cons.join()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start-method", choices=mp.get_all_start_methods(), default=None)
    ap.add_argument("--items", type=int, default=10)
    ap.add_argument("--maxsize", type=int, default=3)
    ap.add_argument("--producer-pause", type=float, default=0.0)
    ap.add_argument("--consumer-pause", type=float, default=0.05)
    ap.add_argument("--fill-first", action="store_true", help="put every item before starting the consumer (deadlocks)")
    ap.add_argument("--timeout", type=float, default=None, help="with --fill-first: give up a put after N s")
    args = ap.parse_args()
    ctx = mp.get_context(args.start_method)
    if args.fill_first:
        fill_first(ctx, args)
        return

    q = ctx.Queue(maxsize=args.maxsize)
    results = ctx.Queue()
    consumed = ctx.Value("i", 0)
    prod = ctx.Process(target=producer, args=(q, args.items, args.producer_pause), name="producer")
    cons = ctx.Process(target=consumer, args=(q, results, consumed, args.consumer_pause), name="consumer")
    prod.start()
    cons.start()
    got = results.get(timeout=120)
    prod.join()
    cons.join()
    print(f"consumer got {len(got)} items in order: {got == list(range(args.items))}", flush=True)
    print(f"consumed.value = {consumed.value}", flush=True)

    try:
        q.get(timeout=0.2)
    except queue.Empty:
        print("get(timeout=0.2) on the empty queue raised queue.Empty", flush=True)


if __name__ == "__main__":
    main()

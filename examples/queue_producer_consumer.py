"""multiprocessing.Queue: a producer and a consumer, a bounded queue that blocks, get(timeout) and Empty.

The producer puts N numbered items; the consumer gets them in order. Queue(maxsize) makes put()
block while the queue is full; get(timeout=...) raises queue.Empty when nothing arrives in time.
A shared Value counts the items consumed (incremented under its own lock: `+=` reads and writes).

    python3 examples/queue_producer_consumer.py [--start-method fork|spawn|forkserver] [--items N] [--maxsize M]
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start-method", choices=mp.get_all_start_methods(), default=None)
    ap.add_argument("--items", type=int, default=10)
    ap.add_argument("--maxsize", type=int, default=3)
    ap.add_argument("--producer-pause", type=float, default=0.0)
    ap.add_argument("--consumer-pause", type=float, default=0.05)
    args = ap.parse_args()
    ctx = mp.get_context(args.start_method)

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

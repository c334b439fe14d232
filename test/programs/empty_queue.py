"""Consumers of an empty Queue whose only writer has exited, and deadlock (a test program).

    python3 empty_queue.py [CONSUMERS]   -> prints "writers gone" once the consumers are started (default 1)

With two consumers, one reads the queue's pipe holding the queue's read lock and the other waits for that lock.
"""
import multiprocessing as mp
import sys


def produce(q):
    q.put("only item")


def consume(q):
    while True:
        q.get()


if __name__ == "__main__":
    mp.set_start_method("fork")
    q = mp.Queue()
    w = mp.Process(target=produce, args=(q,))
    w.start()
    w.join()
    cs = [mp.Process(target=consume, args=(q,)) for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 1)]
    for c in cs:
        c.start()
    print("writers gone", flush=True)
    for c in cs:
        c.join()

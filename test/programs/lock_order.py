"""Two processes take two Locks in opposite orders, and deadlock (a test program).

    python3 lock_order.py   -> prints "both stuck" once each holds its first lock and waits for the second
"""
import multiprocessing as mp
import time


def worker(first, second):
    with first:
        time.sleep(0.5)
        with second:  # waits for the lock the other worker holds
            pass


if __name__ == "__main__":
    mp.set_start_method("fork")
    a = mp.Lock()
    b = mp.Lock()
    p = mp.Process(target=worker, args=(a, b))
    q = mp.Process(target=worker, args=(b, a))
    p.start()
    q.start()
    time.sleep(0.8)
    print("both stuck", flush=True)
    p.join()
    q.join()

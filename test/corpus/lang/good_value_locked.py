import multiprocessing as mp


def deposit(money, lock, raw, n):
    for _ in range(n):
        with money.get_lock():
            money.value += 1
        with lock:
            money.value += 1
        lock.acquire()
        try:
            money.value += 1
        finally:
            lock.release()
        raw.value += 1  # RawValue: no lock exists; a different trade-off, not this rule


def main():
    money = mp.Value("i", 0)
    raw = mp.RawValue("i", 0)
    lock = mp.Lock()
    single = mp.Value("d", 1.0)
    single.value *= 2  # only the parent writes it
    procs = [mp.Process(target=deposit, args=(money, lock, raw, 10)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    totals = {"a": 1}
    totals["a"] += 1  # a dict, not shared memory


if __name__ == "__main__":
    main()

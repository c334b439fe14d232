"""multiprocessing.Value: a lost-update race, and the lock that prevents it.

Several processes each do `money.value += 1` N times on one shared Value. The Value's own lock
guards each read and each write, but `+=` is a read and then a write: two processes can read the
same number and both write it plus one, so an update is lost. With --lock each `+=` runs inside
`with money.get_lock():` and none is lost.

    python3 examples/value_race.py [--start-method fork|spawn|forkserver] [--n N] [--processes P] [--lock]
"""
import argparse
import multiprocessing as mp


def deposit(money, n: int, lock: bool, start) -> None:
    start.wait()  # all depositors begin together
    for _ in range(n):
        if lock:
            with money.get_lock():  # the read and the write together
                money.value += 1
        else:
            money.value += 1  # read, then write: another process may write in between


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start-method", choices=mp.get_all_start_methods(), default=None)
    ap.add_argument("--n", type=int, default=20000, help="increments per process")
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--lock", action="store_true", help="hold money.get_lock() around each +=")
    args = ap.parse_args()
    ctx = mp.get_context(args.start_method)

    money = ctx.Value("i", 0)
    start = ctx.Barrier(args.processes)
    workers = [ctx.Process(target=deposit, args=(money, args.n, args.lock, start), name=f"depositor-{i}") for i in range(args.processes)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    expected = args.n * args.processes
    print(f"final value {money.value} (expected {expected}), lost updates {expected - money.value}", flush=True)


if __name__ == "__main__":
    main()

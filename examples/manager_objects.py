"""multiprocessing.Manager(): a list, a dict and a Namespace shared through a manager process.

Manager() starts a server process that owns the real objects; every other process holds proxies
and each method call on a proxy (append, d[key] = value, ns.attr = value) is a request to that
server over a connection. Workers change the objects; the parent prints their final contents.
Beware `d[key] += 1` or `ns.count += 1`: a get and a set, two requests, not atomic - hence the lock.

    python3 examples/manager_objects.py [--start-method fork|spawn|forkserver] [--workers N]
"""
import argparse
import multiprocessing as mp


def worker(n: int, items, scores, ns, lock) -> None:
    items.append(n * 10)
    scores[f"worker{n}"] = n * n
    with lock:
        ns.count += 1
        ns.total += n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start-method", choices=mp.get_all_start_methods(), default=None)
    ap.add_argument("--workers", type=int, default=3)
    args = ap.parse_args()
    ctx = mp.get_context(args.start_method)

    with ctx.Manager() as manager:
        items = manager.list()
        scores = manager.dict()
        ns = manager.Namespace()
        ns.count = 0
        ns.total = 0
        lock = manager.Lock()
        procs = [ctx.Process(target=worker, args=(n, items, scores, ns, lock)) for n in range(args.workers)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        items.sort()
        print(f"list: {list(items)}", flush=True)
        print(f"dict: {dict(sorted(scores.items()))}", flush=True)
        print(f"namespace: {{'count': {ns.count}, 'total': {ns.total}}}", flush=True)


if __name__ == "__main__":
    main()

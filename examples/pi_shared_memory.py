"""SharedMemory (or an mmap of a file in /dev/shm) as one shared double that 10 processes add into.

Each worker computes its slice of the midpoint-rule sum for pi = integral of 4/(1+x^2) over [0, 1],
attaches to the shared block by name (or maps the file) and adds its part to the double stored
there, holding a multiprocessing.Semaphore so that no addition is lost. The parent waits for all
of them, prints pi, then closes and unlinks the block (or removes the file).

    python3 examples/pi_shared_memory.py [--start-method fork|spawn|forkserver] [--workers W] [--terms N] [--mmap]
"""
import argparse
import math
import mmap
import multiprocessing as mp
import os
import struct
import tempfile
from multiprocessing import shared_memory


def partial_pi(first: int, last: int, terms: int) -> float:
    h = 1.0 / terms
    return sum(4.0 / (1.0 + ((k + 0.5) * h) ** 2) for k in range(first, last)) * h


def add_into(buf, part: float, sem) -> None:
    with sem:  # read, add, write back: one process at a time
        (total,) = struct.unpack_from("d", buf, 0)
        struct.pack_into("d", buf, 0, total + part)


def worker_shm(name: str, first: int, last: int, terms: int, sem) -> None:
    shm = shared_memory.SharedMemory(name=name)  # the same block, attached by name
    try:
        add_into(shm.buf, partial_pi(first, last, terms), sem)
    finally:
        shm.close()


def worker_mmap(path: str, first: int, last: int, terms: int, sem) -> None:
    fd = os.open(path, os.O_RDWR)
    try:
        with mmap.mmap(fd, 8) as m:  # a shared mapping of the same file
            add_into(m, partial_pi(first, last, terms), sem)
    finally:
        os.close(fd)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start-method", choices=mp.get_all_start_methods(), default="fork")
    ap.add_argument("--workers", type=int, default=10)
    ap.add_argument("--terms", type=int, default=1_000_000)
    ap.add_argument("--mmap", action="store_true", help="an mmap of a file in /dev/shm instead of SharedMemory")
    args = ap.parse_args()
    ctx = mp.get_context(args.start_method)
    sem = ctx.Semaphore(1)
    bounds = [(args.terms * i // args.workers, args.terms * (i + 1) // args.workers) for i in range(args.workers)]

    if args.mmap:
        directory = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
        path = os.path.join(directory, f"pi-{os.getpid()}")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, bytes(8))
        shared, target, where = mmap.mmap(fd, 8), worker_mmap, path
    else:
        shm = shared_memory.SharedMemory(create=True, size=8)  # zero-filled
        shared, target, where = shm.buf, worker_shm, shm.name

    workers = [ctx.Process(target=target, args=(where, first, last, args.terms, sem), name=f"worker-{i}")
               for i, (first, last) in enumerate(bounds)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    (pi,) = struct.unpack_from("d", shared, 0)

    print(f"pi = {pi!r}", flush=True)
    print(f"{args.workers} workers, {args.terms} terms: pi to 10 places {pi:.10f}, error {abs(pi - math.pi):.1e}", flush=True)
    if args.mmap:
        shared.close()
        os.close(fd)
        os.unlink(path)
    else:
        del shared  # the memoryview must go before close()
        shm.close()
        shm.unlink()


if __name__ == "__main__":
    main()

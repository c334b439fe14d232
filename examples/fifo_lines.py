"""A named pipe (FIFO, os.mkfifo): a producer process writes lines, a consumer process reads them.

A FIFO is a pipe with a name in the file system: unrelated processes can open it by path. Opening
the read end blocks until a writer opens it (and the other way round). The producer writes N lines
with os.write, the consumer reads with os.read until EOF (the producer closed its end). The FIFO is
removed at the end; the pipe's data never touches the disk.

    python3 examples/fifo_lines.py [--start-method fork|spawn|forkserver] [--lines N]
"""
import argparse
import multiprocessing as mp
import os
import tempfile


def producer(path: str, lines: int) -> None:
    fd = os.open(path, os.O_WRONLY)  # blocks until the consumer opens the read end
    for i in range(lines):
        os.write(fd, f"line {i}\n".encode())
    os.close(fd)


def consumer(path: str, results) -> None:
    fd = os.open(path, os.O_RDONLY)
    data = b""
    while True:
        chunk = os.read(fd, 4096)
        if not chunk:  # EOF: the producer closed its end
            break
        data += chunk
    os.close(fd)
    results.put(data.decode().splitlines())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start-method", choices=mp.get_all_start_methods(), default=None)
    ap.add_argument("--lines", type=int, default=5)
    args = ap.parse_args()
    ctx = mp.get_context(args.start_method)

    tmp = tempfile.mkdtemp(prefix="fifo-example-")
    path = os.path.join(tmp, "lines.fifo")
    os.mkfifo(path)
    try:
        results = ctx.Queue()
        cons = ctx.Process(target=consumer, args=(path, results), name="consumer")
        prod = ctx.Process(target=producer, args=(path, args.lines), name="producer")
        cons.start()
        prod.start()
        got = results.get(timeout=60)
        prod.join()
        cons.join()
        print(f"consumer read {len(got)} lines: {got}", flush=True)
    finally:
        os.unlink(path)
        os.rmdir(tmp)
    print(f"FIFO removed: {not os.path.exists(path)}", flush=True)


if __name__ == "__main__":
    main()

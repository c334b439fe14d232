"""10,000 messages through a Queue and a Pipe, each printed by the receiving process (test program).

The output is a full record of what arrived, in order: a run watched by IPC Scope must print
exactly what a plain run prints, whatever happens to IPC Scope meanwhile.
"""
import multiprocessing as mp
import sys
import time


def consumer(q, conn, n):
    for i in range(n):
        item = q.get()
        reply = conn.recv()
        print(f"{i} {item!r} {reply!r}")
    sys.stdout.flush()


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    ctx = mp.get_context(sys.argv[2] if len(sys.argv) > 2 else "fork")
    pace = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0  # seconds between messages (a longer run)
    q = ctx.Queue(maxsize=64)
    here, there = ctx.Pipe()
    p = ctx.Process(target=consumer, args=(q, there, n))
    p.start()
    for i in range(n):
        q.put({"seq": i, "text": f"item {i}"})
        here.send(("pipe", i, b"\x00\xff" * (i % 7)))
        if pace:
            time.sleep(pace)
    p.join()
    print(f"done {p.exitcode}")
    sys.exit(3)  # a distinctive exit code, passed through


if __name__ == "__main__":
    main()

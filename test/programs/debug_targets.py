"""Small programs for the debug adapter's tests (test program).

    debug_targets.py exit          a child puts one item; the parent joins it and prints its exit code
    debug_targets.py file PATH N   a producer puts N items, a consumer appends each to PATH (no stdout)
    debug_targets.py wait N        a producer puts N items one every 50 ms (a long run to attach to)
    debug_targets.py method        prints the default start method, and a child's
    debug_targets.py named         puts into a queue named "results" right after making it, gets it back
"""
import multiprocessing as mp
import sys
import time


def put_one(q):
    q.put("hello")


def produce(q, n, pause):
    for i in range(n):
        q.put({"seq": i})
        if pause:
            time.sleep(pause)
    q.put(None)


def consume_to_file(q, path):
    with open(path, "a") as f:
        while True:
            item = q.get()
            if item is None:
                break
            f.write(f"{item['seq']}\n")
            f.flush()


def report_method(q):
    q.put(mp.get_start_method())


def main():
    mode = sys.argv[1]
    if mode == "method":
        mp.set_start_method("forkserver")  # the launch configuration's choice stands over this
        q = mp.Queue()
        p = mp.Process(target=report_method, args=(q,))
        p.start()
        print(f"parent {mp.get_start_method()} child {q.get()}", flush=True)
        p.join()
        return
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    if mode == "named":
        results = ctx.Queue()
        results.put("first")  # at once: before any look at the channels by the debugger
        print(f"got {results.get()}", flush=True)
    elif mode == "exit":
        p = ctx.Process(target=put_one, args=(q,), name="putter")
        p.start()
        p.join()
        print(f"child exit {p.exitcode}", flush=True)
    elif mode == "file":
        c = ctx.Process(target=consume_to_file, args=(q, sys.argv[2]), name="consumer")
        c.start()
        produce(q, int(sys.argv[3]), 0)
        c.join()
    elif mode == "wait":
        c = ctx.Process(target=consume_to_file, args=(q, "/dev/null"), name="consumer")
        c.start()
        produce(q, int(sys.argv[2]), 0.05)
        c.join()
        print("done", flush=True)


if __name__ == "__main__":
    main()

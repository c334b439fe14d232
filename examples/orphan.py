"""An orphan: the parent exits while its child still runs.

The kernel re-parents the child to init (pid 1) or to the nearest ancestor that declared itself a
subreaper (IPC Scope's launcher does, so the orphan stays in view). The child prints its parent
pid before and after.

    python3 examples/orphan.py [--hold SECONDS] [--parent-delay SECONDS]
"""
import argparse
import os
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hold", type=float, default=15.0, help="seconds the child lives")
    ap.add_argument("--parent-delay", type=float, default=1.0, help="seconds before the parent exits")
    args = ap.parse_args()

    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        print(f"child {os.getpid()}: my parent is {os.getppid()}", flush=True)
        deadline = time.monotonic() + args.hold
        while os.getppid() == parent and time.monotonic() < deadline:
            time.sleep(0.05)
        print(f"child {os.getpid()}: parent {parent} is gone; re-parented to {os.getppid()}", flush=True)
        time.sleep(max(0.0, deadline - time.monotonic()))
        print(f"child {os.getpid()}: done", flush=True)
        os._exit(0)

    print(f"parent {parent}: started child {pid}; exiting in {args.parent_delay:g} s without waiting for it", flush=True)
    time.sleep(args.parent_delay)


if __name__ == "__main__":
    main()

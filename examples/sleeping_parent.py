"""A healthy tree: a parent and its child both sleep, then the parent waits properly.

Neither is a zombie nor an orphan: a parent that merely sleeps is still there to wait().

    python3 examples/sleeping_parent.py [--hold SECONDS]
"""
import argparse
import os
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hold", type=float, default=10.0, help="seconds both sleep")
    args = ap.parse_args()

    pid = os.fork()
    if pid == 0:
        time.sleep(args.hold)
        os._exit(0)
    print(f"parent {os.getpid()} and child {pid} sleeping {args.hold:g} s", flush=True)
    time.sleep(args.hold)
    _, status = os.waitpid(pid, 0)
    print(f"child {pid} exited with {os.waitstatus_to_exitcode(status)}", flush=True)


if __name__ == "__main__":
    main()

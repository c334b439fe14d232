"""SIGCHLD set to SIG_IGN: children are reaped by the kernel and never become zombies.

The parent forks 3 children that exit at once and never calls wait(); because SIGCHLD is ignored
the kernel discards their exit statuses, so no zombie appears. wait() then has nothing to collect.

    python3 examples/sigchld_ignored.py [--hold SECONDS]
"""
import argparse
import os
import signal
import time


def state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0].decode()
    except FileNotFoundError:
        return "gone"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hold", type=float, default=10.0, help="seconds the parent sleeps")
    args = ap.parse_args()

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    children = []
    for i in range(3):
        pid = os.fork()
        if pid == 0:
            os._exit(i)
        children.append(pid)
    time.sleep(0.3)
    print(f"children {children}: states {[state(p) for p in children]} (no zombies)", flush=True)
    time.sleep(args.hold)
    try:
        os.wait()
    except ChildProcessError:
        print("wait(): no child to collect; the kernel reaped them", flush=True)


if __name__ == "__main__":
    main()

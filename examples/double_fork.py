"""The classic daemon double fork: a grandchild survives its parent.

The parent forks a child; the child forks a grandchild and exits at once; the parent reaps the
child (so no zombie is left) and the grandchild, whose parent is gone, is re-parented to init or
to a subreaper. Daemons do this so they are not a child of the shell that started them.

    python3 examples/double_fork.py [--hold SECONDS]
"""
import argparse
import os
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hold", type=float, default=15.0, help="seconds the grandchild lives")
    ap.add_argument("--parent-hold", type=float, default=None, help="seconds the parent stays (default: as long as the grandchild)")
    args = ap.parse_args()

    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(r)
        grandchild = os.fork()
        if grandchild == 0:
            os.close(w)
            time.sleep(0.2)  # let the middle child exit first
            print(f"grandchild pid {os.getpid()}: re-parented to {os.getppid()}", flush=True)
            time.sleep(args.hold)
            os._exit(0)
        os.write(w, str(grandchild).encode())
        os._exit(0)  # the middle child exits at once

    os.close(w)
    grandchild = int(os.read(r, 32).decode())
    os.close(r)
    _, status = os.waitpid(child, 0)  # reap the middle child: no zombie
    print(f"parent {os.getpid()}: middle child {child} exited with {os.waitstatus_to_exitcode(status)}; grandchild pid {grandchild} lives on", flush=True)
    time.sleep(args.hold if args.parent_hold is None else args.parent_hold)


if __name__ == "__main__":
    main()

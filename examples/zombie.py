"""A zombie: the child exits at once, the parent sleeps without calling wait().

While the parent sleeps, `ps` shows the child with STAT "Z" (<defunct>): it has exited, but the
kernel keeps its exit status until the parent collects it. Then the parent reaps it with
os.waitpid() and decodes the status.

    python3 examples/zombie.py [--hold SECONDS] [--code N]
"""
import argparse
import os
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hold", type=float, default=20.0, help="seconds the parent sleeps before reaping")
    ap.add_argument("--code", type=int, default=7, help="exit code of the child")
    args = ap.parse_args()

    pid = os.fork()
    if pid == 0:
        os._exit(args.code)  # the child ends immediately; it is a zombie until the parent waits

    print(f"child pid {pid} exited; parent {os.getpid()} not calling wait() for {args.hold:g} s", flush=True)
    time.sleep(args.hold)

    reaped, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status):
        print(f"reaped child {reaped}: exit status {os.WEXITSTATUS(status)}", flush=True)
    else:
        print(f"reaped child {reaped}: killed by signal {os.WTERMSIG(status)}", flush=True)


if __name__ == "__main__":
    main()

"""multiprocessing.Process: name, pid, is_alive(), daemon and exit codes.

exitcode is 0 after a normal return, N after sys.exit(N), 1 after an uncaught exception, and -N
when the process was killed by signal N (terminate() sends SIGTERM: -15). Daemon processes are
terminated automatically when the parent exits.

    python3 examples/process_attributes.py [--start-method fork|spawn|forkserver] [--hold S]
"""
import argparse
import multiprocessing as mp
import sys
import time


def returns(hold: float) -> None:
    time.sleep(hold)


def exits_3(hold: float) -> None:
    time.sleep(hold)
    sys.exit(3)


def raises(hold: float) -> None:
    time.sleep(hold)
    raise RuntimeError("uncaught: exit code 1 (the traceback goes to stderr)")


def sleeps_forever(hold: float) -> None:
    time.sleep(3600)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start-method", choices=mp.get_all_start_methods(), default=None)
    ap.add_argument("--hold", type=float, default=3.0, help="seconds each worker runs")
    args = ap.parse_args()
    ctx = mp.get_context(args.start_method)

    procs = [
        ctx.Process(target=returns, args=(args.hold,), name="returns-normally"),
        ctx.Process(target=exits_3, args=(args.hold,), name="sys-exit-3"),
        ctx.Process(target=raises, args=(args.hold,), name="raises"),
        ctx.Process(target=sleeps_forever, args=(args.hold,), name="terminated"),
        ctx.Process(target=sleeps_forever, args=(args.hold,), name="daemon-helper", daemon=True),
    ]
    for p in procs:
        p.start()
    print(f"start method {ctx.get_start_method()}", flush=True)
    for p in procs:
        print(f"{p.name}: pid {p.pid}, alive {p.is_alive()}, daemon {p.daemon}", flush=True)

    time.sleep(args.hold)
    procs[3].terminate()  # SIGTERM: exitcode -15
    for p in procs[:4]:
        p.join()
        print(f"{p.name}: exitcode {p.exitcode}, alive {p.is_alive()}", flush=True)
    print(f"{procs[4].name}: still alive {procs[4].is_alive()}; a daemon is terminated when the parent exits", flush=True)


if __name__ == "__main__":
    main()

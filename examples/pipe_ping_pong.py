"""multiprocessing.Pipe(): duplex ping-pong, and Pipe(duplex=False) one way.

A duplex Pipe gives two Connections that both send and receive. Pipe(duplex=False) returns
(receive end, send end): sending on the receive end raises OSError.

    python3 examples/pipe_ping_pong.py [--start-method fork|spawn|forkserver] [--rounds N]
"""
import argparse
import multiprocessing as mp


def ponger(conn, rounds: int) -> None:
    for _ in range(rounds):
        msg = conn.recv()
        conn.send(("pong", msg[1]))
    conn.close()


def writer(send_end, count: int) -> None:
    for i in range(count):
        send_end.send_bytes(f"line {i}".encode())
    send_end.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start-method", choices=mp.get_all_start_methods(), default=None)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    ctx = mp.get_context(args.start_method)

    here, there = ctx.Pipe()  # duplex
    p = ctx.Process(target=ponger, args=(there, args.rounds))
    p.start()
    answers = []
    for i in range(args.rounds):
        here.send(("ping", i))
        answers.append(here.recv())
    p.join()
    print(f"duplex: {args.rounds} pings answered in order: {answers == [('pong', i) for i in range(args.rounds)]}", flush=True)

    recv_end, send_end = ctx.Pipe(duplex=False)
    w = ctx.Process(target=writer, args=(send_end, 3))
    w.start()
    send_end.close()  # the parent only reads
    lines = []
    try:
        while True:
            lines.append(recv_end.recv_bytes().decode())
    except EOFError:
        pass
    w.join()
    print(f"one-way: {lines}", flush=True)


if __name__ == "__main__":
    main()

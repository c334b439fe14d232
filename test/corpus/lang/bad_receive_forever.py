import multiprocessing as mp


def worker(q, conn):
    while True:
        item = q.get()  # expect: blockingReceiveLoop
        print(item)


def listener(conn):
    while 1:
        msg = conn.recv()  # expect: blockingReceiveLoop
        print(msg)


def main():
    q = mp.Queue()
    a, b = mp.Pipe()
    p = mp.Process(target=worker, args=(q, a))
    l = mp.Process(target=listener, args=(b,))
    p.start()
    l.start()
    p.join()
    l.join()


if __name__ == "__main__":
    main()

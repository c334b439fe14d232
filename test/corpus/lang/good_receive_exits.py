import multiprocessing as mp
import queue


def worker(q):
    while True:
        item = q.get()
        if item is None:
            break
        print(item)


def poller(q):
    while True:
        try:
            item = q.get(timeout=1)
        except queue.Empty:
            continue
        if item == "stop":
            return


def reader(conn):
    try:
        while True:
            print(conn.recv())
    except EOFError:
        pass


def main():
    q = mp.Queue()
    p = mp.Process(target=worker, args=(q,))
    p.start()
    q.put(None)
    p.join()
    d = {"a": 1}
    while True:
        if d.get("a"):
            break


if __name__ == "__main__":
    main()

import multiprocessing as mp


def child(q):
    q.put(b"x" * (1 << 20))


def main():
    q = mp.Queue()
    p = mp.Process(target=child, args=(q,))
    p.start()
    item = q.get()
    p.join()
    print(len(item))


if __name__ == "__main__":
    main()

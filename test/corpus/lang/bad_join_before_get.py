import multiprocessing as mp


def child(q):
    q.put(b"x" * (1 << 20))


def main():
    q = mp.Queue()
    p = mp.Process(target=child, args=(q,))
    p.start()
    p.join()  # expect: joinBeforeDrain
    print(len(q.get()))


if __name__ == "__main__":
    main()

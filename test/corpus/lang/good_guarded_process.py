import multiprocessing as mp


def work(n):
    return n * n


def main():
    p = mp.Process(target=work, args=(1,))
    p.start()
    p.join()


if __name__ == "__main__":
    main()
    with mp.Pool(2) as pool:
        print(pool.map(work, range(4)))

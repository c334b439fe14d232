import multiprocessing as mp


def work(i):
    print(i)


def start_one():
    p = mp.Process(target=work, args=(0,))
    p.start()
    return p  # the caller joins it


def main():
    procs = [mp.Process(target=work, args=(i,)) for i in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    helper = mp.Process(target=work, args=(9,), daemon=True)  # a daemon is never joined on purpose
    helper.start()
    start_one().join()
    pool = mp.Pool(2)
    try:
        print(pool.map(work, range(3)))
    finally:
        pool.close()
        pool.join()
    with mp.Pool(2) as other:
        other.map(work, range(2))


if __name__ == "__main__":
    main()

import multiprocessing


def square(n):
    return n * n


def main():
    pool = multiprocessing.Pool(4)  # expect: unjoinedProcess
    print(pool.map(square, range(10)))


if __name__ == "__main__":
    main()

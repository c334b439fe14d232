from multiprocessing import Pool


def square(n):
    return n * n


with Pool(4) as pool:  # expect: unguardedProcess
    print(pool.map(square, range(10)))

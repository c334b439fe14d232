import multiprocessing as mp


def work(n):
    return n * n


p = mp.Process(target=work, args=(1,))  # expect: unguardedProcess
p.start()
p.join()

import multiprocessing as mp


def deposit(money, counts, n):
    for _ in range(n):
        money.value += 1  # expect: unlockedSharedUpdate
        counts[0] = counts[0] + 1  # expect: unlockedSharedUpdate


def main():
    money = mp.Value("i", 0)
    counts = mp.Array("i", 4)
    procs = [mp.Process(target=deposit, args=(money, counts, 1000)) for _ in range(2)]
    for p in procs:
        p.start()
    money.value -= 5  # expect: unlockedSharedUpdate
    for p in procs:
        p.join()


if __name__ == "__main__":
    main()

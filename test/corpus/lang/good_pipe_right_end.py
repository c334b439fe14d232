import multiprocessing as mp


def writer(conn):
    conn.send("hello")
    conn.close()


def main():
    receiver, sender = mp.Pipe(duplex=False)
    p = mp.Process(target=writer, args=(sender,))
    p.start()
    print(receiver.recv())
    p.join()
    left, right = mp.Pipe()  # duplex: both ends send and receive
    left.send(1)
    right.send(right.recv() + 1)
    print(left.recv())


if __name__ == "__main__":
    main()

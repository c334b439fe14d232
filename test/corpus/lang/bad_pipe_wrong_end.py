import multiprocessing as mp


def writer(conn):
    conn.recv()  # expect: wrongPipeEnd


def main():
    receiver, sender = mp.Pipe(duplex=False)
    p = mp.Process(target=writer, args=(sender,))
    p.start()
    receiver.send("hello")  # expect: wrongPipeEnd
    p.join()


if __name__ == "__main__":
    main()

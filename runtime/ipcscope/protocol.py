"""Mirror of protocol/runtime.ts (the runtime <-> hub wire). A test checks both agree.

Framing: 4-byte big-endian length, then UTF-8 JSON with a "t" field; first frame `hello`.
"""

RUNTIME_PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 1 << 20
PREVIEW_BYTES = 256

# An event on the wire is an array with these fields, in this order.
EVENT_FIELDS = ["k", "ch", "n", "ts", "loc", "size", "pv", "pf", "x"]

ENV_HUB = "IPCSCOPE_HUB"
ENV_TOKEN = "IPCSCOPE_TOKEN"
ENV_RUNTIME_DIR = "IPCSCOPE_RUNTIME_DIR"
ENV_STATUS_FD = "IPCSCOPE_STATUS_FD"

FRAME_HELLO = "hello"
FRAME_WELCOME = "welcome"
FRAME_ERROR = "error"
FRAME_EVENTS = "events"

EV_PROCESS_START = "process.start"
EV_PROCESS_EXIT = "process.exit"
EV_FORK = "os.fork"
EV_WAIT = "os.wait"
EV_QUEUE_NEW = "queue.new"
EV_QUEUE_PUT = "queue.put"
EV_QUEUE_GET = "queue.get"
EV_CONN_SEND = "conn.send"
EV_CONN_RECV = "conn.recv"


def describe() -> dict:
    """Everything above, in the shape protocol/runtime.ts exports it (for the agreement test)."""
    return {
        "RUNTIME_PROTOCOL_VERSION": RUNTIME_PROTOCOL_VERSION,
        "MAX_FRAME_BYTES": MAX_FRAME_BYTES,
        "PREVIEW_BYTES": PREVIEW_BYTES,
        "EVENT_FIELDS": EVENT_FIELDS,
        "RuntimeEnv": {"hub": ENV_HUB, "token": ENV_TOKEN, "runtimeDir": ENV_RUNTIME_DIR, "statusFd": ENV_STATUS_FD},
        "FrameTypes": {"hello": FRAME_HELLO, "welcome": FRAME_WELCOME, "error": FRAME_ERROR, "events": FRAME_EVENTS},
        "EventKinds": {
            "processStart": EV_PROCESS_START, "processExit": EV_PROCESS_EXIT, "fork": EV_FORK, "wait": EV_WAIT,
            "queueNew": EV_QUEUE_NEW, "queuePut": EV_QUEUE_PUT, "queueGet": EV_QUEUE_GET,
            "connSend": EV_CONN_SEND, "connRecv": EV_CONN_RECV,
        },
    }


if __name__ == "__main__":
    import json

    print(json.dumps(describe()))

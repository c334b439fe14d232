"""Mirror of protocol/runtime.ts (the runtime <-> hub wire). A test checks both agree.

Framing: 4-byte big-endian length, then the body. Control frames are UTF-8 JSON with a "t" field
(first frame `hello`); event batches are EVENTS_TAG + marshal.dumps([dropped, [event, ...]], MARSHAL_VERSION).
"""

RUNTIME_PROTOCOL_VERSION = 2
EVENTS_TAG = 0x4D
MARSHAL_VERSION = 4
MAX_FRAME_BYTES = 1 << 20
PREVIEW_BYTES = 256
IMAGE_BYTES = 4096
SAMPLE_MS = 100
BLOCK_REPORT_MS = 200  # a blocking call is reported (op.block) once it has lasted this long
NAME_WAIT_MS = 1000  # a gate waits at most this long, once per channel, for the debugger to name it
# The runtime's sender thread is named this (thread comm): the server knows it never blocks the program.
SENDER_THREAD_NAME = "ipcscope-send"
# Its command reader thread (debugger commands from the hub), named so the panel can tell it from the program's.
READER_THREAD_NAME = "ipcscope-recv"
# Its end of the hub connection is bound to the abstract Unix name "\0" + this + pid and a random part,
# so the kernel's view knows the connection as IPC Scope's own even before the hub accepts it.
RUNTIME_SOCKET_PREFIX = "ipcscope-runtime-"

# An event on the wire is a tuple with these fields, in this order (loc is (file, line) or None).
EVENT_FIELDS = ["k", "ch", "ts", "loc", "size", "pv", "pf", "x"]

ENV_HUB = "IPCSCOPE_HUB"
ENV_TOKEN = "IPCSCOPE_TOKEN"
ENV_RUNTIME_DIR = "IPCSCOPE_RUNTIME_DIR"
ENV_STATUS_FD = "IPCSCOPE_STATUS_FD"
ENV_DEBUG = "IPCSCOPE_DEBUG"
ENV_STOP_ON_ENTRY = "IPCSCOPE_STOP_ON_ENTRY"
ENV_START_METHOD = "IPCSCOPE_START_METHOD"

FRAME_HELLO = "hello"
FRAME_WELCOME = "welcome"
FRAME_ERROR = "error"
FRAME_EVENTS = "events"
# The only frame of a new connection: events this process could not send (see protocol/runtime.ts).
FRAME_LOST = "lost"

EV_PROCESS_START = "process.start"
EV_PROCESS_EXIT = "process.exit"
EV_FORK = "os.fork"
EV_SPAWN = "process.spawn"
EV_WAIT = "os.wait"
EV_QUEUE_NEW = "queue.new"
EV_QUEUE_PUT = "queue.put"
EV_QUEUE_GET = "queue.get"
EV_CONN_SEND = "conn.send"
EV_CONN_RECV = "conn.recv"
EV_SHARED_NEW = "shared.new"
EV_SHARED_WRITE = "shared.write"
EV_SHARED_IMAGE = "shared.image"
EV_SYNC_NEW = "sync.new"
EV_SYNC_ACQUIRE = "sync.acquire"
EV_SYNC_BLOCK = "sync.block"
EV_SYNC_RELEASE = "sync.release"
EV_SYNC_OP = "sync.op"
EV_MANAGER_CALL = "manager.call"
EV_MANAGER_STATE = "manager.state"
EV_POOL_NEW = "pool.new"
EV_OS_PIPE = "os.pipe"
EV_OS_MKFIFO = "os.mkfifo"
EV_PIPE_WRITE = "pipe.write"
EV_PIPE_READ = "pipe.read"
EV_SOCKET_NEW = "socket.new"
EV_SOCKET_SEND = "socket.send"
EV_SOCKET_RECV = "socket.recv"
EV_DEBUG_STOP = "debug.stop"
EV_DEBUG_LOG = "debug.log"
EV_DEBUG_ERROR = "debug.error"
EV_DEBUG_REPLY = "debug.reply"
EV_DEBUG_NAME = "debug.name"

# Commands from the hub to a runtime: DEBUG_TAG + marshal of a dict with "t" one of these.
DEBUG_TAG = 0x44
CMD_CONFIG = "config"
CMD_RESUME = "resume"
CMD_PAUSE = "pause"
CMD_VARIABLES = "variables"
CMD_EVALUATE = "evaluate"
EV_SHM_UNLINK = "shm.unlink"
EV_FIFO_UNLINK = "fifo.unlink"
EV_OP_BLOCK = "op.block"
EV_OP_UNBLOCK = "op.unblock"


def describe() -> dict:
    """Everything above, in the shape protocol/runtime.ts exports it (for the agreement test)."""
    return {
        "RUNTIME_PROTOCOL_VERSION": RUNTIME_PROTOCOL_VERSION,
        "EVENTS_TAG": EVENTS_TAG,
        "MARSHAL_VERSION": MARSHAL_VERSION,
        "MAX_FRAME_BYTES": MAX_FRAME_BYTES,
        "PREVIEW_BYTES": PREVIEW_BYTES,
        "IMAGE_BYTES": IMAGE_BYTES,
        "SAMPLE_MS": SAMPLE_MS,
        "BLOCK_REPORT_MS": BLOCK_REPORT_MS,
        "NAME_WAIT_MS": NAME_WAIT_MS,
        "SENDER_THREAD_NAME": SENDER_THREAD_NAME,
        "READER_THREAD_NAME": READER_THREAD_NAME,
        "RUNTIME_SOCKET_PREFIX": RUNTIME_SOCKET_PREFIX,
        "EVENT_FIELDS": EVENT_FIELDS,
        "RuntimeEnv": {"hub": ENV_HUB, "token": ENV_TOKEN, "runtimeDir": ENV_RUNTIME_DIR, "statusFd": ENV_STATUS_FD,
                       "debug": ENV_DEBUG, "stopOnEntry": ENV_STOP_ON_ENTRY, "startMethod": ENV_START_METHOD},
        "DEBUG_TAG": DEBUG_TAG,
        "RuntimeCommands": {"config": CMD_CONFIG, "resume": CMD_RESUME, "pause": CMD_PAUSE, "variables": CMD_VARIABLES, "evaluate": CMD_EVALUATE},
        "FrameTypes": {"hello": FRAME_HELLO, "welcome": FRAME_WELCOME, "error": FRAME_ERROR, "events": FRAME_EVENTS, "lost": FRAME_LOST},
        "EventKinds": {
            "processStart": EV_PROCESS_START, "processExit": EV_PROCESS_EXIT, "fork": EV_FORK, "spawn": EV_SPAWN, "wait": EV_WAIT,
            "queueNew": EV_QUEUE_NEW, "queuePut": EV_QUEUE_PUT, "queueGet": EV_QUEUE_GET,
            "connSend": EV_CONN_SEND, "connRecv": EV_CONN_RECV,
            "sharedNew": EV_SHARED_NEW, "sharedWrite": EV_SHARED_WRITE, "sharedImage": EV_SHARED_IMAGE,
            "syncNew": EV_SYNC_NEW, "syncAcquire": EV_SYNC_ACQUIRE, "syncBlock": EV_SYNC_BLOCK,
            "syncRelease": EV_SYNC_RELEASE, "syncOp": EV_SYNC_OP,
            "managerCall": EV_MANAGER_CALL, "managerState": EV_MANAGER_STATE, "poolNew": EV_POOL_NEW,
            "osPipe": EV_OS_PIPE, "osMkfifo": EV_OS_MKFIFO, "pipeWrite": EV_PIPE_WRITE, "pipeRead": EV_PIPE_READ,
            "socketNew": EV_SOCKET_NEW, "socketSend": EV_SOCKET_SEND, "socketRecv": EV_SOCKET_RECV,
            "debugStop": EV_DEBUG_STOP, "debugLog": EV_DEBUG_LOG, "debugError": EV_DEBUG_ERROR, "debugReply": EV_DEBUG_REPLY, "debugName": EV_DEBUG_NAME,
            "shmUnlink": EV_SHM_UNLINK, "fifoUnlink": EV_FIFO_UNLINK,
            "opBlock": EV_OP_BLOCK, "opUnblock": EV_OP_UNBLOCK,
        },
    }


if __name__ == "__main__":
    import json

    print(json.dumps(describe()))

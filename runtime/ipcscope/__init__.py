"""IPC Scope's Python runtime (standard library only, Python 3.10+).

`python -m ipcscope program.py args...` runs a program under IPC Scope. For now this is the
launcher: it runs the program as its child, stays a subreaper so the program's orphans remain in
view, reaps everything and exits exactly as the program did.
"""

__version__ = "0.1.0"

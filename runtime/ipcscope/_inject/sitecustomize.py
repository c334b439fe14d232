"""IPC Scope's sitecustomize: starts the runtime, then runs the sitecustomize that was there before."""
import os
import sys

# Our modules keep their bytecode cache even under PYTHONDONTWRITEBYTECODE: compiling them afresh
# would add tens of milliseconds to every process of the program. The user's setting is restored
# before any of the program's code runs.
_dont_write = sys.dont_write_bytecode
sys.dont_write_bytecode = False
try:
    import ipcscope.bootstrap

    ipcscope.bootstrap.install()
except Exception:
    pass
finally:
    sys.dont_write_bytecode = _dont_write


def _chain():
    here = os.path.dirname(os.path.abspath(__file__))
    import importlib.machinery
    import importlib.util

    path = [p for p in sys.path if os.path.abspath(p or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", path)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


try:
    _chain()
except Exception as e:  # report like Python does for a broken sitecustomize, and go on
    print(f"Error in sitecustomize; set PYTHONVERBOSE for traceback:\n{type(e).__name__}: {e}", file=sys.stderr)

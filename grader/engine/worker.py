"""The sandboxed worker: imports a target's modules and runs the calls the grader asks for.

Started by :mod:`grader.engine.sandbox` as ``python -I worker.py TARGET_DIR`` in a fresh process group
with resource limits. ``-I`` keeps the grader, the current directory and PYTHONPATH off the
import path; the only course code importable here is the target's. Nothing decided here counts:
results go back to the trusted parent as plain data and are judged there.

Requests are ``{"op": "import" | "call" | "map" | "outcomes", ...}``; each reply is ``{"ok": True, "value": ...}``
or ``{"ok": False, "error": {...}}`` describing the exception, its builtin base class and where in
the target it was raised. Before the reply come ``{"importing": module}`` and ``{"imported": module,
"error": ...}`` notes for each target module imported on the way, so the grader knows which module
hung or crashed; each request carries ``"failed"``, the modules this run must not import again.
"""

import builtins
import importlib
import importlib.util
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))


def _load_by_path(name, filename):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, filename))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _InputModified(AssertionError):
    pass


def _array_copies(args, kwargs):
    """Copies of the array arguments, to notice a function that writes into its inputs."""
    import numpy as np

    named = {f"argument {i + 1}": a for i, a in enumerate(args)}
    named.update({f"argument {k!r}": v for k, v in kwargs.items()})
    for name, value in list(named.items()):  # one level into dicts (parameters) and sequences
        if isinstance(value, dict):
            named.update({f"{name}[{k!r}]": v for k, v in value.items()})
        elif isinstance(value, (list, tuple)):
            named.update({f"{name}[{i}]": v for i, v in enumerate(value)})
    return {name: (a, a.copy()) for name, a in named.items() if type(a) is np.ndarray}


def _same(array, copy):
    import numpy as np

    return array.shape == copy.shape and np.array_equal(array, copy, equal_nan=True)


def _describe(exc, target_dir):
    """The reply's account of an exception: its class name, builtin base, message and target location."""
    if isinstance(exc, _FailedImport):
        return exc.error
    builtin_base = next(
        (k.__name__ for k in type(exc).__mro__ if getattr(builtins, k.__name__, None) is k),
        "Exception",
    )
    where, frames = None, []  # frames: [[path in the target, line]], outermost first
    for frame in traceback.extract_tb(exc.__traceback__):
        path = os.path.realpath(frame.filename)
        if path.startswith(target_dir + os.sep):
            where = f"{os.path.relpath(path, target_dir)}:{frame.lineno}"
            frames.append([os.path.relpath(path, target_dir), frame.lineno or 0])
    if isinstance(exc, SyntaxError) and exc.filename:
        where, frames = f"{os.path.relpath(os.path.realpath(exc.filename), target_dir)}:{exc.lineno}", []
    message = str(exc)
    if isinstance(exc, SystemExit):
        message = f"the code called sys.exit({exc.code!r})"
    return {"type": type(exc).__name__, "base": builtin_base, "message": message[:2000], "where": where,
            "frames": frames[-20:]}


class _FailedImport(Exception):
    """Raised instead of importing again a module whose import failed earlier in this grading run."""

    def __init__(self, error):
        super().__init__(error.get("message", ""))
        self.error = error


class _ImportGuard:
    """First on ``sys.meta_path``: tells the grader when each target module starts and ends importing
    (so a hang or a crash names its module), and refuses the modules in ``failed`` at once."""

    def __init__(self, target_dir, notify):
        self.target_dir, self.notify, self.failed = target_dir, notify, {}

    def find_spec(self, name, path=None, target=None):
        if name in self.failed:
            raise _FailedImport(self.failed[name])
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        origin = os.path.realpath(spec.origin) if spec.origin and spec.has_location else ""
        if spec.loader is not None and origin.startswith(self.target_dir + os.sep):
            spec.loader = _ReportingLoader(spec.loader, name, self)
        return spec


class _ReportingLoader:
    def __init__(self, loader, name, guard):
        self.loader, self.name, self.guard = loader, name, guard

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.guard.notify({"importing": self.name})
        try:
            self.loader.exec_module(module)
        except BaseException as exc:
            module.__dict__.clear()  # frees what a memory bomb holds before the failure is described
            error = _describe(exc, self.guard.target_dir)
            self.guard.failed[self.name] = error
            self.guard.notify({"imported": self.name, "error": error})
            raise
        self.guard.notify({"imported": self.name, "error": None})

    def __getattr__(self, name):
        return getattr(self.loader, name)


def main(target_dir):
    # The protocol owns the original stdin/stdout; whatever the student prints goes to stderr.
    proto_in = os.fdopen(os.dup(0), "rb", buffering=0)
    proto_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)

    protocol = _load_by_path("_grader_protocol", "protocol.py")
    callbacks = _load_by_path("_grader_callbacks", "callbacks.py")
    _load_by_path("_grader_allocator", "allocator.py").keep_heap_pad()  # no page-fault churn between calls
    target_dir = os.path.realpath(target_dir)
    sys.path[:] = [target_dir] + [p for p in sys.path if p and os.path.realpath(p) != HERE]
    os.chdir(target_dir)

    def notify(progress):
        proto_out.write(protocol.pack(progress))
        proto_out.flush()

    guard = _ImportGuard(target_dir, notify)
    sys.meta_path.insert(0, guard)
    handles = {}

    def keep(value):
        handles[id(value)] = value
        return {"__handle__": id(value), "type": type(value).__name__}

    def resolve(record):
        if "__callback__" in record:
            return getattr(callbacks, record["__callback__"])
        return handles[record["__handle__"]]

    def checked_call(function, name, args, kwargs):
        before = _array_copies(args, kwargs)
        value = function(*args, **kwargs)
        changed = [label for label, (array, copy) in before.items() if not _same(array, copy)]
        if changed:
            raise _InputModified(
                f"{name} modified its input {', '.join(changed)}; course functions must not "
                "change their arguments (work on a copy: x = x.copy(), or build a new array)"
            )
        return value

    def run(request):
        op = request["op"]
        module = importlib.import_module(request["module"])
        if op == "import":
            return {"file": os.path.realpath(module.__file__)}
        function = getattr(module, request["name"])
        if op == "call":
            return checked_call(function, request["name"], request["args"], request["kwargs"])
        if op == "map":
            return [function(*args, **kwargs) for args, kwargs in request["calls"]]
        if op == "outcomes":  # many calls, each with its own result or exception (differential tests)
            results = []
            for args, kwargs in request["calls"]:
                try:
                    results.append({"ok": True, "value": checked_call(function, request["name"], args, kwargs)})
                except (KeyboardInterrupt, SystemExit, MemoryError):
                    raise
                except Exception as exc:  # the student's exception is part of the outcome
                    results.append({"ok": False, "error": _describe(exc, target_dir)})
            return results
        raise ValueError(f"unknown op {op!r}")

    while True:
        body = protocol.read_message(proto_in)
        if body is None:
            return
        try:
            request = protocol.unpack(body, resolve)
            guard.failed.update(request.pop("failed", None) or {})
            reply = {"ok": True, "value": run(request)}
            message = protocol.pack(reply, keep)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt from student code too
            message = protocol.pack({"ok": False, "error": _describe(exc, target_dir)})
        proto_out.write(message)
        proto_out.flush()


if __name__ == "__main__":
    main(sys.argv[1])

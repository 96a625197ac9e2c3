"""The sandboxed worker: imports a target's modules and runs the calls the grader asks for.

Started by :mod:`grader.engine.sandbox` as ``python -I worker.py TARGET_DIR`` in a fresh process group
with resource limits. ``-I`` keeps the grader, the current directory and PYTHONPATH off the
import path; the only course code importable here is the target's. Nothing decided here counts:
results go back to the trusted parent as plain data and are judged there.

Requests are ``{"op": "import" | "call" | "map" | "outcomes", ...}``; each reply is ``{"ok": True, "value": ...}``
or ``{"ok": False, "error": {...}}`` describing the exception, its builtin base class and where in
the target it was raised.
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


def main(target_dir):
    # The protocol owns the original stdin/stdout; whatever the student prints goes to stderr.
    proto_in = os.fdopen(os.dup(0), "rb", buffering=0)
    proto_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)

    protocol = _load_by_path("_grader_protocol", "protocol.py")
    callbacks = _load_by_path("_grader_callbacks", "callbacks.py")
    target_dir = os.path.realpath(target_dir)
    sys.path[:] = [target_dir] + [p for p in sys.path if p and os.path.realpath(p) != HERE]
    os.chdir(target_dir)

    handles = {}

    def keep(value):
        handles[id(value)] = value
        return {"__handle__": id(value), "type": type(value).__name__}

    def resolve(record):
        if "__callback__" in record:
            return getattr(callbacks, record["__callback__"])
        return handles[record["__handle__"]]

    def describe(exc):
        builtin_base = next(
            (k.__name__ for k in type(exc).__mro__ if getattr(builtins, k.__name__, None) is k),
            "Exception",
        )
        where = None
        for frame in traceback.extract_tb(exc.__traceback__):
            path = os.path.realpath(frame.filename)
            if path.startswith(target_dir + os.sep):
                where = f"{os.path.relpath(path, target_dir)}:{frame.lineno}"
        if isinstance(exc, SyntaxError) and exc.filename:
            where = f"{os.path.relpath(os.path.realpath(exc.filename), target_dir)}:{exc.lineno}"
        message = str(exc)
        if isinstance(exc, SystemExit):
            message = f"the code called sys.exit({exc.code!r})"
        return {"type": type(exc).__name__, "base": builtin_base, "message": message[:2000], "where": where}

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
                    results.append({"ok": False, "error": describe(exc)})
            return results
        raise ValueError(f"unknown op {op!r}")

    while True:
        body = protocol.read_message(proto_in)
        if body is None:
            return
        try:
            request = protocol.unpack(body, resolve)
            reply = {"ok": True, "value": run(request)}
            message = protocol.pack(reply, keep)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt from student code too
            message = protocol.pack({"ok": False, "error": describe(exc)})
        proto_out.write(message)
        proto_out.flush()


if __name__ == "__main__":
    main(sys.argv[1])

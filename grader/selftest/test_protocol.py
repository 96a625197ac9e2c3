"""The wire format: plain data crosses, anything else stays behind as a handle."""

import numpy as np

from grader.engine import protocol


def _round_trip(value, keep=None):
    message = protocol.pack(value, keep)
    return protocol.unpack(message[protocol.header_size():])


def test_arrays_scalars_and_containers_cross_unchanged():
    value = {"a": np.arange(6.0).reshape(2, 3), "t": (1, 2.5, None, True, "s"), "l": [np.int64(3), np.float64(0.1)]}
    back = _round_trip(value)
    assert np.array_equal(back["a"], value["a"]) and back["a"].dtype == np.float64
    assert back["t"] == (1, 2.5, None, True, "s") and back["l"] == [3, 0.1]
    assert _round_trip(float("inf")) == float("inf")


def test_an_ndarray_subclass_comes_back_as_a_handle_not_an_array():
    class Liar(np.ndarray):
        def __eq__(self, other):
            return True

    lie = np.zeros(3).view(Liar)
    kept = {}

    def keep(obj):
        kept[id(obj)] = obj
        return {"__handle__": id(obj), "type": type(obj).__name__}

    back = _round_trip((lie, np.zeros(2)), keep)
    assert isinstance(back[0], protocol.Handle) and back[0].type_name == "Liar"
    assert type(back[1]) is np.ndarray


def test_the_parent_refuses_to_send_what_it_cannot_encode():
    try:
        protocol.pack({"f": lambda: 1})
    except TypeError as exc:
        assert "function" in str(exc)
    else:
        raise AssertionError("a function was encoded")


def test_a_large_request_crosses_the_pipe_whole(tmp_path):
    # a pipe delivers at most 64 KiB per read: the worker must loop until the message is complete
    from grader.engine.sandbox import RemoteModule, Worker

    package = tmp_path / "target" / "bigpkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "echo.py").write_text("def total(x):\n    return float(x.sum())\n")
    worker = Worker(tmp_path / "target")
    try:
        module = RemoteModule(worker, "bigpkg.echo")
        x = np.arange(400_000, dtype=np.float64)  # 3.2 MB
        assert module.total(x) == float(x.sum())
    finally:
        worker.close()

"""The wire format between the trusted grader and the sandboxed worker.

Every message is an 8-byte big-endian length, then a 4-byte length and a JSON document (UTF-8),
then the raw bytes of the message's arrays, one after another (never a pickle). The JSON holds the
value, in which every array is replaced by a reference ``{"__array__": k}``, and a table giving
array k's dtype (numeric or bool only), shape, offset and size; the parent checks each entry against
the message before it builds the array.

Values that can cross: None, bool, int, float, str, plain ``numpy.ndarray`` of a numeric or bool
dtype, and tuples, lists and str-keyed dicts of these. Anything else a student function returns
(an ndarray subclass, an object array, a custom class) stays in the worker and crosses as a
:class:`Handle`: the parent can pass it back to the worker (a cache handed to a backward
function) but can never mistake it for an array.

This module is loaded by file path inside the worker, so it imports nothing from the grader.
"""

from __future__ import annotations

import json
import struct
from typing import Any, BinaryIO, Callable

import numpy as np

_HEADER = struct.Struct(">Q")
MAX_MESSAGE_BYTES = 512 * 1024 * 1024


class Handle:
    """An object that lives in the worker; ``type_name`` says what it is."""

    def __init__(self, ident: int, type_name: str):
        self.ident = ident
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name} object held by the worker>"


class Callback:
    """A trusted function, named rather than pickled: the worker looks it up in grader/engine/callbacks.py."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"Callback({self.name!r})"


_NUMPY_SCALARS = (
    np.float64, np.float32, np.float16, np.int64, np.int32, np.int16, np.int8,
    np.uint64, np.uint32, np.uint16, np.uint8, np.bool_,
)


def _is_plain_array(value: Any) -> bool:
    return type(value) is np.ndarray and value.dtype.kind in "biuf"


def encode(value: Any, arrays: list[np.ndarray], keep: Callable[[Any], dict] | None) -> Any:
    """Turn ``value`` into JSON-able data, moving arrays into ``arrays``.

    ``keep`` is called for anything that cannot cross (worker side); the parent passes None and
    gets a TypeError instead.
    """
    if value is None or type(value) in (bool, int, str):
        return value
    if type(value) is float:
        return {"__float__": repr(value)}
    if type(value) in _NUMPY_SCALARS:
        return encode(value.item(), arrays, keep)
    if _is_plain_array(value):
        arrays.append(value if value.flags.c_contiguous else np.array(value, order="C"))  # 0-d stays 0-d
        return {"__array__": len(arrays) - 1}
    if type(value) is tuple:
        return {"__tuple__": [encode(v, arrays, keep) for v in value]}
    if type(value) is list:
        return [encode(v, arrays, keep) for v in value]
    if type(value) is dict and all(type(k) is str for k in value):
        return {"__dict__": {k: encode(v, arrays, keep) for k, v in value.items()}}
    if isinstance(value, Handle):
        return {"__handle__": value.ident, "type": value.type_name}
    if isinstance(value, Callback):
        return {"__callback__": value.name}
    if keep is None:
        raise TypeError(f"cannot send a {type(value).__name__} to the worker")
    return keep(value)


def decode(data: Any, arrays: list[np.ndarray], resolve: Callable[[dict], Any] | None) -> Any:
    """Inverse of :func:`encode`; ``resolve`` turns handle and callback records into objects."""
    if isinstance(data, list):
        return [decode(v, arrays, resolve) for v in data]
    if not isinstance(data, dict):
        return data
    if "__float__" in data:
        return float(data["__float__"])
    if "__array__" in data:
        return arrays[data["__array__"]]
    if "__tuple__" in data:
        return tuple(decode(v, arrays, resolve) for v in data["__tuple__"])
    if "__dict__" in data:
        return {k: decode(v, arrays, resolve) for k, v in data["__dict__"].items()}
    if "__handle__" in data or "__callback__" in data:
        if resolve is None:
            return Handle(int(data["__handle__"]), str(data.get("type", "object")))
        return resolve(data)
    raise ValueError(f"unknown record in message: {sorted(data)}")


_META = struct.Struct(">I")


def pack(meta: Any, keep: Callable[[Any], dict] | None = None) -> bytes:
    arrays: list[np.ndarray] = []
    encoded = encode(meta, arrays, keep)
    table, offset = [], 0
    for a in arrays:
        table.append([a.dtype.str, list(a.shape), offset, a.nbytes])
        offset += a.nbytes
    head = json.dumps({"value": encoded, "arrays": table}).encode()
    body = b"".join([_META.pack(len(head)), head, *(a.tobytes() for a in arrays)])
    return _HEADER.pack(len(body)) + body


def _array(body: memoryview, start: int, entry: Any) -> np.ndarray:
    """One array of the message, checked: a numeric or bool dtype, a shape that fits its bytes."""
    dtype_text, shape, offset, nbytes = entry
    dtype = np.dtype(str(dtype_text))
    if dtype.kind not in "biuf" or dtype.hasobject:
        raise ValueError(f"array of dtype {dtype} in a message")
    shape = tuple(int(n) for n in shape)
    if any(n < 0 for n in shape) or int(np.prod(shape, dtype=np.int64)) * dtype.itemsize != nbytes:
        raise ValueError("array whose shape does not match its size")
    begin = start + int(offset)
    if offset < 0 or begin + nbytes > len(body):
        raise ValueError("array outside the message")
    return np.frombuffer(body[begin:begin + nbytes], dtype=dtype).reshape(shape).copy()


def unpack(body: bytes, resolve: Callable[[dict], Any] | None = None) -> Any:
    view = memoryview(body)
    (size,) = _META.unpack_from(view, 0)
    meta = json.loads(bytes(view[_META.size:_META.size + size]).decode())
    start = _META.size + size
    arrays = [_array(view, start, entry) for entry in meta["arrays"]]
    return decode(meta["value"], arrays, resolve)


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    """Read ``size`` bytes, looping: a pipe hands over at most its buffer (64 KiB) per read."""
    chunks, got = [], 0
    while got < size:
        chunk = stream.read(size - got)
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_message(stream: BinaryIO) -> bytes | None:
    """Blocking read of one message body from a file object; None at end of stream."""
    header = _read_exactly(stream, _HEADER.size)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    if size > MAX_MESSAGE_BYTES:
        raise ValueError(f"message of {size} bytes is larger than the limit")
    return _read_exactly(stream, size)


def header_size() -> int:
    return _HEADER.size


def body_size(header: bytes) -> int:
    return _HEADER.unpack(header)[0]

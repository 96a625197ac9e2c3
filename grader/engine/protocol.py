"""The wire format between the trusted grader and the sandboxed worker.

Every message is an 8-byte big-endian length followed by an ``.npz`` archive (never a pickle):
one entry ``__meta__`` holds a JSON document (UTF-8 bytes as a uint8 array), every array in it is replaced by a reference
``{"__array__": k}`` to the entry ``a<k>`` of the archive.

Values that can cross: None, bool, int, float, str, plain ``numpy.ndarray`` of a numeric or bool
dtype, and tuples, lists and str-keyed dicts of these. Anything else a student function returns
(an ndarray subclass, an object array, a custom class) stays in the worker and crosses as a
:class:`Handle`: the parent can pass it back to the worker (a cache handed to a backward
function) but can never mistake it for an array.

This module is loaded by file path inside the worker, so it imports nothing from the grader.
"""

from __future__ import annotations

import io
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


def pack(meta: Any, keep: Callable[[Any], dict] | None = None) -> bytes:
    arrays: list[np.ndarray] = []
    encoded = encode(meta, arrays, keep)
    buffer = io.BytesIO()
    meta = np.frombuffer(json.dumps(encoded).encode(), dtype=np.uint8)  # bytes: 1/4 the size of a str array
    np.savez(buffer, __meta__=meta, **{f"a{i}": a for i, a in enumerate(arrays)})
    body = buffer.getvalue()
    return _HEADER.pack(len(body)) + body


def unpack(body: bytes, resolve: Callable[[dict], Any] | None = None) -> Any:
    with np.load(io.BytesIO(body), allow_pickle=False) as archive:
        meta = json.loads(archive["__meta__"].tobytes().decode())
        count = len(archive.files) - 1
        arrays = [np.array(archive[f"a{i}"]) for i in range(count)]
    return decode(meta, arrays, resolve)


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

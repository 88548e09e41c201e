"""Wire format of docs/PROTOCOL.md: msgpack maps, and numeric arrays as typed binary blobs.

An array travels as ``{"dtype": str, "shape": [int, ...], "data": bin}`` holding C-order
little-endian bytes. Decoding is a :func:`numpy.frombuffer` view, never a list of numbers.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import msgpack
import numpy as np

from .errors import ProtocolError

__all__ = [
    "PROTOCOL_VERSION",
    "WIRE_DTYPES",
    "pack",
    "unpack",
    "encode_array",
    "decode_array",
]

#: The protocol version this client speaks (``hello`` checks it).
PROTOCOL_VERSION = 1

#: Wire dtype names and their exact little-endian numpy dtypes.
WIRE_DTYPES: dict[str, np.dtype] = {
    "float32": np.dtype("<f4"),
    "float64": np.dtype("<f8"),
    "int32": np.dtype("<i4"),
    "uint8": np.dtype("u1"),
    "uint64": np.dtype("<u8"),
}


def pack(message: Mapping[str, Any]) -> bytes:
    """Encodes one request map (``bytes`` values become msgpack ``bin``)."""
    return msgpack.packb(message, use_bin_type=True)


def unpack(payload: bytes) -> dict[str, Any]:
    """Decodes one reply frame, which must be a msgpack map with string keys."""
    try:
        message = msgpack.unpackb(payload, raw=False)
    except Exception as e:  # msgpack raises several unrelated types for bad input
        raise ProtocolError(f"reply is not valid msgpack: {e}") from None
    if not isinstance(message, dict):
        raise ProtocolError(f"reply is a {type(message).__name__}, not a map")
    return message


def encode_array(array: np.ndarray, dtype: str) -> dict[str, Any]:
    """Encodes ``array`` as a wire array of ``dtype`` (one of :data:`WIRE_DTYPES`).

    The caller has already checked that the values fit ``dtype``; this only fixes the byte
    order and layout.
    """
    wire = WIRE_DTYPES[dtype]
    data = np.asarray(array, dtype=wire, order="C")  # ascontiguousarray would make 0-d 1-d
    return {"dtype": dtype, "shape": list(data.shape), "data": data.tobytes()}


def decode_array(
    value: Any, dtype: str | None = None, shape: tuple[int | None, ...] | None = None
) -> np.ndarray:
    """Decodes a wire array into a read-only numpy view of its bytes.

    Args:
        value: The ``{"dtype", "shape", "data"}`` map from a reply.
        dtype: If given, the dtype the field must have.
        shape: If given, the shape the field must have; ``None`` entries match any size.

    Raises:
        ProtocolError: The map is malformed or does not have the expected dtype or shape.
    """
    # The fast path, taken by every well-formed array: the same checks as below, written
    # for speed (a step reply holds four or more arrays and this runs at every step).
    # Anything it does not accept goes to the checking path, which names the problem.
    if type(value) is dict:
        name = value.get("dtype")
        dims = value.get("shape")
        data = value.get("data")
        wire = WIRE_DTYPES.get(name) if type(name) is str else None
        if (
            wire is not None
            and (dtype is None or name == dtype)
            and type(dims) is list
            and type(data) is bytes
            and (shape is None or len(shape) == len(dims))
        ):
            count = wire.itemsize
            for k, d in enumerate(dims):
                if type(d) is not int or d < 0 or (shape is not None and shape[k] not in (None, d)):
                    break
                count *= d
            else:
                if len(data) == count:
                    array = np.frombuffer(data, dtype=wire)
                    return array if len(dims) == 1 else array.reshape(dims)
    return _decode_checked(value, dtype, shape)


def _decode_checked(
    value: Any, dtype: str | None, shape: tuple[int | None, ...] | None
) -> np.ndarray:
    """decode_array for anything the fast path did not accept: every check, one by one."""
    if not isinstance(value, dict):
        raise ProtocolError(f"array field is a {type(value).__name__}, not a map")
    name = value.get("dtype")
    dims = value.get("shape")
    data = value.get("data")
    if name not in WIRE_DTYPES:
        raise ProtocolError(f"array has unknown dtype {name!r}")
    if dtype is not None and name != dtype:
        raise ProtocolError(f"array has dtype {name}, expected {dtype}")
    if not isinstance(dims, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in dims
    ):
        raise ProtocolError(f"array has malformed shape {dims!r}")
    if not isinstance(data, (bytes, bytearray)):
        raise ProtocolError(f"array data is a {type(data).__name__}, not bin")
    wire = WIRE_DTYPES[name]
    expected = math.prod(dims) * wire.itemsize
    if len(data) != expected:
        raise ProtocolError(
            f"array data is {len(data)} bytes, shape {dims} of {name} needs {expected}"
        )
    if shape is not None and (
        len(shape) != len(dims)
        or any(s is not None and s != d for s, d in zip(shape, dims, strict=True))
    ):
        raise ProtocolError(f"array has shape {dims}, expected {list(shape)}")
    return np.frombuffer(data, dtype=wire).reshape(dims)

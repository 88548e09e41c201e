"""The client's hot path: one lockstep step's request and plain reply.

``pack_step`` and ``unpack_step`` come from the compiled ``sandpit._codec`` when it was built
(``pip install`` builds it where a C compiler and Python's headers are present), else from the
pure-Python versions here, which give identical results (tests/python/test_codec_paths.py).
``SANDPIT_PURE_PYTHON=1`` in the environment picks the Python versions.
"""

from __future__ import annotations

import os
import struct
from typing import Any, Optional, Sequence, Tuple

import msgpack

__all__ = ["COMPILED", "pack_step", "pack_step_py", "unpack_step", "unpack_step_py"]

#: (id, obs bytes as a bytearray, reward, terminated, truncated, cost or None)
PlainStep = Tuple[int, bytearray, float, bool, bool, Optional[float]]

_REPLY_KEYS = frozenset(("ok", "id", "obs", "reward", "terminated", "truncated"))
_REPLY_KEYS_COST = _REPLY_KEYS | {"cost"}


def pack_step_py(
    session: int, seq: int, rid: int, data: bytes, dtype: str, shape: Sequence[int]
) -> bytes:
    """A step request's msgpack bytes (see sandpit/_codec.c)."""
    return msgpack.packb(
        {
            "op": "step",
            "session": session,
            "seq": seq,
            "actions": {"dtype": dtype, "shape": list(shape), "data": data},
            "id": rid,
        },
        use_bin_type=True,
    )


def _array(value: Any, dtype: str, shape: list, itemsize: int) -> Optional[bytes]:
    if (
        type(value) is not dict
        or len(value) != 3
        or value.get("dtype") != dtype
        or type(value.get("shape")) is not list
        or value["shape"] != shape
        or any(type(d) is not int for d in value["shape"])
        or type(value.get("data")) is not bytes
    ):
        return None
    count = itemsize
    for d in shape:
        count *= d
    return value["data"] if len(value["data"]) == count else None


def unpack_step_py(payload: bytes, n: int) -> Optional[PlainStep]:
    """A plain successful step reply of one env with ``n`` observations as ``(id, obs,
    reward, terminated, truncated, cost)`` (cost None without a guardrail constraint);
    ``None`` for anything else, which the caller reads with the general path (see
    sandpit/_codec.c)."""
    try:
        reply = msgpack.unpackb(payload, raw=False, strict_map_key=False)
    except Exception:
        return None
    if (
        n < 0
        or type(reply) is not dict
        or (reply.keys() != _REPLY_KEYS and reply.keys() != _REPLY_KEYS_COST)
        or reply["ok"] is not True
        or type(reply["id"]) is not int
        or not 0 <= reply["id"] < 2**64
    ):
        return None
    obs = _array(reply["obs"], "float32", [1, n], 4)
    reward = _array(reply["reward"], "float64", [1], 8)
    terminated = _array(reply["terminated"], "uint8", [1], 1)
    truncated = _array(reply["truncated"], "uint8", [1], 1)
    cost = _array(reply["cost"], "float64", [1], 8) if "cost" in reply else b""
    if obs is None or reward is None or terminated is None or truncated is None or cost is None:
        return None
    if terminated[0] > 1 or truncated[0] > 1:
        return None
    (rew,) = struct.unpack("<d", reward)
    c = struct.unpack("<d", cost)[0] if cost else None
    return reply["id"], bytearray(obs), rew, terminated[0] == 1, truncated[0] == 1, c


COMPILED = False
pack_step = pack_step_py
unpack_step = unpack_step_py
if os.environ.get("SANDPIT_PURE_PYTHON", "") in ("", "0"):
    try:
        from ._codec import pack_step, unpack_step  # type: ignore[no-redef]  # noqa: F811

        COMPILED = True
    except ImportError:  # not built (no compiler or headers at install): the Python path
        pass

"""Gymnasium spaces from a server env spec, and actions from Gymnasium values to wire arrays."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
from gymnasium import spaces

from .errors import InvalidAction, ProtocolError
from .protocol import decode_array, encode_array

__all__ = ["observation_space", "action_space", "encode_actions"]

_INT32 = np.iinfo(np.int32)
_INT32_MIN, _INT32_MAX = int(_INT32.min), int(_INT32.max)
_WIRE_INT32 = np.dtype("<i4")


def _bounds(section: Mapping[str, Any], size: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    low = decode_array(section.get("low"), "float64", (size,))
    high = decode_array(section.get("high"), "float64", (size,))
    if np.any(np.isnan(low)) or np.any(np.isnan(high)) or np.any(low > high):
        raise ProtocolError(f"{what} bounds are not ordered: low={low}, high={high}")
    # Bounds are float64 on the wire; the values are float32. ±FLT_MAX stays finite.
    return low.astype(np.float32), high.astype(np.float32)


def observation_space(spec: Mapping[str, Any]) -> spaces.Box:
    """The single-env observation space: ``Box(low, high, (n,), float32)`` from the spec."""
    obs = spec.get("observation")
    if not isinstance(obs, dict) or obs.get("dtype") != "float32":
        raise ProtocolError(f"spec of {spec.get('id')} has no float32 observation section")
    shape = obs.get("shape")
    if not (isinstance(shape, list) and len(shape) == 1 and isinstance(shape[0], int)):
        raise ProtocolError(f"observation shape {shape!r} is not [n]")
    low, high = _bounds(obs, shape[0], "observation")
    return spaces.Box(low=low, high=high, shape=(shape[0],), dtype=np.float32)


def action_space(spec: Mapping[str, Any]) -> spaces.Discrete | spaces.Box:
    """The single-env action space: ``Discrete(n)`` or ``Box(low, high, (k,), float32)``."""
    act = spec.get("action")
    if not isinstance(act, dict):
        raise ProtocolError(f"spec of {spec.get('id')} has no action section")
    kind = act.get("kind")
    if kind == "discrete":
        n = act.get("n")
        if not isinstance(n, int) or n < 1:
            raise ProtocolError(f"discrete action count {n!r} is not a positive int")
        return spaces.Discrete(n)
    if kind == "continuous":
        shape = act.get("shape")
        if not (isinstance(shape, list) and len(shape) == 1 and isinstance(shape[0], int)):
            raise ProtocolError(f"action shape {shape!r} is not [k]")
        low, high = _bounds(act, shape[0], "action")
        return spaces.Box(low=low, high=high, shape=(shape[0],), dtype=np.float32)
    raise ProtocolError(f"spec of {spec.get('id')} has unknown action kind {kind!r}")


def encode_actions(actions: Any, space: spaces.Space, num_envs: int, batched: bool) -> dict:
    """Converts what Gymnasium code passes to ``step`` into the wire array.

    Discrete actions become ``int32 [N]`` and continuous ones ``float32 [N, k]``. Integer
    actions of any integer dtype (numpy int64 scalars from ``Discrete.sample()``, Python
    ints) are accepted if they fit int32; range, NaN and Inf checks belong to the server.

    Args:
        actions: One env's action (``batched=False``) or a batch of ``num_envs``.
        space: The single-env action space.
        num_envs: N.
        batched: Whether ``actions`` holds one action per env.

    Raises:
        InvalidAction: Wrong shape, a non-integer for a discrete env, or an int32 overflow.
    """
    if isinstance(space, spaces.Discrete):
        # Fast paths for what Gymnasium code passes most (the same bytes as below, without
        # numpy's machinery): one int for one env, and an int32 batch, which always fits.
        if not batched and isinstance(actions, (int, np.integer)) and not isinstance(actions, bool):
            index = int(actions)
            if num_envs == 1 and _INT32_MIN <= index <= _INT32_MAX:
                data = index.to_bytes(4, "little", signed=True)
                return {"dtype": "int32", "shape": [1], "data": data}
        elif (
            batched
            and type(actions) is np.ndarray
            and actions.dtype == _WIRE_INT32
            and actions.shape == (num_envs,)
        ):
            return {"dtype": "int32", "shape": [num_envs], "data": actions.tobytes()}
    array = np.asarray(actions)
    if isinstance(space, spaces.Discrete):
        want: tuple[int, ...] = (num_envs,) if batched else ()
        if array.shape != want and not (not batched and array.shape == (1,)):
            raise InvalidAction(f"discrete actions must have shape {want}, got {array.shape}")
        if array.dtype.kind not in "iu":
            raise InvalidAction(f"discrete actions must be integers, got dtype {array.dtype}")
        if array.size and (array.min() < _INT32.min or array.max() > _INT32.max):
            raise InvalidAction("discrete action does not fit in int32")
        return encode_array(array.reshape(num_envs), "int32")
    assert isinstance(space, spaces.Box)
    k = space.shape[0]
    if array.dtype.kind not in "fiu":
        raise InvalidAction(f"continuous actions must be numbers, got dtype {array.dtype}")
    if batched:
        ok = array.shape == (num_envs, k) or (k == 1 and array.shape == (num_envs,))
        want = (num_envs, k)
    else:
        ok = array.shape == (k,) or (k == 1 and array.shape == ())
        want = (k,)
    if not ok:
        raise InvalidAction(f"continuous actions must have shape {want}, got {array.shape}")
    # float64 -> float32 rounds. Finite values beyond float32's range are clipped to it (the
    # server clips to the actuator bounds anyway) rather than overflowing to Inf; NaN and Inf
    # pass through unchanged so that the server refuses them with bad_action.
    values = array.reshape(num_envs, k)
    if values.dtype != np.float32:
        values = values.astype(np.float64)
        big = float(np.finfo(np.float32).max)
        values = np.where(np.isfinite(values), np.clip(values, -big, big), values)
    return encode_array(values, "float32")

"""Array codec and action encoding, without a server."""

from __future__ import annotations

import math

import numpy as np
import pytest
from gymnasium import spaces
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sandpit import InvalidAction, ProtocolError
from sandpit.protocol import WIRE_DTYPES, decode_array, encode_array, pack, unpack
from sandpit.spaces import encode_actions

DTYPES = sorted(WIRE_DTYPES)


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(DTYPES),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5),
    data=st.data(),
)
def test_array_roundtrip_is_exact(name, shape, data):
    array = data.draw(hnp.arrays(WIRE_DTYPES[name], shape))
    value = unpack(pack({"a": encode_array(array, name)}))["a"]
    assert value["dtype"] == name and value["shape"] == list(shape)
    assert isinstance(value["data"], bytes)
    assert len(value["data"]) == math.prod(shape) * WIRE_DTYPES[name].itemsize
    back = decode_array(value, name, shape)
    assert back.dtype == WIRE_DTYPES[name] and back.shape == shape
    assert back.tobytes() == array.astype(WIRE_DTYPES[name]).tobytes()  # NaN payloads too


def test_encoding_is_little_endian_regardless_of_input_order():
    big = np.array([1.5, -2.0], dtype=">f4")
    value = encode_array(big, "float32")
    assert value["data"] == np.array([1.5, -2.0], dtype="<f4").tobytes()


@pytest.mark.parametrize(
    "value",
    [
        [1, 2],
        {"dtype": "float16", "shape": [1], "data": b"\0\0"},
        {"dtype": "float32", "shape": [2], "data": b"\0\0\0\0"},
        {"dtype": "float32", "shape": [-1], "data": b""},
        {"dtype": "float32", "shape": "2", "data": b"\0" * 8},
        {"dtype": "float32", "shape": [1], "data": [0.0]},
    ],
)
def test_malformed_arrays_raise_protocol_error(value):
    with pytest.raises(ProtocolError):
        decode_array(value)


def test_decode_checks_expected_dtype_and_shape():
    value = encode_array(np.zeros((2, 3), np.float32), "float32")
    decode_array(value, "float32", (2, None))
    with pytest.raises(ProtocolError):
        decode_array(value, "float64")
    with pytest.raises(ProtocolError):
        decode_array(value, "float32", (3, 2))


def test_unpack_refuses_non_maps_and_garbage():
    with pytest.raises(ProtocolError):
        unpack(b"\xc1")
    with pytest.raises(ProtocolError):
        unpack(pack([1]))  # type: ignore[arg-type]


def _decode(wire):
    return decode_array(unpack(pack({"a": wire}))["a"])


@pytest.mark.parametrize(
    "action", [1, np.int64(1), np.array(1), np.array([1]), np.uint8(1), np.int32(1)]
)
def test_discrete_single_actions_become_int32(action):
    out = _decode(encode_actions(action, spaces.Discrete(2), 1, batched=False))
    assert out.dtype == np.dtype("<i4") and out.tolist() == [1]


def test_discrete_sample_batch_becomes_int32():
    space = spaces.MultiDiscrete([3] * 5, seed=0)
    sample = space.sample()
    assert sample.dtype == np.int64
    out = _decode(encode_actions(sample, spaces.Discrete(3), 5, batched=True))
    assert out.dtype == np.dtype("<i4") and out.tolist() == sample.tolist()


@pytest.mark.parametrize("action", [1.0, True, np.array([0, 1]), 2**31, -(2**31) - 1, "1"])
def test_discrete_unencodable_actions_raise(action):
    with pytest.raises(InvalidAction):
        encode_actions(action, spaces.Discrete(2), 1, batched=False)


def test_out_of_range_discrete_is_left_to_the_server():
    out = _decode(encode_actions(-1, spaces.Discrete(2), 1, batched=False))
    assert out.tolist() == [-1]


def test_continuous_actions_become_float32_rows():
    box = spaces.Box(-2, 2, (2,), np.float32)
    out = _decode(encode_actions(np.array([0.5, -1.0]), box, 1, batched=False))
    assert out.dtype == np.dtype("<f4") and out.shape == (1, 2)
    out = _decode(encode_actions(np.ones((4, 2)), box, 4, batched=True))
    assert out.shape == (4, 2)
    one = spaces.Box(-2, 2, (1,), np.float32)
    assert _decode(encode_actions(0.25, one, 1, batched=False)).tolist() == [[0.25]]
    assert _decode(encode_actions(np.zeros(3), one, 3, batched=True)).shape == (3, 1)


def test_continuous_keeps_nan_and_inf_for_the_server_but_never_overflows():
    box = spaces.Box(-2, 2, (3,), np.float32)
    out = _decode(encode_actions(np.array([np.nan, np.inf, 1e300]), box, 1, batched=False))
    assert math.isnan(out[0, 0]) and out[0, 1] == np.inf
    assert out[0, 2] == np.finfo(np.float32).max


@pytest.mark.parametrize("shape", [(3,), (1, 2), (2, 2)])
def test_continuous_wrong_shapes_raise(shape):
    with pytest.raises(InvalidAction):
        encode_actions(np.zeros(shape), spaces.Box(-1, 1, (2,), np.float32), 1, batched=False)

"""The compiled hot-path codec (sandpit._codec) against its pure-Python twin (sandpit.codec):
the same request bytes, the same reading of every reply (plain, not plain, malformed), and
the same episodes through a real server either way."""

from __future__ import annotations

import msgpack
import numpy as np
import pytest
import sandpit
import sandpit.client
from hypothesis import given, settings
from hypothesis import strategies as st
from sandpit import _codec  # built by the install (setup.py): its absence is a failure here
from sandpit.codec import pack_step_py, unpack_step_py

U64 = st.integers(0, 2**64 - 1)


@settings(max_examples=300, deadline=None)
@given(
    session=U64, seq=U64, rid=U64,
    data=st.binary(max_size=70_000),
    dtype=st.sampled_from(["int32", "float32", "x" * 40, "y" * 300]),
    shape=st.lists(st.integers(0, 2**40), max_size=4),
)
def test_pack_step_writes_msgpacks_bytes(session, seq, rid, data, dtype, shape):
    assert _codec.pack_step(session, seq, rid, data, dtype, shape) == pack_step_py(
        session, seq, rid, data, dtype, shape
    )


def _reply(obs=(0.5, -1.0, 2.0, 3.0), rid=7, **extra) -> dict:
    n = len(obs)
    reply = {
        "ok": True, "id": rid,
        "obs": {"dtype": "float32", "shape": [1, n], "data": np.array(obs, "<f4").tobytes()},
        "reward": {"dtype": "float64", "shape": [1], "data": np.array([1.25], "<f8").tobytes()},
        "terminated": {"dtype": "uint8", "shape": [1], "data": b"\x00"},
        "truncated": {"dtype": "uint8", "shape": [1], "data": b"\x01"},
    }
    reply.update(extra)
    return {k: v for k, v in reply.items() if v is not None}


COST = {"dtype": "float64", "shape": [1], "data": np.array([0.5], "<f8").tobytes()}
REPLIES = [
    _reply(),
    _reply(rid=2**64 - 1),
    _reply(rid=300),
    _reply(cost=COST),
    _reply(obs=()),
    _reply(hash={"dtype": "uint64", "shape": [1], "data": bytes(8)}),  # not plain: more keys
    _reply(ok=False),
    _reply(id=None),
    _reply(id=-1),
    _reply(terminated={"dtype": "uint8", "shape": [1], "data": b"\x02"}),
    _reply(reward={"dtype": "float32", "shape": [1], "data": bytes(4)}),
    _reply(reward={"dtype": "float64", "shape": [2], "data": bytes(16)}),
    _reply(truncated={"dtype": "uint8", "shape": [1], "data": b""}),
    _reply(obs=(1.0, 2.0, 3.0)),
    _reply(cost={"dtype": "float64", "shape": [1], "data": "x"}),
    {"ok": False, "error": {"code": "needs_reset", "message": "m"}},
    [1, 2],
]


@pytest.mark.parametrize("n", [4, 3, 0])
@pytest.mark.parametrize("reply", REPLIES)
def test_unpack_step_reads_every_reply_alike(reply, n):
    payload = msgpack.packb(reply, use_bin_type=True)
    assert _codec.unpack_step(payload, n) == unpack_step_py(payload, n)
    assert _codec.unpack_step(payload + b"\x00", n) is None  # bytes after the map
    assert unpack_step_py(payload + b"\x00", n) is None


def test_a_plain_reply_is_read_whole():
    got = _codec.unpack_step(msgpack.packb(_reply(cost=COST), use_bin_type=True), 4)
    assert got == (7, bytearray(np.array([0.5, -1.0, 2.0, 3.0], "<f4").tobytes()), 1.25,
                   False, True, 0.5)


@settings(max_examples=300, deadline=None)
@given(cut=st.integers(0, 200), flip=st.integers(0, 200), value=st.integers(0, 255))
def test_damaged_replies_read_alike(cut, flip, value):
    payload = bytearray(msgpack.packb(_reply(cost=COST), use_bin_type=True))
    if flip < len(payload):
        payload[flip] = value
    payload = bytes(payload[: len(payload) - cut % len(payload)] if cut % 2 else payload)
    # repr: a damaged float may be NaN, which equals nothing, itself included
    assert repr(_codec.unpack_step(payload, 4)) == repr(unpack_step_py(payload, 4))


def test_episodes_are_the_same_through_either_codec(endpoint, monkeypatch):
    def rollout():
        out = []
        with sandpit.make("CartPole-v0", endpoint, seed=3) as env:
            obs, _ = env.reset(seed=3)
            for t in range(300):
                obs, reward, terminated, truncated, info = env.step(t % 3 % 2)
                assert obs.dtype == np.float32 and obs.flags.writeable
                out.append((obs.tobytes(), reward, terminated, truncated, sorted(info.items())))
                if terminated or truncated:
                    env.reset()
        return out

    compiled = rollout()
    monkeypatch.setattr(sandpit.client, "pack_step", pack_step_py)
    monkeypatch.setattr(sandpit.client, "unpack_step", unpack_step_py)
    assert rollout() == compiled

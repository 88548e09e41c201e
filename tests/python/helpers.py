"""Shared helpers of the Python tests (imported by conftest.py and test modules)."""

from __future__ import annotations

import os
import time

import msgpack
import numpy as np
import zmq


class RawClient:
    """A bare DEALER client that sends whatever bytes it is given (for bad-input tests)."""

    def __init__(self, endpoint: str, timeout: float = 5.0) -> None:
        self.socket = zmq.Context.instance().socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(endpoint)
        self.timeout_ms = int(timeout * 1000)

    def send_bytes(self, payload: bytes) -> dict:
        return self.send_frames([b"", payload])

    def send_frames(self, frames: list) -> dict:
        self.socket.send_multipart(frames)
        if not self.socket.poll(self.timeout_ms, zmq.POLLIN):
            raise TimeoutError("no reply from the server")
        frames = self.socket.recv_multipart()
        assert len(frames) == 2 and frames[0] == b"", frames
        reply = msgpack.unpackb(frames[1], raw=False)
        assert isinstance(reply, dict)
        return reply

    def call(self, message: dict) -> dict:
        return self.send_bytes(msgpack.packb(message, use_bin_type=True))

    def close(self) -> None:
        self.socket.close(linger=0)


def wire(array: np.ndarray, dtype: str) -> dict:
    """A wire array, built by hand (independently of sandpit.protocol)."""
    le = {"float32": "<f4", "float64": "<f8", "int32": "<i4", "uint8": "u1", "uint64": "<u8"}
    data = np.ascontiguousarray(array, dtype=le[dtype])
    return {"dtype": dtype, "shape": list(data.shape), "data": data.tobytes()}


def unwire(value: dict) -> np.ndarray:
    le = {"float32": "<f4", "float64": "<f8", "int32": "<i4", "uint8": "u1", "uint64": "<u8"}
    return np.frombuffer(value["data"], dtype=le[value["dtype"]]).reshape(value["shape"])


def rollout(env, seed: int, steps: int, action_seed: int = 0) -> dict:
    """Runs a seeded episode stream with seeded random actions, resetting when episodes end.

    Returns every observation, reward, flag and info hash (when present) as lists.
    """
    env.action_space.seed(action_seed)
    obs, info = env.reset(seed=seed)
    out = {"obs": [obs.copy()], "reward": [], "flags": [], "hash": [info.get("hash")], "reason": []}
    for _ in range(steps):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        out["obs"].append(obs.copy())
        out["reward"].append(reward)
        out["flags"].append((terminated, truncated))
        out["hash"].append(info.get("hash"))
        if terminated or truncated:
            out["reason"].append(info.get("reason"))
            obs, info = env.reset()
            out["obs"].append(obs.copy())
            out["hash"].append(info.get("hash"))
    return out


def assert_same_rollout(a: dict, b: dict) -> None:
    assert len(a["obs"]) == len(b["obs"])
    for x, y in zip(a["obs"], b["obs"], strict=True):
        assert x.tobytes() == y.tobytes()
    assert a["reward"] == b["reward"]
    assert a["flags"] == b["flags"]
    assert a["hash"] == b["hash"]
    assert a["reason"] == b["reason"]


def exits_within(pid: int, seconds: float) -> bool:
    """Whether process ``pid`` exits within ``seconds`` (polled: it need not be our child)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.02)
    return False

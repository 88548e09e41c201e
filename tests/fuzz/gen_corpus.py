#!/usr/bin/env python3
"""Writes the seed corpus of the request fuzzer (tests/fuzz/corpus/) from real client messages.

The sandpit Python client is run against a real `sandpit serve`, one fresh server per scenario,
while every request it sends is recorded (its `pack` is wrapped). Each scenario becomes one
corpus file in the harness's framing (fuzz_request.c): records of [flags][u16 length][payload].
A fresh server numbers sessions as the harness's fresh service does, so the recorded session
ids are live ones in the harness too. A few single requests and hand-made edge cases are added.

    SANDPIT_BIN=build/bin/sandpit python3 tests/fuzz/gen_corpus.py [OUT_DIR]
"""

from __future__ import annotations

import hashlib
import os
import struct
import sys
from pathlib import Path
from typing import Callable, List, Tuple

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "agents-bridge" / "python"))

import msgpack  # noqa: E402
import numpy as np  # noqa: E402
import sandpit  # noqa: E402
import sandpit.client  # noqa: E402
from sandpit.server import LocalServer  # noqa: E402

MAX_RECORD = 0xFFFF
Record = Tuple[int, bytes]  # (flags, payload)


def record(flags: int, payload: bytes) -> bytes:
    assert len(payload) <= MAX_RECORD
    return bytes([flags]) + struct.pack("<H", len(payload)) + payload


def capture(scenario: Callable[[str], None]) -> List[bytes]:
    """Runs `scenario(endpoint)` on a fresh server; returns the payloads the client sent."""
    sent: List[bytes] = []
    real_pack = sandpit.client.pack

    def spy(message):
        payload = real_pack(message)
        sent.append(payload)
        return payload

    server = LocalServer.start(binary=os.environ.get("SANDPIT_BIN"), args=["--threads", "1"])
    sandpit.client.pack = spy
    try:
        scenario(server.endpoint)
    finally:
        sandpit.client.pack = real_pack
        server.stop()
    return sent


def single_env(env_id: str, steps: int) -> Callable[[str], None]:
    def run(endpoint: str) -> None:
        env = sandpit.make(env_id, endpoint, seed=1, hashes=True)
        env.action_space.seed(0)
        env.reset()
        for _ in range(steps):
            _, _, term, trunc, _ = env.step(env.action_space.sample())
            if term or trunc:
                env.reset()
        env.reset(seed=5)
        env.close()

    return run


def vector_env(env_id: str, n: int, steps: int) -> Callable[[str], None]:
    def run(endpoint: str) -> None:
        envs = sandpit.make_vec(env_id, num_envs=n, endpoint=endpoint, seed=2, max_steps=3)
        envs.action_space.seed(0)
        envs.reset()
        envs.reset(seed=[1, None] + [7] * (n - 2))
        for _ in range(steps):
            envs.step(envs.action_space.sample())
        envs.close()

    return run


def raw_ops(endpoint: str) -> None:
    with sandpit.Client(endpoint) as c:
        c.request("ping")
        c.request("stats")
        s = c.request("make", env="CartPole-v0", num_envs=2, autoreset="disabled")["session"]
        c.request("reset", session=s, seed=3)
        try:
            c.request("step", session=s, actions={"dtype": "int32", "shape": [2],
                                                  "data": np.array([0, 7], "<i4").tobytes()})
        except sandpit.ServerError:
            pass
        c.request("close", session=s)
        for env_id in ("Pendulum-v0", "Acrobot-v0", "LanderContinuous-v0"):
            s = c.request("make", env=env_id, num_envs=1)["session"]
            c.request("close", session=s)


SCENARIOS = {
    "cartpole": single_env("CartPole-v0", 30),
    "cartpole_continuous": single_env("CartPoleContinuous-v0", 10),
    "pendulum": single_env("Pendulum-v0", 5),
    "lander": single_env("LanderContinuous-v0", 5),
    "vector_cartpole": vector_env("CartPole-v0", 4, 8),
    "vector_acrobot": vector_env("Acrobot-v0", 3, 4),
    "ops": raw_ops,
}


def edge_cases() -> dict:
    pk = lambda m: msgpack.packb(m, use_bin_type=True)  # noqa: E731
    sid = (1 << 32) | 0
    return {
        "edge_not_msgpack": [record(0, b"\xc1\xc1")],
        "edge_huge_map": [record(0, b"\xdf\xff\xff\xff\xff")],
        "edge_huge_bin": [record(0, b"\x81\xa2op\xc6\xff\xff\xff\xf0")],
        "edge_deep": [record(0, b"\x91" * 40)],
        "edge_other_peer": [
            record(0, pk({"op": "make", "env": "CartPole-v0", "num_envs": 2})),
            record(1, pk({"op": "reset", "session": sid})),
            record(0, pk({"op": "reset", "session": sid})),
            record(1, pk({"op": "close", "session": sid})),
        ],
        "edge_rate_and_reap": [
            record(0, pk({"op": "make", "env": "CartPole-v0"})),
        ] + [record(0, pk({"op": "reset", "session": sid}))] * 6 + [
            record(2, pk({"op": "reset", "session": sid})),
            record(14, pk({"op": "reset", "session": sid})),
        ],
        "edge_refused": [record(16, pk({"op": "ping", "id": 3}))],
        "edge_limits": [record(0, pk({"op": "make", "env": "CartPole-v0", "num_envs": 8}))] * 3,
        # same_step autoreset, a partial reset (mask) and render.
        "edge_integrations": [
            record(0, pk({"op": "make", "env": "CartPole-v0", "num_envs": 2,
                          "autoreset": "same_step"})),
            record(0, pk({"op": "reset", "session": sid, "seed": 1})),
        ] + [
            record(0, pk({"op": "step", "session": sid, "actions": {
                "dtype": "int32", "shape": [2], "data": np.array([1, 1], "<i4").tobytes()}}))
        ] * 12 + [
            record(0, pk({"op": "reset", "session": sid, "mask": {
                "dtype": "uint8", "shape": [2], "data": bytes([0, 1])}})),
            record(0, pk({"op": "render", "session": sid, "envs": [1, 0], "width": 16,
                          "height": 8})),
            record(0, pk({"op": "render", "session": sid, "width": 0})),
        ],
    }


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "corpus"
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, scenario in SCENARIOS.items():
        payloads = capture(scenario)
        files[name] = [record(0, p) for p in payloads]
        # Each distinct request alone, too.
        for p in payloads:
            files[f"one_{hashlib.sha1(p).hexdigest()[:12]}"] = [record(0, p)]
    files.update(edge_cases())
    for old in out.glob("*"):
        old.unlink()
    for name, records in sorted(files.items()):
        (out / name).write_bytes(b"".join(records))
    print(f"wrote {len(files)} seed files to {out}")


if __name__ == "__main__":
    main()

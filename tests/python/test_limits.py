"""Server limits (docs/PROTOCOL.md "Server limits", docs/SECURITY.md): a scripted client tries
to exceed each one and is refused with the exact code, while a well-behaved client on the same
server gets exactly the results of an undisturbed run."""

from __future__ import annotations

import time
from typing import Callable, List

import msgpack
import numpy as np
import pytest
import sandpit
from helpers import RawClient

GOOD_STEPS = 15  # with its reset, under every step-rate burst used here


class Good:
    """A well-behaved client: one CartPole env with hashes, stepped a little at a time."""

    def __init__(self, endpoint: str) -> None:
        self.env = sandpit.make("CartPole-v0", endpoint, seed=11, hashes=True)
        self.env.action_space.seed(5)
        obs, info = self.env.reset()
        self.trace: List = [obs.tobytes(), info["hash"]]
        self.steps = 0

    def tick(self) -> None:
        if self.steps >= GOOD_STEPS:
            return
        obs, reward, term, trunc, info = self.env.step(self.env.action_space.sample())
        self.trace += [obs.tobytes(), reward, term, trunc, info["hash"]]
        self.steps += 1
        if term or trunc:
            obs, info = self.env.reset()
            self.trace += [obs.tobytes(), info["hash"]]

    def finish(self) -> List:
        while self.steps < GOOD_STEPS:
            self.tick()
        self.env.close()
        return self.trace


@pytest.fixture(scope="module")
def reference(server) -> List:
    """The good client's run on an undisturbed server with default limits."""
    return Good(server.endpoint).finish()


def refused(code: str, call: Callable[[], object], words: str = "") -> str:
    with pytest.raises(sandpit.ServerError) as e:
        call()
    assert e.value.code == code, e.value
    assert words in e.value.message, e.value.message
    return e.value.message


def test_max_sessions(server_factory, reference):
    srv = server_factory("--max-sessions", "3")
    good = Good(srv.endpoint)  # holds one of the 3
    with sandpit.Client(srv.endpoint) as c:
        made = [c.request("make", env="CartPole-v0")["session"] for _ in range(2)]
        good.tick()
        for _ in range(5):
            refused("limit_exceeded", lambda: c.request("make", env="CartPole-v0"), "sessions")
            good.tick()
        c.request("close", session=made.pop())
        made.append(c.request("make", env="CartPole-v0")["session"])  # a freed slot is usable
        assert c.request("stats")["sessions"] == 3
    assert good.finish() == reference


def test_max_envs_per_session_and_total(server_factory, reference):
    srv = server_factory("--max-envs-per-session", "8", "--max-total-envs", "12")
    good = Good(srv.endpoint)  # 1 env
    with sandpit.Client(srv.endpoint) as c:
        refused("limit_exceeded", lambda: c.request("make", env="CartPole-v0", num_envs=9),
                "per session")
        good.tick()
        s = c.request("make", env="CartPole-v0", num_envs=8)["session"]
        good.tick()
        refused("limit_exceeded", lambda: c.request("make", env="CartPole-v0", num_envs=4),
                "in all")
        c.request("make", env="CartPole-v0", num_envs=3)  # 1 + 8 + 3 = 12 exactly
        refused("limit_exceeded", lambda: c.request("make", env="CartPole-v0"), "in all")
        good.tick()
        # reset and step never change what a session holds.
        for _ in range(3):
            c.request("reset", session=s)
            c.request("step", session=s,
                      actions={"dtype": "int32", "shape": [8], "data": bytes(32)})
        assert c.request("stats")["envs"] == 12
    assert good.finish() == reference


def test_message_size(server_factory, reference):
    cap = 4096
    srv = server_factory("--max-message-bytes", str(cap))
    good = Good(srv.endpoint)
    raw = RawClient(srv.endpoint, timeout=2.0)
    try:
        reply = raw.call({"op": "ping", "id": 4, "pad": b"x" * cap})
        assert reply["ok"] is False and reply["error"]["code"] == "too_large"
        assert reply["id"] == 4
        good.tick()
        # Past twice the cap libzmq drops the connection unread: no reply, nothing held.
        with pytest.raises(TimeoutError):
            raw.send_bytes(msgpack.packb({"op": "ping", "pad": b"x" * (2 * cap + 1)}))
        good.tick()
    finally:
        raw.close()
    assert good.finish() == reference


def test_memory_ceiling(server_factory, reference):
    # 256 KiB are counted per env, so 64 MiB hold about 250 envs.
    srv = server_factory("--max-memory-mb", "64")
    hello = sandpit.Client(srv.endpoint).server_info
    assert hello["limits"]["max_memory_bytes"] == 64 << 20
    good = Good(srv.endpoint)
    with sandpit.Client(srv.endpoint) as c:
        message = refused("limit_exceeded",
                          lambda: c.request("make", env="Lander-v0", num_envs=1000),
                          "memory ceiling")
        assert "--max-memory-mb" in message and "64 MiB" in message
        good.tick()
        s = c.request("make", env="Lander-v0", num_envs=150)["session"]
        c.request("reset", session=s)  # the estimate covers what reset builds
        good.tick()
        refused("limit_exceeded", lambda: c.request("make", env="CartPole-v0", num_envs=120),
                "memory ceiling")
        good.tick()
        c.request("close", session=s)
        s = c.request("make", env="CartPole-v0", num_envs=200)["session"]
        c.request("reset", session=s)
    assert good.finish() == reference


def test_default_memory_ceiling_is_reported(hello):
    limits = hello["limits"]
    assert 16 << 20 <= limits["max_memory_bytes"] <= 4 << 30
    assert limits["max_step_rate"] == 0.0


def _unlimited_hashes(endpoint: str, n: int) -> List[int]:
    with sandpit.Client(endpoint) as c:
        s = c.request("make", env="CartPole-v0", num_envs=2, seed=4, hashes=True)["session"]
        out = [bytes(c.request("reset", session=s)["hash"]["data"])]
        for i in range(n):
            actions = {"dtype": "int32", "shape": [2], "data": np.array([i % 2, 1], "<i4").tobytes()}
            out.append(bytes(c.request("step", session=s, actions=actions)["hash"]["data"]))
        c.request("close", session=s)
    return out


def test_step_rate(server_factory, reference, endpoint):
    rate = 20
    srv = server_factory("--max-step-rate", str(rate))
    assert sandpit.Client(srv.endpoint).server_info["limits"]["max_step_rate"] == rate
    good = Good(srv.endpoint)  # its own bucket: GOOD_STEPS + resets stay under the burst
    with sandpit.Client(srv.endpoint) as c:
        s = c.request("make", env="CartPole-v0", num_envs=2, seed=4, hashes=True)["session"]
        hashes = [bytes(c.request("reset", session=s)["hash"]["data"])]
        limited = 0
        t0 = time.monotonic()
        i = 0
        while i < 60 and limited < 20:
            actions = {"dtype": "int32", "shape": [2], "data": np.array([i % 2, 1], "<i4").tobytes()}
            try:
                hashes.append(bytes(c.request("step", session=s, actions=actions)["hash"]["data"]))
                i += 1
            except sandpit.ServerError as e:
                assert e.code == "rate_limited", e
                assert "--max-step-rate" in e.message and "retry in" in e.message
                limited += 1
            good.tick()
        # Refused at once: the server never sleeps on a client's behalf.
        assert limited == 20 and time.monotonic() - t0 < 0.9
        refused("rate_limited", lambda: c.request("reset", session=s))
        c.request("stats")  # ops without a session are not metered
        time.sleep(3.0 / rate)  # a few tokens come back
        hashes.append(bytes(c.request("step", session=s, actions={
            "dtype": "int32", "shape": [2], "data": np.array([i % 2, 1], "<i4").tobytes()})["hash"]["data"]))
        stats = c.request("stats")
        assert stats["errors_by_code"]["rate_limited"] == 21
    # A refused step moved nothing: the accepted ones are an unlimited run's first steps.
    assert hashes == _unlimited_hashes(endpoint, len(hashes) - 1)
    assert good.finish() == reference


def test_idle_reaping(server_factory, reference):
    srv = server_factory("--idle-timeout", "0.5")
    good = Good(srv.endpoint)
    with sandpit.Client(srv.endpoint) as c:
        s = c.request("make", env="CartPole-v0", num_envs=4)["session"]
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:  # the good client stays busy, the other idle
            good.tick()
            time.sleep(0.05)
            if good.steps >= GOOD_STEPS:
                good.env.client.request("ping")
                good.env.client.request("stats")
        refused("unknown_session", lambda: c.request("reset", session=s), "reaped")
        stats = c.request("stats")
        assert stats["sessions_reaped"] >= 1
    # The good session was in use all along: never reaped.
    assert good.finish() == reference

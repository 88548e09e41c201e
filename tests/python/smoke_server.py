#!/usr/bin/env python3
"""Smoke test of a real `sandpit serve` process, over real sockets.

A plain script (not pytest): it spawns the server, drives every op and the bad inputs the
transport must survive (garbage, wrong framing, oversize frames, a vanished client), checks
that the server keeps serving, stops it with SIGTERM and expects exit status 0. It prints a
rough CartPole throughput at the end.

    python3 tests/python/smoke_server.py [path/to/sandpit] [--bench-only]
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time

import msgpack
import numpy as np
import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BIN = os.path.join(HERE, "..", "..", "build", "bin", "sandpit")


def spawn(binary: str, *args: str) -> tuple[subprocess.Popen, list[str]]:
    """Starts the server and waits for its `ready` line; returns it and its endpoints."""
    proc = subprocess.Popen([binary, "serve", *args], stdout=subprocess.PIPE, text=True)
    endpoints = []
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"server exited before ready: {proc.wait()}")
        line = line.strip()
        if line == "ready":
            return proc, endpoints
        kind, _, endpoint = line.partition(" ")
        assert kind == "listening", line
        endpoints.append(endpoint)


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0, proc.returncode


class Client:
    """A DEALER client that sends the REQ envelope and matches replies by id."""

    def __init__(self, ctx: zmq.Context, endpoint: str, timeout_ms: int = 5000):
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.RCVTIMEO, timeout_ms)
        self.sock.connect(endpoint)
        self.next_id = 1

    def send_raw(self, *frames: bytes) -> dict:
        self.sock.send_multipart(list(frames))
        reply = self.sock.recv_multipart()
        return msgpack.unpackb(reply[-1])

    def call(self, op: str, **fields) -> dict:
        rid = self.next_id
        self.next_id += 1
        reply = self.send_raw(b"", msgpack.packb({"op": op, "id": rid, **fields}))
        assert reply.get("id") == rid, reply
        return reply

    def close(self) -> None:
        self.sock.close()


def array(a: np.ndarray) -> dict:
    return {"dtype": str(a.dtype), "shape": list(a.shape), "data": a.tobytes()}


def unarray(m: dict) -> np.ndarray:
    return np.frombuffer(m["data"], dtype=np.dtype(m["dtype"]).newbyteorder("<")).reshape(
        m["shape"]
    )


def expect_error(reply: dict, code: str) -> None:
    assert reply["ok"] is False and reply["error"]["code"] == code, reply
    assert reply["error"]["message"], reply


def check_ops(ctx: zmq.Context, endpoint: str) -> None:
    c = Client(ctx, endpoint)
    assert c.call("ping") == {"ok": True, "id": 1}
    hello = c.call("hello", protocol=1, client="smoke_server.py")
    assert hello["ok"] and hello["protocol"] == 1, hello
    ids = [spec["id"] for spec in hello["envs"]]
    assert "CartPole-v0" in ids, ids
    expect_error(c.call("hello", protocol=99), "version_mismatch")

    made = c.call("make", env="CartPole-v0", num_envs=8, seed=123, hashes=True)
    assert made["ok"], made
    session = made["session"]
    spec = made["spec"]
    n_obs = spec["observation"]["shape"][0]
    expect_error(c.call("step", session=session, actions=array(np.zeros(8, np.int32))),
                 "needs_reset")

    r = c.call("reset", session=session)
    assert r["ok"], r
    obs = unarray(r["obs"])
    assert obs.shape == (8, n_obs) and obs.dtype == np.float32
    assert list(unarray(r["seeds"])) == list(range(123, 131))

    ended = autoreset = 0
    for t in range(120):
        r = c.call("step", session=session, actions=array(np.ones(8, np.int32)))
        assert r["ok"], r
        assert unarray(r["obs"]).shape == (8, n_obs)
        assert unarray(r["reward"]).dtype == np.float64
        assert unarray(r["hash"]).dtype == np.uint64
        if "final" in r:
            final = r["final"]
            ended += len(unarray(final["index"]))
            assert len(final["reason"]) == len(unarray(final["return"]))
        if "autoreset" in r:
            autoreset += len(unarray(r["autoreset"]))
    assert ended > 0 and autoreset > 0, (ended, autoreset)

    # Bad inputs, each with its code; the session survives all of them.
    bad_actions = [
        (array(np.zeros(8, np.int64)), "bad_request"),  # dtype the protocol does not know
        (array(np.zeros(8, np.float32)), "bad_action"),  # wrong dtype for a discrete env
        (array(np.zeros(7, np.int32)), "bad_action"),  # wrong N
        (array(np.full(8, 2, np.int32)), "bad_action"),  # out of range
        ({"dtype": "int32", "shape": [8], "data": b"\0" * 31}, "bad_request"),
        ([0] * 8, "bad_request"),  # a list, not an array map
    ]
    for actions, code in bad_actions:
        expect_error(c.call("step", session=session, actions=actions), code)
    expect_error(c.call("make", env="CartPole-v0", num_env=2), "bad_request")
    expect_error(c.call("make", env="NoSuchEnv-v9"), "unknown_env")
    expect_error(c.call("make", env="CartPole-v0", num_envs="8"), "bad_request")
    expect_error(c.call("make", env="CartPole-v0", num_envs=10**6), "limit_exceeded")
    expect_error(c.call("reset", session="x"), "bad_request")
    expect_error(c.call("teleport"), "unknown_op")
    expect_error(c.send_raw(b"", msgpack.packb({"id": 5})), "bad_request")
    expect_error(c.send_raw(b"", b"\xc1garbage"), "bad_request")
    expect_error(c.send_raw(b"", msgpack.packb([1, 2, 3])), "bad_request")
    expect_error(c.send_raw(b"", b""), "bad_request")

    # NaN in a continuous batch refuses everything and moves nothing.
    cont = c.call("make", env="CartPoleContinuous-v0", num_envs=3, seed=1, hashes=True)
    s2 = cont["session"]
    h0 = unarray(c.call("reset", session=s2)["hash"]).copy()
    nan = np.array([[0.5], [np.nan], [0.0]], np.float32)
    expect_error(c.call("step", session=s2, actions=array(nan)), "bad_action")
    twin = c.call("make", env="CartPoleContinuous-v0", num_envs=3, seed=1, hashes=True)
    assert (unarray(c.call("reset", session=twin["session"])["hash"]) == h0).all()
    good = np.array([[0.5], [0.25], [0.0]], np.float32)
    a = unarray(c.call("step", session=s2, actions=array(good))["hash"])
    b = unarray(c.call("step", session=twin["session"], actions=array(good))["hash"])
    assert (a == b).all()

    # Close, then the stale id is refused.
    for s in (session, s2, twin["session"]):
        assert c.call("close", session=s)["ok"]
    expect_error(c.call("reset", session=session), "unknown_session")
    stats = c.call("stats")
    assert stats["ok"] and stats["sessions"] == 0 and stats["envs"] == 0, stats
    assert stats["errors_by_code"]["bad_action"] >= 4, stats
    assert stats["errors_by_code"]["unknown_session"] == 1, stats
    c.close()


def check_framing(ctx: zmq.Context, endpoint: str) -> None:
    # REQ works as is.
    req = ctx.socket(zmq.REQ)
    req.setsockopt(zmq.RCVTIMEO, 5000)
    req.setsockopt(zmq.LINGER, 0)
    req.connect(endpoint)
    req.send(msgpack.packb({"op": "ping", "id": 42}))
    assert msgpack.unpackb(req.recv()) == {"ok": True, "id": 42}
    req.close()

    # A DEALER without the delimiter gets its reply without one.
    d = ctx.socket(zmq.DEALER)
    d.setsockopt(zmq.RCVTIMEO, 5000)
    d.setsockopt(zmq.LINGER, 0)
    d.connect(endpoint)
    d.send(msgpack.packb({"op": "ping", "id": 1}))
    frames = d.recv_multipart()
    assert len(frames) == 1 and msgpack.unpackb(frames[0])["ok"], frames

    # Several payload frames: bad_request, echoing the id of the first.
    d.send_multipart([b"", msgpack.packb({"op": "ping", "id": 2}), b"extra"])
    frames = d.recv_multipart()
    assert frames[0] == b"" and len(frames) == 2, frames
    reply = msgpack.unpackb(frames[1])
    expect_error(reply, "bad_request")
    assert reply["id"] == 2
    d.close()


def check_sizes(ctx: zmq.Context, binary: str) -> None:
    proc, (endpoint,) = spawn(binary, "--bind", "tcp://127.0.0.1:*", "--max-message-bytes",
                              "4096")
    try:
        c = Client(ctx, endpoint)
        big = msgpack.packb({"op": "ping", "id": 9, "pad": b"x" * 6000})
        reply = c.send_raw(b"", big)
        expect_error(reply, "too_large")
        assert reply["id"] == 9

        # Over twice the limit: libzmq drops that peer unread; its request times out.
        rogue = Client(ctx, endpoint, timeout_ms=500)
        rogue.sock.send_multipart([b"", b"\x00" * 9000])
        try:
            rogue.sock.recv_multipart()
            raise AssertionError("an over-cap frame got a reply")
        except zmq.Again:
            pass
        rogue.close()
        # Everyone else is still served.
        assert c.call("ping")["ok"]

        # A client that vanishes with requests in flight costs nothing.
        ghost = Client(ctx, endpoint)
        for _ in range(50):
            ghost.sock.send_multipart([b"", msgpack.packb({"op": "hello", "protocol": 1})])
        ghost.close()
        assert c.call("ping")["ok"]
        c.close()
    finally:
        stop(proc)


def check_reaping(ctx: zmq.Context, binary: str) -> None:
    proc, (endpoint,) = spawn(binary, "--bind", "tcp://127.0.0.1:*", "--idle-timeout", "0.3")
    try:
        c = Client(ctx, endpoint)
        s = c.call("make", env="CartPole-v0")["session"]
        time.sleep(1.0)
        expect_error(c.call("reset", session=s), "unknown_session")
        assert c.call("stats")["sessions_reaped"] == 1
        c.close()
    finally:
        stop(proc)


def check_ipc_and_several_binds(ctx: zmq.Context, binary: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ipc = f"ipc://{tmp}/sandpit.sock"
        proc, endpoints = spawn(binary, "--bind", ipc, "--bind", "tcp://127.0.0.1:*")
        try:
            assert endpoints[0] == ipc and endpoints[1].startswith("tcp://127.0.0.1:")
            for ep in endpoints:
                c = Client(ctx, ep)
                assert c.call("ping")["ok"]
                c.close()
        finally:
            stop(proc)


def bench(ctx: zmq.Context, binary: str, num_envs: int = 256, steps: int = 2000) -> None:
    proc, (endpoint,) = spawn(binary, "--bind", "tcp://127.0.0.1:*")
    try:
        c = Client(ctx, endpoint)
        s = c.call("make", env="CartPole-v0", num_envs=num_envs)["session"]
        c.call("reset", session=s)
        rng = np.random.default_rng(0)
        actions = [array(rng.integers(0, 2, num_envs, dtype=np.int32)) for _ in range(16)]
        packed = [msgpack.packb({"op": "step", "session": s, "actions": a}) for a in actions]
        t0 = time.perf_counter()
        for t in range(steps):
            c.sock.send_multipart([b"", packed[t % 16]])
            reply = msgpack.unpackb(c.sock.recv_multipart()[-1])
            np.frombuffer(reply["obs"]["data"], "<f4")
        dt = time.perf_counter() - t0
        print(f"CartPole-v0 x {num_envs}: {steps / dt:.0f} requests/s, "
              f"{steps * num_envs / dt / 1e6:.2f} M env steps/s "
              f"({dt / steps * 1e6:.0f} us per batched step)")
        c.close()
    finally:
        stop(proc)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    binary = os.path.abspath(args[0] if args else DEFAULT_BIN)
    ctx = zmq.Context()
    if "--bench-only" not in sys.argv:
        proc, (endpoint,) = spawn(binary, "--bind", "tcp://127.0.0.1:*")
        try:
            check_ops(ctx, endpoint)
            check_framing(ctx, endpoint)
        finally:
            stop(proc)
        check_sizes(ctx, binary)
        check_reaping(ctx, binary)
        check_ipc_and_several_binds(ctx, binary)
        print("smoke_server: all checks passed")
    bench(ctx, binary)
    ctx.term()


if __name__ == "__main__":
    main()

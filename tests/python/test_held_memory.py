"""What a client can make the server hold (docs/SECURITY.md, "What a client can make the server
hold"): fault buffers, recorder buffers, held replies and envelopes are counted or bounded, so
an attack is refused with limit_exceeded (or bad_request for an envelope) or the server's
resident memory stays under its ceiling, while a well-behaved client keeps being served."""

from __future__ import annotations

import random
import warnings
from pathlib import Path

import msgpack
import numpy as np
import pytest
import sandpit
import zmq
from helpers import RawClient, wire
from sandpit import replay

CEILING_MB = 128
# The resident set's slack over the counted estimates: the binary, libzmq, thread stacks and
# malloc's arenas (docs/SECURITY.md).
SLACK_MB = 32
DELAYS = [{"kind": "delay", "steps": 1000} for _ in range(64)]  # 2 MiB per Lander env


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def good_client_served(endpoint: str) -> None:
    """A well-behaved client still makes, resets, steps and closes."""
    env = sandpit.make("CartPole-v0", endpoint, seed=3)
    env.reset()
    for _ in range(5):
        env.step(env.action_space.sample())
    env.close()


def test_fault_buffers_are_counted_at_make(server_factory):
    srv = server_factory("--max-memory-mb", str(CEILING_MB))
    with sandpit.Client(srv.endpoint) as c:
        with pytest.raises(sandpit.ServerError) as e:
            c.request("make", env="Lander-v0", num_envs=256, faults=DELAYS)
        assert e.value.code == "limit_exceeded" and "memory ceiling" in e.value.message
        # The same faults on fewer envs fit, and their cost is what is counted.
        few = c.request("make", env="Lander-v0", num_envs=4, faults=DELAYS)["session"]
        c.request("reset", session=few, seed=1)
    assert rss_mb(srv.pid) < CEILING_MB + SLACK_MB
    good_client_served(srv.endpoint)


def test_fault_buffers_are_counted_at_reset_options(server_factory):
    srv = server_factory("--max-memory-mb", str(CEILING_MB))
    with sandpit.Client(srv.endpoint) as c:
        s = c.request("make", env="Lander-v0", num_envs=256, faults=[])["session"]
        with pytest.raises(sandpit.ServerError) as e:
            c.request("reset", session=s, seed=1, options={"faults": DELAYS})
        assert e.value.code == "limit_exceeded" and "memory ceiling" in e.value.message
        # Refused before anything changed: the session still resets and steps.
        c.request("reset", session=s, seed=1)
        c.request("step", session=s, actions=wire(np.zeros(256), "int32"))
    assert rss_mb(srv.pid) < CEILING_MB + SLACK_MB
    good_client_served(srv.endpoint)


def test_recording_a_long_episode_holds_a_bounded_buffer(server_factory, tmp_path):
    """256 envs in episodes that never end, recorded: memory stays flat while files grow."""
    srv = server_factory("--max-memory-mb", str(CEILING_MB), "--record-root", str(tmp_path))
    n = 256
    actions = wire(np.zeros((n, 1)), "float32")
    with sandpit.Client(srv.endpoint) as c:
        s = c.request("make", env="Pendulum-v0", num_envs=n, max_steps=2**31 - 1,
                      guardrails=False, record={"dir": "rec"})["session"]
        c.request("reset", session=s, seed=1)
        for _ in range(2000):  # past the first chunks: the writer's pool is at its size
            c.request("step", session=s, actions=actions)
        before = rss_mb(srv.pid)
        for _ in range(4000):  # ~256 x 4000 x 37 B = 36 MiB of records if kept in memory
            c.request("step", session=s, actions=actions)
        grown = rss_mb(srv.pid) - before
        c.request("close", session=s)
    assert grown < 4, f"RSS grew {grown:.1f} MiB over 4000 recorded steps"
    files = sorted((tmp_path / "rec").glob("*.sprp"))
    assert len(files) == n
    r = replay.load(files[0])  # written in chunks, read as one file
    assert r.steps == 6000 and r.summary["ended"] == "closed"
    good_client_served(srv.endpoint)


def test_envelopes_are_bounded_and_held_replies_pin_none(server_factory):
    """64 messages of 5-10 frames x 2 MiB in front of a step whose reply is held a minute."""
    srv = server_factory("--max-memory-mb", str(CEILING_MB))
    with sandpit.Client(srv.endpoint) as c:
        s = c.request("make", env="CartPole-v0",
                      faults=[{"kind": "reply_delay", "delay_ms": 60000}])["session"]
        c.request("reset", session=s)
    step = msgpack.packb({"op": "step", "session": s, "actions": wire(np.zeros(1), "int32")})
    big = b"x" * (2 << 20)
    rng = random.Random(1)
    raw = RawClient(srv.endpoint, timeout=20)
    try:
        for _ in range(64):
            raw.socket.send_multipart([big] * rng.randint(5, 10) + [b"", step])
        for _ in range(64):  # each refused at once, none held
            assert raw.socket.poll(20_000, zmq.POLLIN)
            frames = raw.socket.recv_multipart()
            reply = msgpack.unpackb(frames[-1], raw=False)
            error = reply["error"]
            assert error["code"] == "bad_request" and "envelope" in error["message"]
        assert rss_mb(srv.pid) < CEILING_MB + SLACK_MB
        good_client_served(srv.endpoint)
    finally:
        raw.close()


def test_a_replay_that_cannot_be_created_is_told(server_factory, tmp_path):
    srv = server_factory("--record-root", str(tmp_path))
    with sandpit.Client(srv.endpoint) as c:
        instance = c.request("stats")["instance"]
    # A file already where the first episode's would go: the recorder refuses to overwrite it.
    env = sandpit.make("CartPole-v0", srv.endpoint, seed=7, record={"dir": str(tmp_path)})
    s_id = env.unwrapped._session.id
    name = f"CartPole-v0-{instance}-{s_id}-e0-000000-s7.sprp"
    (tmp_path / name).write_bytes(b"kept")
    with pytest.warns(sandpit.RecordingWarning, match="refusing to overwrite"):
        env.reset()
    env.step(0)  # told once: no second warning
    env.close()
    assert (tmp_path / name).read_bytes() == b"kept"
    with sandpit.Client(srv.endpoint) as c:
        assert c.request("stats")["record_errors"] == 1
    assert any("recording stopped" in line for line in srv._stderr_tail)


def test_a_writer_failure_is_told(server_factory, tmp_path):
    """The directory vanishes after the first file: the writer cannot create the next ones."""
    srv = server_factory("--record-root", str(tmp_path))
    d = tmp_path / "rec"
    env = sandpit.make("CartPole-v0", srv.endpoint, seed=1, max_steps=3, record={"dir": str(d)})
    env.reset()
    for f in d.iterdir():
        f.unlink()
    d.rmdir()
    with pytest.warns(sandpit.RecordingWarning, match="cannot create"):
        for _ in range(3):
            for _ in range(3):
                env.step(0)
            env.reset()
        env.close()
    with sandpit.Client(srv.endpoint) as c:
        assert c.request("stats")["record_errors"] == 1


def test_names_are_unique_across_server_lives(server_factory, tmp_path):
    """A restart into the same directory writes new files next to the last life's."""
    for _ in range(2):
        srv = server_factory("--record-root", str(tmp_path))
        with warnings.catch_warnings():
            warnings.simplefilter("error", sandpit.RecordingWarning)
            env = sandpit.make("CartPole-v0", srv.endpoint, seed=5, max_steps=4,
                               record={"dir": "runs"})
            env.reset()
            for _ in range(4):
                env.step(0)
            env.close()
        srv.stop()
    files = sorted(Path(tmp_path, "runs").glob("*.sprp"))
    assert len(files) == 2, files
    assert all(f.name.startswith("CartPole-v0-") and f.name.endswith("-e0-000000-s5.sprp")
               for f in files)
    assert files[0].name.split("-")[2] != files[1].name.split("-")[2]  # the instance ids
    for f in files:
        assert replay.load(f).steps == 4

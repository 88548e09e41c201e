"""The wall-clock guardrail ends an episode on time whether or not its client steps
(docs/GUARDRAILS.md): a client that resets with a short `wall_clock_s` and goes quiet finds
its episode ended, its replay finished with the reason (and verifying), the server's stats
counting it, and its next step reporting it, against a real `sandpit serve`."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import sandpit
from sandpit import ServerError, replay

WALL_CLOCK_S = 0.3
# How long the test waits for the server to end a quiet episode: generous, for a loaded
# machine; the server itself acts within milliseconds of the deadline.
EXPIRY_BOUND_S = 15.0
MACHINE, WALL_CLOCK = 3, 5  # event source and guardrail reason numbers


def wait_for_replay(directory: Path, count: int) -> list:
    """Waits until `count` complete replay files are in `directory` (the server writes them
    when it ends the episodes); returns them loaded, by name."""
    deadline = time.monotonic() + EXPIRY_BOUND_S
    while True:
        done = []
        for path in sorted(directory.glob("*.sprp")):
            try:
                r = replay.load(path)
            except replay.ReplayError:  # being written
                continue
            if r.complete:
                done.append((path, r))
        if len(done) >= count:
            return done
        assert time.monotonic() < deadline, f"no finished replay within {EXPIRY_BOUND_S} s"
        time.sleep(0.02)


def verify(paths) -> None:
    out = subprocess.run(
        [os.environ["SANDPIT_BIN"], "replay", "verify", *map(str, paths)],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def stats(endpoint: str) -> dict:
    with sandpit.Client(endpoint) as client:
        return client.request("stats")


def test_a_quiet_episode_ends_on_time_without_a_step(server_factory, tmp_path):
    srv = server_factory()
    env = sandpit.make("CartPole-v0", srv.endpoint, seed=3, hashes=True,
                       guardrails={"wall_clock_s": WALL_CLOCK_S}, record=tmp_path)
    started = time.monotonic()
    obs, info = env.reset()
    _, _, term, trunc, info = env.step(0)
    assert not (term or trunc)
    last_obs, _, _, _, info = env.step(1)
    # The client goes quiet: the server ends the episode on its own.
    ((path, r),) = wait_for_replay(tmp_path, 1)
    ended_after = time.monotonic() - started
    assert ended_after >= WALL_CLOCK_S
    print(f"replay finished {1000 * (ended_after - WALL_CLOCK_S):.0f} ms after the deadline")
    assert r.summary["truncated"] and not r.summary["terminated"]
    assert r.summary["reason"] == "wall_clock" and r.summary["ended"] == "done"
    assert r.steps == 3  # two steps sent, then the step the quiet client did not send
    ev = r.events[r.events["step"] == 3]
    assert len(ev) == 1 and ev["source"][0] == MACHINE and ev["code"][0] == WALL_CLOCK
    assert ev["value"][0] > ev["limit"][0] == np.float32(WALL_CLOCK_S)
    assert r.rewards[-1] == 0.0 and not r.actions[-1].any()
    verify([path])

    s = stats(srv.endpoint)
    assert s["episodes_expired"] == 1 and s["guardrail_trips"]["wall_clock"] == 1
    assert s["steps"] == 2  # the server's own step is not a client's

    # The next step reports the end (its action is not applied), with the recorded hash.
    obs, reward, term, trunc, info = env.step(1)
    assert trunc and not term and reward == 0.0
    assert info["reason"] == "wall_clock"
    assert [t["reason"] for t in info["guardrail"]] == ["wall_clock"]
    assert info["hash"] == int(r.hashes[-1])
    assert obs.tobytes() == last_obs.tobytes()
    with pytest.raises(ServerError) as e:
        env.step(0)
    assert e.value.code == "needs_reset"
    env.reset()  # a new episode, a new clock
    env.step(0)
    env.close()


def test_a_quiet_vector_session_reports_every_ended_env(server_factory, tmp_path):
    srv = server_factory()
    envs = sandpit.make_vec("Pendulum-v0", 2, srv.endpoint, seed=5, hashes=True,
                            guardrails={"wall_clock_s": WALL_CLOCK_S}, record=tmp_path)
    envs.reset()
    envs.step(np.zeros((2, 1), np.float32))
    done = wait_for_replay(tmp_path, 2)
    assert [r.summary["reason"] for _, r in done] == ["wall_clock", "wall_clock"]
    verify([p for p, _ in done])
    assert stats(srv.endpoint)["episodes_expired"] == 2

    _, reward, term, trunc, info = envs.step(np.ones((2, 1), np.float32))
    assert trunc.all() and not term.any() and not reward.any()
    assert list(info["reason"]) == ["wall_clock", "wall_clock"]
    assert list(info["hash"]) == [int(r.hashes[-1]) for _, r in done]
    # Autoreset: the step after starts new episodes, each with a clock of its own.
    _, _, term, trunc, info = envs.step(np.ones((2, 1), np.float32))
    assert not (term.any() or trunc.any())
    envs.close()


def test_a_stepping_client_is_not_cut_short(server_factory):
    """A client that keeps stepping within its limit never meets the expiry."""
    srv = server_factory()
    env = sandpit.make("CartPole-v0", srv.endpoint, seed=1, guardrails={"wall_clock_s": 600})
    env.reset()
    for _ in range(50):
        _, _, term, trunc, info = env.step(0)
        if term or trunc:
            assert info["reason"] != "wall_clock"
            env.reset()
    assert stats(srv.endpoint)["episodes_expired"] == 0
    env.close()


def test_clock_trips_leave_the_hashes_alone(server_factory, tmp_path):
    """The same episode with and without a clock-based trip at every step (step_compute,
    count) has the same hash at every step: a trip is a recorded event, not state; the
    replay of the tripped one verifies."""
    srv = server_factory()
    plain = sandpit.make("Pendulum-v0", srv.endpoint, seed=4, hashes=True)
    timed = sandpit.make("Pendulum-v0", srv.endpoint, seed=4, hashes=True, record=tmp_path,
                         guardrails={"step_compute_s": 1e-12})
    try:
        _, a = plain.reset()
        _, b = timed.reset()
        assert a["hash"] == b["hash"]
        for k in range(20):
            act = np.array([np.sin(k)], np.float32)
            _, _, _, _, a = plain.step(act)
            _, _, _, _, b = timed.step(act)
            assert [t["reason"] for t in b["guardrail"]] == ["step_compute"]
            assert a["hash"] == b["hash"]
    finally:
        plain.close()
        timed.close()
    (path,) = sorted(tmp_path.glob("*.sprp"))
    verify([path])

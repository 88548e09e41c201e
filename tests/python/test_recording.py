"""Recording from Python: record= writes one file per episode, each verifies in a fresh
`sandpit replay verify` process (guardrails, a wall-clock trip, faults, reset overrides
included), and sandpit.replay.load reads them with the applied config in the header."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import sandpit
from sandpit import ServerError, replay


def verify(paths):
    out = subprocess.run(
        [os.environ["SANDPIT_BIN"], "replay", "verify", *map(str, paths)],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == len(paths) and all(line.startswith("OK ") for line in lines), lines
    return lines


def play(env, episodes, rng, options=None, limit=300):
    for e in range(episodes):
        env.reset(options=options if e == 0 else None)
        for _ in range(limit):
            _, _, term, trunc, _ = env.step(env.action_space.sample())
            if term or trunc:
                break


def files(d: Path):
    return sorted(d.glob("*.sprp"))


def test_one_file_per_episode_with_guardrails_and_faults(endpoint, tmp_path):
    guard = {"actuators": {"*": {"max_delta": 3.0, "rate": "clip"}}, "max_speed": 100}
    faults = [{"kind": "noise", "sigma": 0.05},
              {"kind": "action_drop", "schedule": {"type": "probability", "probability": 0.2}},
              {"kind": "outage", "mode": "hold", "target": "pole.*",
               "schedule": {"type": "periodic", "period": 7, "duty": 2}}]
    env = sandpit.make("CartPoleContinuous-v0", endpoint, seed=3, max_steps=60,
                       guardrails=guard, faults=faults, record=tmp_path)
    env.action_space.seed(0)
    play(env, 3, None)
    env.close()
    got = files(tmp_path)
    assert len(got) == 3 and all(f"-e0-00000{i}-s" in p.name for i, p in
                                 enumerate(got))
    verify(got)
    r = replay.load(got[0])
    cfg = r.header["config"]
    assert cfg["guardrails"]["actuators"]["cart.force"]["max_delta"] == 3.0
    assert [f["kind"] for f in cfg["faults"]] == ["noise", "action_drop", "outage"]
    assert cfg["faults"][0]["target"] == "*" and cfg["faults"][0]["sigma"] == 0.05
    assert r.complete and r.steps > 0


def test_wall_clock_trip_verifies(endpoint, tmp_path):
    env = sandpit.make("CartPole-v0", endpoint, seed=1, guardrails={"wall_clock_s": 1e-9},
                       record={"dir": str(tmp_path), "observations": True})
    env.reset()
    for _ in range(8):
        _, _, term, trunc, info = env.step(1 if _ % 2 else 0)
        if term or trunc:
            break
    assert trunc and info["reason"] == "wall_clock"
    env.close()
    (path,) = files(tmp_path)
    verify([path])
    r = replay.load(path)
    assert r.summary["reason"] == "wall_clock"
    assert (r.events["source"] == 3).any()


def test_overrides_and_vector_sessions_verify(endpoint, tmp_path):
    envs = sandpit.make_vec("Pendulum-v0", 2, endpoint, seed=4, max_steps=25, guardrails={},
                            faults=[], record=tmp_path)
    envs.action_space.seed(1)
    envs.reset(options={"faults": [{"kind": "gravity", "scale": 1.5, "walk": 0.01}],
                        "guardrails": {"actuators": {"*": {"bounds": "terminate"}}}})
    for _ in range(60):  # autoresets restore the session's own config
        envs.step(envs.action_space.sample() * 3)
    envs.reset()
    envs.step(envs.action_space.sample())
    envs.close()
    got = files(tmp_path)
    assert {p.name.split("-")[4] for p in got} == {"e0", "e1"} and len(got) >= 6
    verify(got)
    configs = [replay.load(p).header["config"] for p in got]
    assert any(c.get("faults") for c in configs) and any(not c.get("faults") for c in configs)


def test_bad_record_dir_is_refused(endpoint, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ServerError) as e:
        sandpit.make("CartPole-v0", endpoint, record=blocker / "sub")
    assert e.value.code == "bad_request" and "record.dir" in e.value.message
    with pytest.raises(ServerError) as e:
        sandpit.make("CartPole-v0", endpoint, record={"dir": str(tmp_path), "obs": True})
    assert e.value.code == "bad_request" and "record.obs" in e.value.message

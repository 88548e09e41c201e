"""sandpit.replay.load against files written by `sandpit rollout --record` in another process:
the arrays agree with what the CLI printed, and damaged files raise the documented errors."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
import sandpit
from sandpit import replay

REPO = Path(__file__).resolve().parents[2]


def sandpit_bin() -> str:
    b = os.environ.get("SANDPIT_BIN") or str(REPO / "build" / "bin" / "sandpit")
    if not os.access(b, os.X_OK):
        pytest.fail(f"no sandpit binary at {b}: build first or set SANDPIT_BIN")
    return b


def rollout(env_id: str, seed: int, episodes: int, out: Path, obs: bool = False) -> list:
    args = [sandpit_bin(), "rollout", "--env", env_id, "--seed", str(seed), "--episodes",
            str(episodes), "--record", str(out), "--json"]
    if obs:
        args.append("--record-obs")
    done = subprocess.run(args, check=True, capture_output=True, text=True)
    return json.loads(done.stdout)["episodes"]


@pytest.mark.parametrize("env_id,obs", [("CartPole-v0", False), ("CartPole-v0", True),
                                        ("CartPoleContinuous-v0", True), ("Pendulum-v0", False)])
def test_arrays_match_the_cli(tmp_path: Path, env_id: str, obs: bool) -> None:
    printed = rollout(env_id, 3, 3, tmp_path, obs)
    assert len(printed) == 3
    for ep in printed:
        r = replay.load(ep["replay"])
        assert r.complete and r.problem is None
        assert r.header["env"] == env_id and r.header["seed"] == ep["seed"]
        assert r.header["observations"] is obs and r.header["config"] == {}
        assert r.steps == ep["steps"] == r.summary["steps"]
        assert r.hashes.dtype == np.uint64 and r.hashes.shape == (r.steps,)
        assert int(r.hashes[-1]) == int(ep["hash"], 16)
        assert r.rewards.dtype == np.float64
        assert r.episode_return == ep["return"] == r.summary["return"]
        assert bool(r.terminated[-1]) == ep["terminated"]
        assert bool(r.truncated[-1]) == ep["truncated"]
        assert not r.terminated[:-1].any() and not r.truncated[:-1].any()
        assert r.summary["reason"] == ep["reason"] and r.summary["ended"] == "done"
        if r.header["action_kind"] == "discrete":
            assert r.actions.dtype == np.int32 and r.actions.shape == (r.steps,)
            assert set(np.unique(r.actions)) <= set(range(r.header["actions"]))
        else:
            assert r.actions.dtype == np.float32
            assert r.actions.shape == (r.steps, r.header["actuators"])
        assert r.applied_actions.shape == r.actions.shape
        if obs:
            assert r.observations.shape == (r.steps + 1, r.header["sensors"])
            assert r.observations.dtype == np.float32
        else:
            assert r.observations is None
        assert r.events.dtype == replay.EVENT_DTYPE and len(r.events) == 0


def test_cut_file_loads_whole_records(tmp_path: Path) -> None:
    (ep,) = rollout("CartPole-v0", 5, 1, tmp_path)
    data = Path(ep["replay"]).read_bytes()
    full = replay.load(ep["replay"])
    cut = tmp_path / "cut.sprp"
    cut.write_bytes(data[: len(data) - 110])  # the footer (~95 bytes) and part of a step
    r = replay.load(cut)
    assert not r.complete and r.summary is None and "ends" in r.problem
    assert 0 < r.steps < full.steps
    assert (r.hashes == full.hashes[: r.steps]).all()
    assert (r.actions == full.actions[: r.steps]).all()


def test_damage_raises_sandpit_errors(tmp_path: Path) -> None:
    (ep,) = rollout("CartPole-v0", 5, 1, tmp_path)
    data = bytearray(Path(ep["replay"]).read_bytes())
    bad = tmp_path / "bad.sprp"

    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(flipped))
    with pytest.raises(replay.ReplayCorrupt) as info:
        replay.load(bad)
    assert isinstance(info.value, sandpit.SandpitError)
    assert "record" in str(info.value) and info.value.record >= 1

    header = bytearray(data)
    header[40] ^= 0x01
    bad.write_bytes(bytes(header))
    with pytest.raises(replay.ReplayCorrupt, match=r"record 0 \(header\)"):
        replay.load(bad)

    bad.write_bytes(b"not a replay at all")
    with pytest.raises(replay.ReplayUnreadable):
        replay.load(bad)
    bad.write_bytes(bytes(data[:20]))
    with pytest.raises(replay.ReplayUnreadable, match="inside the header"):
        replay.load(bad)
    with pytest.raises(replay.ReplayUnreadable):
        replay.load(tmp_path / "missing.sprp")


def test_flips_anywhere_are_caught_like_the_c_reader(tmp_path: Path) -> None:
    """Every byte of a small file flipped in turn: never a silent load, and the C verifier
    names the same record."""
    (ep,) = rollout("CartPole-v0", 9, 1, tmp_path)
    data = Path(ep["replay"]).read_bytes()
    bad = tmp_path / "bad.sprp"
    for pos in range(0, len(data), 7):
        d = bytearray(data)
        d[pos] ^= 0xFF
        bad.write_bytes(bytes(d))
        with pytest.raises(replay.ReplayError) as info:
            replay.load(bad)
        out = subprocess.run([sandpit_bin(), "replay", "verify", str(bad)],
                             capture_output=True, text=True).stdout
        if isinstance(info.value, replay.ReplayCorrupt):
            where = f"record {info.value.record} "
            assert where in out, (pos, str(info.value), out)


def _frame(kind: bytes, payload: bytes) -> bytes:
    """One record, framed and sealed as docs/REPLAY_FORMAT.md says."""
    n, length = len(payload), b""
    while True:
        b = n & 0x7F
        n >>= 7
        length += bytes([b | (0x80 if n else 0)])
        if not n:
            break
    head = kind + length
    check = 0
    for byte in head:
        check ^= byte
        for _ in range(8):
            check = ((check << 1) ^ 0x07) & 0xFF if check & 0x80 else (check << 1) & 0xFF
    head += bytes([check])
    return head + payload + zlib.crc32(head + payload).to_bytes(4, "little")


def test_events_decode(tmp_path: Path) -> None:
    """A step record rewritten (and resealed) to carry two events decodes into `events`."""
    (ep,) = rollout("CartPole-v0", 5, 1, tmp_path)
    data = Path(ep["replay"]).read_bytes()
    r = replay.load(ep["replay"])
    # CartPole records: reset 16 bytes, steps 28 (frame 3, payload 21, crc 4).
    first_step = data.index(b"S\x15")
    assert data[first_step - 16] == ord("R")
    payload = bytearray(data[first_step + 3:first_step + 24])
    payload[0] |= 0x04  # events follow
    events = struct.pack("<HHhHff", 1, 7, 0, 2, 2.5, 1.0) + struct.pack("<HHhHff", 3, 5, -1, 0,
                                                                          0.25, 0.125)
    forged = data[:first_step] + _frame(b"S", bytes(payload) + b"\x02" + events) + \
        data[first_step + 28:]
    path = tmp_path / "events.sprp"
    path.write_bytes(forged)
    f = replay.load(path)
    assert f.complete and f.steps == r.steps and (f.hashes == r.hashes).all()
    assert f.events.tolist() == [(1, 1, 7, 0, 2, 2.5, 1.0), (1, 3, 5, -1, 0, 0.25, 0.125)]
    assert replay.EVENT_SOURCES[int(f.events["source"][1])] == "machine"

"""render_mode="rgb_array": frames drawn by the server (the `render` op, docs/PROTOCOL.md)."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
import sandpit
from helpers import wire

BACKGROUND = (0, 0, 51)  # docs/RENDERING.md


def _colours(frame: np.ndarray) -> set:
    return {tuple(c) for c in np.unique(frame.reshape(-1, 3), axis=0).tolist()}


def test_frames_show_the_state_and_are_deterministic(make):
    a = make("CartPole-v0", render_mode="rgb_array")
    b = make("CartPole-v0", render_mode="rgb_array")
    assert a.metadata["render_modes"] == ["rgb_array"]
    assert a.metadata["render_fps"] == pytest.approx(50.0)  # dt 0.02, frame skip 1
    a.reset(seed=4)
    b.reset(seed=4)
    first = a.render()
    assert first.shape == (400, 600, 3) and first.dtype == np.uint8
    colours = _colours(first)
    assert BACKGROUND in colours and len(colours) >= 3, colours  # not blank: cart, pole, grid
    assert np.array_equal(first, b.render())  # same state, same bytes (another session)
    for action in (1, 1, 1, 0, 1):
        a.step(action)
        b.step(action)
    moved = a.render()
    assert np.array_equal(moved, b.render())
    assert not np.array_equal(moved, first)  # the picture follows the state


def test_render_size_and_every_env(make):
    for env_id in sandpit.ENV_IDS:
        env = make(env_id, render_mode="rgb_array", render_width=160, render_height=90)
        env.reset(seed=0)
        frame = env.render()
        assert frame.shape == (90, 160, 3) and len(_colours(frame)) >= 3, env_id
        env.close()
    with pytest.raises(ValueError, match="render_width"):
        make("CartPole-v0", render_mode="rgb_array", render_width=0)


def test_render_modes_that_render_nothing_warn(make):
    env = make("CartPole-v0")
    env.reset(seed=0)
    with pytest.warns(UserWarning, match="without specifying any render mode"):
        assert env.render() is None
    with pytest.warns(UserWarning, match="not supported"):
        odd = make("CartPole-v0", render_mode="ansi")
    odd.reset(seed=0)
    with pytest.warns(UserWarning, match="not supported"):
        assert odd.render() is None


def test_gym_make_render_modes(endpoint):
    env = gym.make("sandpit/CartPole-v0", endpoint=endpoint, render_mode="rgb_array_list")
    try:
        env.reset(seed=0)
        env.step(0)
        frames = env.render()  # RenderCollection: one frame per reset and step
        assert len(frames) == 2 and not np.array_equal(frames[0], frames[1])
    finally:
        env.close()


def test_record_video_writes_non_blank_videos(endpoint, tmp_path):
    pytest.importorskip("moviepy", reason="moviepy is in requirements-dev.txt")
    env = gym.make("sandpit/CartPole-v0", endpoint=endpoint, render_mode="rgb_array")
    env = gym.wrappers.RecordVideo(env, str(tmp_path / "videos"), episode_trigger=lambda e: e < 2,
                                   disable_logger=True)
    frames_seen = []
    try:
        env.reset(seed=1)
        for _ in range(2):
            while True:
                _, _, term, trunc, _ = env.step(env.action_space.sample())
                frames_seen.append(env.unwrapped.render())
                if term or trunc:
                    env.reset()
                    break
    finally:
        env.close()
    videos = sorted((tmp_path / "videos").glob("*.mp4"))
    assert len(videos) == 2 and all(v.stat().st_size > 1000 for v in videos), videos
    assert all(len(_colours(f)) >= 3 for f in frames_seen)


def test_vector_render_and_record_video(endpoint, tmp_path):
    envs = sandpit.make_vec("CartPole-v0", 3, endpoint, seed=0, render_mode="rgb_array",
                            render_width=120, render_height=80)
    try:
        envs.reset(seed=0)
        frames = envs.render()
        assert isinstance(frames, tuple) and len(frames) == 3
        assert all(f.shape == (80, 120, 3) for f in frames)
        assert not np.array_equal(frames[0], frames[1])  # different seeds, different states
    finally:
        envs.close()
    if "RecordVideo" not in gym.wrappers.vector.__all__:
        return
    pytest.importorskip("moviepy", reason="moviepy is in requirements-dev.txt")
    envs = gym.wrappers.vector.RecordVideo(
        sandpit.make_vec("CartPole-v0", 2, endpoint, seed=0, render_mode="rgb_array"),
        str(tmp_path / "videos"), video_length=30,
    )
    try:
        envs.reset(seed=0)
        for _ in range(40):
            envs.step(envs.action_space.sample())
    finally:
        envs.close()
    assert any(v.stat().st_size > 1000 for v in (tmp_path / "videos").glob("*.mp4"))


def test_render_op_refuses_bad_requests(raw):
    session = raw.call({"op": "make", "env": "CartPole-v0", "num_envs": 2})["session"]
    before = raw.call({"op": "render", "session": session})
    assert before["error"]["code"] == "needs_reset"
    raw.call({"op": "reset", "session": session, "seed": 0})
    ok = raw.call({"op": "render", "session": session, "envs": [1, 0], "width": 8, "height": 4})
    assert ok["ok"] and ok["frames"]["shape"] == [2, 4, 8, 3]
    for bad, code in [
        ({"width": 0}, "bad_request"),
        ({"height": 5000}, "bad_request"),
        ({"envs": [2]}, "bad_request"),
        ({"envs": [-1]}, "bad_request"),
        ({"envs": []}, "bad_request"),
        ({"envs": 0}, "bad_request"),
        ({"envs": [0] * 65}, "bad_request"),
        ({"envs": [0, 1] * 16, "width": 4096, "height": 4096}, "limit_exceeded"),
        ({"colour": True}, "bad_request"),
    ]:
        reply = raw.call({"op": "render", "session": session, **bad})
        assert reply["ok"] is False and reply["error"]["code"] == code, (bad, reply)
    assert raw.call({"op": "ping"})["ok"]  # still serving
    raw.call({"op": "close", "session": session})


def test_partial_reset_refuses_bad_masks(raw):
    session = raw.call({"op": "make", "env": "CartPole-v0", "num_envs": 3})["session"]
    partial = wire(np.array([1, 0, 1]), "uint8")
    first = raw.call({"op": "reset", "session": session, "mask": partial})
    assert first["error"]["code"] == "needs_reset"  # the other envs have no episode yet
    raw.call({"op": "reset", "session": session, "seed": 0})
    for mask in (
        wire(np.array([1, 0]), "uint8"),
        wire(np.array([1, 0, 2]), "uint8"),
        wire(np.array([1, 0, 1]), "int32"),
        [1, 0, 1],
    ):
        reply = raw.call({"op": "reset", "session": session, "mask": mask})
        assert reply["error"]["code"] == "bad_request", (mask, reply)
    assert raw.call({"op": "reset", "session": session, "mask": wire(np.ones(3), "uint8")})["ok"]
    raw.call({"op": "close", "session": session})


def test_no_warning_for_supported_mode(make):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env = make("CartPole-v0", render_mode="rgb_array")
        env.reset(seed=0)
        env.render()


def test_gymnasium_env_checker_with_rendering(make):
    from gymnasium.utils.env_checker import check_env

    check_env(make("CartPole-v0", render_mode="rgb_array"))  # render checks included

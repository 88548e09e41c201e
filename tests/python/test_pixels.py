"""Pixel observations against real servers: spaces and shapes (RGB, grey, frame stacks, the
Dict of "both"), single, vector, gym.make and sharded envs, check_env, frames equal to the
render op's picture, the same bytes from two server processes, the pixel fault family
(blackout, pixel_noise, frame_delay, occlusion) and its replays verified, and bad requests
refused with stable codes."""

from __future__ import annotations

import os
import subprocess

import gymnasium as gym
import numpy as np
import pytest
import sandpit
from gymnasium.utils.env_checker import check_env
from sandpit import ServerError
from sandpit.protocol import decode_array

ENV = "LanderContinuous-v0"


def frames_of(env_id, endpoint, seed, steps, **kw):
    """Every observation of a seeded vector run with fixed actions, as one array."""
    env = sandpit.make_vec(env_id, 3, endpoint, seed=seed, timeout=10.0, **kw)
    env.action_space.seed(seed)
    actions = [env.action_space.sample() for _ in range(steps)]
    obs, _ = env.reset(seed=seed)
    out = [obs]
    for a in actions:
        obs, *_ = env.step(a)
        out.append(obs)
    env.close()
    return np.stack(out)


@pytest.mark.parametrize(
    "kw, shape",
    [
        ({}, (84, 84, 3)),
        ({"size": (48, 64)}, (48, 64, 3)),
        ({"grayscale": True}, (84, 84, 1)),
        ({"grayscale": True, "frame_stack": 4}, (84, 84, 4)),
        ({"frame_stack": 2, "size": 32}, (32, 32, 6)),
    ],
)
def test_pixel_spaces_and_shapes(make, kw, shape):
    env = make(ENV, seed=0, observation="pixels", **kw)
    space = env.observation_space
    assert isinstance(space, gym.spaces.Box) and space.dtype == np.uint8
    assert space.shape == shape and space.low.min() == 0 and space.high.max() == 255
    obs, _ = env.reset(seed=0)
    assert obs.shape == shape and obs.dtype == np.uint8 and obs.flags.writeable
    assert space.contains(obs)
    obs, *_ = env.step(env.action_space.sample())
    assert space.contains(obs)
    assert len(np.unique(obs.reshape(-1, obs.shape[-1]), axis=0)) > 2  # a picture, not a fill


def test_both_is_a_dict_of_the_vector_and_the_frames(make):
    env = make(ENV, seed=1, observation="both", size=(40, 60))
    space = env.observation_space
    assert isinstance(space, gym.spaces.Dict) and set(space.spaces) == {"state", "pixels"}
    assert space["state"] == make(ENV).observation_space and space["pixels"].shape == (40, 60, 3)
    vec = make(ENV, seed=1)  # the same env observing its vector
    obs, _ = env.reset(seed=1)
    want, _ = vec.reset(seed=1)
    assert space.contains(obs)
    np.testing.assert_array_equal(obs["state"], want)  # the vector is untouched by pixels


def test_frames_are_the_render_ops_picture_and_grey_is_its_luma(endpoint):
    env = sandpit.make(ENV, endpoint, seed=2, observation="pixels", size=(50, 70),
                       render_mode="rgb_array", render_width=70, render_height=50)
    grey = sandpit.make(ENV, endpoint, seed=2, observation="pixels", size=(50, 70),
                        grayscale=True)
    try:
        obs, _ = env.reset(seed=2)
        g, _ = grey.reset(seed=2)
        for _ in range(5):
            action = np.array([0.8, 0.1], np.float32)
            obs, *_ = env.step(action)
            g, *_ = grey.step(action)
        np.testing.assert_array_equal(obs, env.render())
        rgb = obs.astype(np.uint32)
        luma = (299 * rgb[..., 0] + 587 * rgb[..., 1] + 114 * rgb[..., 2] + 500) // 1000
        np.testing.assert_array_equal(g[..., 0], luma.astype(np.uint8))
    finally:
        env.close()
        grey.close()


def test_frame_stack_keeps_the_last_frames_oldest_first(endpoint):
    one = frames_of(ENV, endpoint, 5, 6, observation="pixels", size=24)
    four = frames_of(ENV, endpoint, 5, 6, observation="pixels", size=24, frame_stack=4)
    assert four.shape == (7, 3, 24, 24, 12)
    for t in range(7):
        for k in range(4):  # slot k holds frame t - 3 + k, the reset's before the episode
            np.testing.assert_array_equal(four[t][..., 3 * k : 3 * k + 3], one[max(t - 3 + k, 0)])


def test_vector_env_autoresets_restart_the_stack(endpoint):
    env = sandpit.make_vec("CartPole-v0", 2, endpoint, seed=0, observation="pixels", size=16,
                           frame_stack=3, max_steps=4)
    try:
        env.reset(seed=0)
        for _ in range(4):
            obs, _, _, trunc, _ = env.step(np.zeros(2, np.int32))
        assert trunc.all()
        obs, *_ = env.step(np.zeros(2, np.int32))  # next_step: the new episodes' first frames
        for k in (1, 2):
            np.testing.assert_array_equal(obs[..., 3 * k : 3 * k + 3], obs[..., :3])
    finally:
        env.close()


def test_same_step_autoreset_reports_the_last_frames(endpoint):
    env = sandpit.make_vec("CartPole-v0", 2, endpoint, seed=0, observation="both", size=64,
                           max_steps=3, autoreset_mode="same_step")
    plain = sandpit.make_vec("CartPole-v0", 2, endpoint, seed=0, observation="pixels", size=64,
                             max_steps=4, autoreset_mode="disabled")
    try:
        env.reset(seed=0)
        plain.reset(seed=0)
        for _ in range(3):
            obs, _, _, trunc, info = env.step(np.ones(2, np.int32))
            want, *_ = plain.step(np.ones(2, np.int32))
        assert trunc.all() and info["_final_obs"].all()
        np.testing.assert_array_equal(info["final_obs"]["pixels"], want)
        assert not np.array_equal(obs["state"], info["final_obs"]["state"])  # new episodes
    finally:
        env.close()
        plain.close()


def test_check_env_and_gym_make(endpoint):
    env = sandpit.make(ENV, endpoint, seed=0, observation="pixels", frame_stack=2)
    try:
        check_env(env, skip_render_check=True)
    finally:
        env.close()
    env = gym.make(f"sandpit/{ENV}", endpoint=endpoint, observation="both", grayscale=True)
    try:
        obs, _ = env.reset(seed=0)
        assert obs["pixels"].shape == (84, 84, 1)
        assert env.unwrapped.spec.kwargs["observation"] == "both"
    finally:
        env.close()


def test_frames_are_the_same_bytes_from_two_server_processes(server_factory):
    a, b = server_factory(), server_factory()
    kw = {"observation": "pixels", "size": (60, 80), "faults": [
        {"kind": "pixel_noise", "sigma": 15.0},
        {"kind": "occlusion", "schedule": {"type": "periodic", "period": 5, "duty": 2}},
    ]}
    one = frames_of(ENV, a.endpoint, 11, 20, **kw)
    two = frames_of(ENV, b.endpoint, 11, 20, **kw)
    assert one.tobytes() == two.tobytes()
    other = frames_of(ENV, b.endpoint, 12, 20, **kw)
    assert one.tobytes() != other.tobytes()


def test_sharded_vector_env_joins_the_frames(server_factory, endpoint):
    a, b = server_factory(), server_factory()
    whole = frames_of(ENV, endpoint, 3, 5, observation="pixels", size=20)
    env = sandpit.make_vec(ENV, 3, [a.endpoint, b.endpoint], seed=3, observation="pixels",
                           size=20)
    try:
        env.action_space.seed(3)
        actions = [env.action_space.sample() for _ in range(5)]
        obs, _ = env.reset(seed=3)
        got = [obs]
        for act in actions:
            got.append(env.step(act)[0])
        np.testing.assert_array_equal(np.stack(got), whole)
    finally:
        env.close()


# -- the pixel fault family --------------------------------------------------------------------


def run(make, faults, steps=12, **kw):
    env = make(ENV, seed=4, observation="both", size=(30, 40), faults=faults,
               info_faults=True, **kw)
    obs, info = env.reset(seed=4)
    out, active = [obs], [info["faults"]]
    for _ in range(steps):
        obs, _, _, _, info = env.step(np.array([0.5, 0.2], np.float32))
        out.append(obs)
        active.append(info["faults"])
    return out, active


def test_pixel_faults_change_frames_never_the_vector(make):
    clean, _ = run(make, [])
    window = {"type": "window", "start": 3, "end": 6}
    black, active = run(make, [{"kind": "blackout", "schedule": window}])
    assert [bool(a) for a in active] == [3 <= t < 6 for t in range(13)]
    for t, (c, o) in enumerate(zip(clean, black)):
        np.testing.assert_array_equal(c["state"], o["state"])
        if 3 <= t < 6:
            assert not o["pixels"].any()
        else:
            np.testing.assert_array_equal(c["pixels"], o["pixels"])
    noisy, _ = run(make, [{"kind": "pixel_noise", "sigma": 30.0}])
    for c, o in zip(clean, noisy):
        np.testing.assert_array_equal(c["state"], o["state"])
        diff = o["pixels"].astype(int) - c["pixels"].astype(int)
        assert 10 < np.abs(diff).mean() < 40  # clipping at 0 and 255 trims the tails


def test_frame_delay_shows_the_frame_of_k_steps_ago(make):
    clean, _ = run(make, [])
    late, _ = run(make, [{"kind": "frame_delay", "steps": 3}])
    for t in range(13):
        np.testing.assert_array_equal(late[t]["pixels"], clean[max(t - 3, 0)]["pixels"])
        np.testing.assert_array_equal(late[t]["state"], clean[t]["state"])


def test_occlusion_is_a_black_box_of_its_size(make):
    clean, _ = run(make, [])
    boxed, _ = run(make, [{"kind": "occlusion", "size": 0.5}])
    # Nothing the scene draws is pure black, so the black pixels are the box: 15 x 20 of the
    # 30 x 40 frame, at one place for the whole window (drawn when it opened).
    first = ~np.any(boxed[0]["pixels"], axis=-1)
    ys, xs = np.nonzero(first)
    assert first.sum() == 15 * 20 and np.ptp(ys) == 14 and np.ptp(xs) == 19
    for c, o in zip(clean, boxed):
        black = ~np.any(o["pixels"], axis=-1)
        np.testing.assert_array_equal(black, first)
        np.testing.assert_array_equal(o["pixels"][~black], c["pixels"][~black])


def test_sensor_faults_do_not_touch_pixels(make):
    clean, _ = run(make, [])
    faulted, _ = run(make, [{"kind": "noise", "sigma": 1.0},
                            {"kind": "outage", "target": "hull.*"}])
    for c, o in zip(clean, faulted):
        np.testing.assert_array_equal(c["pixels"], o["pixels"])
        assert not np.array_equal(c["state"], o["state"])


def test_pixel_faults_are_recorded_and_replay_verifies(endpoint, tmp_path):
    faults = [{"kind": "pixel_noise", "sigma": 5.0},
              {"kind": "occlusion", "schedule": {"type": "probability", "probability": 0.3,
                                                 "duration": 2}},
              {"kind": "frame_delay", "steps": 2},
              {"kind": "blackout", "schedule": {"type": "periodic", "period": 6, "duty": 1}}]
    env = sandpit.make(ENV, endpoint, seed=9, max_steps=40, observation="pixels", size=32,
                       faults=faults, record=tmp_path)
    env.action_space.seed(0)
    for _ in range(2):
        env.reset()
        for _ in range(40):
            _, _, term, trunc, _ = env.step(env.action_space.sample())
            if term or trunc:
                break
    env.close()
    paths = sorted(tmp_path.glob("*.sprp"))
    assert len(paths) == 2
    out = subprocess.run([os.environ["SANDPIT_BIN"], "replay", "verify", *map(str, paths)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    header = sandpit.replay.load(paths[0]).header["config"]
    assert [f["kind"] for f in header["faults"]] == [f["kind"] for f in faults]


def test_bad_pixel_faults_are_refused(make):
    for fault, needle in [
        ({"kind": "frame_delay", "steps": 33}, "faults[0].steps: must be within [0, 32]"),
        ({"kind": "occlusion", "size": 0.0}, "faults[0].size: must be within (0, 1]"),
        ({"kind": "pixel_noise"}, "faults[0].sigma: pixel_noise needs it"),
        ({"kind": "blackout", "target": "hull.x"}, "takes no target"),
    ]:
        with pytest.raises(ServerError) as e:
            make(ENV, observation="pixels", faults=[fault])
        assert e.value.code == "bad_request" and needle in str(e.value), str(e.value)


# -- bad requests --------------------------------------------------------------------------------


def test_bad_observation_requests_get_stable_codes(raw):
    def make_with(observation):
        return raw.call({"op": "make", "env": ENV, "observation": observation})

    cases = [
        ({"type": "pixels", "width": 0, "height": 84}, "bad_request", "at least 1"),
        ({"type": "pixels", "width": 84, "height": -3}, "bad_request", "at least 1"),
        ({"type": "pixels", "width": 1 << 20, "height": 84}, "limit_exceeded", "limit of 1024"),
        ({"type": "pixels", "width": 1024, "height": 1 << 40}, "limit_exceeded", "limit"),
        ({"type": "rgb"}, "bad_request", "observation.type"),
        ({"type": "pixels", "width": 8.5}, "bad_request", "integer"),
        ({"type": "pixels", "grayscale": 1}, "bad_request", "boolean"),
        ({"type": "pixels", "depth": 3}, "bad_request", "unknown key"),
        ({"width": 84}, "bad_request", "type: missing"),
        ("pixels", "bad_request", "must be a map"),
    ]
    for observation, code, needle in cases:
        reply = make_with(observation)
        assert not reply["ok"], observation
        assert reply["error"]["code"] == code and needle in reply["error"]["message"], reply
    ok = make_with({"type": "pixels", "width": 8, "height": 6, "grayscale": True})
    assert ok["ok"]
    reset = raw.call({"op": "reset", "session": ok["session"]})
    frames = decode_array(reset["pixels"], "uint8", (1, 6, 8, 1))
    assert frames.shape == (1, 6, 8, 1)
    sent = raw.call({"op": "send", "session": ok["session"]})  # async stepping: no frames
    assert not sent["ok"] and sent["error"]["code"] == "bad_request"
    assert "pixel observations" in sent["error"]["message"]


def test_frames_count_against_the_memory_ceiling(server_factory):
    srv = server_factory("--max-memory-mb", "64")
    with pytest.raises(ServerError) as e:  # 64 envs x 1024x1024 RGB: far past 64 MiB
        sandpit.make_vec(ENV, 64, srv.endpoint, observation="pixels", size=1024)
    assert e.value.code == "limit_exceeded" and "memory ceiling" in str(e.value)
    env = sandpit.make_vec(ENV, 4, srv.endpoint, observation="pixels")  # still serving
    env.reset(seed=0)
    env.close()


def test_client_refuses_bad_options_before_the_server(make):
    for kw in [{"observation": "rgb"}, {"observation": "pixels", "size": (0, 84)},
               {"observation": "pixels", "frame_stack": 0}, {"grayscale": True},
               {"observation": "pixels", "size": (84,)}]:
        with pytest.raises(ValueError):
            make(ENV, **kw)

"""The single env against a real server: Gymnasium's checker, the API contract, seeding,
determinism across server processes, and Gymnasium's own wrappers."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest
import sandpit
from gymnasium import spaces
from gymnasium.utils.env_checker import check_env
from helpers import assert_same_rollout, rollout
from sandpit import ServerError

ALL_IDS = list(sandpit.ENV_IDS)


@pytest.mark.parametrize("env_id", ALL_IDS)
def test_gymnasium_check_env(make, env_id):
    env = make(env_id)
    check_env(env.unwrapped, skip_render_check=True)


@pytest.mark.parametrize("env_id", ALL_IDS)
def test_api_contract(make, env_id):
    env = make(env_id, seed=3)
    spec = env.sandpit_spec
    n = spec["observation"]["shape"][0]
    assert env.observation_space == spaces.Box(
        env.observation_space.low, env.observation_space.high, (n,), np.float32
    )
    np.testing.assert_array_equal(
        env.observation_space.low,
        np.frombuffer(spec["observation"]["low"]["data"], "<f8").astype(np.float32),
    )
    if spec["action"]["kind"] == "discrete":
        assert env.action_space == spaces.Discrete(spec["action"]["n"])
    else:
        assert isinstance(env.action_space, spaces.Box)
        assert env.action_space.dtype == np.float32
        assert env.action_space.shape == tuple(spec["action"]["shape"])
    assert env.spec is not None and env.spec.id == f"sandpit/{env_id}"
    assert env.metadata["render_modes"] == ["rgb_array"] and env.render_mode is None

    result = env.reset(seed=11)
    assert isinstance(result, tuple) and len(result) == 2
    obs, info = result
    assert isinstance(obs, np.ndarray) and obs.dtype == np.float32 and obs.shape == (n,)
    assert obs in env.observation_space and obs.flags.writeable
    assert isinstance(info, dict) and info["seed"] == 11 and isinstance(info["seed"], np.uint64)

    env.action_space.seed(0)
    ended = False
    for _ in range(spec["max_steps"] + 1):
        result = env.step(env.action_space.sample())
        assert isinstance(result, tuple) and len(result) == 5
        obs, reward, terminated, truncated, info = result
        assert obs.dtype == np.float32 and obs.shape == (n,) and obs in env.observation_space
        assert type(reward) is float
        assert type(terminated) is bool and type(truncated) is bool
        assert isinstance(info, dict)
        if terminated or truncated:
            assert not (terminated and truncated)
            assert isinstance(info["reason"], str) and info["reason"]
            if truncated:
                assert info["reason"] == "max_steps"
            ended = True
            break
        assert "reason" not in info
    assert ended, "an episode never ended within max_steps"


def test_step_after_the_end_needs_reset(make):
    env = make("CartPole-v0", seed=0, max_steps=5)
    env.reset()
    for _ in range(5):
        *_, terminated, truncated, info = env.step(0)
    assert terminated or truncated
    with pytest.raises(ServerError) as excinfo:
        env.step(0)
    assert excinfo.value.code == "needs_reset"
    env.reset()
    env.step(0)  # fine again


def test_step_before_reset_needs_reset(make):
    env = make("CartPole-v0")
    with pytest.raises(ServerError) as excinfo:
        env.step(0)
    assert excinfo.value.code == "needs_reset"


def test_max_steps_truncates_with_reason(make):
    env = make("Pendulum-v0", seed=0, max_steps=7)  # Pendulum never terminates
    env.reset()
    for t in range(7):
        _, _, terminated, truncated, info = env.step(np.zeros(1, np.float32))
        assert not terminated
        assert truncated == (t == 6)
    assert info["reason"] == "max_steps"


@pytest.mark.parametrize("env_id", ALL_IDS)
def test_same_seed_same_obs_different_seeds_differ(make, env_id):
    env = make(env_id)
    a, info_a = env.reset(seed=5)
    b, info_b = env.reset(seed=5)
    c, _ = env.reset(seed=6)
    assert a.tobytes() == b.tobytes()
    assert info_a == info_b
    assert a.tobytes() != c.tobytes()


def test_unseeded_reset_continues_the_stream_deterministically(make):
    env = make("CartPole-v0")
    env.reset(seed=9)
    first = [env.reset()[0].tobytes() for _ in range(3)]
    env.reset(seed=9)
    again = [env.reset()[0].tobytes() for _ in range(3)]
    assert first == again and len(set(first)) == 3


def test_session_seed_is_the_first_reset_seed(make):
    a = make("CartPole-v0", seed=42)
    b = make("CartPole-v0")
    obs_a, info_a = a.reset()
    obs_b, info_b = b.reset(seed=42)
    assert info_a["seed"] == 42 and obs_a.tobytes() == obs_b.tobytes()


def test_unseeded_envs_get_random_seeds(make):
    seeds = {make("CartPole-v0").reset()[1]["seed"] for _ in range(3)}
    assert len(seeds) == 3


def test_hashes_are_uint64_and_follow_the_state(make):
    env = make("CartPole-v0", hashes=True)
    _, info = env.reset(seed=1)
    assert type(info["hash"]) is np.uint64
    _, _, _, _, info2 = env.step(1)
    assert type(info2["hash"]) is np.uint64 and info2["hash"] != info["hash"]
    _, again = env.reset(seed=1)
    assert again["hash"] == info["hash"]
    plain = make("CartPole-v0")
    assert "hash" not in plain.reset(seed=1)[1]


@pytest.mark.parametrize("env_id", ALL_IDS)
def test_same_seed_and_actions_identical_in_two_server_processes(endpoint, server_factory, env_id):
    other = server_factory()
    with (
        sandpit.make(env_id, endpoint, hashes=True) as a,
        sandpit.make(env_id, other.endpoint, hashes=True) as b,
    ):
        ra = rollout(a, seed=123, steps=300, action_seed=7)
        rb = rollout(b, seed=123, steps=300, action_seed=7)
    assert_same_rollout(ra, rb)
    assert all(isinstance(h, np.uint64) for h in ra["hash"])
    with sandpit.make(env_id, endpoint, hashes=True) as c:
        rc = rollout(c, seed=124, steps=300, action_seed=7)
    assert rc["hash"] != ra["hash"]


def test_np_random_is_seeded_by_reset(make):
    env = make("CartPole-v0")
    env.reset(seed=3)
    x = env.np_random.random()
    env.reset(seed=3)
    assert env.np_random.random() == x


def test_reset_options_are_checked(make):
    env = make("CartPole-v0")
    env.reset(options={})
    with pytest.raises(ValueError):
        env.reset(options={"low": -0.1})


def test_close_is_idempotent_and_context_manager_closes(endpoint):
    with sandpit.make("CartPole-v0", endpoint) as env:
        env.reset(seed=0)
        session = env.session_id
    assert env._session.closed
    env.close()
    with pytest.raises(sandpit.SandpitError):
        env.reset()
    with sandpit.Client(endpoint) as client:
        with pytest.raises(ServerError) as excinfo:
            client.request("reset", session=session)
        assert excinfo.value.code == "unknown_session"


def test_make_accepts_namespaced_id_and_refuses_unknown_env(endpoint):
    with sandpit.make("sandpit/CartPole-v0", endpoint) as env:
        assert env.spec.id == "sandpit/CartPole-v0"
    with pytest.raises(ServerError) as excinfo:
        sandpit.make("NoSuchEnv-v0", endpoint)
    assert excinfo.value.code == "unknown_env"
    assert "CartPole-v0" in excinfo.value.message


def test_unknown_make_config_is_refused_by_the_server(endpoint):
    with pytest.raises(ServerError) as excinfo:
        sandpit.make("CartPole-v0", endpoint, frobnicate=True)
    assert excinfo.value.code == "bad_request"
    assert "frobnicate" in excinfo.value.message


def test_out_of_range_and_nan_actions_are_server_errors(make):
    env = make("CartPole-v0", seed=0)
    env.reset()
    with pytest.raises(ServerError) as excinfo:
        env.step(2)
    assert excinfo.value.code == "bad_action"
    cont = make("CartPoleContinuous-v0", seed=0)
    cont.reset()
    with pytest.raises(ServerError) as excinfo:
        cont.step(np.array([np.nan], np.float32))
    assert excinfo.value.code == "bad_action"


# -- Gymnasium wrappers on the single env ----------------------------------------------


def test_time_limit_wrapper(make):
    env = gymnasium.wrappers.TimeLimit(make("Pendulum-v0", seed=0), max_episode_steps=10)
    env.reset()
    for _ in range(10):
        *_, terminated, truncated, _ = env.step(env.action_space.sample())
    assert truncated and not terminated


def test_record_episode_statistics_wrapper(make):
    env = gymnasium.wrappers.RecordEpisodeStatistics(make("CartPole-v0", seed=0))
    env.reset()
    total, steps = 0.0, 0
    while True:
        _, reward, terminated, truncated, info = env.step(0)
        total += reward
        steps += 1
        if terminated or truncated:
            break
    assert info["episode"]["r"] == pytest.approx(total)
    assert info["episode"]["l"] == steps
    assert info["reason"] in ("pole_fell", "cart_left_track")


def test_normalize_observation_wrapper(make):
    env = gymnasium.wrappers.NormalizeObservation(make("Pendulum-v0", seed=0))
    env.reset()
    for _ in range(100):
        obs, *_ = env.step(env.action_space.sample())
    assert obs.dtype == np.float32
    assert np.all(np.abs(obs) < 10)
    assert env.obs_rms.count > 100

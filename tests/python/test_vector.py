"""The vector env against a real server: spaces, next-step autoreset, per-env seeds, info
convention, 256 envs, and Gymnasium's vector wrappers."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest
import sandpit
from gymnasium import spaces
from gymnasium.vector import AutoresetMode
from sandpit import ServerError


@pytest.fixture
def make_vec(endpoint):
    made = []

    def factory(env_id="CartPole-v0", num_envs=4, **kwargs):
        envs = sandpit.make_vec(env_id, num_envs, endpoint, timeout=10.0, **kwargs)
        made.append(envs)
        return envs

    yield factory
    for envs in made:
        envs.close()


def test_spaces_and_metadata(make_vec):
    envs = make_vec("CartPole-v0", 5)
    assert envs.num_envs == 5
    assert envs.metadata["autoreset_mode"] is AutoresetMode.NEXT_STEP
    assert isinstance(envs.single_action_space, spaces.Discrete)
    assert envs.action_space == spaces.MultiDiscrete([2] * 5)
    assert envs.single_observation_space.shape == (4,)
    assert envs.observation_space.shape == (5, 4)
    assert envs.observation_space.dtype == np.float32
    assert envs.spec.id == "sandpit/CartPole-v0"
    cont = make_vec("CartPoleContinuous-v0", 3)
    assert cont.action_space.shape == (3, 1) and cont.action_space.dtype == np.float32


def test_step_types(make_vec):
    envs = make_vec("CartPole-v0", 6, seed=0)
    obs, info = envs.reset()
    assert obs.dtype == np.float32 and obs.shape == (6, 4) and obs in envs.observation_space
    assert info["seed"].tolist() == list(range(6)) and info["_seed"].all()
    envs.action_space.seed(0)
    obs, rew, term, trunc, info = envs.step(envs.action_space.sample())
    assert obs.dtype == np.float32 and obs.shape == (6, 4) and obs.flags.writeable
    assert rew.dtype == np.float64 and rew.shape == (6,)
    assert term.dtype == np.bool_ and trunc.dtype == np.bool_ and term.shape == (6,)
    assert isinstance(info, dict)


def _run_until_some_end(envs, action):
    for _ in range(500):
        out = envs.step(action)
        if np.any(out[2] | out[3]):
            return out
    raise AssertionError("no episode ended")


def test_next_step_autoreset_semantics_exactly(endpoint, make_vec):
    n = 4
    envs = make_vec("CartPole-v0", n, seed=10)
    envs.reset()
    push = np.ones(n, np.int64)  # always push right: every pole falls soon
    obs, rew, term, trunc, info = _run_until_some_end(envs, push)
    ended = term | trunc
    idx = np.flatnonzero(ended)
    # info convention for the envs that ended
    assert info["_episode_end"].tolist() == ended.tolist()
    assert info["_reason"].tolist() == ended.tolist()
    for i in range(n):
        if ended[i]:
            assert info["reason"][i] in ("pole_fell", "cart_left_track")
            assert info["episode_end"]["l"][i] > 0 and info["episode_end"]["r"][i] > 0
            assert info["episode_end"]["t"][i] >= 0
        else:
            assert info["reason"][i] is None
            assert info["episode_end"]["r"][i] == 0 and info["episode_end"]["l"][i] == 0
    assert info["episode_end"]["r"].dtype == np.float64
    assert info["episode_end"]["l"].dtype == np.int32
    assert info["episode_end"]["t"].dtype == np.float32

    # The next step: ended envs return a fresh episode's first obs, reward 0, no flags.
    obs2, rew2, term2, trunc2, info2 = envs.step(push)
    assert np.all(rew2[idx] == 0) and not np.any(term2[idx]) and not np.any(trunc2[idx])
    # ... and that obs is what a single env reset with the continued seed stream gives.
    for i in idx:
        with sandpit.make("CartPole-v0", endpoint) as single:
            single.reset(seed=10 + int(i))
            first, _ = single.reset()  # the stream continues after episode 1
        assert obs2[i].tobytes() == first.tobytes()
    # Envs that did not end stepped normally.
    running = np.flatnonzero(~ended)
    assert np.all(rew2[running] == 1.0)


def test_episode_statistics_match_the_rewards(make_vec):
    n = 8
    envs = make_vec("CartPole-v0", n, seed=3)
    envs.reset()
    rng = np.random.default_rng(0)
    returns = np.zeros(n)
    lengths = np.zeros(n, int)
    fresh = np.zeros(n, bool)  # env i returned a reset obs at this step
    seen = 0
    for _ in range(300):
        _, rew, term, trunc, info = envs.step(rng.integers(0, 2, n))
        returns[~fresh] += rew[~fresh]
        lengths[~fresh] += 1
        assert np.all(rew[fresh] == 0)
        returns[fresh] = 0
        lengths[fresh] = 0
        ended = term | trunc
        if ended.any():
            np.testing.assert_array_equal(info["episode_end"]["r"][ended], returns[ended])
            np.testing.assert_array_equal(info["episode_end"]["l"][ended], lengths[ended])
            seen += int(ended.sum())
        fresh = ended
    assert seen > 10


def test_per_env_seeds_match_single_envs(endpoint, make_vec):
    n, seed, steps = 4, 100, 60
    envs = make_vec("CartPole-v0", n, hashes=True)
    obs, info = envs.reset(seed=seed)
    rng = np.random.default_rng(1)
    actions = rng.integers(0, 2, (steps, n))
    traj = [obs.copy()]
    hashes = [info["hash"].copy()]
    live = np.ones(n, bool)
    alive_len = np.full(n, steps)
    for t in range(steps):
        obs, _, term, trunc, info = envs.step(actions[t])
        traj.append(obs.copy())
        hashes.append(info["hash"].copy())
        for i in np.flatnonzero((term | trunc) & live):
            live[i] = False
            alive_len[i] = t + 1
    for i in range(n):
        with sandpit.make("CartPole-v0", endpoint, hashes=True) as single:
            o, inf = single.reset(seed=seed + i)
            assert o.tobytes() == traj[0][i].tobytes() and inf["hash"] == hashes[0][i]
            for t in range(alive_len[i]):
                o, _, _, _, inf = single.step(actions[t, i])
                assert o.tobytes() == traj[t + 1][i].tobytes()
                assert inf["hash"] == hashes[t + 1][i]


def test_seed_list_with_none_continues_that_env(make_vec):
    envs = make_vec("CartPole-v0", 3, seed=50)
    first, _ = envs.reset()  # envs get 50, 51, 52
    envs2 = make_vec("CartPole-v0", 3)
    obs, info = envs2.reset(seed=[50, None, 52])
    assert obs[0].tobytes() == first[0].tobytes()
    assert obs[2].tobytes() == first[2].tobytes()
    assert info["seed"][0] == 50 and info["seed"][2] == 52
    with pytest.raises(ValueError):
        envs2.reset(seed=[1, 2])


def test_reset_int_seed_is_deterministic(make_vec):
    envs = make_vec("Pendulum-v0", 5)
    a, _ = envs.reset(seed=7)
    b, _ = envs.reset(seed=7)
    assert a.tobytes() == b.tobytes()
    assert len({row.tobytes() for row in a}) == 5


def test_256_envs(make_vec):
    envs = make_vec("CartPole-v0", 256, seed=0)
    obs, _ = envs.reset()
    assert obs.shape == (256, 4)
    envs.action_space.seed(0)
    ended = 0
    for _ in range(50):
        obs, rew, term, trunc, info = envs.step(envs.action_space.sample())
        ended += int((term | trunc).sum())
    assert obs.shape == (256, 4) and ended > 0
    stats = envs.client.request("stats")
    assert stats["envs"] >= 256


def test_256_envs_match_single_envs(endpoint, make_vec):
    n, seed, steps = 256, 1000, 40
    envs = make_vec("CartPoleContinuous-v0", n, hashes=True)
    _, info = envs.reset(seed=seed)
    actions = np.random.default_rng(2).uniform(-10, 10, (steps, n, 1)).astype(np.float32)
    hashes = [info["hash"].copy()]
    first_end = np.full(n, steps)
    for t in range(steps):
        _, _, term, trunc, info = envs.step(actions[t])
        hashes.append(info["hash"].copy())
        first_end[(term | trunc) & (first_end == steps)] = t + 1
    for i in (0, 1, 137, 255):
        with sandpit.make("CartPoleContinuous-v0", endpoint, hashes=True) as single:
            got = [single.reset(seed=seed + i)[1]["hash"]]
            for t in range(first_end[i]):
                got.append(single.step(actions[t, i])[4]["hash"])
        assert got == [int(h[i]) for h in hashes[: first_end[i] + 1]]


def test_continuous_vector_env(make_vec):
    envs = make_vec("Pendulum-v0", 16, seed=0)
    envs.reset()
    obs, rew, *_ = envs.step(np.zeros((16, 1)))
    assert obs.shape == (16, 3) and np.all(rew <= 0)
    obs, rew, *_ = envs.step(np.zeros(16))  # (N,) is accepted when k == 1
    with pytest.raises(sandpit.InvalidAction):
        envs.step(np.zeros((15, 1)))


def test_disabled_autoreset_needs_reset(make_vec):
    envs = make_vec("CartPole-v0", 2, seed=0, autoreset_mode=AutoresetMode.DISABLED)
    assert envs.metadata["autoreset_mode"] is AutoresetMode.DISABLED
    envs.reset()
    with pytest.raises(ServerError) as excinfo:
        for _ in range(500):
            envs.step(np.ones(2, np.int64))
    assert excinfo.value.code == "needs_reset"
    with pytest.raises(ValueError):
        sandpit.make_vec("CartPole-v0", 2, autoreset_mode="sometimes")


def test_vector_record_episode_statistics_agrees(make_vec):
    plain = gymnasium.wrappers.vector.RecordEpisodeStatistics(
        make_vec("CartPole-v0", 4, seed=2, episode_info=False)
    )
    keyed = gymnasium.wrappers.vector.RecordEpisodeStatistics(
        make_vec("CartPole-v0", 4, seed=2), stats_key="wrapper"
    )
    plain.reset()
    keyed.reset()
    rng = np.random.default_rng(0)
    checked = 0
    for _ in range(200):
        a = rng.integers(0, 2, 4)
        *_, info_p = plain.step(a)
        *_, term, trunc, info_k = keyed.step(a)
        if (term | trunc).any():
            assert "_reason" in info_p and "episode" in info_p  # the wrapper's own
            np.testing.assert_array_equal(info_p["episode"]["r"], info_k["episode_end"]["r"])
            np.testing.assert_array_equal(info_p["episode"]["l"], info_k["episode_end"]["l"])
            np.testing.assert_array_equal(info_k["wrapper"]["r"], info_k["episode_end"]["r"])
            np.testing.assert_array_equal(info_k["wrapper"]["l"], info_k["episode_end"]["l"])
            checked += 1
    assert checked > 3
    assert len(plain.return_queue) > 3


def test_vector_observation_and_reward_wrappers(make_vec):
    envs = gymnasium.wrappers.vector.NormalizeObservation(make_vec("Pendulum-v0", 4, seed=0))
    envs = gymnasium.wrappers.vector.ClipReward(envs, min_reward=-1.0, max_reward=0.0)
    envs.reset()
    for _ in range(20):
        obs, rew, *_ = envs.step(envs.action_space.sample())
    assert obs.shape == (4, 3) and np.all(rew >= -1.0)
    dict_info = gymnasium.wrappers.vector.DictInfoToList(make_vec("CartPole-v0", 3, seed=0))
    dict_info.reset()
    *_, infos = dict_info.step(np.zeros(3, np.int64))
    assert isinstance(infos, list) and len(infos) == 3


def test_results_do_not_depend_on_server_threads(endpoint, server_factory):
    one = server_factory("--threads", "1")
    runs = []
    for ep in (endpoint, one.endpoint):
        with sandpit.make_vec("Pendulum-v0", 128, ep, hashes=True, seed=4) as envs:
            envs.reset()
            rng = np.random.default_rng(3)
            out = []
            for _ in range(30):
                obs, rew, _, _, info = envs.step(rng.uniform(-2, 2, (128, 1)))
                out.append((obs.tobytes(), rew.tobytes(), info["hash"].tobytes()))
            runs.append(out)
    assert runs[0] == runs[1]

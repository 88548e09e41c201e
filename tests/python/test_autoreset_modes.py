"""same_step autoreset and partial resets, each against N single envs stepped one by one.

A batched session must give every env exactly the trajectory a single env gets with the same
seed and actions: no transition lost, none invented, whatever the autoreset mode.
"""

from __future__ import annotations

import numpy as np
import sandpit
from gymnasium.vector import AutoresetMode

N = 4
STEPS = 300


def _singles(endpoint: str, seed: int) -> list:
    return [sandpit.make("CartPole-v0", endpoint, seed=seed + i) for i in range(N)]


def test_same_step_autoreset_matches_single_envs(endpoint):
    rng = np.random.default_rng(0)
    envs = sandpit.make_vec("CartPole-v0", N, endpoint, seed=40,
                            autoreset_mode=AutoresetMode.SAME_STEP)
    singles = _singles(endpoint, 40)
    try:
        assert envs.metadata["autoreset_mode"] is AutoresetMode.SAME_STEP
        obs, _ = envs.reset()
        ref = np.stack([s.reset()[0] for s in singles])
        assert np.array_equal(obs, ref)
        ended = 0
        for _ in range(STEPS):
            actions = rng.integers(0, 2, N)
            obs, reward, term, trunc, info = envs.step(actions)
            for i, single in enumerate(singles):
                o, r, te, tr, _ = single.step(int(actions[i]))
                assert (r, te, tr) == (reward[i], term[i], trunc[i])
                if te or tr:
                    ended += 1
                    assert info["_final_obs"][i]
                    assert np.array_equal(info["final_obs"][i], o)  # the ended episode's last
                    o, _ = single.reset()  # continues the env's seed stream, as autoreset does
                    assert info["reason"][i] in ("pole_fell", "cart_left_track")
                else:
                    assert "_final_obs" not in info or not info["_final_obs"][i]
                assert np.array_equal(obs[i], o)
        assert ended > 20
    finally:
        envs.close()
        for s in singles:
            s.close()


def test_partial_resets_match_single_envs(endpoint):
    """Gymnasium 1.1's pattern for autoreset DISABLED: reset(options={"reset_mask": done})."""
    rng = np.random.default_rng(1)
    envs = sandpit.make_vec("CartPole-v0", N, endpoint, seed=70,
                            autoreset_mode=AutoresetMode.DISABLED)
    singles = _singles(endpoint, 70)
    try:
        obs, _ = envs.reset()
        for s in singles:
            s.reset()
        resets = 0
        for _ in range(STEPS):
            actions = rng.integers(0, 2, N)
            obs, reward, term, trunc, _ = envs.step(actions)
            results = [s.step(int(a)) for s, a in zip(singles, actions)]
            assert np.array_equal(obs, np.stack([r[0] for r in results]))
            done = term | trunc
            if done.any():
                before = obs.copy()
                obs, info = envs.reset(options={"reset_mask": done})
                assert np.array_equal(info["_seed"], done)
                for i, s in enumerate(singles):
                    if done[i]:
                        o, single_info = s.reset()
                        assert np.array_equal(obs[i], o)
                        assert info["seed"][i] == single_info["seed"]
                    else:  # left running: its observation is unchanged
                        assert np.array_equal(obs[i], before[i])
                resets += int(done.sum())
        assert resets > 20
    finally:
        envs.close()
        for s in singles:
            s.close()


def test_partial_reset_with_seeds(endpoint):
    envs = sandpit.make_vec("CartPole-v0", 3, endpoint, seed=0)
    try:
        obs0, _ = envs.reset(seed=5)
        envs.step(np.ones(3, np.int64))
        stepped = envs.step(np.ones(3, np.int64))[0]
        mask = np.array([False, True, False])
        obs, info = envs.reset(seed=[None, 6, 99], options={"reset_mask": mask})
        assert np.array_equal(obs[1], obs0[1])  # env 1 reseeded with 6 = 5 + 1
        assert np.array_equal(obs[[0, 2]], stepped[[0, 2]])
        assert info["seed"].tolist() == [5, 6, 7]  # the others' seeds are their running episodes'
    finally:
        envs.close()

"""Async stepping against a real server: send/recv returns whole blocks, each env follows the
trajectory it has in a lockstep vector env with the same seed, and misuse is refused."""

from __future__ import annotations

import numpy as np
import pytest
import sandpit
from sandpit import SandpitError
from sandpit.asyncvec import make_async


def _policy(obs):
    return (obs[:, 2] + 0.3 * obs[:, 3] > 0).astype(np.int32)


def test_async_envs_follow_their_lockstep_trajectories(endpoint):
    n, batch, steps = 8, 2, 30
    with sandpit.make_vec("CartPole-v0", n, endpoint, seed=4, hashes=True, max_steps=20) as vec:
        obs, info = vec.reset()
        lockstep = [[h] for h in info["hash"].tolist()]
        for _ in range(steps):
            obs, _, _, _, info = vec.step(_policy(obs))
            for i, h in enumerate(info["hash"].tolist()):
                lockstep[i].append(h)
    with make_async("CartPole-v0", n, batch, endpoint, seed=4, hashes=True, max_steps=20) as envs:
        envs.async_reset()
        got = [[] for _ in range(n)]
        seen_blocks = []
        while min(len(g) for g in got) < steps + 1:
            obs, rew, term, trunc, info = envs.recv()
            ids = info["env_id"]
            assert obs.shape == (batch, 4) and ids.shape == (batch,) and ids[0] % batch == 0
            seen_blocks.append(int(ids[0]) // batch)
            for i, h in zip(ids.tolist(), info["hash"].tolist()):
                got[i].append(h)
            envs.send(_policy(obs), ids)
        # drain what is still in flight so the sessions close cleanly
        while envs._inflight:
            envs.recv()
    for i in range(n):
        assert got[i][: steps + 1] == lockstep[i], f"env {i}"
    assert set(seen_blocks) == set(range(n // batch))


def test_async_misuse_is_refused(endpoint):
    with pytest.raises(ValueError, match="multiple"):
        make_async("CartPole-v0", 5, 2, endpoint)
    with make_async("CartPole-v0", 4, 2, endpoint, seed=0) as envs:
        with pytest.raises(SandpitError, match="nothing sent"):
            envs.recv()
        envs.async_reset()
        obs, *_, info = envs.recv()
        with pytest.raises(ValueError, match="whole blocks"):
            envs.send(np.zeros(2, np.int32), [1, 2])
        with pytest.raises(SandpitError, match="in flight"):
            envs.send(np.zeros(2, np.int32), [2, 3])  # block 1's reset is not received yet
        envs.send(np.zeros(2, np.int32), info["env_id"])
        envs.recv()
        envs.recv()

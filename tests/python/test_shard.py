"""A vector env sharded over real servers: env order, seeds and hashes equal to the same envs
in one session on one server, one message per server per step, and a server that dies."""

from __future__ import annotations

import numpy as np
import pytest
import sandpit
from sandpit import ConnectionLost
from sandpit.shard import shard_sizes

STEPS = 120


def _run(envs, seed, steps=STEPS):
    """Obs, rewards, flags, hashes and ended episodes' seeds over a seeded rollout."""
    obs, info = envs.reset(seed=seed)
    rng = np.random.default_rng(7)
    out = {"obs": [obs], "seed": [info["seed"]], "hash": [info["hash"]], "rew": [], "done": []}
    final = []
    for _ in range(steps):
        actions = _actions(envs, rng)
        obs, rew, term, trunc, info = envs.step(actions)
        out["obs"].append(obs)
        out["rew"].append(rew)
        out["done"].append(term | trunc)
        out["hash"].append(info["hash"])
        if "_reason" in info:
            final.append((np.flatnonzero(info["_reason"]).tolist(), info["episode_end"]["r"].tolist()))
    out["final"] = final
    return out


def _actions(envs, rng):
    space = envs.single_action_space
    if hasattr(space, "n"):
        return rng.integers(0, space.n, envs.num_envs).astype(np.int32)
    return rng.uniform(space.low, space.high, (envs.num_envs, *space.shape)).astype(np.float32)


@pytest.fixture
def servers(server_factory):
    return [server_factory() for _ in range(3)]


@pytest.mark.parametrize("env_id", ["CartPole-v0", "Pendulum-v0"])
def test_sharded_equals_one_server(servers, env_id):
    n = 7  # 3 + 2 + 2: shards of unequal size
    endpoints = [s.endpoint for s in servers]
    kw = {"seed": 11, "hashes": True, "max_steps": 50}  # episodes end (and restart) in the run
    one = sandpit.make_vec(env_id, n, endpoints[0], **kw)
    many = sandpit.make_vec(env_id, n, endpoints, **kw)
    try:
        a, b = _run(one, 5), _run(many, 5)
    finally:
        one.close()
        many.close()
    for key in ("obs", "seed", "hash", "rew", "done"):
        assert len(a[key]) == len(b[key])
        for x, y in zip(a[key], b[key]):
            np.testing.assert_array_equal(x, y, err_msg=key)
    assert a["final"] == b["final"] and a["final"], "episodes must end (and match) in the run"


def test_session_seed_and_seed_lists_follow_the_env(servers):
    endpoints = [s.endpoint for s in servers[:2]]
    with sandpit.make_vec("CartPole-v0", 5, endpoints, seed=100, hashes=True) as many, \
            sandpit.make_vec("CartPole-v0", 5, endpoints[0], seed=100, hashes=True) as one:
        # The first unseeded reset uses the session seed + env index on both.
        _, ia = one.reset()
        _, ib = many.reset()
        assert ib["seed"].tolist() == list(range(100, 105)) == ia["seed"].tolist()
        np.testing.assert_array_equal(ia["hash"], ib["hash"])
        seeds = [9, None, 3, None, 1]
        _, ia = one.reset(seed=seeds)
        _, ib = many.reset(seed=seeds)
        np.testing.assert_array_equal(ia["seed"], ib["seed"])
        np.testing.assert_array_equal(ia["hash"], ib["hash"])
        assert many.session_id[0] is not None and len(many.session_id) == 2


def test_one_step_message_per_server(servers):
    endpoints = [s.endpoint for s in servers]
    watchers = [sandpit.Client(e) for e in endpoints]
    try:
        with sandpit.make_vec("CartPole-v0", 6, endpoints, seed=0) as envs:
            envs.reset()
            before = [w.request("stats") for w in watchers]
            for _ in range(10):
                envs.step(np.zeros(6, dtype=np.int32))
            after = [w.request("stats") for w in watchers]
    finally:
        for w in watchers:
            w.close()
    # Per server: 10 step messages (and the second stats request), 2 envs stepped by each.
    assert [b["requests"] - a["requests"] for a, b in zip(before, after)] == [11, 11, 11]
    assert [b["steps"] - a["steps"] for a, b in zip(before, after)] == [20, 20, 20]


def test_dead_server_raises_connection_lost_naming_it(server_factory):
    alive, doomed = server_factory(), server_factory()
    envs = sandpit.make_vec(
        "CartPole-v0", 4, [alive.endpoint, doomed.endpoint], seed=0, timeout=1.0, retries=0
    )
    try:
        envs.reset()
        envs.step(np.zeros(4, dtype=np.int32))
        doomed.stop()
        with pytest.raises(ConnectionLost) as caught:
            envs.step(np.zeros(4, dtype=np.int32))
        assert doomed.endpoint in str(caught.value) and "shard 1 (envs 2..3)" in str(caught.value)
    finally:
        envs.close()


def test_bad_shardings_are_refused(servers):
    with pytest.raises(ValueError, match="fewer than"):
        sandpit.make_vec("CartPole-v0", 2, [s.endpoint for s in servers])
    with pytest.raises(ValueError, match="twice"):
        sandpit.make_vec("CartPole-v0", 4, [servers[0].endpoint] * 2)
    assert shard_sizes(10, 3) == [4, 3, 3]

"""sandpit.ray on a local Ray cluster: servers per node, rollout actors next to them, and
episodes (state hashes included) identical to a single-process run with the same seeds."""

from __future__ import annotations

import os

import numpy as np
import pytest
import ray
import sandpit
import sandpit.ray as sray
from helpers import exits_within


@pytest.fixture(scope="module")
def cluster():
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"SANDPIT_BIN": os.environ["SANDPIT_BIN"]}},
    )
    try:
        yield
    finally:
        ray.shutdown()


def _gone(pid: int, within: float = 10.0) -> bool:
    return exits_within(pid, within)


def _steps(endpoint: str) -> int:
    with sandpit.Client(endpoint) as client:
        return client.request("stats")["steps"]


def test_fan_out_equals_one_process(cluster):
    def policy(obs):  # per row: an env's actions depend on its own observations only
        return (obs[:, 2] + 0.3 * obs[:, 3] > 0).astype(np.int32)

    servers = sray.NodeServers.start(per_node=2)
    try:
        pids = [ray.get(h.pid.remote()) for hs in servers._hosts.values() for h in hs]
        endpoints = [e for _, e in servers.all_endpoints()]
        assert len(endpoints) == 2 and len(set(endpoints)) == 2
        before = [_steps(e) for e in endpoints]
        episodes = sray.collect_episodes(
            servers, "CartPole-v0", policy, num_actors=2, envs_per_actor=2,
            episodes_per_env=2, seed=5, max_steps=40,
        )
        after = [_steps(e) for e in endpoints]
    finally:
        servers.shutdown()
    assert all(_gone(pid) for pid in pids), "servers must stop with shutdown()"
    assert all(b > a for a, b in zip(before, after)), "each actor steps its own server"

    with sandpit.make_vec("CartPole-v0", 4, seed=5, hashes=True, max_steps=40) as envs:
        alone = sray.rollout(envs, policy, episodes_per_env=2)
    assert [(e.env, e.k) for e in episodes] == [(g, k) for g in range(4) for k in range(2)]
    assert episodes == alone
    assert len({e.trace for e in episodes}) == len(episodes), "episodes differ from each other"


def test_killed_host_takes_its_server_down(cluster):
    servers = sray.NodeServers.start(per_node=1, namespace_prefix="sandpit-kill-test")
    (host,) = [h for hs in servers._hosts.values() for h in hs]
    pid = ray.get(host.pid.remote())
    try:
        # SIGKILL: no finalizer runs in the actor. Ray reaps a killed worker's children too;
        # die_with_parent covers owners killed outside Ray (test_server_parent.py).
        ray.kill(host)
        assert _gone(pid), "a server must not outlive its host actor"
    finally:
        servers.shutdown()
        # Ray's reaper may SIGKILL the server too, before it can remove its socket file.
        for _, endpoint in servers.all_endpoints():
            if endpoint.startswith("ipc://") and os.path.exists(endpoint[len("ipc://") :]):
                os.unlink(endpoint[len("ipc://") :])


def test_rllib_env_creator_uses_the_node_server(cluster):
    servers = sray.NodeServers.start(per_node=2, namespace_prefix="sandpit-rllib-test")
    try:
        create = sray.rllib_env_creator(servers, "CartPole-v0", seed=1)

        @ray.remote(num_cpus=0)
        def make_on_node(worker_index):
            class Context:  # the attribute RLlib's EnvContext gives
                pass

            ctx = Context()
            ctx.worker_index = worker_index
            env = create(ctx)
            try:
                env.reset()
                return env.unwrapped.client.endpoint
            finally:
                env.close()

        # A second start with the same names attaches; its shutdown leaves the servers be.
        attached = sray.NodeServers.start(per_node=2, namespace_prefix="sandpit-rllib-test")
        assert attached.endpoints == servers.endpoints
        attached.shutdown()

        (node,) = servers.endpoints
        got = ray.get([make_on_node.remote(w) for w in (1, 2)])
        assert got == [servers.endpoint_for(node, 1), servers.endpoint_for(node, 2)]
        assert got[0] != got[1]
    finally:
        servers.shutdown()

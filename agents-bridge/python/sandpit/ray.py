"""sandpit on Ray: a server next to every node's rollout actors, episodes fanned out over them.

>>> import ray, sandpit.ray as sray
>>> ray.init()
>>> with sray.NodeServers.start(per_node=2) as servers:        # `sandpit serve` on each node
...     episodes = sray.collect_episodes(servers, "CartPole-v0", policy, num_actors=8,
...                                      envs_per_actor=16, episodes_per_env=2, seed=0)

- :class:`NodeServers` runs ``per_node`` ``sandpit serve`` processes on every alive Ray node,
  each owned by a small host actor pinned to its node (no CPU reserved: the server's threads
  are its own). Hosts are named actors, so a second driver (or a second ``start``) in the
  same namespace attaches to the servers already running instead of starting more. The
  servers listen on ``ipc://``: only processes on their own node reach them.
- :func:`collect_episodes` places rollout actors round-robin over the nodes, each pinned to
  its node and given one of that node's servers, and returns their episodes in global env
  order. Env g of the fan-out (actor j, local env i, g = j * envs_per_actor + i) is seeded
  ``seed + g``, so every episode, with its state hashes, is the one a single vector env of
  all the envs made with ``seed`` gives (docs/PROTOCOL.md, "Seeds of a vector session").
- :func:`rllib_env_creator` / :func:`configure_rllib` point every RLlib env runner at a
  server on its own node.

The policy is any picklable callable from a float32 observation batch ``[n, obs]`` to an
action batch, applied row by row (an env's actions depend on its own observations only;
that is what makes the fan-out's episodes equal to a single process's).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np
import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

__all__ = [
    "Episode",
    "NodeServers",
    "RolloutActor",
    "collect_episodes",
    "rollout",
    "rllib_env_creator",
    "configure_rllib",
]

_HOST_PREFIX = "sandpit-serve"


@dataclass
class Episode:
    """One finished episode of env ``env`` (its ``k``-th since the first reset)."""

    env: int
    k: int
    ret: float
    length: int
    reason: str
    final_hash: int  # the state hash after its last step
    trace: str  # blake2b of the state hashes of every step, the first observation's included
    actions: List[Any] = field(default_factory=list, repr=False)


def rollout(
    envs: Any, policy: Callable[[np.ndarray], Any], episodes_per_env: int, env_offset: int = 0
) -> List[Episode]:
    """Steps ``envs`` (a sandpit vector env made with ``hashes=True``, NEXT_STEP autoreset)
    with ``policy`` until every env has finished ``episodes_per_env`` episodes; returns the
    first ``episodes_per_env`` of each, ordered by env then episode. An env that is done
    keeps stepping (its later episodes are dropped), so every env's episodes depend on its
    own seed and the policy alone."""
    n = envs.num_envs
    obs, info = envs.reset()
    traces = [hashlib.blake2b(digest_size=16) for _ in range(n)]
    for i in range(n):
        traces[i].update(int(info["hash"][i]).to_bytes(8, "little"))
    actions_of: List[List[Any]] = [[] for _ in range(n)]
    done: List[List[Episode]] = [[] for _ in range(n)]
    fresh = np.zeros(n, dtype=bool)  # the env's obs is the first of a new episode
    while min(len(d) for d in done) < episodes_per_env:
        actions = policy(obs)
        obs, _rew, term, trunc, info = envs.step(actions)
        hashes = info["hash"]
        for i in range(n):
            if fresh[i]:  # NEXT_STEP: this step was the reset into the next episode
                traces[i] = hashlib.blake2b(digest_size=16)
                traces[i].update(int(hashes[i]).to_bytes(8, "little"))
                actions_of[i] = []
                continue
            traces[i].update(int(hashes[i]).to_bytes(8, "little"))
            actions_of[i].append(np.asarray(actions[i]).tolist())
        fresh[:] = False
        for i in np.flatnonzero(term | trunc).tolist():
            if len(done[i]) < episodes_per_env:
                done[i].append(
                    Episode(
                        env=env_offset + i,
                        k=len(done[i]),
                        ret=float(info["episode_end"]["r"][i]),
                        length=int(info["episode_end"]["l"][i]),
                        reason=str(info["reason"][i]),
                        final_hash=int(hashes[i]),
                        trace=traces[i].hexdigest(),
                        actions=actions_of[i],
                    )
                )
            fresh[i] = True
    return [e for per_env in done for e in per_env]


@ray.remote(num_cpus=0)
class _ServerHost:
    """Owns one ``sandpit serve`` on its node (stopped with the actor)."""

    def __init__(self, binary: Optional[str], args: Sequence[str]) -> None:
        from .server import LocalServer

        self.server = LocalServer.start(binary=binary, args=list(args), die_with_parent=True)

    def endpoint(self) -> str:
        return self.server.endpoint

    def pid(self) -> int:
        return self.server.pid

    def stop(self) -> None:
        self.server.stop()


def _alive_nodes() -> List[str]:
    return sorted(n["NodeID"] for n in ray.nodes() if n.get("Alive"))


def _on(node: str) -> NodeAffinitySchedulingStrategy:
    return NodeAffinitySchedulingStrategy(node_id=node, soft=False)


class NodeServers:
    """``per_node`` sandpit servers on every alive Ray node (see the module doc).

    Attributes:
        endpoints: node id -> that node's server endpoints (``ipc://``).
    """

    def __init__(self, hosts: Dict[str, List[Any]], endpoints: Dict[str, List[str]],
                 owned: List[Any]) -> None:
        self._hosts = hosts
        self.endpoints = endpoints
        self._owned = owned  # the host actors this object started (the others it attached to)

    @classmethod
    def start(
        cls,
        per_node: int = 1,
        *,
        binary: Optional[str] = None,
        args: Sequence[str] = (),
        namespace_prefix: str = _HOST_PREFIX,
        timeout: float = 60.0,
    ) -> "NodeServers":
        """Starts (or attaches to, by actor name) ``per_node`` servers on each alive node.

        ``binary``/``args`` as :meth:`sandpit.LocalServer.start` (found on each node with
        :func:`sandpit.server.find_binary` when ``None``). The servers started here are
        stopped by :meth:`shutdown`; attached ones are left running.
        """
        if per_node < 1:
            raise ValueError(f"per_node must be >= 1, got {per_node}")
        hosts: Dict[str, List[Any]] = {}
        owned: List[Any] = []
        try:
            for node in _alive_nodes():
                hosts[node] = []
                for j in range(per_node):
                    name = f"{namespace_prefix}-{node[:16]}-{j}"
                    try:
                        host = ray.get_actor(name)
                    except ValueError:
                        host = _ServerHost.options(  # type: ignore[attr-defined]
                            name=name, scheduling_strategy=_on(node), lifetime=None
                        ).remote(binary, list(args))
                        owned.append(host)
                    hosts[node].append(host)
            endpoints = {
                node: ray.get([h.endpoint.remote() for h in hs], timeout=timeout)
                for node, hs in hosts.items()
            }
        except BaseException:
            for h in owned:
                ray.kill(h)
            raise
        return cls(hosts, endpoints, owned)

    def all_endpoints(self) -> List[tuple]:
        """``(node, endpoint)`` for every server, node by node."""
        return [(n, e) for n, es in self.endpoints.items() for e in es]

    def endpoint_for(self, node: str, index: int) -> str:
        """The ``index``-th user's server on ``node`` (round-robin over its servers)."""
        es = self.endpoints[node]
        return es[index % len(es)]

    def shutdown(self) -> None:
        """Stops the servers this object started (and their host actors). Idempotent."""
        owned, self._owned = self._owned, []
        stops = [h.stop.remote() for h in owned]
        try:
            for stop in stops:
                try:
                    ray.get(stop, timeout=30)
                except ray.exceptions.RayActorError:
                    pass  # the host died: its server went with it (die_with_parent)
        finally:
            for h in owned:
                ray.kill(h)

    def __enter__(self) -> "NodeServers":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()


@ray.remote
class RolloutActor:
    """A vector env on its node's server, collecting episodes with a policy."""

    def __init__(self, env_id: str, num_envs: int, endpoint: str, seed: int, **make: Any) -> None:
        import sandpit

        self.envs = sandpit.make_vec(env_id, num_envs, endpoint, seed=seed, hashes=True, **make)
        self.endpoint = endpoint

    def collect(self, policy: Callable, episodes_per_env: int, env_offset: int) -> List[Episode]:
        return rollout(self.envs, policy, episodes_per_env, env_offset)

    def node_and_endpoint(self) -> tuple:
        return ray.get_runtime_context().get_node_id(), self.endpoint

    def close(self) -> None:
        self.envs.close()


def collect_episodes(
    servers: NodeServers,
    env_id: str,
    policy: Callable[[np.ndarray], Any],
    *,
    num_actors: int,
    envs_per_actor: int = 1,
    episodes_per_env: int = 1,
    seed: int = 0,
    num_cpus: float = 1,
    **make: Any,
) -> List[Episode]:
    """Collects ``episodes_per_env`` episodes of every env of ``num_actors`` rollout actors
    (placed round-robin over the nodes, each next to one of its node's servers), in global
    env order; see the module doc for the seeds. The actors are stopped before returning."""
    nodes = list(servers.endpoints)
    if not nodes:
        raise ValueError("no Ray node has a sandpit server")
    actors = []
    try:
        for j in range(num_actors):
            node = nodes[j % len(nodes)]
            endpoint = servers.endpoint_for(node, j // len(nodes))
            actors.append(
                RolloutActor.options(  # type: ignore[attr-defined]
                    scheduling_strategy=_on(node), num_cpus=num_cpus
                ).remote(
                    env_id, envs_per_actor, endpoint, seed + j * envs_per_actor, **make
                )
            )
        parts = ray.get(
            [a.collect.remote(policy, episodes_per_env, j * envs_per_actor) for j, a in enumerate(actors)]
        )
        ray.get([a.close.remote() for a in actors])
    finally:
        for a in actors:
            ray.kill(a)
    return [e for part in parts for e in part]


def rllib_env_creator(servers: NodeServers, env_id: str, **make: Any) -> Callable[[Any], Any]:
    """An RLlib env creator (``register_env(name, creator)``) whose envs talk to a server on
    the node their env runner runs on: env runner w's envs use that node's server
    ``w % per_node`` (RLlib's ``EnvContext.worker_index``). Needs no RLlib to build."""
    endpoints = dict(servers.endpoints)

    def create(env_context: Any) -> Any:
        import sandpit

        node = ray.get_runtime_context().get_node_id()
        if node not in endpoints:
            raise RuntimeError(f"node {node} has no sandpit server (started before it joined?)")
        worker = int(getattr(env_context, "worker_index", 0) or 0)
        es = endpoints[node]
        return sandpit.make(env_id, endpoint=es[worker % len(es)], **make)

    return create


def configure_rllib(config: Any, servers: NodeServers, env_id: str, name: Optional[str] = None,
                    **make: Any) -> Any:
    """Registers :func:`rllib_env_creator` under ``name`` (default ``sandpit-<env_id>``) and
    sets it as ``config``'s env: ``configure_rllib(PPOConfig(), servers, "CartPole-v0")``."""
    from ray.tune.registry import register_env

    name = name or f"sandpit-{env_id}"
    register_env(name, rllib_env_creator(servers, env_id, **make))
    return config.environment(env=name)

"""Async stepping, as EnvPool's: ``send(actions, env_ids)`` then ``recv()`` returns the first
``batch_size`` envs whose step finished, so the learner's policy runs while the server steps
the rest.

The ``num_envs`` envs are split into ``num_envs / batch_size`` blocks of ``batch_size``
consecutive envs; each block is a session of its own, on its own connection to the server.
``send`` sends one step request per block named in ``env_ids`` without waiting; ``recv``
waits for whichever block's reply comes first (a poll over the blocks' sockets) and returns
that block. The server answers each request as soon as its block is stepped, so while the
policy works on one block the others are being stepped: with ``k`` blocks, up to ``k - 1``
blocks of stepping overlap the policy. This needs no new protocol op: several sessions with
a step in flight at once is ordinary protocol 1 (docs/PROTOCOL.md, "Async stepping").

Block b is made with session seed ``seed + b * batch_size``, so env i has the seeds (and
episodes, for the same actions) of env i of one vector env made with ``seed``. Autoreset is
NEXT_STEP, as in :class:`sandpit.SandpitVectorEnv`.

>>> envs = sandpit.make_async("CartPole-v0", num_envs=64, batch_size=16, seed=0)
>>> envs.async_reset()
>>> obs, rew, term, trunc, info = envs.recv()            # info["env_id"]: which 16 envs
>>> envs.send(policy(obs), info["env_id"])
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import zmq
from gymnasium.vector.utils import batch_space

from .client import DEFAULT_TIMEOUT
from .errors import ConnectionLost, SandpitError
from .session import Session
from .spaces import action_space, encode_actions, observation_space

__all__ = ["SandpitAsyncVectorEnv", "make_async"]


class SandpitAsyncVectorEnv:
    """``num_envs`` envs stepped ``batch_size`` at a time, asynchronously (module doc).

    Args:
        env_id: Catalogue id.
        num_envs: N, a multiple of ``batch_size``.
        batch_size: Envs per ``recv`` (one block).
        endpoint: Server endpoint; ``None`` uses the shared local server.
        seed: Session seed (env i's first reset uses ``seed + i``); ``None`` draws one.
        timeout: Seconds ``recv`` waits for a reply.
        **make: Further :class:`sandpit.session.Session` options (``max_steps``, ``hashes``...).
    """

    def __init__(
        self,
        env_id: str,
        num_envs: int,
        batch_size: int,
        endpoint: Optional[str] = None,
        *,
        seed: Optional[int] = None,
        timeout: float = DEFAULT_TIMEOUT,
        **make: Any,
    ) -> None:
        if batch_size < 1 or num_envs % batch_size:
            raise ValueError(f"num_envs={num_envs} must be a multiple of batch_size={batch_size}")
        self.num_envs = num_envs
        self.batch_size = batch_size
        self.timeout = timeout
        seed = int(np.random.SeedSequence().generate_state(1)[0] >> 1) if seed is None else seed
        self.blocks: List[Session] = []
        try:
            for b in range(num_envs // batch_size):
                self.blocks.append(
                    Session(env_id, batch_size, endpoint, seed=seed + b * batch_size,
                            timeout=timeout, **make)
                )
        except BaseException:
            self.close()
            raise
        spec = self.blocks[0].spec
        self.single_observation_space = observation_space(spec)
        self.single_action_space = action_space(spec)
        self.observation_space = batch_space(self.single_observation_space, batch_size)
        self.action_space = batch_space(self.single_action_space, batch_size)
        self._inflight: Dict[int, Any] = {}  # block -> what it was sent (step or reset)
        self._poller = zmq.Poller()

    def async_reset(self) -> None:
        """Resets every env; each block's first observations come back through :meth:`recv`
        (with ``info["seed"]``), as EnvPool's ``async_reset``."""
        self._check_idle(range(len(self.blocks)))
        for b, block in enumerate(self.blocks):
            self._inflight[b] = ("reset", block.reset())

    def send(self, actions: Any, env_ids: Sequence[int]) -> None:
        """Sends ``actions`` of the envs ``env_ids`` (whole blocks, as :meth:`recv` gave them),
        without waiting."""
        ids = np.asarray(env_ids, dtype=np.int64)
        if ids.size % self.batch_size or ids.size == 0:
            raise ValueError(f"env_ids must be whole blocks of {self.batch_size} envs")
        acts = np.asarray(actions)
        starts = ids[:: self.batch_size]
        blocks = (starts // self.batch_size).tolist()
        want = (starts[:, None] + np.arange(self.batch_size)).reshape(-1)
        if not np.array_equal(ids, want) or (starts % self.batch_size).any():
            raise ValueError("env_ids must be whole blocks, as recv() returned them")
        self._check_idle(blocks)
        for j, b in enumerate(blocks):
            part = acts[j * self.batch_size : (j + 1) * self.batch_size]
            wire = encode_actions(part, self.single_action_space, self.batch_size, batched=True)
            self._inflight[b] = ("step", self.blocks[b].step_send(wire))

    def recv(self) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, Dict[str, Any]]:
        """The first block whose reply came: ``obs, reward, terminated, truncated, info``
        with ``info["env_id"]`` (its env indices) and ``info["hash"]`` when asked for."""
        if not self._inflight:
            raise SandpitError("recv() with nothing sent: call async_reset() or send() first")
        b = self._first_ready()
        kind, sent = self._inflight.pop(b)
        ids = np.arange(b * self.batch_size, (b + 1) * self.batch_size, dtype=np.int32)
        info: Dict[str, Any] = {"env_id": ids}
        if kind == "reset":
            info["seed"] = sent.seeds.copy()
            if sent.hash is not None:
                info["hash"] = sent.hash.copy()
            zeros = np.zeros(self.batch_size, dtype=bool)
            return sent.obs.copy(), np.zeros(self.batch_size), zeros, zeros.copy(), info
        result = self.blocks[b].step_receive(sent)
        if result.hash is not None:
            info["hash"] = result.hash.copy()
        return result.obs.copy(), result.reward.copy(), result.terminated, result.truncated, info

    def _first_ready(self) -> int:
        """A block with a reply to take: a reset (already answered), else the first step
        reply to arrive (in block order among those already there)."""
        for b, (kind, _) in sorted(self._inflight.items()):
            if kind == "reset":
                return b
        by_socket = {}
        for b in self._inflight:
            socket = self.blocks[b].client._socket
            if socket is None:
                return b  # lost: step_receive raises ConnectionLost naming the server
            by_socket[socket] = b
            self._poller.register(socket, zmq.POLLIN)
        try:
            ready = dict(self._poller.poll(self.timeout * 1000))  # type: ignore[arg-type]
        finally:
            for socket in by_socket:
                self._poller.unregister(socket)
        if not ready:
            raise ConnectionLost(f"no step reply within {self.timeout:g} s")
        return min(by_socket[s] for s in ready)

    def _check_idle(self, blocks: Any) -> None:
        busy = sorted(set(blocks) & set(self._inflight))
        if busy:
            raise SandpitError(f"blocks {busy} already have a step in flight: recv() them first")

    def close(self) -> None:
        for block in self.blocks:
            block.close()

    def __enter__(self) -> "SandpitAsyncVectorEnv":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def make_async(env_id: str, num_envs: int, batch_size: int, endpoint: Optional[str] = None,
               **kwargs: Any) -> SandpitAsyncVectorEnv:
    """Makes an async vector env; see :class:`SandpitAsyncVectorEnv`."""
    if env_id.startswith("sandpit/"):
        env_id = env_id[len("sandpit/") :]
    return SandpitAsyncVectorEnv(env_id, num_envs, batch_size, endpoint, **kwargs)

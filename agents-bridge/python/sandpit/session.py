"""A server session: N env instances of one id, made, reset, stepped and closed over a Client.

This is the layer shared by :class:`sandpit.SandpitEnv` (N = 1, autoreset ``disabled``) and
:class:`sandpit.SandpitVectorEnv`. It owns the connection and, when no endpoint was given,
a reference to the process's shared local server.
"""

from __future__ import annotations

import collections
import os
import secrets
import warnings
import weakref
from dataclasses import dataclass
from typing import Any, Deque, Iterator, List, Optional, Sequence, Union

import numpy as np

from .client import DEFAULT_TIMEOUT, Client, PendingReply
from .errors import ConnectionLost, ProtocolError, RecordingWarning, SandpitError, ServerError
from .pixels import PixelOptions, keep_large_blocks
from .protocol import decode_array, encode_array
from .scene import scene_json
from .server import LocalServer, acquire_shared, release_shared

__all__ = ["Session", "ResetResult", "StepResult", "FinalEpisodes", "fault_indices"]

# Seconds a best-effort `close` waits: a dead server must not stall shutdown.
_CLOSE_TIMEOUT_S = 1.0

SeedArg = Union[None, int, Sequence[Optional[int]]]


@dataclass
class ResetResult:
    """A decoded ``reset`` reply (read-only views of the message bytes)."""

    obs: np.ndarray  # float32 [N, n]
    seeds: np.ndarray  # uint64 [N]
    hash: Optional[np.ndarray]  # uint64 [N]
    guardrail: Optional[List[List[dict]]] = None
    faults: Optional[np.ndarray] = None  # uint64 [N]
    sensor_valid: Optional[np.ndarray] = None  # uint8 [N, n]
    pixels: Optional[np.ndarray] = None  # uint8 [N, H, W, C], with pixel observations


@dataclass
class FinalEpisodes:
    """The ``final`` map of a step reply: the m episodes that ended at this step."""

    index: np.ndarray  # int32 [m]
    returns: np.ndarray  # float64 [m]
    length: np.ndarray  # int32 [m]
    reason: List[str]
    seed: np.ndarray  # uint64 [m]
    obs: Optional[np.ndarray] = None  # float32 [m, n]: last observations (same_step autoreset)
    pixels: Optional[np.ndarray] = None  # uint8 [m, H, W, C]: their last frames (same_step)


@dataclass
class StepResult:
    """A decoded ``step`` reply (read-only views of the message bytes)."""

    obs: np.ndarray  # float32 [N, n]
    reward: np.ndarray  # float64 [N]
    terminated: np.ndarray  # bool [N]
    truncated: np.ndarray  # bool [N]
    final: Optional[FinalEpisodes]
    autoreset: Optional[np.ndarray]  # int32 [r]
    hash: Optional[np.ndarray]  # uint64 [N]
    guardrail: Optional[List[List[dict]]] = None  # per env: its trips this step (see trips())
    cost: Optional[np.ndarray] = None  # float64 [N], when a constraint is configured
    faults: Optional[np.ndarray] = None  # uint64 [N] active-fault masks, when asked
    sensor_valid: Optional[np.ndarray] = None  # uint8 [N, n], when asked
    pixels: Optional[np.ndarray] = None  # uint8 [N, H, W, C], with pixel observations


#: Guardrail reasons whose event channel is an actuator index (named through the spec).
_ACTION_REASONS = frozenset(
    ("action_out_of_bounds", "action_nan", "action_rate", "action_budget")
)


def fault_indices(mask: int) -> List[int]:
    """The indices of the faults whose bits are set in an active-fault mask."""
    mask = int(mask)
    return [i for i in range(64) if mask >> i & 1]


def check_mask(mask: Any, num_envs: int) -> np.ndarray:
    """``mask`` as a bool array of shape (num_envs,), or ValueError."""
    m = np.asarray(mask)
    if m.dtype != np.bool_ or m.shape != (num_envs,):
        raise ValueError(
            f"mask must be a bool array of shape ({num_envs},), got {m.dtype} {m.shape}"
        )
    return m


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"a seed must be an int or None, got {seed!r}")
    if seed < 0:
        raise ValueError(f"a seed must be non-negative, got {seed}")
    return int(seed)


def _cleanup(client: Client, server: Optional[LocalServer]) -> None:
    """Frees the socket and the server reference (also when the owner is garbage-collected)."""
    client.close()
    if server is not None:
        release_shared(server)


class Session:
    """One server session of ``num_envs`` instances of ``env_id``.

    Args:
        env_id: Catalogue id, e.g. ``"CartPole-v0"``; ``None`` with ``config["scene"]``.
        num_envs: N.
        endpoint: Server endpoint; ``None`` uses (and starts if needed) the shared local server.
        timeout: Seconds a call may take in all, resends included (docs/PROTOCOL.md).
        seed: Session seed (first unseeded reset of env i uses ``seed + i``); ``None`` draws
            a random one, as Gymnasium does for an env reset without a seed.
        max_steps: Truncation override; ``None`` keeps the env's.
        autoreset: ``"next_step"`` or ``"disabled"``.
        hashes: Ask for per-env state hashes in every reply.
        guardrails: The guardrails map of docs/GUARDRAILS.md. ``None`` or ``{}``: the env's
            defaults (every session runs inside guardrails); ``False``: none at all.
        faults: A list of fault dicts (docs/FAULTS.md).
        record: A directory (str or path) to record one replay file per episode into, or a
            map ``{"dir": ..., "observations": bool}``. A relative path is made absolute
            when the session starts its own local server.
        info_faults: Report the active faults of every env at every reset and step.
        sensor_valid: Report the sensor validity mask (outages) at every reset and step.
        observation: Pixel observations (:class:`sandpit.pixels.PixelOptions`): replies then
            carry every env's frame, drawn by the server.
        config: Further ``make`` fields, passed through verbatim (the server refuses unknown ones),
            except these client options: ``retries`` (default 2): how many times a step
            whose reply has not come is resent within ``timeout`` (same ``seq``: the server
            never applies it twice) before ConnectionLost; ``reconnect`` (default False):
            rebuild the session when the server lost it (see :meth:`_rebuild`), from a log
            bounded by the current episodes (:class:`_ResumeLog`); ``scene``: a scene to run
            instead of a catalogue env, as a :class:`sandpit.scene.Scene`, a dict, or a path to
            a JSON file (sent inline, docs/SCENES.md).
    """

    def __init__(
        self,
        env_id: Optional[str],
        num_envs: int,
        endpoint: Optional[str] = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        seed: Optional[int] = None,
        max_steps: Optional[int] = None,
        autoreset: str = "next_step",
        hashes: bool = False,
        guardrails: Union[dict[str, Any], bool, None] = None,
        faults: Optional[Sequence[dict[str, Any]]] = None,
        record: Union[None, str, "os.PathLike[str]", dict[str, Any]] = None,
        info_faults: bool = False,
        sensor_valid: bool = False,
        observation: Optional[PixelOptions] = None,
        config: Optional[dict[str, Any]] = None,
    ) -> None:
        # An inline scene (docs/SCENES.md) travels as JSON text in `scene`, instead of `env`.
        config = dict(config or {})
        scene_text: Optional[str] = None
        if config.get("scene") is not None:
            scene_text, scene_id = scene_json(config.pop("scene"))
            if env_id is not None and env_id != scene_id:
                raise ValueError(f"env_id {env_id!r} is not the scene's id {scene_id!r}")
            env_id = scene_id
        config.pop("scene", None)
        if not isinstance(env_id, str):
            raise TypeError(f"env_id must be a str, got {env_id!r}")
        if (
            isinstance(num_envs, bool)
            or not isinstance(num_envs, (int, np.integer))
            or num_envs < 1
        ):
            raise ValueError(f"num_envs must be a positive int, got {num_envs!r}")
        self.env_id = env_id
        self.num_envs = int(num_envs)
        self.hashes = bool(hashes)
        self.seed = secrets.randbelow(2**31) if seed is None else _check_seed(seed)
        # CURVE keys are the connection's, not make fields (docs/SECURITY.md).
        curve = {k: config.pop(k) for k in ("server_key", "client_key") if k in config}
        retries = config.pop("retries", 2)
        if isinstance(retries, bool) or not isinstance(retries, (int, np.integer)) or retries < 0:
            raise ValueError(f"retries must be an int >= 0, got {retries!r}")
        self.retries = int(retries)
        self.reconnect = bool(config.pop("reconnect", False))
        # What a rebuild replays (reconnect=True): see _ResumeLog; and the last hash seen.
        self._log: Optional[_ResumeLog] = None
        self._last_hash: Optional[np.ndarray] = None
        self._seq = 0  # the last step's seq (docs/PROTOCOL.md: exactly-once steps)
        if curve and endpoint is None:
            raise ValueError("server_key/client_key need an endpoint (a local server has no CURVE)")
        self.server: Optional[LocalServer] = None
        spawned = endpoint is None
        if endpoint is None:
            self.server = acquire_shared(timeout)
            endpoint = self.server.endpoint
        liveness = self.server.dead_reason if self.server is not None else None
        self.client = Client(endpoint, timeout=timeout, liveness=liveness, **curve)
        self._finalizer = weakref.finalize(self, _cleanup, self.client, self.server)
        self.id: Optional[int] = None
        self.record_errors: dict[int, str] = {}  # env index -> why its recorder stopped
        self._lost = False  # the last request got no reply: skip the courtesy `close`

        fields: dict[str, Any] = {
            "num_envs": self.num_envs,
            "seed": self.seed,
            "autoreset": autoreset,
            "hashes": self.hashes,
        }
        if scene_text is not None:
            fields["scene"] = scene_text
        else:
            fields["env"] = env_id
        if max_steps is not None:
            if (
                isinstance(max_steps, bool)
                or not isinstance(max_steps, (int, np.integer))
                or max_steps < 1
            ):
                raise ValueError(f"max_steps must be a positive int, got {max_steps!r}")
            fields["max_steps"] = int(max_steps)
        local = spawned
        if guardrails is not None:
            if guardrails is not False and not isinstance(guardrails, dict):
                raise TypeError(f"guardrails must be a dict or False, got {guardrails!r}")
            fields["guardrails"] = guardrails
        if faults is not None:
            if isinstance(faults, dict) or not isinstance(faults, Sequence):
                raise TypeError(f"faults must be a list of dicts, got {faults!r}")
            fields["faults"] = list(faults)
        if record is not None:
            rec = dict(record) if isinstance(record, dict) else {"dir": os.fspath(record)}
            if isinstance(rec.get("dir"), (str, os.PathLike)):
                rec["dir"] = os.fspath(rec["dir"])
                if local:
                    rec["dir"] = os.path.abspath(rec["dir"])
            fields["record"] = rec
        if info_faults or sensor_valid:
            fields["info"] = {"faults": bool(info_faults), "sensor_valid": bool(sensor_valid)}
        if self.reconnect:
            # Replies then say where each new episode's seed stream starts (what a rebuild
            # restores), so the log never needs the episodes before the current ones.
            fields["resume"] = True
        self.info_faults = bool(info_faults)
        self.sensor_valid = bool(sensor_valid)
        #: One frame's shape (H, W, C) with pixel observations, else None.
        self.frame_shape: Optional[tuple[int, int, int]] = None
        if observation is not None and observation.pixels:
            fields["observation"] = observation.wire()
            self.frame_shape = observation.frame_shape
            keep_large_blocks()
        for key, value in (config or {}).items():
            if key in fields or key in ("op", "id"):
                raise TypeError(f"make field {key!r} is set by the client")
            fields[key] = value
        self._make_fields = fields
        try:
            reply = self.client.request("make", **fields)
            session = reply.get("session")
            spec = reply.get("spec")
            if isinstance(session, bool) or not isinstance(session, int):
                raise ProtocolError(f"make reply has no integer 'session': {reply!r}")
            if reply.get("num_envs") != self.num_envs:
                raise ProtocolError(
                    f"make reply num_envs {reply.get('num_envs')} != {self.num_envs}"
                )
            if not isinstance(spec, dict) or spec.get("id") != env_id:
                raise ProtocolError(f"make reply has no spec of {env_id}")
        except BaseException:
            self._finalizer()
            raise
        self.id = session
        self.spec: dict[str, Any] = spec
        #: The truncation limit the server applies.
        self.max_steps: int = int(fields.get("max_steps") or spec.get("max_steps", 0))
        obs_shape = spec.get("observation", {}).get("shape")
        self._n = obs_shape[0] if isinstance(obs_shape, list) and obs_shape else None

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran (or the owner was garbage-collected)."""
        return not self._finalizer.alive

    def _check_open(self) -> None:
        if self.closed:
            raise SandpitError("the env is closed")

    def remake(self, *, max_steps: int) -> None:
        """Makes the session again with another truncation limit, before its first reset
        (nothing else changes), and closes the old one."""
        self._check_open()
        if isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer)) or (
            max_steps < 1
        ):
            raise ValueError(f"max_steps must be a positive int, got {max_steps!r}")
        fields = {**self._make_fields, "max_steps": int(max_steps)}
        reply = self.client.request("make", **fields)
        session = reply.get("session")
        if isinstance(session, bool) or not isinstance(session, int):
            raise ProtocolError(f"make reply has no integer 'session': {reply!r}")
        old, self.id = self.id, session
        self._make_fields = fields
        self.max_steps = int(max_steps)
        try:
            self.client.request("close", session=old, timeout=_CLOSE_TIMEOUT_S)
        except SandpitError:
            pass  # the old session is reaped by the server's idle timeout

    def render(self, envs: Sequence[int], width: int, height: int) -> np.ndarray:
        """The current state of ``envs`` drawn by the server: uint8 ``[len(envs), height,
        width, 3]``."""
        self._check_open()
        reply = self._request(
            "render", session=self.id, envs=[int(i) for i in envs], width=width, height=height
        )
        return decode_array(reply.get("frames"), "uint8", (len(envs), height, width, 3))

    def reset(
        self,
        seed: SeedArg = None,
        options: Optional[dict[str, Any]] = None,
        mask: Optional[np.ndarray] = None,
    ) -> ResetResult:
        """Resets every env, or with ``mask`` (bool [N]) only those where it is True: the
        others run on and report their current observation and episode seed. ``seed``: None,
        an int (env i gets seed + i), or a per-env list. ``options``: ``{"guardrails":
        {...}, "faults": [...]}`` for these episodes only (the next reset without options,
        autoresets included, restores the session's own)."""
        self._check_open()
        fields: dict[str, Any] = {"session": self.id}
        if mask is not None:
            m = check_mask(mask, self.num_envs)
            fields["mask"] = encode_array(m.astype(np.uint8), "uint8")
        if options:
            unknown = sorted(set(options) - {"guardrails", "faults"})
            if unknown:
                raise ValueError(
                    f"unsupported reset options: {unknown} (sandpit takes guardrails, faults)"
                )
            fields["options"] = {k: v for k, v in options.items() if v is not None}
        if seed is not None:
            if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
                fields["seed"] = _check_seed(seed)
            else:
                seeds = list(seed)  # type: ignore[arg-type]  # bools were refused above
                if len(seeds) != self.num_envs:
                    raise ValueError(
                        f"a seed list must have num_envs={self.num_envs} entries, got {len(seeds)}"
                    )
                fields["seed"] = [None if s is None else _check_seed(s) for s in seeds]
        reply = self._request("reset", **fields)
        n = self.num_envs
        return ResetResult(
            obs=decode_array(reply.get("obs"), "float32", (n, self._n)),
            seeds=decode_array(reply.get("seeds"), "uint64", (n,)),
            hash=self._hash(reply),
            guardrail=self._guardrail(reply),
            faults=self._optional(reply, "faults", "uint64", (n,)),
            sensor_valid=self._optional(reply, "sensor_valid", "uint8", (n, self._n)),
            pixels=self._pixels(reply, n),
        )

    def _pixels(self, reply: dict[str, Any], n: Optional[int]) -> Optional[np.ndarray]:
        """The reply's frames, uint8 [n, H, W, C]; None without pixel observations."""
        if self.frame_shape is None:
            return None
        if "pixels" not in reply:
            raise ProtocolError("the session observes pixels but the reply has none")
        return decode_array(reply["pixels"], "uint8", (n, *self.frame_shape))

    def step(self, actions: dict[str, Any]) -> StepResult:
        """Steps every env with an encoded ``actions`` wire array."""
        self._check_open()
        self._seq += 1
        reply = self._request(
            "step", session=self.id, seq=self._seq, actions=actions, retries=self.retries
        )
        return self._step_result(reply)

    def step_plain(self, actions: dict[str, Any]) -> Any:
        """:meth:`step` of a one-env session through the compiled codec: a plain reply as
        ``(id, obs bytearray, reward, terminated, truncated, cost)`` (sandpit/codec.py), any other
        as a :class:`StepResult`. Sessions that rebuild themselves take :meth:`step`."""
        if (
            self.reconnect
            or self.num_envs != 1
            or self.id is None
            or self._n is None
            or self.frame_shape is not None  # replies with frames are never plain
        ):
            return self.step(actions)
        self._check_open()
        self._seq += 1
        try:
            got = self.client.step_plain(self.id, self._seq, actions, self._n, self.retries)
        except ConnectionLost:
            self._lost = True
            raise
        self._lost = False
        if isinstance(got, tuple):
            return got
        if "record_error" in got:
            self._warn_record_error(got["record_error"])
        return self._step_result(got)

    def step_send(self, actions: dict[str, Any]) -> tuple[Optional[PendingReply], dict[str, Any]]:
        """Sends a step without waiting: :meth:`step_receive` takes the reply. Several
        sessions on several servers then step at once (sandpit.shard)."""
        self._check_open()
        self._seq += 1
        fields: dict[str, Any] = {"session": self.id, "seq": self._seq, "actions": actions}
        try:
            return self.client.send("step", retries=self.retries, **fields), fields
        except ConnectionLost:
            self._lost = True
            if not self.reconnect:
                raise
            return None, fields  # step_receive sends it again, through the rebuild

    def step_receive(self, sent: tuple[Optional[PendingReply], dict[str, Any]]) -> StepResult:
        """The result of a step sent by :meth:`step_send`."""
        pending, fields = sent
        reply = self._request("step", pending=pending, retries=self.retries, **fields)
        return self._step_result(reply)

    def _step_result(self, reply: dict[str, Any]) -> StepResult:
        n = self.num_envs
        terminated = decode_array(reply.get("terminated"), "uint8", (n,))
        truncated = decode_array(reply.get("truncated"), "uint8", (n,))
        final = None
        if "final" in reply:
            final = self._final(reply["final"], terminated, truncated)
        elif np.count_nonzero(terminated) or np.count_nonzero(truncated):  # faster than .any()
            raise ProtocolError("envs ended but the step reply has no 'final' map")
        autoreset = None
        if "autoreset" in reply:
            autoreset = decode_array(reply["autoreset"], "int32", (None,))
            if autoreset.size and (autoreset.min() < 0 or autoreset.max() >= n):
                raise ProtocolError(f"autoreset indices {autoreset} out of range")
        return StepResult(
            obs=decode_array(reply.get("obs"), "float32", (n, self._n)),
            reward=decode_array(reply.get("reward"), "float64", (n,)),
            terminated=terminated.astype(bool),
            truncated=truncated.astype(bool),
            final=final,
            autoreset=autoreset,
            hash=self._hash(reply),
            guardrail=self._guardrail(reply),
            cost=self._optional(reply, "cost", "float64", (n,)),
            faults=self._optional(reply, "faults", "uint64", (n,)),
            sensor_valid=self._optional(reply, "sensor_valid", "uint8", (n, self._n)),
            pixels=self._pixels(reply, n),
        )

    @staticmethod
    def _optional(reply: dict[str, Any], key: str, dtype: str, shape: tuple) -> Optional[np.ndarray]:
        if key not in reply:
            return None
        return decode_array(reply[key], dtype, shape)

    def _guardrail(self, reply: dict[str, Any]) -> Optional[List[List[dict]]]:
        """The reply's ``guardrail`` map as one list of trips per env (None when absent)."""
        g = reply.get("guardrail")
        if g is None:
            return None
        if not isinstance(g, dict):
            raise ProtocolError("'guardrail' is not a map")
        index = decode_array(g.get("index"), "int32", (None,))
        m = index.shape[0]
        channel = decode_array(g.get("channel"), "int32", (m,))
        value = decode_array(g.get("value"), "float32", (m,))
        limit = decode_array(g.get("limit"), "float32", (m,))
        reason, policy = g.get("reason"), g.get("policy")
        if not (isinstance(reason, list) and isinstance(policy, list)) or not (
            len(reason) == len(policy) == m
        ):
            raise ProtocolError("'guardrail.reason' and 'guardrail.policy' must be lists of m")
        names = self.spec.get("action", {}).get("names") or []
        continuous = self.spec.get("action", {}).get("kind") == "continuous"
        out: List[List[dict]] = [[] for _ in range(self.num_envs)]
        for j in range(m):
            i, c = int(index[j]), int(channel[j])
            if not 0 <= i < self.num_envs:
                raise ProtocolError(f"guardrail index {i} out of range")
            name: Any = None
            if c >= 0:
                if reason[j] in _ACTION_REASONS and continuous and c < len(names):
                    name = names[c]
                else:
                    name = c  # a body index (physics_diverged)
            out[i].append(
                {
                    "reason": reason[j],
                    "channel": name,
                    "value": float(value[j]),
                    "limit": float(limit[j]),
                    "policy": policy[j],
                }
            )
        return out

    def _request(
        self, op: str, pending: Optional[PendingReply] = None, **fields: Any
    ) -> dict[str, Any]:
        """The reply to ``op`` (already sent when ``pending`` is given), after rebuilding a
        lost session when ``reconnect`` is set."""
        try:
            reply = pending.result() if pending is not None else self.client.request(op, **fields)
        except ConnectionLost:
            self._lost = True
            if not self.reconnect:
                raise
            reply = self._retry_rebuilt(op, fields)
        except ServerError as e:
            # unknown_session: the server no longer has it (restarted, or reaped).
            if not (self.reconnect and e.code == "unknown_session"):
                raise
            reply = self._retry_rebuilt(op, fields)
        self._lost = False
        if "record_error" in reply:
            self._warn_record_error(reply["record_error"])
        if self.reconnect:
            self._remember(op, fields, reply)
        return reply

    def _warn_record_error(self, told: dict[str, Any]) -> None:
        """Warns of recorders the server says stopped (each is told once), and keeps them."""
        index = decode_array(told.get("index"), "int32", (None,))
        for i, message in zip(index.tolist(), told.get("message", []), strict=False):
            self.record_errors[int(i)] = str(message)
            warnings.warn(
                f"env {i}: recording stopped: {message}", RecordingWarning, stacklevel=4
            )

    def _retry_rebuilt(self, op: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Rebuilds the session, then sends the request that failed again."""
        self._rebuild()
        fields["session"] = self.id
        if op == "step":
            self._seq += 1
            fields["seq"] = self._seq
        return self.client.request(op, **fields)

    def _remember(self, op: str, fields: dict[str, Any], reply: dict[str, Any]) -> None:
        """Logs a successful reset or step for a later rebuild (see _ResumeLog)."""
        if self._log is None:
            self._log = _ResumeLog(self.num_envs)
        if op == "reset":
            seeds = decode_array(reply.get("seeds"), "uint64", (self.num_envs,))
            streams = decode_array(reply.get("seed_stream"), "uint64", (self.num_envs, 4))
            mask = fields.get("mask")
            if mask is not None and not fields.get("options") and self._log.seed is not None:
                # A partial reset restarts some envs between steps, as autoresets do.
                restarted = np.flatnonzero(decode_array(mask, "uint8", (self.num_envs,)))
                self._log.restart(restarted, (seeds[restarted], streams[restarted]))
            else:
                self._log.reset({k: v for k, v in fields.items() if k != "session"}, seeds, streams)
        elif op == "step":
            a = fields["actions"]
            index: Optional[np.ndarray] = None
            autoreset: Optional[tuple] = None
            if "autoreset" in reply:
                index = decode_array(reply["autoreset"], "int32", (None,))
                r = index.shape[0]
                autoreset = (
                    decode_array(reply.get("autoreset_seed"), "uint64", (r,)),
                    decode_array(reply.get("autoreset_stream"), "uint64", (r, 4)),
                )
            self._log.step({**a, "data": bytes(a["data"])}, index, autoreset)
        if self.hashes and "hash" in reply:
            self._last_hash = decode_array(reply["hash"], "uint64", (self.num_envs,)).copy()

    def _rebuild(self) -> None:
        """Re-makes the session (same make fields) on the server now at the endpoint, brings
        every env back to the start of its current episode (``restore``) and re-sends the
        steps since, each env's only from its own start (``active``); with hashes it checks
        that the state reached has the last hash seen. Raises ConnectionLost when the server
        is still unreachable and SandpitError when the rebuilt state differs."""
        reply = self.client.request("make", **self._make_fields)
        self.id = reply["session"]
        self._seq = 0
        last = None
        for op, fields in self._log.replay() if self._log is not None else ():
            if op == "reset":
                last = self.client.request("reset", session=self.id, **fields)
            else:
                self._seq += 1
                last = self.client.request(
                    "step", session=self.id, seq=self._seq, retries=self.retries, **fields
                )
        if self.hashes and self._last_hash is not None:
            got = None
            if last is not None:
                got = decode_array(last.get("hash"), "uint64", (self.num_envs,))
            if got is None or not np.array_equal(got, self._last_hash):
                raise SandpitError(
                    f"rebuilt session {self.id} does not reach the last state seen "
                    f"(hash {None if got is None else got.tolist()} != {self._last_hash.tolist()})"
                )

    def _hash(self, reply: dict[str, Any]) -> Optional[np.ndarray]:
        if not self.hashes:
            return None
        if "hash" not in reply:
            raise ProtocolError("the session asked for hashes but the reply has none")
        return decode_array(reply["hash"], "uint64", (self.num_envs,))

    def _final(self, final: Any, terminated: np.ndarray, truncated: np.ndarray) -> FinalEpisodes:
        if not isinstance(final, dict):
            raise ProtocolError("'final' is not a map")
        index = decode_array(final.get("index"), "int32", (None,))
        m = index.shape[0]
        reason = final.get("reason")
        if (
            not isinstance(reason, list)
            or len(reason) != m
            or not all(isinstance(r, str) for r in reason)
        ):
            raise ProtocolError(f"'final.reason' is not a list of {m} strings: {reason!r}")
        ended = np.flatnonzero(terminated | truncated)
        if not np.array_equal(np.sort(index), ended):
            raise ProtocolError(f"'final.index' {index.tolist()} != ended envs {ended.tolist()}")
        return FinalEpisodes(
            index=index,
            returns=decode_array(final.get("return"), "float64", (m,)),
            length=decode_array(final.get("length"), "int32", (m,)),
            reason=reason,
            seed=decode_array(final.get("seed"), "uint64", (m,)),
            obs=self._optional(final, "obs", "float32", (m, self._n)),
            pixels=self._pixels(final, m) if "obs" in final else None,
        )

    def close(self) -> None:
        """Closes the session on the server (best effort), the socket and the server ref."""
        if self.closed:
            return
        try:
            if self.id is not None and not self.client.closed and not self._lost:
                reply = self.client.request(
                    "close", session=self.id, timeout=min(self.client.timeout, _CLOSE_TIMEOUT_S)
                )
                if "record_error" in reply:
                    self._warn_record_error(reply["record_error"])
        except SandpitError:
            pass  # the server is gone or the session was reaped: nothing left to free
        finally:
            self._finalizer()


class _ResumeLog:
    """What rebuilds a session on a new server (``reconnect=True``), bounded by the current
    episodes: each env's seed and episode-seed stream at the start of its current episode
    (the server reports them to a ``resume`` session at every reset and autoreset), and the
    steps since the oldest of those starts. A rebuild restores every env to its start in one
    ``reset`` (``restore``) and re-sends those steps, each env taking part (``active``) only
    from its own start on, so its size and the rebuild's work never grow with the run.

    One exception keeps more: a reset whose ``options`` changed the episodes' guardrails or
    faults is re-sent itself (after restoring the streams it started from) with every step
    since, until each env has autoreset out of the episode it started (autoresets return to
    the session's own config); its episodes bound that part of the log in the same way.
    """

    def __init__(self, num_envs: int) -> None:
        self.n = num_envs
        self.seed: Optional[np.ndarray] = None  # uint64 [N]: each current episode's start
        self.stream: Optional[np.ndarray] = None  # uint64 [N, 4]
        self.start = np.zeros(num_envs, np.int64)  # the step index each current episode began
        self.steps: Deque[dict] = collections.deque()  # actions of steps first..count-1
        self.first = 0  # the step index of steps[0]
        self.count = 0  # steps logged since the session's first reset
        # A reset with options: (its fields, the starts it began from or None, envs out of it)
        self.anchor: Optional[tuple] = None

    def __len__(self) -> int:
        return len(self.steps)

    def reset(self, fields: dict, seeds: np.ndarray, streams: np.ndarray) -> None:
        before = None if self.seed is None else (self.seed, self.stream)
        self.seed, self.stream = seeds.copy(), streams.copy()
        self.start[:] = self.count
        self.steps.clear()
        self.first = self.count
        self.anchor = None
        if fields.get("options"):
            self.anchor = (fields, before, np.zeros(self.n, bool))

    def step(self, actions: dict, index: Optional[np.ndarray], new: Optional[tuple]) -> None:
        self.steps.append(actions)
        self.count += 1
        if index is not None and index.size:
            # The autoreset step itself is not the new episode's: it starts at the next one.
            self.restart(index, new)

    def restart(self, index: np.ndarray, new: Optional[tuple]) -> None:
        """Envs ``index`` began new episodes from ``new`` (seeds, streams) before step
        ``count``: by an autoreset, or by a partial reset (``mask``) between steps."""
        if not index.size:
            return
        assert self.seed is not None and self.stream is not None and new is not None
        self.seed[index], self.stream[index] = new
        self.start[index] = self.count
        if self.anchor is not None:
            self.anchor[2][index] = True
            if self.anchor[2].all():
                self.anchor = None
        if self.anchor is None:
            oldest = int(self.start.min())
            while self.first < oldest:
                self.steps.popleft()
                self.first += 1

    @staticmethod
    def _restore(seed: np.ndarray, stream: np.ndarray) -> dict:
        return {"restore": [[int(s), *map(int, st)] for s, st in zip(seed, stream)]}

    def replay(self) -> Iterator[tuple]:
        """The requests of a rebuild, after its ``make``: (op, fields) pairs."""
        if self.seed is None:
            return
        if self.anchor is not None:
            fields, before, _ = self.anchor
            if before is not None:  # the streams the options' reset drew from
                yield "reset", self._restore(*before)
            yield "reset", fields
            for actions in self.steps:
                yield "step", {"actions": actions}
            return
        assert self.stream is not None
        # Every env at its current episode's start (the autoreset steps' seeds and streams).
        yield "reset", self._restore(self.seed, self.stream)
        for k, actions in enumerate(self.steps, start=self.first):
            active = self.start <= k
            if active.all():
                yield "step", {"actions": actions}
            else:
                mask = encode_array(active.astype(np.uint8), "uint8")
                yield "step", {"actions": actions, "active": mask}

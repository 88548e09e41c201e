"""Load sandpit replay files (``.sprp``) for analysis.

>>> from sandpit import replay
>>> r = replay.load("runs/CartPole-v0-s7-000000.sprp")
>>> r.header["env"], r.steps, r.rewards.sum(), hex(r.hashes[-1])

The format is specified in docs/REPLAY_FORMAT.md; this reader applies the same rules as the
C reader. A file cut short (a crash while recording) loads up to its last whole record, with
``complete`` false and ``summary`` None. A damaged file raises :class:`ReplayCorrupt` naming
the record, step and byte offset; a file that is not a replay raises
:class:`ReplayUnreadable`. Both subclass :class:`sandpit.SandpitError`.

This module checks the file's integrity only; to prove the episode reproduces, run
``sandpit replay verify FILE``.
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Union

import msgpack
import numpy as np

from .errors import SandpitError

__all__ = [
    "EVENT_DTYPE",
    "EVENT_SOURCES",
    "Replay",
    "ReplayCorrupt",
    "ReplayError",
    "ReplayUnreadable",
    "load",
]

FORMAT_MAJOR = 1
MAGIC = b"SPRP"
_PREAMBLE = 8
_MAX_HEADER = 1 << 20
_MAX_FOOTER = 4096
_MAX_EVENTS = 32
_EVENT_SIZE = 16

_TERMINATED, _TRUNCATED, _EVENTS, _OBS, _APPLIED = 0x01, 0x02, 0x04, 0x08, 0x10
_KNOWN_FLAGS = 0x1F

#: Event sources (``sp_event_source`` in include/sandpit/episode.h).
EVENT_SOURCES = {1: "guardrail", 2: "fault", 3: "machine"}

#: One row per recorded event; ``step`` 0 is the reset.
EVENT_DTYPE = np.dtype(
    [
        ("step", "<i4"),
        ("source", "<u2"),
        ("code", "<u2"),
        ("channel", "<i2"),
        ("flags", "<u2"),
        ("value", "<f4"),
        ("limit", "<f4"),
    ]
)
_EVENT_RAW = np.dtype(
    [("source", "<u2"), ("code", "<u2"), ("channel", "<i2"), ("flags", "<u2"),
     ("value", "<f4"), ("limit", "<f4")]
)

_HEADER_KEYS = {
    "sandpit": str, "env": str, "env_version": int, "dt": float, "iterations": int,
    "frame_skip": int, "max_steps": int, "seed": int, "seed_stream": list, "episode": int,
    "sensors": int, "sensor_names": list, "action_kind": str, "actions": int, "actuators": int,
    "action_names": list, "observations": bool, "config": dict,
}
_FOOTER_KEYS = {
    "steps": int, "return": float, "terminated": bool, "truncated": bool,
    "reason": (str, type(None)), "ended": str, "events_dropped": int,
}


class ReplayError(SandpitError):
    """A replay file could not be loaded."""


class ReplayUnreadable(ReplayError):
    """Not a replay file: no such file, no SPRP magic, another format major version, a header
    that is cut short or malformed."""


class ReplayCorrupt(ReplayError):
    """A damaged or inconsistent record: a checksum or framing failure, records out of order,
    a footer that disagrees with the steps.

    Attributes:
        record: The record's number (0 the header, 1 the reset, k + 1 step k).
        offset: The record's byte offset in the file.
        step: The step it holds, or None for the header and footer.
    """

    def __init__(self, message: str, record: int, offset: int, step: Optional[int]) -> None:
        super().__init__(message)
        self.record = record
        self.offset = offset
        self.step = step


@dataclass
class Replay:
    """One recorded episode. Per-step arrays have one row per step, in order.

    Attributes:
        path: The file it was loaded from.
        header: The header map (env, env_version, dt, seed, sensors, config, ...).
        actions: The actions as the runtime's layers received them, which is what a replay
            feeds back: int32 of shape (steps,) for a discrete env, float32 (steps, k) for a
            continuous one.
        applied_actions: The actions as the env received them (after guardrails, faults and
            clipping); same shape as ``actions``.
        rewards: float64 (steps,).
        terminated, truncated: bool (steps,).
        hashes: uint64 (steps,): the state hash after each step.
        reset_hash: The state hash after the reset.
        observations: float32 (steps + 1, n), row 0 after the reset, when recorded; else None.
        events: EVENT_DTYPE records (guardrail trips, faults, machine events).
        summary: The footer map (steps, return, terminated, truncated, reason, ended,
            events_dropped), or None when the file was cut short.
        complete: Whether the file ends with its footer.
        problem: For a file cut short, where it ends; else None.
    """

    path: str
    header: Dict[str, Any]
    actions: np.ndarray
    applied_actions: np.ndarray
    rewards: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    hashes: np.ndarray
    reset_hash: Optional[int]
    observations: Optional[np.ndarray]
    events: np.ndarray
    summary: Optional[Dict[str, Any]]
    complete: bool
    problem: Optional[str] = field(default=None)

    @property
    def steps(self) -> int:
        """Whole steps in the file."""
        return int(self.rewards.shape[0])

    @property
    def episode_return(self) -> float:
        """Sum of the rewards, in recording order (bit-equal to the footer's return)."""
        total = 0.0
        for r in self.rewards.tolist():
            total += r
        return total


def _crc8(data: bytes) -> int:
    c = 0
    for b in data:
        c ^= b
        for _ in range(8):
            c = ((c << 1) ^ 0x07) & 0xFF if c & 0x80 else (c << 1) & 0xFF
    return c


class _Truncated(Exception):
    pass


class _Reader:
    def __init__(self, data: bytes, path: str) -> None:
        self.data = data
        self.path = path
        self.pos = _PREAMBLE
        self.index = 0

    def label(self, kind: Optional[str]) -> str:
        if self.index == 0:
            return "record 0 (header)"
        if self.index == 1 and kind != "F":
            return "record 1 (reset)"
        if kind == "F":
            return f"record {self.index} (footer)"
        return f"record {self.index} (step {self.index - 1})"

    def corrupt(self, kind: Optional[str], what: str) -> ReplayCorrupt:
        step = None if self.index == 0 or kind == "F" else self.index - 1
        return ReplayCorrupt(
            f"{self.path}: corrupt: {self.label(kind)} at byte {self.pos}: {what}",
            self.index, self.pos, step,
        )

    def frame(self) -> Optional[tuple]:
        """(kind, head bytes, payload length) of the record at pos; None at the end."""
        d, p = self.data, self.pos
        if p >= len(d):
            return None
        kind = chr(d[p])
        if kind not in "HRSF":
            raise self.corrupt(None, f"unknown record kind 0x{d[p]:02x}")
        n, shift, q = 0, 0, p + 1
        while True:
            if q >= len(d):
                raise _Truncated(kind)
            b = d[q]
            q += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                if q - p > 2 and b == 0:
                    raise self.corrupt(kind, "non-minimal length encoding")
                break
            if q - p - 1 == 4:
                raise self.corrupt(kind, "length too long")
        if q >= len(d):
            raise _Truncated(kind)
        if d[q] != _crc8(d[p:q]):
            raise self.corrupt(kind, "frame check mismatch")
        return kind, d[p:q + 1], n

    def body(self, kind: str, head: bytes, n: int, seed: bytes = b"") -> bytes:
        start = self.pos + len(head)
        end = start + n
        if end + 4 > len(self.data):
            raise _Truncated(kind)
        payload = self.data[start:end]
        crc = zlib.crc32(payload, zlib.crc32(head, zlib.crc32(seed)))
        if crc != int.from_bytes(self.data[end:end + 4], "little"):
            raise self.corrupt(kind, "checksum mismatch")
        return payload

    def advance(self, head: bytes, n: int) -> None:
        self.pos += len(head) + n + 4
        self.index += 1


def _unpack_map(payload: bytes, keys: Dict[str, Any], what: str) -> Dict[str, Any]:
    try:
        m = msgpack.unpackb(payload, raw=False, strict_map_key=False)
    except Exception as e:  # msgpack raises several types for bad bytes
        raise ValueError(f"{what} is not valid msgpack ({e})") from None
    if not isinstance(m, dict):
        raise ValueError(f"{what} is not a map")
    for key, kind in keys.items():
        if key not in m:
            raise ValueError(f"{what} lacks '{key}'")
        v = m[key]
        ok = isinstance(v, kind) and not (kind is int and isinstance(v, bool))
        if kind is float and isinstance(v, float):
            ok = True
        if not ok:
            raise ValueError(f"{what} key '{key}' has a bad value")
    return m


def load(path: Union[str, os.PathLike]) -> Replay:
    """Loads a replay file: header, per-step numpy arrays, events and the footer's summary.

    Raises:
        ReplayUnreadable: not a replay, another format major, or a cut or malformed header.
        ReplayCorrupt: a damaged or inconsistent record (the message names it).
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ReplayUnreadable(f"{path}: unreadable: {e.strerror}") from None
    if len(data) < _PREAMBLE or data[:4] != MAGIC:
        raise ReplayUnreadable(f"{path}: unreadable: not a sandpit replay (no SPRP magic)")
    major, minor = struct.unpack_from("<HH", data, 4)
    if major != FORMAT_MAJOR:
        raise ReplayUnreadable(
            f"{path}: unreadable: format {major}.{minor}; this reader reads {FORMAT_MAJOR}.x"
        )
    rd = _Reader(data, path)
    try:
        fr = rd.frame()
        if fr is None:
            raise _Truncated()
        kind, head, n = fr
        if kind != "H":
            raise rd.corrupt(kind, f"expected the header, found '{kind}'")
        if n > _MAX_HEADER:
            raise rd.corrupt(kind, f"impossible header length {n}")
        payload = rd.body(kind, head, n, seed=data[:_PREAMBLE])
    except _Truncated:
        raise ReplayUnreadable(f"{path}: unreadable: the file ends inside the header") from None
    try:
        header = _unpack_map(payload, _HEADER_KEYS, "header")
        discrete = header["action_kind"] == "discrete"
        if header["action_kind"] not in ("discrete", "continuous"):
            raise ValueError("header key 'action_kind' has a bad value")
        sensors, k = header["sensors"], header["actuators"]
        if not 0 <= sensors <= 64 or not 0 <= k <= 8 or (k < 1) != discrete:
            raise ValueError("header's counts are out of range")
    except ValueError as e:
        raise ReplayUnreadable(f"{path}: unreadable: bad header: {e}") from None
    header["format"] = f"{major}.{minor}"
    rd.advance(head, n)

    action_size = 4 if discrete else 4 * k
    act_fmt = "<i" if discrete else f"<{k}f"
    base_step = 1 + 8 + 8 + action_size
    max_step = base_step + action_size + 1 + _EVENT_SIZE * _MAX_EVENTS + 4 * sensors
    want_obs = bool(header["observations"])

    actions: List[Any] = []
    applied: List[Any] = []
    rewards: List[float] = []
    term: List[bool] = []
    trunc: List[bool] = []
    hashes: List[int] = []
    obs: List[Any] = []
    events: List[Any] = []
    reset_hash: Optional[int] = None
    summary: Optional[Dict[str, Any]] = None
    problem: Optional[str] = None
    expect = "R"  # R, S (step or footer), F (footer only), end
    total = 0.0

    try:
        while True:
            fr = rd.frame()
            if fr is None:
                if expect != "end":
                    problem = (f"record {rd.index} (footer) at byte {rd.pos}: missing: the file "
                               f"ends after record {rd.index - 1}")
                break
            kind, head, n = fr
            if expect == "end":
                raise rd.corrupt(None, "data after the footer")
            fits = {"R": kind == "R", "S": kind in "SF", "F": kind == "F"}[expect]
            if not fits:
                raise rd.corrupt(kind, f"record '{kind}' out of order")
            if kind in "RS":
                lo = 9 if kind == "R" else base_step
                if not lo <= n <= max_step:
                    raise rd.corrupt(kind, f"impossible length {n}")
            elif n < 1 or n > _MAX_FOOTER:
                raise rd.corrupt(kind, f"impossible length {n}")
            p = rd.body(kind, head, n)
            if kind == "F":
                try:
                    summary = _unpack_map(p, _FOOTER_KEYS, "footer")
                except ValueError as e:
                    raise rd.corrupt(kind, f"bad footer: {e}") from None
                last_t = term[-1] if term else False
                last_u = trunc[-1] if trunc else False
                if summary["steps"] != len(rewards):
                    raise rd.corrupt(kind, f"footer says {summary['steps']} steps, the file has "
                                           f"{len(rewards)}")
                if (summary["terminated"], summary["truncated"]) != (last_t, last_u) or \
                        struct.pack("<d", summary["return"]) != struct.pack("<d", total):
                    raise rd.corrupt(kind, "footer disagrees with the steps (flags or return)")
                rd.advance(head, n)
                expect = "end"
                continue
            flags = p[0]
            step = kind == "S"
            if flags & ~_KNOWN_FLAGS:
                raise rd.corrupt(kind, "reserved flag bits set")
            if not step and flags & (_TERMINATED | _TRUNCATED | _APPLIED):
                raise rd.corrupt(kind, "step flags in a reset")
            if flags & _TERMINATED and flags & _TRUNCATED:
                raise rd.corrupt(kind, "both terminated and truncated")
            if bool(flags & _OBS) != want_obs:
                raise rd.corrupt(kind, "observation flag disagrees with the header")
            at = 9 + (8 + action_size if step else 0) + (action_size if flags & _APPLIED else 0)
            count = p[at] if flags & _EVENTS and at < n else 0
            if flags & _EVENTS and not 1 <= count <= _MAX_EVENTS:
                raise rd.corrupt(kind, f"bad event count {count}")
            size = at + (1 + _EVENT_SIZE * count if flags & _EVENTS else 0) + \
                (4 * sensors if flags & _OBS else 0)
            if size != n:
                raise rd.corrupt(kind, f"length {n} does not match the record's flags")
            h = int.from_bytes(p[1:9], "little")
            q = 9
            if step:
                (reward,) = struct.unpack_from("<d", p, q)
                q += 8
                a = struct.unpack_from(act_fmt, p, q)
                q += action_size
                b = a
                if flags & _APPLIED:
                    b = struct.unpack_from(act_fmt, p, q)
                    q += action_size
                actions.append(a)
                applied.append(b)
                rewards.append(reward)
                total += reward
                term.append(bool(flags & _TERMINATED))
                trunc.append(bool(flags & _TRUNCATED))
                hashes.append(h)
            else:
                reset_hash = h
            if flags & _EVENTS:
                raw = np.frombuffer(p, dtype=_EVENT_RAW, count=count, offset=q + 1)
                for event in raw.tolist():
                    events.append((len(rewards),) + tuple(event))
                q += 1 + _EVENT_SIZE * count
            if flags & _OBS:
                obs.append(np.frombuffer(p, dtype="<f4", count=sensors, offset=q))
            rd.advance(head, n)
            expect = "F" if step and (term[-1] or trunc[-1]) else "S"
    except _Truncated as cut:
        problem = f"{rd.label(cut.args[0])} at byte {rd.pos}: the file ends inside a record"

    act: np.ndarray
    app: np.ndarray
    if discrete:
        act = np.array([a[0] for a in actions], dtype=np.int32)
        app = np.array([a[0] for a in applied], dtype=np.int32)
    else:
        act = np.array(actions, dtype=np.float32).reshape(len(actions), k)
        app = np.array(applied, dtype=np.float32).reshape(len(applied), k)
    return Replay(
        path=path,
        header=header,
        actions=act,
        applied_actions=app,
        rewards=np.array(rewards, dtype=np.float64),
        terminated=np.array(term, dtype=bool),
        truncated=np.array(trunc, dtype=bool),
        hashes=np.array(hashes, dtype=np.uint64),
        reset_hash=reset_hash,
        observations=(np.array(obs, dtype=np.float32).reshape(len(obs), sensors)
                      if want_obs else None),
        events=np.array(events, dtype=EVENT_DTYPE),
        summary=summary,
        complete=summary is not None,
        problem=problem,
    )

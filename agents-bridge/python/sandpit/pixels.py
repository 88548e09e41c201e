"""Pixel observations: what ``make(observation=..., size=..., grayscale=..., frame_stack=...)``
asks the server for, the Gymnasium spaces they give, and the frame stack.

Frames are drawn by the server (the rasterizer of ``sandpit replay export``) and arrive as one
uint8 ``[N, H, W, C]`` block per reply; nothing is drawn in Python. Frame stacking is done
here, on the last axis, oldest frame first: ``(H, W, C * frame_stack)``, the channel-last
layout of Stable-Baselines3's ``VecFrameStack`` and CnnPolicy (docs/RENDERING.md).
"""

from __future__ import annotations

import ctypes
import platform
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence, Union

import numpy as np
from gymnasium import spaces

from .errors import ProtocolError

__all__ = ["OBSERVATIONS", "PixelOptions", "observation_space", "FrameStack"]

#: What an env observes: its sensor vector, frames, or both (a Dict space).
OBSERVATIONS = ("vector", "pixels", "both")

#: The largest frame side the server draws (agents-bridge/server/pixels.h).
MAX_SIDE = 1024

#: Key names of the Dict space of ``observation="both"`` (Gymnasium's AddRenderObservation).
STATE_KEY, PIXELS_KEY = "state", "pixels"


def _positive_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{what} must be a positive int, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class PixelOptions:
    """What an env observes. ``size`` is ``(height, width)``, as numpy shapes and
    Gymnasium's ``ResizeObservation`` give it."""

    observation: str = "vector"
    size: tuple[int, int] = (84, 84)
    grayscale: bool = False
    frame_stack: int = 1

    @classmethod
    def make(
        cls,
        observation: str = "vector",
        size: Union[int, Sequence[int]] = (84, 84),
        grayscale: bool = False,
        frame_stack: int = 1,
    ) -> "PixelOptions":
        """Checked options: ValueError for an unknown observation, a bad size or stack."""
        if observation not in OBSERVATIONS:
            raise ValueError(f"observation must be one of {OBSERVATIONS}, got {observation!r}")
        if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
            size = (int(size), int(size))
        if not isinstance(size, (tuple, list)) or len(size) != 2:
            raise ValueError(f"size must be (height, width), got {size!r}")
        h, w = (_positive_int(x, "each side of size") for x in size)
        if observation == "vector" and (grayscale or frame_stack != 1):
            raise ValueError('grayscale and frame_stack need observation="pixels" or "both"')
        return cls(observation, (h, w), bool(grayscale), _positive_int(frame_stack, "frame_stack"))

    @property
    def pixels(self) -> bool:
        """Whether frames are observed."""
        return self.observation != "vector"

    @property
    def channels(self) -> int:
        """Channels of one frame: 1 grey, 3 RGB."""
        return 1 if self.grayscale else 3

    @property
    def frame_shape(self) -> tuple[int, int, int]:
        """One frame as the server sends it: (H, W, C)."""
        return (self.size[0], self.size[1], self.channels)

    def wire(self) -> Optional[dict[str, Any]]:
        """The ``observation`` field of ``make`` (docs/PROTOCOL.md); None for the vector."""
        if not self.pixels:
            return None
        h, w = self.size
        return {"type": self.observation, "width": w, "height": h, "grayscale": self.grayscale}

    def kwargs(self) -> dict[str, Any]:
        """The non-default options, as ``make`` takes them (for an env's spec and pickling)."""
        out: dict[str, Any] = {}
        if self.pixels:
            out["observation"] = self.observation
            if self.size != (84, 84):
                out["size"] = self.size
            if self.grayscale:
                out["grayscale"] = True
            if self.frame_stack != 1:
                out["frame_stack"] = self.frame_stack
        return out


def observation_space(vector: spaces.Box, options: PixelOptions) -> spaces.Space:
    """One env's observation space: the vector's Box, a uint8 Box of frames, or a Dict of
    both (``{"state": vector, "pixels": frames}``)."""
    if not options.pixels:
        return vector
    h, w, c = options.frame_shape
    frames = spaces.Box(0, 255, (h, w, c * options.frame_stack), np.uint8)
    if options.observation == "pixels":
        return frames
    return spaces.Dict({STATE_KEY: vector, PIXELS_KEY: frames})


_blocks_kept = False


def keep_large_blocks() -> None:
    """Keeps freed blocks of up to 32 MiB in the process (glibc only; once per process).

    A pixel reply is megabytes at every step (64 envs x 84x84 RGB: 1.35 MB). By default glibc
    hands such blocks back to the kernel when they are freed (munmap, or trimming the heap of
    the ZeroMQ thread's arena), and the next reply faults every page in again: measured, that
    costs more than the copies themselves. Raising the mmap and trim thresholds (what
    ``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_`` do) keeps up to a few replies'
    worth of memory mapped instead. Called when the first session observing pixels is made.
    """
    global _blocks_kept
    if _blocks_kept:
        return
    _blocks_kept = True
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3  # <malloc.h>
    mallopt(m_mmap_threshold, 32 << 20)  # glibc's largest on 64-bit
    mallopt(m_trim_threshold, 64 << 20)


def _present(frames: Optional[np.ndarray]) -> np.ndarray:
    if frames is None:
        raise ProtocolError("the reply has no pixels")
    return frames


class FrameStack:
    """The last ``k`` frames of N envs on the last axis, oldest first, as one array
    ``[N, H, W, C * k]`` (callers copy what they hand out). A reset (or autoreset) fills an env's stack with its first frame,
    as Gymnasium's FrameStackObservation (padding "reset") and SB3's VecFrameStack do."""

    def __init__(self, num_envs: int, options: PixelOptions) -> None:
        h, w, c = options.frame_shape
        self.c = c
        self.k = options.frame_stack
        self.stack = np.zeros((num_envs, h, w, c * self.k), np.uint8)

    def reset(self, frames: Optional[np.ndarray], mask: Optional[np.ndarray] = None) -> np.ndarray:
        """Envs where ``mask`` is True (all without one) start over from ``frames``."""
        frames = _present(frames)
        if self.k == 1:  # the server's frames are the stack (unreset envs: their current one)
            return frames
        fill = np.tile(frames, (1, 1, 1, self.k))
        if mask is None:
            self.stack[:] = fill
        else:
            self.stack[mask] = fill[mask]
        return self.stack

    def push(
        self, frames: Optional[np.ndarray], restarted: Optional[np.ndarray] = None
    ) -> np.ndarray:
        """Adds each env's new frame; envs ``restarted`` (indices: autoresets) start over.
        With k = 1 the frames themselves are the stack: nothing is copied."""
        frames = _present(frames)
        if self.k == 1:
            return frames
        self.stack[..., : -self.c] = self.stack[..., self.c :]
        self.stack[..., -self.c :] = frames
        if restarted is not None and restarted.size:
            self.stack[restarted] = np.tile(frames[restarted], (1, 1, 1, self.k))
        return self.stack

    def stacked(self, frames: np.ndarray, index: np.ndarray) -> np.ndarray:
        """The stacks of envs ``index`` with ``frames`` as their newest frame, without
        changing this stack (the last observations of episodes that ended: same_step)."""
        if self.k == 1:
            return frames
        out = self.stack[index].copy()
        out[..., : -self.c] = out[..., self.c :]
        out[..., -self.c :] = frames
        return out


def compose(options: PixelOptions, vector: np.ndarray, frames: Optional[np.ndarray]) -> Any:
    """The observation of N envs: the vector, the frames, or a dict of both."""
    if not options.pixels:
        return vector
    frames = _present(frames)
    if options.observation == "pixels":
        return frames
    return {STATE_KEY: vector, PIXELS_KEY: frames}


def options_from(config: Mapping[str, Any]) -> PixelOptions:
    """Pops the pixel options out of an env's keyword arguments (``config``, a dict)."""
    assert isinstance(config, dict)
    return PixelOptions.make(
        config.pop("observation", "vector"),
        config.pop("size", (84, 84)),
        config.pop("grayscale", False),
        config.pop("frame_stack", 1),
    )

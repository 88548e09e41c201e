"""Render-mode handling shared by the single and the vector env (docs/INTEGRATIONS.md).

The server draws frames (the ``render`` op of docs/PROTOCOL.md); this module only decides
what a render mode means on the client, the way Gymnasium's own envs do: ``"rgb_array"`` is
supported, ``None`` renders nothing, and any other mode gets a warning, never an exception
(``gymnasium.make`` maps ``"human"`` and ``"rgb_array_list"`` onto ``"rgb_array"`` with its
HumanRendering and RenderCollection wrappers).
"""

from __future__ import annotations

from typing import Any, Optional

from gymnasium import logger

__all__ = ["RENDER_MODES", "check_render_mode", "render_size", "render_fps"]

#: The render modes sandpit envs support.
RENDER_MODES = ("rgb_array",)

#: Largest frame side the server draws (its render op refuses more).
MAX_SIDE = 4096


def check_render_mode(mode: Optional[str], *, calling_render: bool = False) -> Optional[str]:
    """Returns ``mode`` unchanged, warning when it renders nothing."""
    if mode is None:
        if calling_render:
            logger.warn(
                "You are calling render method without specifying any render mode. "
                'You can specify the render_mode at initialization, e.g. render_mode="rgb_array"'
            )
        return None
    if mode not in RENDER_MODES:
        logger.warn(
            f"render_mode={mode!r} is not supported by sandpit envs (supported: "
            f"{list(RENDER_MODES)}): render() returns None"
        )
    return mode


def render_size(width: Any, height: Any) -> tuple[int, int]:
    """Checks a frame size (pixels per side, 1 to 4096)."""
    for name, value in (("render_width", width), ("render_height", height)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SIDE:
            raise ValueError(f"{name} must be an int in [1, {MAX_SIDE}], got {value!r}")
    return int(width), int(height)


def render_fps(spec: dict[str, Any]) -> float:
    """Frames per second of real time: one frame per env step of ``dt * frame_skip``."""
    step_s = float(spec.get("dt", 0.0)) * int(spec.get("frame_skip", 1))
    return 1.0 / step_s if step_s > 0 else 30.0

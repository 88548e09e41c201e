"""The env ids this package registers with Gymnasium: the one list, kept equal to the server's.

``tests/python/test_registration.py`` asserts that :data:`ENV_IDS` equals the catalogue a
real server announces in ``hello`` (same ids, same order), so the two cannot drift apart:
adding an env to the C registry without adding it here fails the test suite.
"""

from __future__ import annotations

from typing import Tuple

import gymnasium

__all__ = ["ENV_IDS", "NAMESPACE", "gym_id", "register_envs"]

#: Catalogue ids, in the server's catalogue order.
ENV_IDS: Tuple[str, ...] = (
    "CartPole-v0",
    "CartPoleContinuous-v0",
    "Pendulum-v0",
    "Acrobot-v0",
    "Lander-v0",
    "LanderContinuous-v0",
    # Scene files shipped in assets/scenes/ (docs/SCENES.md), after the C envs, by file name.
    "CartPoleScene-v0",
    "Hopper-v0",
    "LanderScene-v0",
    "Pusher-v0",
    "Racer-v0",
    "RacerContinuous-v0",
    "Reacher-v0",
    "Rover-v0",
    "RoverContinuous-v0",
    "Touch-v0",
    "Walker-v0",
    "WalkerHardcore-v0",
    # The held-out Touch levels in assets/levels/, after the scenes, by file name.
    "Touch-level01-v0",
    "Touch-level02-v0",
    "Touch-level03-v0",
    "Touch-level04-v0",
    "Touch-level05-v0",
    "Touch-level06-v0",
    "Touch-level07-v0",
    "Touch-level08-v0",
    "Touch-level09-v0",
    "Touch-level10-v0",
    "Touch-level11-v0",
    "Touch-level12-v0",
)

#: Gymnasium namespace: ``gymnasium.make("sandpit/CartPole-v0")``.
NAMESPACE = "sandpit"


def gym_id(env_id: str) -> str:
    """The Gymnasium id of a catalogue id: ``"CartPole-v0"`` -> ``"sandpit/CartPole-v0"``."""
    return f"{NAMESPACE}/{env_id}"


def register_envs() -> None:
    """Registers every id of :data:`ENV_IDS` with Gymnasium (idempotent).

    Truncation is the server's job (each env's ``max_steps``, overridable with
    ``max_steps=``), so no ``max_episode_steps`` is registered and ``gymnasium.make`` adds no
    TimeLimit of its own unless asked with ``max_episode_steps=``.
    """
    for env_id in ENV_IDS:
        name = gym_id(env_id)
        if name in gymnasium.registry:
            continue
        gymnasium.register(
            id=name,
            entry_point="sandpit.env:SandpitEnv",
            vector_entry_point="sandpit.vector:SandpitVectorEnv",
            nondeterministic=False,
            max_episode_steps=None,
            kwargs={"env_id": env_id},
        )

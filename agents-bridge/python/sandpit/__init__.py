"""sandpit: Gymnasium envs served by a deterministic 2D-physics server over ZeroMQ.

>>> import sandpit, gymnasium
>>> env = sandpit.make("CartPole-v0")                       # starts a local server
>>> envs = sandpit.make_vec("CartPole-v0", num_envs=256)    # all envs in one message
>>> env = gymnasium.make("sandpit/CartPole-v0")             # registered at import

Every error this package raises subclasses :class:`SandpitError`.
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import keys, replay
from .asyncvec import SandpitAsyncVectorEnv, make_async
from .catalogue import ENV_IDS, register_envs
from .client import Client
from .env import SandpitEnv, make
from .errors import (
    ConnectionLost,
    InvalidAction,
    ProtocolError,
    RecordingWarning,
    SandpitError,
    ServerError,
    ServerStartError,
    VersionMismatch,
)
from .protocol import PROTOCOL_VERSION
from .server import LocalServer
from .vector import SandpitVectorEnv, make_vec

__all__ = [
    "__version__",
    "ENV_IDS",
    "PROTOCOL_VERSION",
    "Client",
    "LocalServer",
    "SandpitEnv",
    "SandpitVectorEnv",
    "make",
    "make_vec",
    "SandpitAsyncVectorEnv",
    "make_async",
    "SandpitError",
    "RecordingWarning",
    "ConnectionLost",
    "ServerError",
    "VersionMismatch",
    "ProtocolError",
    "ServerStartError",
    "InvalidAction",
    "keys",
    "replay",
]

register_envs()

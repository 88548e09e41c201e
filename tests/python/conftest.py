"""Fixtures: real `sandpit serve` processes on private ipc endpoints.

The binary is $SANDPIT_BIN, else <repo>/build/bin/sandpit. Nothing here is faked: if the
binary is missing or cannot serve, every server test errors with the server's own words.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterator, List

import pytest

REPO = Path(__file__).resolve().parents[2]
if not os.environ.get("SANDPIT_BIN"):
    # The package finds the same binary on its own; setting it keeps tests and the
    # no-endpoint code path on one build.
    os.environ["SANDPIT_BIN"] = str(REPO / "build" / "bin" / "sandpit")

import sandpit  # noqa: E402  (after SANDPIT_BIN is settled)
from helpers import RawClient  # noqa: E402
from sandpit.server import LocalServer  # noqa: E402

SERVER_START_TIMEOUT = 10.0


def start_server(*args: str, bind: str | None = None) -> LocalServer:
    """Starts a real server with extra flags; the caller stops it."""
    return LocalServer.start(
        bind, binary=os.environ["SANDPIT_BIN"], args=args, timeout=SERVER_START_TIMEOUT
    )


@pytest.fixture(scope="session")
def server() -> Iterator[LocalServer]:
    """One server shared by the whole session (tests make their own sessions on it)."""
    srv = start_server()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def endpoint(server: LocalServer) -> str:
    return server.endpoint


@pytest.fixture(scope="session")
def hello(endpoint: str) -> dict:
    """The shared server's hello reply."""
    with sandpit.Client(endpoint) as client:
        return client.server_info


@pytest.fixture
def server_factory() -> Iterator[Callable[..., LocalServer]]:
    """Starts private servers (with extra flags) that are stopped after the test."""
    started: List[LocalServer] = []

    def factory(*args: str, bind: str | None = None) -> LocalServer:
        srv = start_server(*args, bind=bind)
        started.append(srv)
        return srv

    yield factory
    for srv in started:
        srv.stop()


@pytest.fixture
def raw(endpoint: str) -> Iterator[RawClient]:
    client = RawClient(endpoint)
    yield client
    client.close()


@pytest.fixture
def make(endpoint: str) -> Iterator[Callable[..., sandpit.SandpitEnv]]:
    """sandpit.make on the shared server; every env made is closed after the test."""
    made: List[sandpit.SandpitEnv] = []

    def factory(env_id: str = "CartPole-v0", **kwargs) -> sandpit.SandpitEnv:
        env = sandpit.make(env_id, endpoint, timeout=5.0, **kwargs)
        made.append(env)
        return env

    yield factory
    for env in made:
        env.close()

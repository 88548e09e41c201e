"""Server death, reconnection and the local server the client starts on its own."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
import sandpit
from sandpit import ConnectionLost
from sandpit import server as local


def test_sigkill_mid_episode_raises_connection_lost_within_timeout(server_factory):
    srv = server_factory()
    timeout = 1.0
    # retries=0: a step is otherwise resent twice (each with the full timeout) before
    # ConnectionLost (tests/python/test_transport.py).
    env = sandpit.make("CartPole-v0", srv.endpoint, timeout=timeout, retries=0)
    env.reset(seed=0)
    for _ in range(5):
        env.step(0)
    srv.kill()
    start = time.monotonic()
    with pytest.raises(ConnectionLost):
        env.step(1)
    elapsed = time.monotonic() - start
    assert elapsed < timeout + 0.5, elapsed
    start = time.monotonic()
    env.close()  # clean, and quick: no courtesy `close` to a server known to be gone
    assert time.monotonic() - start < 0.5


def test_retry_after_the_server_comes_back(server_factory, tmp_path):
    bind = f"ipc://{tmp_path}/restart.sock"
    first = server_factory(bind=bind)
    client = sandpit.Client(bind, timeout=1.0)
    assert client.request("ping")["ok"] is True
    first.kill()
    with pytest.raises(ConnectionLost):
        client.request("ping")
    second = server_factory(bind=bind)
    assert second.pid != first.pid
    assert client.request("ping")["ok"] is True  # a fresh connection, hello again
    with pytest.raises(sandpit.ServerError):
        client.request("nope")
    client.close()


def test_no_endpoint_starts_a_shared_local_server_and_stops_it():
    assert local._shared is None
    a = sandpit.make("CartPole-v0", seed=1)
    b = sandpit.make_vec("Pendulum-v0", 2, seed=1)
    shared = local._shared
    assert shared is not None and shared.alive
    assert a.client.endpoint == b.client.endpoint == shared.endpoint
    assert shared.endpoint.startswith("ipc:///tmp/sandpit-")
    path = shared.endpoint[len("ipc://") :]
    a.reset()
    a.step(0)
    b.reset()
    a.close()
    assert shared.alive  # b still uses it
    b.close()
    assert not shared.alive and local._shared is None
    assert not os.path.exists(path)


def test_local_server_death_is_reported_at_once():
    env = sandpit.make("CartPole-v0", seed=0, timeout=10.0)
    try:
        env.reset()
        local._shared.kill()
        start = time.monotonic()
        with pytest.raises(ConnectionLost, match="signal 9"):
            env.step(0)
        assert time.monotonic() - start < 1.0
    finally:
        env.close()
    assert local._shared is None
    with sandpit.make("CartPole-v0", seed=0) as again:  # a new server is started
        again.reset()


def test_interpreter_exit_stops_the_local_server(tmp_path):
    import subprocess
    import sys

    script = (
        "import sandpit, sandpit.server as s\n"
        "env = sandpit.make('CartPole-v0')\n"
        "print(s._shared.pid, flush=True)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    pid = int(out.stdout.split()[0])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"local server {pid} outlived its interpreter")


def test_missing_binary_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("SANDPIT_BIN", "/nonexistent/sandpit")
    with pytest.raises(sandpit.ServerStartError, match="SANDPIT_BIN"):
        sandpit.make("CartPole-v0")


def test_server_that_cannot_start_reports_its_stderr():
    with pytest.raises(sandpit.ServerStartError, match="exit code"):
        local.LocalServer.start("tcp://not-an-endpoint", timeout=5)


def test_wildcard_tcp_bind_reports_the_real_endpoint():
    with local.LocalServer.start("tcp://127.0.0.1:*") as srv:
        assert srv.endpoint.startswith("tcp://127.0.0.1:") and not srv.endpoint.endswith("*")
        with sandpit.make("CartPole-v0", srv.endpoint) as env:
            obs, _ = env.reset(seed=0)
            assert obs.shape == (4,) and np.isfinite(obs).all()


def test_idle_session_is_reaped_and_then_unknown(server_factory):
    srv = server_factory("--idle-timeout", "0.3")
    env = sandpit.make("CartPole-v0", srv.endpoint, timeout=2.0)
    try:
        env.reset(seed=0)
        time.sleep(0.8)
        with pytest.raises(sandpit.ServerError) as excinfo:
            env.step(0)
        assert excinfo.value.code == "unknown_session"
        assert env.client.request("stats")["sessions_reaped"] >= 1
    finally:
        env.close()

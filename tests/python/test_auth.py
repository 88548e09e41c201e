"""CurveZMQ access control (docs/SECURITY.md): `sandpit keygen`, `sandpit serve --curve-secret
--authorized-keys`, and the client's `server_key=` / `client_key=`.

An authorized client is served; a client with an unknown key, a client without keys (plain
ZeroMQ) and a client holding the wrong server key get no service at all, within a bounded
wait, and the server logs each refusal. Sessions are bound to the key that made them."""

from __future__ import annotations

import os
import stat
import subprocess
import time
from pathlib import Path

import gymnasium
import numpy as np
import pytest
import sandpit
import zmq
from helpers import RawClient
from sandpit.keys import KeyPair, client_keypair, generate_keypair, load_keypair, read_key

WAIT_S = 1.5  # bounded wait of a refused client


def keygen(prefix: Path) -> KeyPair:
    out = subprocess.run(
        [os.environ["SANDPIT_BIN"], "keygen", "--out", str(prefix)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "wrote" in out.stdout
    return load_keypair(prefix)


@pytest.fixture
def keys(tmp_path: Path) -> dict:
    """A server key pair, two authorized client key pairs and one unauthorized one."""
    authorized = tmp_path / "authorized"
    authorized.mkdir()
    out = {
        "server": keygen(tmp_path / "server"),
        "alice": keygen(tmp_path / "alice"),
        "bob": generate_keypair(tmp_path / "bob"),
        "mallory": keygen(tmp_path / "mallory"),
        "dir": tmp_path,
    }
    for name in ("alice", "bob"):
        (authorized / f"{name}.pub").write_text((tmp_path / f"{name}.pub").read_text())
    return out


@pytest.fixture
def curve_server(server_factory, keys):
    return server_factory(
        "--curve-secret",
        str(keys["dir"] / "server.key"),
        "--authorized-keys",
        str(keys["dir"] / "authorized"),
        bind="tcp://127.0.0.1:*",
    )


def wait_for_log(srv, needle: str, timeout: float = 5.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if needle in srv.stderr_tail:
            return srv.stderr_tail
        time.sleep(0.05)
    raise AssertionError(f"no {needle!r} in the server log:\n{srv.stderr_tail}")


def test_keygen_writes_a_private_key_and_a_public_key(keys):
    d = keys["dir"]
    assert stat.S_IMODE((d / "server.key").stat().st_mode) == 0o600
    assert read_key(d / "server.pub") == keys["server"].public
    assert read_key(d / "server.key", secret=True) == keys["server"].secret
    assert zmq.curve_public(keys["server"].secret.encode()).decode() == keys["server"].public
    assert keys["server"].secret not in repr(keys["server"])
    # Never overwrites a key.
    again = subprocess.run(
        [os.environ["SANDPIT_BIN"], "keygen", "--out", str(d / "server")],
        capture_output=True,
        text=True,
    )
    assert again.returncode == 1 and "never overwrites" in again.stderr
    assert read_key(d / "server.key", secret=True) == keys["server"].secret


def test_serve_refuses_bad_key_setups(keys, tmp_path):
    exe = os.environ["SANDPIT_BIN"]
    loose = tmp_path / "loose.key"
    loose.write_text((keys["dir"] / "server.key").read_text())
    loose.chmod(0o644)
    cases = [
        (["--curve-secret", str(keys["dir"] / "server.key")], 2, "go together"),
        (["--authorized-keys", str(tmp_path)], 2, "go together"),
        (["--curve-secret", str(loose), "--authorized-keys", str(tmp_path)], 1, "chmod 600"),
        (["--curve-secret", str(tmp_path / "none.key"), "--authorized-keys", str(tmp_path)], 1,
         "cannot open"),
    ]
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    (bad_dir / "x.pub").write_text("not a key\n")
    cases.append(
        (["--curve-secret", str(keys["dir"] / "server.key"), "--authorized-keys", str(bad_dir)],
         1, "holds no CURVE key")
    )
    for args, code, words in cases:
        out = subprocess.run([exe, "serve", "--bind", "tcp://127.0.0.1:*", *args],
                             capture_output=True, text=True, timeout=10)
        assert out.returncode == code, (args, out.stderr)
        assert words in out.stderr, (args, out.stderr)
        assert out.stdout == ""


def test_authorized_client_is_served(curve_server, keys):
    env = sandpit.make(
        "CartPole-v0",
        curve_server.endpoint,
        seed=3,
        server_key=keys["server"].public,
        client_key=keys["dir"] / "alice.key",
    )
    try:
        obs, info = env.reset()
        assert obs.shape == (4,) and info["seed"] == 3
        for _ in range(5):
            env.step(0)
    finally:
        env.close()
    # The same by key files and a prefix, through make_vec.
    venv = sandpit.make_vec(
        "CartPole-v0",
        num_envs=3,
        endpoint=curve_server.endpoint,
        server_key=str(keys["dir"] / "server.pub"),
        client_key=str(keys["dir"] / "bob"),
    )
    try:
        obs, _ = venv.reset(seed=1)
        assert obs.shape == (3, 4)
        venv.step(np.zeros(3, np.int64))
    finally:
        venv.close()


def test_gymnasium_registration_passes_keys(curve_server, keys):
    env = gymnasium.make(
        "sandpit/CartPole-v0",
        endpoint=curve_server.endpoint,
        server_key=keys["server"].public,
        client_key=(keys["alice"].public, keys["alice"].secret),
    )
    try:
        env.reset(seed=0)
        env.step(1)
    finally:
        env.close()


def test_encrypted_results_match_a_plain_server(curve_server, keys, server):
    def run(endpoint, **curve):
        env = sandpit.make("CartPole-v0", endpoint, seed=7, hashes=True, **curve)
        try:
            out = [env.reset()[1]["hash"]]
            for i in range(30):
                out.append(env.step(i % 2)[4]["hash"])
            return out
        finally:
            env.close()

    assert run(curve_server.endpoint, server_key=keys["server"].public,
               client_key=keys["alice"]) == run(server.endpoint)


def test_unauthorized_key_gets_no_service_and_is_logged(curve_server, keys):
    client = sandpit.Client(
        curve_server.endpoint,
        timeout=WAIT_S,
        server_key=keys["server"].public,
        client_key=keys["mallory"],
    )
    t0 = time.monotonic()
    with pytest.raises(sandpit.ConnectionLost):
        client.request("ping")
    # One wait, not a retry loop: a second wait would take at least 2 * WAIT_S.
    assert time.monotonic() - t0 < 2 * WAIT_S
    client.close()
    log = wait_for_log(curve_server, keys["mallory"].public)
    line = next(x for x in log.splitlines() if keys["mallory"].public in x)
    assert "refused CURVE client key" in line and "127.0.0.1" in line
    # The authorized keys never appear as refused.
    assert keys["alice"].public not in log


def test_keyless_client_gets_no_service_and_is_logged(curve_server):
    with pytest.raises(sandpit.ConnectionLost):
        sandpit.Client(curve_server.endpoint, timeout=WAIT_S).request("ping")
    raw = RawClient(curve_server.endpoint, timeout=WAIT_S)
    try:
        with pytest.raises(TimeoutError):
            raw.call({"op": "hello", "protocol": 1})
    finally:
        raw.close()
    # libzmq reports a mechanism mismatch, or a broken handshake when the plain client hung
    # up first: either way one line saying so.
    log = wait_for_log(curve_server, "without CURVE")
    assert "refused a client" in log


def test_wrong_server_key_gets_no_service(curve_server, keys):
    client = sandpit.Client(
        curve_server.endpoint,
        timeout=WAIT_S,
        server_key=keys["mallory"].public,  # not the server's key
        client_key=keys["alice"],
    )
    with pytest.raises(sandpit.ConnectionLost):
        client.request("ping")
    client.close()
    wait_for_log(curve_server, "did not decrypt")


def test_sessions_are_bound_to_the_key_that_made_them(curve_server, keys):
    def client(name):
        return sandpit.Client(curve_server.endpoint, timeout=5.0,
                              server_key=keys["server"].public, client_key=keys[name])

    alice, bob = client("alice"), client("bob")
    try:
        session = alice.request("make", env="CartPole-v0", num_envs=2)["session"]
        alice.request("reset", session=session)
        for op, fields in (("reset", {}), ("step", {"actions": {
                "dtype": "int32", "shape": [2], "data": bytes(8)}}), ("close", {})):
            with pytest.raises(sandpit.ServerError) as e:
                bob.request(op, session=session, **fields)
            assert e.value.code == "unknown_session"
        # Still alice's, untouched.
        alice.request("step", session=session,
                      actions={"dtype": "int32", "shape": [2], "data": bytes(8)})
        alice.request("close", session=session)
    finally:
        alice.close()
        bob.close()


def test_keys_are_checked_on_the_client(keys):
    with pytest.raises(ValueError):
        sandpit.Client("tcp://127.0.0.1:1", server_key=keys["server"].public)
    with pytest.raises(ValueError):
        sandpit.Client("tcp://127.0.0.1:1", server_key="short", client_key=keys["alice"])
    with pytest.raises(ValueError):
        client_keypair((keys["alice"].public, keys["bob"].secret))
    with pytest.raises(ValueError):
        sandpit.make("CartPole-v0", server_key=keys["server"].public, client_key=keys["alice"])
    (keys["dir"] / "alice.key").chmod(0o644)
    with pytest.raises(PermissionError):
        load_keypair(keys["dir"] / "alice")


def test_only_an_explicit_bind_leaves_loopback_and_it_warns(server_factory, keys):
    srv = server_factory()  # the default endpoint of the fixtures is private ipc
    assert "reachable from other hosts" not in srv.stderr_tail
    exposed = server_factory(bind="tcp://0.0.0.0:*")
    log = wait_for_log(exposed, "reachable from other hosts")
    assert "no authentication" in log and "--curve-secret" in log
    curve = server_factory("--curve-secret", str(keys["dir"] / "server.key"),
                           "--authorized-keys", str(keys["dir"] / "authorized"),
                           "--log-level", "info", bind="tcp://0.0.0.0:*")
    # The endpoint gets one line, the warning or this note: once the note is in, no warning is
    # still on its way.
    log = wait_for_log(curve, "CURVE admits only the authorized keys")
    assert "no authentication" not in log
    # The built-in default is loopback.
    help_text = subprocess.run([os.environ["SANDPIT_BIN"], "serve", "--help"],
                               capture_output=True, text=True).stdout
    assert "default tcp://127.0.0.1:5555" in help_text

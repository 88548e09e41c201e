"""Client transport against a scripted in-process ROUTER (things a real server cannot be
made to do on purpose: stale replies, id-less errors, a foreign protocol version, silence).
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Optional

import msgpack
import pytest
import sandpit
import zmq
from sandpit import ConnectionLost, ServerError, VersionMismatch

HELLO_OK = {"ok": True, "protocol": 1, "server": "fake", "limits": {}, "envs": []}


class ScriptedServer:
    """A ROUTER on an inproc-free ipc endpoint answering each request with `script(request)`:
    a list of replies to send (each a dict, or None for "stay silent")."""

    def __init__(self, tmp_path, script: Callable[[dict], list]) -> None:
        self.endpoint = f"ipc://{tmp_path}/fake.sock"
        self.script = script
        self.requests: list = []
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(5)

    def _run(self) -> None:
        sock = zmq.Context.instance().socket(zmq.ROUTER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.bind(self.endpoint)
        self._ready.set()
        while not self._stop.is_set():
            if not sock.poll(20):
                continue
            # The envelope (up to the payload) goes back unchanged, as sandpit serve does.
            *envelope, payload = sock.recv_multipart()
            request = msgpack.unpackb(payload, raw=False)
            self.requests.append(request)
            for reply in self.script(request):
                if reply is not None:
                    sock.send_multipart([*envelope, msgpack.packb(reply, use_bin_type=True)])
        sock.close(linger=0)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


@pytest.fixture
def scripted(tmp_path):
    servers = []

    def factory(script):
        srv = ScriptedServer(tmp_path, script)
        servers.append(srv)
        return srv

    yield factory
    for srv in servers:
        srv.stop()


def _echo(request: dict, **fields) -> dict:
    return {"ok": True, "id": request["id"], **fields}


def test_hello_once_per_connection_and_ids_increase(scripted):
    def script(req):
        if req["op"] == "hello":
            return [{**HELLO_OK, "id": req["id"]}]
        return [_echo(req, n=req["id"])]

    srv = scripted(script)
    with sandpit.Client(srv.endpoint, timeout=2) as client:
        replies = [client.request("ping") for _ in range(3)]
    ops = [r["op"] for r in srv.requests]
    assert ops == ["hello", "ping", "ping", "ping"]
    assert srv.requests[0]["protocol"] == sandpit.PROTOCOL_VERSION
    ids = [r["id"] for r in srv.requests]
    assert ids == sorted(set(ids))
    assert [r["n"] for r in replies] == ids[1:]


def test_stale_replies_are_discarded(scripted):
    def script(req):
        if req["op"] == "hello":
            return [{**HELLO_OK, "id": req["id"]}]
        # A late reply to an older request arrives first; then the real one.
        return [{"ok": True, "id": req["id"] - 1, "which": "stale"}, _echo(req, which="real")]

    srv = scripted(script)
    with sandpit.Client(srv.endpoint, timeout=2) as client:
        assert client.request("ping")["which"] == "real"
        assert client.request("ping")["which"] == "real"


def test_error_reply_without_id_is_taken_as_the_answer(scripted):
    def script(req):
        if req["op"] == "hello":
            return [{**HELLO_OK, "id": req["id"]}]
        return [{"ok": False, "error": {"code": "too_large", "message": "over the cap"}}]

    srv = scripted(script)
    with sandpit.Client(srv.endpoint, timeout=2) as client:
        with pytest.raises(ServerError) as info:
            client.request("step")
    assert info.value.code == "too_large" and info.value.message == "over the cap"
    assert isinstance(info.value, sandpit.SandpitError)


def test_version_mismatch_error_reply_is_clear(scripted):
    def script(req):
        return [
            {
                "ok": False,
                "id": req["id"],
                "error": {"code": "version_mismatch", "message": "server speaks 2, client 1"},
            }
        ]

    srv = scripted(script)
    with sandpit.Client(srv.endpoint, timeout=2) as client:
        with pytest.raises(VersionMismatch) as info:
            client.request("ping")
    assert info.value.code == "version_mismatch"
    assert "server speaks 2" in str(info.value) and "protocol 1" in str(info.value)


def test_hello_reply_with_other_protocol_is_refused(scripted):
    srv = scripted(lambda req: [{**HELLO_OK, "protocol": 2, "id": req["id"]}])
    with sandpit.Client(srv.endpoint, timeout=2) as client:
        with pytest.raises(VersionMismatch, match="protocol 2"):
            client.request("ping")


def test_silent_server_raises_connection_lost_within_timeout_then_retry_works(scripted):
    silent = threading.Event()
    silent.set()

    def script(req):
        if req["op"] == "hello":
            return [{**HELLO_OK, "id": req["id"]}]
        return [None] if silent.is_set() else [_echo(req)]

    srv = scripted(script)
    client = sandpit.Client(srv.endpoint, timeout=0.3)
    start = time.monotonic()
    with pytest.raises(ConnectionLost):
        client.request("ping")
    elapsed = time.monotonic() - start
    assert 0.25 <= elapsed < 1.0, elapsed
    silent.clear()
    assert client.request("ping")["ok"] is True  # fresh socket, hello again
    assert [r["op"] for r in srv.requests] == ["hello", "ping", "hello", "ping"]
    client.close()
    assert client.closed
    with pytest.raises(sandpit.SandpitError):
        client.request("ping")


def test_unreachable_endpoint_raises_connection_lost_within_timeout(tmp_path):
    client = sandpit.Client(f"ipc://{tmp_path}/nobody.sock", timeout=0.3)
    start = time.monotonic()
    with pytest.raises(ConnectionLost):
        client.request("ping")
    assert time.monotonic() - start < 1.0
    client.close()


def test_liveness_hook_fails_fast(scripted):
    srv = scripted(lambda req: [None])
    dead: Optional[str] = "local server died with signal 9"
    client = sandpit.Client(srv.endpoint, timeout=5, liveness=lambda: dead)
    start = time.monotonic()
    with pytest.raises(ConnectionLost, match="signal 9"):
        client.request("ping")
    assert time.monotonic() - start < 0.5
    client.close()


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), "1", True])
def test_bad_timeouts_are_refused(timeout):
    with pytest.raises((ValueError, TypeError)):
        sandpit.Client("ipc:///tmp/x.sock", timeout=timeout)

"""Transport: exactly-once steps (seq), reply faults (reply_delay, reply_drop), against a
real server (docs/PROTOCOL.md, docs/FAULTS.md)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import sandpit
from helpers import RawClient, unwire, wire

ENV = "CartPole-v0"


def _stats(endpoint: str) -> dict:
    with sandpit.Client(endpoint) as c:
        return c.request("stats")


def _actions(n: int, steps: int, seed: int = 3) -> list:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 2, size=n).astype(np.int32) for _ in range(steps)]


def _hashes(vec, seed: int, actions: list) -> list:
    _, info = vec.reset(seed=seed)
    out = [info["hash"].tolist()]
    for a in actions:
        _, _, _, _, info = vec.step(a)
        out.append(info["hash"].tolist())
    return out


def _raw_session(raw: RawClient, n: int = 2) -> int:
    made = raw.call({"op": "make", "env": ENV, "num_envs": n, "seed": 7, "hashes": True})
    assert made["ok"], made
    sid = made["session"]
    assert raw.call({"op": "reset", "session": sid})["ok"]
    return sid


def test_resent_seq_is_answered_from_the_copy(endpoint):
    """The same seq twice: the same reply bytes, one step applied (hashes as a clean run)."""
    acts = _actions(2, 6)
    clean, resent = RawClient(endpoint), RawClient(endpoint)
    try:
        a, b = _raw_session(clean), _raw_session(resent)
        before = _stats(endpoint)["duplicates"]
        for t, act in enumerate(acts, start=1):
            msg = {"op": "step", "seq": t, "actions": wire(act, "int32"), "id": 100 + t}
            r1 = clean.call({**msg, "session": a})
            r2 = resent.call({**msg, "session": b})
            r3 = resent.call({**msg, "session": b})  # the resend: not stepped again
            assert r1["ok"] and r2["ok"] and r3["ok"]
            assert r2 == r3
            assert unwire(r1["hash"]).tolist() == unwire(r3["hash"]).tolist()
        # The copy answers under the resend's own id.
        r4 = resent.call({**msg, "session": b, "id": 999})
        assert r4["id"] == 999 and unwire(r4["hash"]).tolist() == unwire(r1["hash"]).tolist()
        assert _stats(endpoint)["duplicates"] - before == len(acts) + 1
    finally:
        clean.close()
        resent.close()


def test_stale_seq_is_refused(raw):
    sid = _raw_session(raw)
    act = wire(np.zeros(2, np.int32), "int32")
    assert raw.call({"op": "step", "session": sid, "seq": 5, "actions": act})["ok"]
    r = raw.call({"op": "step", "session": sid, "seq": 4, "actions": act})
    assert r["ok"] is False and r["error"]["code"] == "bad_request"
    assert "stale seq" in r["error"]["message"]
    # Steps without seq are unaffected, and seq continues from the last one.
    assert raw.call({"op": "step", "session": sid, "actions": act})["ok"]
    assert raw.call({"op": "step", "session": sid, "seq": 6, "actions": act})["ok"]


def test_seq_wraps_after_2_64_minus_1(raw):
    """seq compares as a serial number mod 2^64: 2^64-1 is followed by 0, not by a session
    that refuses every later step as stale."""
    sid = _raw_session(raw)
    act = wire(np.zeros(2, np.int32), "int32")
    top = 2**64 - 1

    def step(seq: int) -> dict:
        return raw.call({"op": "step", "session": sid, "seq": seq, "actions": act})

    first = step(top)
    assert first["ok"], first
    assert step(top)["hash"] == first["hash"]  # a resend: answered from the copy
    for seq in (0, 1):
        r = step(seq)
        assert r["ok"] and r["hash"] != first["hash"], r  # later: stepped
    for seq in (top, 0):  # now behind: stale
        r = step(seq)
        assert r["ok"] is False and "stale seq" in r["error"]["message"], r
    # More than 2^63 ahead is behind.
    r = step(1 + 2**63)
    assert r["ok"] is False and "stale seq" in r["error"]["message"], r
    assert step(1 + 2**63 - 1)["ok"]


def test_client_steps_carry_increasing_seq(endpoint):
    with sandpit.make_vec(ENV, 2, endpoint, seed=1, hashes=True) as vec:
        vec.reset(seed=1)
        for _ in range(3):
            vec.step(np.zeros(2, np.int32))
        assert vec._session._seq == 3


def test_dropped_reply_is_recovered_without_a_double_step(endpoint):
    """reply_drop on steps 2..4: the client resends (same seq) and gets the kept reply."""
    acts = _actions(2, 8)
    with sandpit.make_vec(ENV, 2, endpoint, seed=5, hashes=True) as vec:
        clean = _hashes(vec, 11, acts)
    drop = [{"kind": "reply_drop", "schedule": {"type": "window", "start": 2, "end": 5}}]
    before = _stats(endpoint)
    with sandpit.make_vec(
        ENV, 2, endpoint, seed=5, hashes=True, timeout=0.3, retries=2, faults=drop
    ) as vec:
        faulted = _hashes(vec, 11, acts)
    after = _stats(endpoint)
    assert faulted == clean
    assert after["replies_dropped"] - before["replies_dropped"] == 3
    assert after["duplicates"] - before["duplicates"] == 3


def test_dropped_reply_without_retries_is_connection_lost(endpoint):
    """Every executed step's reply dropped: without resends the step is lost; a resend is
    answered from the kept copy (duplicates are never faulted), so one retry recovers."""
    drop = [{"kind": "reply_drop", "target": "*"}]
    with sandpit.make_vec(ENV, 1, endpoint, seed=5, timeout=0.2, retries=0, faults=drop) as vec:
        vec.reset(seed=1)
        t0 = time.monotonic()
        with pytest.raises(sandpit.ConnectionLost):
            vec.step(np.zeros(1, np.int32))
        assert time.monotonic() - t0 >= 0.19
    with sandpit.make_vec(ENV, 1, endpoint, seed=5, timeout=0.2, retries=1, faults=drop) as vec:
        vec.reset(seed=1)
        for _ in range(3):
            vec.step(np.zeros(1, np.int32))


# Long enough that ten steps of another client are done well within it on a loaded machine:
# the test waits on events (the server holding the reply, the steps returning), and this is
# only the window in which they must happen.
HELD_MS = 3000
EVENT_DEADLINE_S = 10.0


def _wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + EVENT_DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {EVENT_DEADLINE_S} s: {what}")
        time.sleep(0.01)


def test_delayed_reply_does_not_stall_another_client(endpoint):
    delay = [{"kind": "reply_delay", "delay_ms": HELD_MS}]
    slow = sandpit.make_vec(ENV, 1, endpoint, seed=2, faults=delay, retries=0,
                            timeout=HELD_MS / 1000 + EVENT_DEADLINE_S)
    fast = sandpit.make_vec(ENV, 1, endpoint, seed=2)
    try:
        slow.reset(seed=1)
        fast.reset(seed=1)
        before = _stats(endpoint)["replies_delayed"]
        done = threading.Event()
        took = {}

        def slow_step() -> None:
            t0 = time.monotonic()
            slow.step(np.zeros(1, np.int32))
            took["slow"] = time.monotonic() - t0
            done.set()

        th = threading.Thread(target=slow_step)
        th.start()
        _wait_until(lambda: _stats(endpoint)["replies_delayed"] == before + 1,
                    "the server holds the slow client's reply")
        for _ in range(10):
            fast.step(np.zeros(1, np.int32))
        # B finished all its steps while A's reply was still held.
        assert not done.is_set()
        assert done.wait(HELD_MS / 1000 + EVENT_DEADLINE_S)
        th.join()
        assert took["slow"] >= HELD_MS / 1000 - 0.01
    finally:
        slow.close()
        fast.close()


def test_transport_fault_errors_name_the_field(raw):
    cases = [
        ({"kind": "reply_delay"}, "faults[0].delay_ms"),
        ({"kind": "reply_delay", "delay_ms": -1}, "faults[0].delay_ms"),
        ({"kind": "reply_drop", "target": "lidar.*"}, "faults[0].target"),
        ({"kind": "reply_drop", "schedule": {"type": "window", "start": 3, "end": 2}}, "end"),
    ]
    for fault, field in cases:
        r = raw.call({"op": "make", "env": ENV, "num_envs": 1, "faults": [fault]})
        assert r["ok"] is False and r["error"]["code"] == "bad_request", r
        assert field in r["error"]["message"], r


def test_transport_faults_leave_episode_faults_and_hashes_alone(endpoint):
    """Mixed with an episode fault: the episode sees only its own (same hashes as without the
    transport fault)."""
    acts = _actions(1, 5)
    sensor = {"kind": "noise", "target": "*", "sigma": 0.1}
    with sandpit.make_vec(ENV, 1, endpoint, seed=5, hashes=True, faults=[sensor]) as vec:
        a = _hashes(vec, 3, acts)
    mixed = [sensor, {"kind": "reply_delay", "delay_ms": 1}]
    with sandpit.make_vec(ENV, 1, endpoint, seed=5, hashes=True, faults=mixed) as vec:
        b = _hashes(vec, 3, acts)
    assert a == b


# -- server restart (reconnect=True) --------------------------------------------------------


def _vec_run(endpoint, acts, kill_at=None, restart=None, **kw):
    out = []
    with sandpit.make_vec(ENV, 3, endpoint, seed=9, hashes=True, **kw) as vec:
        _, info = vec.reset(seed=21)
        out.append(info["hash"].tolist())
        for t, a in enumerate(acts):
            if t == kill_at:
                restart()
            _, _, _, _, info = vec.step(a)
            out.append(info["hash"].tolist())
    return out


def test_restarted_server_resumes_the_episode_with_identical_hashes(server_factory, tmp_path):
    """SIGKILL mid-episode, a new server on the same ipc endpoint: the session is re-made,
    re-reset and re-stepped, and the run (autoresets included) matches an uninterrupted one."""
    bind = f"ipc://{tmp_path}/restart.sock"
    acts = _actions(3, 80, seed=4)
    clean = _vec_run(server_factory().endpoint, acts)
    servers = [server_factory(bind=bind)]

    def restart():
        servers[0].kill()
        servers.append(server_factory(bind=bind))

    resumed = _vec_run(bind, acts, kill_at=40, restart=restart, timeout=1.0, reconnect=True)
    assert resumed == clean
    assert _stats(servers[-1].endpoint)["sessions"] == 0  # closed at the end, on the new one


def test_restart_while_a_step_waits_and_unseeded_resets(server_factory, tmp_path):
    """The server is down when the step is sent (ConnectionLost, then the rebuild), and the
    episodes since make were started by unseeded resets (the log keeps them all)."""
    bind = f"ipc://{tmp_path}/restart2.sock"
    acts = _actions(1, 120, seed=8)

    def run(endpoint, kill_at=None, restart=None, **kw):
        hashes = []
        env = sandpit.make(ENV, endpoint, seed=3, hashes=True, **kw)
        try:
            _, info = env.reset()
            hashes.append(info["hash"])
            for t, a in enumerate(acts):
                if t == kill_at:
                    restart()
                _, _, term, trunc, info = env.step(int(a[0]))
                hashes.append(info["hash"])
                if term or trunc:
                    _, info = env.reset()  # unseeded: continues the seed stream
                    hashes.append(info["hash"])
        finally:
            env.close()
        return hashes

    clean = run(server_factory().endpoint)
    servers = [server_factory(bind=bind)]

    def restart():
        servers[0].kill()
        threading.Timer(0.3, lambda: servers.append(server_factory(bind=bind))).start()

    resumed = run(bind, kill_at=70, restart=restart, timeout=0.8, retries=0, reconnect=True)
    assert len(servers) == 2
    assert resumed == clean


def test_without_reconnect_a_restart_is_an_error(server_factory, tmp_path):
    bind = f"ipc://{tmp_path}/restart3.sock"
    srv = server_factory(bind=bind)
    with sandpit.make_vec(ENV, 1, bind, seed=1, timeout=0.5, retries=0) as vec:
        vec.reset(seed=1)
        vec.step(np.zeros(1, np.int32))
        srv.kill()
        server_factory(bind=bind)
        with pytest.raises((sandpit.ConnectionLost, sandpit.ServerError)):
            vec.step(np.zeros(1, np.int32))


def test_a_rebuild_that_does_not_reach_the_last_hash_raises(server_factory, tmp_path):
    bind = f"ipc://{tmp_path}/restart4.sock"
    srv = server_factory(bind=bind)
    with sandpit.make_vec(ENV, 1, bind, seed=1, hashes=True, timeout=0.5, reconnect=True) as vec:
        vec.reset(seed=1)
        vec.step(np.zeros(1, np.int32))
        vec._session._last_hash = vec._session._last_hash + np.uint64(1)  # not what it saw
        srv.kill()
        server_factory(bind=bind)
        with pytest.raises(sandpit.SandpitError, match="does not reach the last state"):
            vec.step(np.zeros(1, np.int32))

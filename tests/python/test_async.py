"""Async stepping (the send and recv ops) against a real server: each env follows the
trajectory it has in a lockstep vector env with the same seed and actions, whatever comes back
together, and every misuse gets its stable code while the server keeps serving."""

from __future__ import annotations

import numpy as np
import pytest
import sandpit
from helpers import RawClient, unwire, wire
from sandpit import SandpitError
from sandpit.asyncvec import make_async


def _policy(obs):
    return (obs[:, 2] + 0.3 * obs[:, 3] > 0).astype(np.int32)


def _pendulum_policy(obs):
    return np.clip(-2.0 * obs[:, 2:3], -2.0, 2.0).astype(np.float32)


@pytest.mark.parametrize(
    "env_id, policy, n, batch",
    [("CartPole-v0", _policy, 9, 4), ("Pendulum-v0", _pendulum_policy, 5, 2)],
)
def test_async_envs_follow_their_lockstep_trajectories(server_factory, env_id, policy, n, batch):
    steps = 30
    # Two stepping threads: envs finish out of order, and batches mix envs freely.
    server = server_factory("--threads", "2")
    ep = server.endpoint
    with sandpit.make_vec(env_id, n, ep, seed=4, hashes=True, max_steps=20) as vec:
        obs, info = vec.reset()
        lockstep = [[h] for h in info["hash"].tolist()]
        returns: list[list[float]] = [[] for _ in range(n)]
        for _ in range(steps):
            obs, _, _, _, info = vec.step(policy(obs))
            for i, h in enumerate(info["hash"].tolist()):
                lockstep[i].append(h)
            if "_episode_end" in info:
                for i in np.flatnonzero(info["_episode_end"]):
                    returns[i].append(float(info["episode_end"]["r"][i]))
    got: list[list[int]] = [[] for _ in range(n)]
    got_returns: list[list[float]] = [[] for _ in range(n)]
    with make_async(env_id, n, batch, ep, seed=4, hashes=True, max_steps=20) as envs:
        envs.async_reset()
        while min(len(g) for g in got) < steps + 1:
            obs, rew, term, trunc, info = envs.recv()
            ids = info["env_id"]
            assert obs.shape[0] == batch and ids.shape == (batch,)
            assert len(set(ids.tolist())) == batch
            for j, (i, h) in enumerate(zip(ids.tolist(), info["hash"].tolist())):
                got[i].append(h)
                if info["_final_return"][j]:
                    got_returns[i].append(float(info["final_return"][j]))
            envs.send(policy(obs), ids)
        while envs.in_flight:  # drained, so the close below finds nothing in flight
            envs.recv()
    for i in range(n):
        assert got[i][: steps + 1] == lockstep[i], f"env {i}"
        k = len(returns[i])
        assert got_returns[i][:k] == returns[i], f"env {i}"


def _session(raw: RawClient, n: int, reset: bool = True) -> int:
    s = raw.call({"op": "make", "env": "CartPole-v0", "num_envs": n, "seed": 1})["session"]
    if reset:
        assert raw.call({"op": "reset", "session": s})["ok"]
    return s


def _send(raw: RawClient, s: int, ids, actions=None, **fields) -> dict:
    ids = np.asarray(ids, dtype=np.int32)
    acts = np.zeros(len(ids), np.int32) if actions is None else actions
    return raw.call({"op": "send", "session": s, "env_ids": wire(ids, "int32"),
                     "actions": wire(acts, "int32"), **fields})


def _code(reply: dict) -> str:
    assert reply["ok"] is False, reply
    return reply["error"]["code"]


def test_send_with_batch_size_is_send_then_recv(raw):
    s = _session(raw, 4)
    assert _code(_send(raw, s, [0], batch_size=2)) == "nothing_pending"
    assert _code(raw.call({"op": "recv", "session": s})) == "nothing_pending"  # nothing queued
    reply = _send(raw, s, [1, 3], batch_size=1)
    assert reply["ok"] and reply["env_id"]["shape"] == [1]
    reply = _send(raw, s, [0], batch_size=2)
    assert reply["ok"] and reply["env_id"]["shape"] == [2]
    assert _code(raw.call({"op": "recv", "session": s})) == "nothing_pending"


def test_recv_answers_in_completion_order_and_counts_steps(raw):
    s = _session(raw, 4)
    before = raw.call({"op": "stats"})["steps"]
    assert _send(raw, s, [3, 1]) == {"ok": True}
    reply = raw.call({"op": "recv", "session": s, "batch_size": 2, "id": 7})
    assert reply["ok"] and reply["id"] == 7
    assert sorted(np.frombuffer(reply["env_id"]["data"], "<i4").tolist()) == [1, 3]
    assert reply["obs"]["shape"] == [2, 4] and reply["reward"]["shape"] == [2]
    # Without batch_size, recv waits for every env in flight.
    assert _send(raw, s, [0, 2, 1])["ok"]
    reply = raw.call({"op": "recv", "session": s})
    assert sorted(np.frombuffer(reply["env_id"]["data"], "<i4").tolist()) == [0, 1, 2]
    assert raw.call({"op": "stats"})["steps"] == before + 5


def test_recv_under_same_step_autoreset_sends_the_last_observations_as_step_does(raw):
    """Two sessions, same seed and actions: one stepped lockstep, one with send/recv of all
    envs; their replies' "final" maps (last observations included) are the same."""
    sessions = []
    for _ in range(2):
        s = raw.call({"op": "make", "env": "CartPole-v0", "num_envs": 2, "seed": 3,
                      "max_steps": 5, "autoreset": "same_step"})["session"]
        assert raw.call({"op": "reset", "session": s})["ok"]
        sessions.append(s)
    lock, aio = sessions
    finals = 0
    for _ in range(12):
        acts = np.ones(2, np.int32)
        stepped = raw.call({"op": "step", "session": lock, "actions": wire(acts, "int32")})
        got = _send(raw, aio, [0, 1], acts, batch_size=2)
        order = np.frombuffer(got["env_id"]["data"], "<i4").tolist()
        assert ("final" in got) == ("final" in stepped)
        if "final" not in got:
            continue
        finals += 1
        want, have = stepped["final"], got["final"]
        assert sorted(have) == sorted(want) == ["index", "length", "obs", "reason", "return",
                                                "seed"]
        rows = {int(e): j for j, e in enumerate(unwire(have["index"]))}
        for j, e in enumerate(unwire(want["index"])):
            assert e in order
            k = rows[int(e)]
            assert unwire(have["obs"])[k].tobytes() == unwire(want["obs"])[j].tobytes()
            assert unwire(have["return"])[k] == unwire(want["return"])[j]
            assert have["reason"][k] == want["reason"][j]
    assert finals == 2  # episodes of 5 steps: ended at steps 5 and 10


def test_recv_with_nothing_pending_is_refused(raw):
    s = _session(raw, 4)
    assert _code(raw.call({"op": "recv", "session": s})) == "nothing_pending"
    assert _send(raw, s, [0])["ok"]
    # More than are in flight would never be answered.
    assert _code(raw.call({"op": "recv", "session": s, "batch_size": 2})) == "nothing_pending"
    assert raw.call({"op": "recv", "session": s, "batch_size": 1})["ok"]
    assert _code(raw.call({"op": "recv", "session": s, "batch_size": 1})) == "nothing_pending"


def test_send_to_an_env_in_flight_is_refused(raw):
    s = _session(raw, 4)
    assert _send(raw, s, [2])["ok"]
    reply = _send(raw, s, [0, 2])
    assert _code(reply) == "in_flight" and "env 2" in reply["error"]["message"]
    # Nothing of the refused send went out: env 0 is free, env 2 comes back once.
    assert raw.call({"op": "recv", "session": s})["env_id"]["shape"] == [1]
    assert _send(raw, s, [0, 2])["ok"]
    assert raw.call({"op": "recv", "session": s, "batch_size": 2})["ok"]


def test_lockstep_ops_wait_for_envs_in_flight(raw):
    s = _session(raw, 2)
    assert _send(raw, s, [1])["ok"]
    step = {"op": "step", "session": s, "actions": wire(np.zeros(2, np.int32), "int32")}
    for request in (step, {"op": "reset", "session": s}, {"op": "render", "session": s}):
        assert _code(raw.call(request)) == "in_flight"
    assert raw.call({"op": "recv", "session": s})["ok"]
    assert raw.call(step)["ok"]


@pytest.mark.parametrize(
    "ids, why",
    [
        ([4], "not an env"),
        ([-1], "not an env"),
        ([1, 1], "twice"),
        ([0, 1, 2, 3, 0], "int32 [k]"),
        ([], "int32 [k]"),
    ],
)
def test_bad_env_ids_are_refused(raw, ids, why):
    s = _session(raw, 4)
    reply = _send(raw, s, ids, np.zeros(len(ids), np.int32))
    assert _code(reply) == "bad_request" and why in reply["error"]["message"], reply
    assert _code(raw.call({"op": "recv", "session": s})) == "nothing_pending"


def test_env_ids_of_another_dtype_and_unknown_keys_are_refused(raw):
    s = _session(raw, 4)
    reply = raw.call({"op": "send", "session": s, "env_ids": wire(np.zeros(1), "uint64"),
                      "actions": wire(np.zeros(1, np.int32), "int32")})
    assert _code(reply) == "bad_request"
    reply = raw.call({"op": "send", "session": s, "actions": wire(np.zeros(1, np.int32), "int32")})
    assert _code(reply) == "bad_request" and "env_ids" in reply["error"]["message"]
    assert _code(raw.call({"op": "recv", "session": s, "batch": 1})) == "bad_request"
    assert _code(raw.call({"op": "recv", "session": s, "batch_size": 5})) == "bad_request"
    assert _code(raw.call({"op": "recv", "session": s, "batch_size": 0})) == "bad_request"


def test_bad_actions_send_nothing(raw):
    s = _session(raw, 4)
    reply = _send(raw, s, [0, 1], np.array([0, 7], np.int32))
    assert _code(reply) == "bad_action" and "env 1" in reply["error"]["message"]
    assert _code(_send(raw, s, [0, 1], np.zeros(3, np.int32))) == "bad_action"
    assert _code(raw.call({"op": "recv", "session": s})) == "nothing_pending"


def test_send_before_reset_and_to_unknown_sessions_is_refused(raw):
    s = _session(raw, 2, reset=False)
    assert _code(_send(raw, s, [0])) == "needs_reset"
    assert _code(_send(raw, s + (1 << 32), [0])) == "unknown_session"
    assert _code(raw.call({"op": "recv", "session": s + (1 << 32)})) == "unknown_session"


def test_close_with_envs_in_flight_frees_the_session(server_factory):
    server = server_factory("--threads", "2")
    raw = RawClient(server.endpoint)
    try:
        s = raw.call({"op": "make", "env": "Lander-v0", "num_envs": 64, "seed": 0})["session"]
        assert raw.call({"op": "reset", "session": s})["ok"]
        acts = np.zeros(64, np.int32)
        ids = np.arange(64, dtype=np.int32)
        for _ in range(3):  # some queued, some running, some finished when close comes
            send = {"op": "send", "session": s, "env_ids": wire(ids, "int32"),
                    "actions": wire(acts, "int32")}
            assert raw.call(send)["ok"]
            assert raw.call({"op": "close", "session": s})["ok"]
            s = raw.call({"op": "make", "env": "Lander-v0", "num_envs": 64, "seed": 0})["session"]
            assert raw.call({"op": "reset", "session": s})["ok"]
        stats = raw.call({"op": "stats"})
        assert stats["sessions"] == 1 and stats["errors_by_code"]["in_flight"] == 0
    finally:
        raw.close()


def test_wrapper_misuse_is_refused(endpoint):
    with pytest.raises(ValueError, match="batch_size"):
        make_async("CartPole-v0", 4, 5, endpoint)
    with make_async("CartPole-v0", 4, 2, endpoint, seed=0) as envs:
        with pytest.raises(SandpitError, match="nothing sent"):
            envs.recv()
        envs.async_reset()
        obs, *_, info = envs.recv()
        with pytest.raises(SandpitError, match="in flight"):
            envs.send(np.zeros(2, np.int32), [2, 3])  # their reset is not received yet
        envs.send(np.zeros(2, np.int32), info["env_id"])
        envs.send(np.zeros(1, np.int32), info["env_id"][:1])  # sends the first one
        with pytest.raises(sandpit.ServerError) as e:
            envs.flush()
        assert e.value.code == "in_flight"
        got = envs.recv()[4]["env_id"].tolist() + envs.recv()[4]["env_id"].tolist()
        assert sorted(got) == [0, 1, 2, 3]


def test_a_recorder_that_stops_is_told_by_the_recv_that_brings_its_env_back(
    server_factory, tmp_path
):
    """The directory vanishes after the first files: each env's next file cannot be created.
    The recorder's writer thread finds that a few steps later; the first recv that returns the
    env after that says so: warned once per env, counted in stats before the session closes."""
    srv = server_factory("--record-root", str(tmp_path))
    d = tmp_path / "rec"
    env = make_async("CartPole-v0", 2, batch_size=1, endpoint=srv.endpoint, seed=1,
                     max_steps=2, record={"dir": str(d)})
    try:
        env.async_reset()
        env.recv(), env.recv()
        for f in d.iterdir():
            f.unlink()
        d.rmdir()
        with pytest.warns(sandpit.RecordingWarning, match="cannot create") as caught:
            for _ in range(1000):  # 500 episodes: the writer is long done by then
                for i in range(2):
                    env.send(np.zeros(1, dtype=np.int32), [i])
                    env.recv()
                if len(env.session.record_errors) == 2:
                    break
        assert sorted(env.session.record_errors) == [0, 1]
        assert len(caught) == 2, [str(w.message) for w in caught]
        assert all(w.filename == __file__ for w in caught)  # told where recv was called
        with sandpit.Client(srv.endpoint) as c:
            assert c.request("stats")["record_errors"] == 2
    finally:
        env.close()

"""Session resume after a server restart (reconnect=True) keeps a log bounded by the current
episodes, however long the run: each env is restored to the start of its current episode
(`restore`) and only the steps since are re-sent, each env's from its own start (`active`).
Against real servers killed with SIGKILL; hashes compared with an uninterrupted twin."""

from __future__ import annotations

import numpy as np
import pytest
import sandpit
from helpers import RawClient, wire

ENV = "CartPole-v0"
NUM_ENVS = 16
BATCHES = 6250  # 100 000 env steps, every env through hundreds of autoresets
# CartPole's episodes end by max_steps (500) at the latest; a step after, the autoreset.
LOG_BOUND = 500 + 2


def actions(batches: int, n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2, size=(batches, n)).astype(np.int32)


def test_a_long_autoreset_run_keeps_a_bounded_log_and_resumes(server_factory, tmp_path):
    bind = f"ipc://{tmp_path}/resume.sock"
    servers = [server_factory(bind=bind)]
    twin = sandpit.make_vec(ENV, NUM_ENVS, server_factory().endpoint, seed=7, hashes=True)
    envs = sandpit.make_vec(ENV, NUM_ENVS, bind, seed=7, hashes=True, reconnect=True)
    try:
        twin.reset(seed=3)
        envs.reset(seed=3)
        longest = 0
        for a in actions(BATCHES, NUM_ENVS, seed=1):
            _, _, _, _, info = envs.step(a)
            _, _, _, _, ref = twin.step(a)
            longest = max(longest, len(envs._session._log))
        assert (info["hash"] == ref["hash"]).all()
        log = envs._session._log
        assert log.count == BATCHES and longest <= LOG_BOUND, longest
        print(f"log: at most {longest} steps over {BATCHES} batched steps")

        servers[0].kill()
        servers.append(server_factory(bind=bind))
        # The next step rebuilds the session (restore + the current episodes' steps, checked
        # against the last hash seen), then steps: the twin's hashes, step for step.
        for a in actions(50, NUM_ENVS, seed=2):
            _, reward, term, trunc, info = envs.step(a)
            _, ref_reward, ref_term, ref_trunc, ref = twin.step(a)
            assert (info["hash"] == ref["hash"]).all()
            assert (reward == ref_reward).all() and (term == ref_term).all()
            assert (trunc == ref_trunc).all()
    finally:
        envs.close()
        twin.close()


def test_a_restart_inside_episodes_begun_with_options(server_factory, tmp_path):
    """A reset whose options changed the faults is re-sent itself until every env has
    autoreset out of the episode it began; an unseeded one draws from restored streams."""
    bind = f"ipc://{tmp_path}/options.sock"
    servers = [server_factory(bind=bind)]
    options = {"faults": [{"kind": "noise", "target": "*", "sigma": 0.05}]}
    twin = sandpit.make_vec(ENV, 3, server_factory().endpoint, seed=2, hashes=True, faults=[])
    envs = sandpit.make_vec(ENV, 3, bind, seed=2, hashes=True, faults=[], reconnect=True)

    def both(a):
        _, _, _, _, info = envs.step(a)
        _, _, _, _, ref = twin.step(a)
        assert (info["hash"] == ref["hash"]).all()

    def restart():
        servers[0].kill()
        servers[0] = server_factory(bind=bind)

    try:
        for e in (envs, twin):
            e.reset(seed=5)
            e.step(np.zeros(3, np.int32))
            e.reset(options=options)  # unseeded: continues the streams
        acts = actions(400, 3, seed=4)
        both(acts[0])
        assert envs._session._log.anchor is not None
        restart()
        k = 1
        while envs._session._log.anchor is not None:  # until every env autoreset
            both(acts[k])
            k += 1
        restart()
        for a in acts[k:k + 30]:
            both(a)
    finally:
        envs.close()
        twin.close()


def test_the_log_of_a_single_env_is_its_episode(endpoint):
    with sandpit.make(ENV, endpoint, seed=1, reconnect=True) as env:
        env.reset()
        for _ in range(3000):
            _, _, term, trunc, _ = env.step(env.action_space.sample())
            assert len(env.unwrapped._session._log) <= LOG_BOUND
            if term or trunc:
                env.reset()
                assert len(env.unwrapped._session._log) == 0


@pytest.mark.parametrize(
    "restore, why",
    [
        ([[1, 2, 3, 4]], "restore'[0] must be [seed"),
        ([[1, 2, 3, 4, 5], [1, 2, 3, 4, 5]], "array of 1 entries"),
        ([[1, 0, 0, 0, 0]], "never all zeros"),
        ([[1, -2, 3, 4, 5]], "restore'[0][1] must be an integer"),
        ("x", "array of 1 entries"),
    ],
)
def test_bad_restore_is_refused(raw: RawClient, restore, why):
    made = raw.call({"op": "make", "env": ENV})
    try:
        reply = raw.call({"op": "reset", "session": made["session"], "restore": restore})
        assert not reply["ok"] and reply["error"]["code"] == "bad_request"
        assert why in reply["error"]["message"]
        reply = raw.call({"op": "reset", "session": made["session"], "seed": 1,
                          "restore": [[1, 2, 3, 4, 5]]})
        assert "exclude each other" in reply["error"]["message"]
    finally:
        raw.call({"op": "close", "session": made["session"]})


@pytest.mark.parametrize(
    "active, why",
    [
        (wire(np.array([1, 2]), "uint8"), "must be 0 or 1"),
        (wire(np.array([1]), "uint8"), "must be uint8 [2]"),
        (wire(np.array([1, 0]), "int32"), "must be uint8 [2]"),
        ([1, 0], "active"),
    ],
)
def test_bad_active_is_refused(raw: RawClient, active, why):
    made = raw.call({"op": "make", "env": ENV, "num_envs": 2, "resume": True})
    try:
        raw.call({"op": "reset", "session": made["session"]})
        reply = raw.call({"op": "step", "session": made["session"],
                          "actions": wire(np.zeros(2), "int32"), "active": active})
        assert not reply["ok"] and reply["error"]["code"] == "bad_request"
        assert why in reply["error"]["message"]
    finally:
        raw.call({"op": "close", "session": made["session"]})


def test_restore_and_active_on_the_wire(raw: RawClient):
    """A restored env has the hash it had at its episode's start; an inactive one is left
    exactly as it was."""
    made = raw.call({"op": "make", "env": ENV, "num_envs": 2, "hashes": True, "resume": True})
    sid = made["session"]
    try:
        first = raw.call({"op": "reset", "session": sid, "seed": 9})
        streams = np.frombuffer(first["seed_stream"]["data"], "<u8").reshape(2, 4)
        seeds = np.frombuffer(first["seeds"]["data"], "<u8")
        raw.call({"op": "step", "session": sid, "actions": wire(np.ones(2), "int32")})
        masked = raw.call({"op": "step", "session": sid, "actions": wire(np.ones(2), "int32"),
                           "active": wire(np.array([0, 1]), "uint8")})
        assert masked["ok"]
        restore = [[int(s), *map(int, st)] for s, st in zip(seeds, streams)]
        again = raw.call({"op": "reset", "session": sid, "restore": restore})
        assert again["hash"]["data"] == first["hash"]["data"]
        assert again["seed_stream"]["data"] == first["seed_stream"]["data"]
        one = raw.call({"op": "step", "session": sid, "actions": wire(np.ones(2), "int32"),
                        "active": wire(np.array([1, 0]), "uint8")})
        hashes = np.frombuffer(one["hash"]["data"], "<u8")
        assert hashes[1] == np.frombuffer(first["hash"]["data"], "<u8")[1]  # untouched
    finally:
        raw.call({"op": "close", "session": sid})


def test_without_resume_replies_carry_no_streams(raw: RawClient):
    made = raw.call({"op": "make", "env": ENV})
    try:
        reply = raw.call({"op": "reset", "session": made["session"]})
        assert reply["ok"] and "seed_stream" not in reply
    finally:
        raw.call({"op": "close", "session": made["session"]})

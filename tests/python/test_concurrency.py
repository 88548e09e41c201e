"""Several clients at once, each with its own sessions, get what they would get alone."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import sandpit

WORKER = r"""
import json, sys
import numpy as np
import sandpit
endpoint, env_id, seed, steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
out = []
with sandpit.make_vec(env_id, 4, endpoint, hashes=True) as envs:
    obs, info = envs.reset(seed=seed)
    rng = np.random.default_rng(seed)
    envs.action_space.seed(seed)
    for _ in range(steps):
        obs, rew, term, trunc, info = envs.step(envs.action_space.sample())
        out.append([info["hash"].tolist(), rew.tolist(), obs.tobytes().hex()])
print(json.dumps(out))
"""


def _vector_run(endpoint, env_id, seed, steps):
    out = []
    with sandpit.make_vec(env_id, 4, endpoint, hashes=True) as envs:
        envs.reset(seed=seed)
        envs.action_space.seed(seed)
        for _ in range(steps):
            obs, rew, term, trunc, info = envs.step(envs.action_space.sample())
            out.append([info["hash"].tolist(), rew.tolist(), obs.tobytes().hex()])
    return out


def _single_run(endpoint, env_id, seed, steps):
    hashes, rewards = [], []
    with sandpit.make(env_id, endpoint, hashes=True) as env:
        _, info = env.reset(seed=seed)
        env.action_space.seed(seed)
        hashes.append(info["hash"])
        for _ in range(steps):
            _, reward, terminated, truncated, info = env.step(env.action_space.sample())
            hashes.append(info["hash"])
            rewards.append(reward)
            if terminated or truncated:
                _, info = env.reset()
                hashes.append(info["hash"])
    return hashes, rewards


def test_threads_each_with_their_own_env(endpoint):
    jobs = [
        ("CartPole-v0", 1),
        ("Pendulum-v0", 2),
        ("Acrobot-v0", 3),
        ("CartPole-v0", 4),
        ("CartPoleContinuous-v0", 5),
        ("Pendulum-v0", 6),
    ]
    alone = [_single_run(endpoint, env_id, seed, 150) for env_id, seed in jobs]
    together = [None] * len(jobs)
    errors = []
    barrier = threading.Barrier(len(jobs))

    def work(k, env_id, seed):
        try:
            barrier.wait()
            together[k] = _single_run(endpoint, env_id, seed, 150)
        except BaseException as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k, *job)) for k, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert together == alone


def test_processes_each_with_their_own_vector_env(endpoint):
    jobs = [("CartPole-v0", 11), ("Pendulum-v0", 12), ("CartPole-v0", 13)]
    steps = 120
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, endpoint, env_id, str(seed), str(steps)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for env_id, seed in jobs
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    for (env_id, seed), together in zip(jobs, results, strict=True):
        assert together == _vector_run(endpoint, env_id, seed, steps)


def test_one_client_shared_by_threads_is_serialized(endpoint):
    client = sandpit.Client(endpoint)
    results = []

    def ping():
        for _ in range(50):
            results.append(client.request("ping")["ok"])

    threads = [threading.Thread(target=ping) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    client.close()
    assert results == [True] * 200

"""Faults through the socket: each kind observable against a clean episode with the same seed
and actions, info["faults"] and info["sensor_valid"], reset overrides, refused lists, stats,
and the same faults in two server processes."""

from __future__ import annotations

import numpy as np
import pytest
import sandpit
from sandpit import ServerError

ENV = "CartPole-v0"  # 4 sensors: cart.x, cart.velocity, pole.angle, pole.angular_velocity
T = 12


@pytest.fixture
def make(endpoint):
    made = []

    def factory(env_id=ENV, endpoint_=None, vec=0, **kwargs):
        ep = endpoint_ or endpoint
        if vec:
            env = sandpit.make_vec(env_id, vec, ep, timeout=5.0, seed=0, **kwargs)
        else:
            env = sandpit.make(env_id, ep, timeout=5.0, seed=0, max_steps=200, **kwargs)
        made.append(env)
        return env

    yield factory
    for env in made:
        env.close()


def run(env, actions, seed=7, options=None):
    """Observations (rows 0..len(actions)), rewards and infos of one seeded episode."""
    obs, info = env.reset(seed=seed, options=options)
    out, rewards, infos = [obs], [], [info]
    for a in actions:
        obs, r, term, trunc, info = env.step(a)
        out.append(obs)
        rewards.append(r)
        infos.append(info)
        if term or trunc:
            break
    return np.array(out), np.array(rewards), infos


ACTIONS = [t % 2 for t in range(T)]


def clean(make, actions=ACTIONS):
    return run(make(), actions)


def test_delay_obs_at_t_is_clean_obs_at_t_minus_k(make):
    k = 3
    c, _, _ = clean(make)
    f, _, infos = run(make(faults=[{"kind": "delay", "steps": k}], info_faults=True), ACTIONS)
    for t in range(len(f)):
        np.testing.assert_array_equal(f[t], c[max(t - k, 0)])
    assert all(i["faults"] == [0] for i in infos)


@pytest.mark.parametrize("mode", ["zero", "hold", "nan"])
def test_outage_windows_and_validity_mask(make, mode):
    c, _, _ = clean(make)
    fault = {"kind": "outage", "target": "pole.*", "mode": mode,
             "schedule": {"type": "window", "start": 3, "end": 6}}
    f, _, infos = run(make(faults=[fault], sensor_valid=True, info_faults=True), ACTIONS)
    for t in range(len(f)):
        out = 3 <= t < 6
        np.testing.assert_array_equal(f[t][:2], c[t][:2])
        valid = infos[t]["sensor_valid"]
        assert valid.tolist() == [True, True, not out, not out]
        assert infos[t]["faults"] == ([0] if out else [])
        if not out:
            np.testing.assert_array_equal(f[t], c[t])
        elif mode == "zero":
            assert not f[t][2:].any()
        elif mode == "hold":
            np.testing.assert_array_equal(f[t][2:], c[2][2:])
        else:
            assert np.isnan(f[t][2:]).all()


def test_noise_bias_drift_stuck_spikes(make):
    c, _, _ = clean(make)
    f, _, _ = run(make(faults=[{"kind": "bias", "target": "cart.x", "offset": 0.5}]), ACTIONS)
    np.testing.assert_array_equal(f[:, 0], (c[:, 0].astype(np.float64) + 0.5).astype(np.float32))
    np.testing.assert_array_equal(f[:, 1:], c[:, 1:])
    f, _, _ = run(make(faults=[{"kind": "drift", "target": "cart.x", "rate": 0.25}]), ACTIONS)
    want = (c[:, 0].astype(np.float64) + 0.25 * np.arange(len(c))).astype(np.float32)
    np.testing.assert_array_equal(f[:, 0], want)
    stuck = {"kind": "stuck", "target": "cart.velocity",
             "schedule": {"type": "window", "start": 2, "end": 8}}
    f, _, _ = run(make(faults=[stuck]), ACTIONS)
    assert (f[2:8, 1] == c[2, 1]).all() and f[8, 1] == c[8, 1]
    f, _, _ = run(make(faults=[{"kind": "spikes", "probability": 1.0, "magnitude": 5.0}]),
                  ACTIONS)
    np.testing.assert_allclose(np.abs(f.astype(np.float64) - c), 5.0, rtol=1e-5)
    f, _, _ = run(make(faults=[{"kind": "noise", "sigma": 0.1}]), ACTIONS)
    d = (f - c).ravel()
    assert 0.03 < d.std() < 0.3 and np.all(f[:, :] != c[:, :])


def test_action_delay_shifts_the_actions(make):
    f, fr, _ = run(make(faults=[{"kind": "action_delay", "steps": 1, "noop": 0}]), ACTIONS)
    c, cr, _ = run(make(), [0] + ACTIONS[:-1])
    np.testing.assert_array_equal(f, c)
    np.testing.assert_array_equal(fr, cr)


def test_action_drop_zero_and_repeat(make):
    drop = {"kind": "action_drop", "fill": "zero", "schedule": {"type": "window", "start": 2,
                                                               "end": 5}}
    f, _, _ = run(make(faults=[drop]), [1] * T)
    c, _, _ = run(make(), [1, 0, 0, 0] + [1] * (T - 4))
    np.testing.assert_array_equal(f, c)
    rep = {"kind": "action_repeat", "steps": 2}
    f, _, _ = run(make(faults=[rep]), ACTIONS)
    c, _, _ = run(make(), [ACTIONS[(t // 3) * 3] for t in range(T)])
    np.testing.assert_array_equal(f, c)


def test_reward_delay_moves_rewards_in_time(make):
    env = make(faults=[{"kind": "reward_delay", "steps": 2}])
    _, r, _ = run(env, ACTIONS)
    assert r[:2].tolist() == [0.0, 0.0] and r[2] == 1.0


def test_physics_and_continuous_action_faults_change_the_world(make):
    c, _, _ = run(make("Pendulum-v0"), [np.array([0.5], np.float32)] * T)
    for fault in (
        {"kind": "gravity", "target": "y", "scale": 2.0},
        {"kind": "mass", "scale": 3.0},
        {"kind": "motor", "scale": 0.1},
        {"kind": "action_noise", "sigma": 0.5},
    ):
        f, _, _ = run(make("Pendulum-v0", faults=[fault]), [np.array([0.5], np.float32)] * T)
        assert not np.array_equal(f[1:], c[1:]), fault
        np.testing.assert_array_equal(f[0], c[0])


def test_reset_options_override_faults_for_one_episode(make):
    env = make(faults=[], info_faults=True)
    c, _, _ = run(env, ACTIONS)
    f, _, infos = run(env, ACTIONS, options={"faults": [{"kind": "delay", "steps": 2}]})
    np.testing.assert_array_equal(f[2:], c[:-2])
    assert infos[3]["faults"] == [0]
    again, _, infos = run(env, ACTIONS)
    np.testing.assert_array_equal(again, c)
    assert infos[3]["faults"] == []


def test_faults_given_only_at_reset(make):
    env = make()
    c, _, _ = run(env, ACTIONS)
    f, _, _ = run(env, ACTIONS, options={"faults": [{"kind": "bias", "offset": 1.0}]})
    assert not np.array_equal(f, c)


def test_vector_faults_and_masks(make):
    fault = {"kind": "outage", "target": "cart.x", "schedule": {"type": "window", "start": 1,
                                                                  "end": 3}}
    envs = make(vec=2, faults=[fault], sensor_valid=True, info_faults=True)
    _, info = envs.reset(seed=0)
    assert info["sensor_valid"].all() and info["_sensor_valid"].all()
    _, _, _, _, info = envs.step(np.array([0, 1], np.int32))
    assert info["sensor_valid"][:, 0].tolist() == [False, False]
    assert list(info["faults"]) == [[0], [0]]


@pytest.mark.parametrize(
    "faults, where",
    [
        ([{"kind": "noise", "sigma": -1}], "faults[0].sigma"),
        ([{"kind": "noise"}], "faults[0].sigma"),
        ([{"kind": "delay", "steps": 1}, {"kind": "nosie"}], "faults[1].kind"),
        ([{"kind": "bias", "offset": 1, "target": "lidar.*"}], "faults[0].target"),
        ([{"kind": "delay", "steps": 2, "stepz": 1}], "faults[0].stepz"),
        ([{"kind": "stuck", "schedule": {"type": "window", "start": 5, "end": 5}}],
         "faults[0].schedule.end"),
        ([{"kind": "action_noise", "sigma": 1}], "faults[0]"),
    ],
)
def test_bad_faults_are_refused_naming_the_field(make, faults, where):
    with pytest.raises(ServerError) as e:
        make(faults=faults)
    assert e.value.code == "bad_request" and where in e.value.message
    env = make()
    env.reset()
    with pytest.raises(ServerError) as e:
        env.reset(options={"faults": faults})
    assert e.value.code == "bad_request" and where in e.value.message


def test_stats_count_fault_windows(make):
    env = make(faults=[{"kind": "noise", "sigma": 0.1}])
    before = env.client.request("stats")["fault_windows"]["noise"]
    env.reset()
    env.reset()
    assert env.client.request("stats")["fault_windows"]["noise"] - before == 2


def test_same_faults_in_two_server_processes(make, server_factory):
    faults = [
        {"kind": "noise", "sigma": 0.05},
        {"kind": "outage", "mode": "hold",
         "schedule": {"type": "probability", "probability": 0.3, "duration": 2}},
        {"kind": "action_drop", "schedule": {"type": "probability", "probability": 0.2}},
    ]
    runs = []
    for _ in range(2):
        srv = server_factory()
        env = make(endpoint_=srv.endpoint, faults=faults, hashes=True, sensor_valid=True)
        o, r, infos = run(env, ACTIONS * 3, seed=11)
        runs.append((o, r, [i.get("hash") for i in infos], [i["sensor_valid"] for i in infos]))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert runs[0][2] == runs[1][2]
    np.testing.assert_array_equal(np.array(runs[0][3]), np.array(runs[1][3]))
